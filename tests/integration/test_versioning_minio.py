"""MinIO's versioning extensions (ExcludedPrefixes, ExcludeFolders) through minio-py and boto3."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from minio import Minio
from minio.commonconfig import ENABLED
from minio.error import S3Error
from minio.versioningconfig import SUSPENDED, VersioningConfig

from tests.server import ServerProcess


@pytest.fixture
def mc(server: ServerProcess) -> Minio:
    return Minio(urlsplit(server.endpoint).netloc, server.access_key, server.secret_key, secure=False)


def test_set_get_bucket_versioning_minio_functional(mc: Minio, bucket: str) -> None:
    """The minio-py functional suite's test_set_get_bucket_versioning, step by step."""
    excluded = ["prefix1", "prefix2"]
    mc.set_bucket_versioning(bucket, VersioningConfig(ENABLED, exclude_folders=True, excluded_prefixes=excluded))
    cfg = mc.get_bucket_versioning(bucket)
    assert (cfg.status, cfg.exclude_folders, cfg.excluded_prefixes) == (ENABLED, True, excluded)
    mc.set_bucket_versioning(bucket, VersioningConfig(SUSPENDED))
    cfg = mc.get_bucket_versioning(bucket)
    assert (cfg.status, cfg.exclude_folders, cfg.excluded_prefixes) == (SUSPENDED, False, [])


def _version_ids(s3: BaseClient, bucket: str, key: str) -> list[str]:
    page = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [v["VersionId"] for v in page.get("Versions", []) + page.get("DeleteMarkers", []) if v["Key"] == key]


def test_excluded_prefixes_and_folders_get_null_versions(mc: Minio, s3: BaseClient, bucket: str) -> None:
    mc.set_bucket_versioning(bucket, VersioningConfig(ENABLED, exclude_folders=True,
                                                      excluded_prefixes=["_staging/", "tmp*/part"]))
    for key in ("_staging/a", "tmp-1/part-0", "dir/", "kept/a"):
        for body in (b"one", b"two"):
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    assert _version_ids(s3, bucket, "_staging/a") == ["null"]  # overwritten in place, as MinIO does
    assert _version_ids(s3, bucket, "tmp-1/part-0") == ["null"]  # "*" is a wildcard, as in MinIO
    assert _version_ids(s3, bucket, "dir/") == ["null"]  # ExcludeFolders: keys ending in "/"
    kept = _version_ids(s3, bucket, "kept/a")
    assert len(kept) == 2 and "null" not in kept
    assert s3.get_object(Bucket=bucket, Key="_staging/a")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="_staging/a")  # a null delete marker replaces the null version
    assert _version_ids(s3, bucket, "_staging/a") == ["null"]
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="_staging/a")


def test_excluded_prefixes_apply_to_multipart_and_copy(mc: Minio, s3: BaseClient, bucket: str) -> None:
    mc.set_bucket_versioning(bucket, VersioningConfig(ENABLED, excluded_prefixes=["scratch/"]))
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="scratch/copy", CopySource={"Bucket": bucket, "Key": "src"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="scratch/mpu")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="scratch/mpu", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="scratch/mpu", UploadId=upload,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert done.get("VersionId") in (None, "null")
    assert _version_ids(s3, bucket, "scratch/copy") == ["null"]
    assert _version_ids(s3, bucket, "scratch/mpu") == ["null"]


def test_reenabling_without_extensions_versions_every_key(mc: Minio, s3: BaseClient, bucket: str) -> None:
    mc.set_bucket_versioning(bucket, VersioningConfig(ENABLED, excluded_prefixes=["x/"]))
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})  # replaces the document
    assert mc.get_bucket_versioning(bucket).excluded_prefixes == []
    s3.put_object(Bucket=bucket, Key="x/k", Body=b"1")
    assert _version_ids(s3, bucket, "x/k") != ["null"]


@pytest.mark.parametrize("config", [
    pytest.param(VersioningConfig(SUSPENDED, excluded_prefixes=["a/"]), id="suspended-with-prefixes"),
    pytest.param(VersioningConfig(ENABLED, excluded_prefixes=[f"p{i}/" for i in range(11)]), id="eleven-prefixes"),
])
def test_invalid_extensions_refused(mc: Minio, bucket: str, config: VersioningConfig) -> None:
    with pytest.raises(S3Error) as err:
        mc.set_bucket_versioning(bucket, config)
    assert err.value.code == "IllegalVersioningConfigurationException"
    assert mc.get_bucket_versioning(bucket).status is None  # nothing stored
