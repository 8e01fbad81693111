"""/metrics parsed by prometheus_client, and the JSON request log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.server import ServerProcess, start_server


def _samples(server: ServerProcess) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = server.scrape()
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def test_metrics_and_json_request_log(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"RUCKET_LOG_LEVEL": "info", "RUCKET_LOG_FORMAT": "json"})
    try:
        s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
        s3.create_bucket(Bucket="metered")
        s3.put_object(Bucket="metered", Key="a", Body=b"x" * 1000)
        s3.put_object(Bucket="metered", Key="b", Body=b"y" * 24)
        s3.get_object(Bucket="metered", Key="a")["Body"].read()
        samples = _samples(server)
        puts = [v for labels, v in samples["rucket_s3_requests_total"]
                if labels == {"operation": "PutObject", "status": "200"}]
        assert puts == [2.0]
        assert ({"bucket": "metered"}, 2.0) in samples["rucket_bucket_objects"]
        assert ({"bucket": "metered"}, 1024.0) in samples["rucket_bucket_bytes"]
        assert samples["rucket_event_log_lsn"][0][1] >= 3  # bucket created + two puts
        assert any(labels.get("operation") == "GetObject" for labels, _ in
                   samples["rucket_s3_request_duration_seconds_count"])
        sent = [v for labels, v in samples["rucket_s3_sent_bytes_total"] if labels == {"operation": "GetObject"}]
        assert sent == [1000.0]
        free, total = samples["rucket_disk_free_bytes"][0][1], samples["rucket_disk_total_bytes"][0][1]
        assert 0 < free <= total and samples["rucket_disk_reserve_bytes"][0][1] == 64 * 2**20
    finally:
        server.stop()
    log = (tmp_path / "data-server.log").read_text().splitlines()
    records = [json.loads(line) for line in log if line.startswith("{")]
    put = [r for r in records if r.get("operation") == "PutObject" and r.get("key") == "a"]
    assert put and put[0]["status"] == 200 and put[0]["bucket"] == "metered"
    assert put[0]["principal"] == server.access_key and put[0]["bytes_in"] >= 1000
    assert all({"request_id", "duration_ms"} <= r.keys() for r in put)
    assert put[0]["client_ip"] == "127.0.0.1" and put[0]["user_agent"].startswith("Boto3/")


def _status(endpoint: str, headers: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(endpoint + "/metrics", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_metrics_need_the_bearer_token_or_root_sigv4_unless_public(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", users=[("metricsuser", "metricsuser-secret")],
                          env={"RUCKET_METRICS_TOKEN": "prom-token-123"})
    try:
        assert _status(server.endpoint) == 403  # names buckets and sizes: not for anyone
        assert _status(server.endpoint, {"Authorization": "Bearer wrong"}) == 403
        assert _status(server.endpoint, {"Authorization": "Bearer prom-token-123"}) == 200
        assert "rucket_s3_requests_total" in server.scrape()  # SigV4 of the root user
        other = ServerProcess(None, server.endpoint, "metricsuser", "metricsuser-secret", server.data_dir)
        with pytest.raises(urllib.error.HTTPError) as denied:
            other.scrape()  # a signed request, but not by root
        assert denied.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as bad:
            ServerProcess(None, server.endpoint, server.access_key, "not-the-secret", server.data_dir).scrape()
        assert bad.value.code == 403
    finally:
        server.stop()
    public = start_server(tmp_path / "public", env={"RUCKET_METRICS_PUBLIC": "true"})
    try:
        assert _status(public.endpoint) == 200
    finally:
        public.stop()


def test_request_log_has_bytes_principal_ip_agent_and_denied_requests_keep_their_operation(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", users=[("loguser", "loguser-secret")],
                          env={"RUCKET_LOG_LEVEL": "info", "RUCKET_LOG_FORMAT": "text"})
    try:
        root = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                            aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
        root.create_bucket(Bucket="logged")
        root.put_object(Bucket="logged", Key="k", Body=b"z" * 321)
        other = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                             aws_access_key_id="loguser", aws_secret_access_key="loguser-secret")
        with pytest.raises(ClientError):
            other.get_object(Bucket="logged", Key="k")  # denied: no policy grants it
        forged = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                              aws_access_key_id=server.access_key, aws_secret_access_key="wrong")
        with pytest.raises(ClientError):
            forged.head_bucket(Bucket="logged")  # bad signature: refused before any identity
        text = server.scrape()
    finally:
        server.stop()
    lines = (tmp_path / "data-server.log").read_text().splitlines()
    put = next(line for line in lines if " PUT /logged/k PutObject 200 " in line)
    assert "in=321 out=0" in put and f"principal={server.access_key}" in put
    assert "ip=127.0.0.1" in put and 'ua="Boto3/' in put
    denied = next(line for line in lines if " GET /logged/k " in line)
    assert " GetObject 403 " in denied and "principal=loguser" in denied
    assert any(" HEAD /logged HeadBucket 403 " in line for line in lines)
    denials = [s for fam in text_string_to_metric_families(text) for s in fam.samples
               if s.name == "rucket_s3_requests_total" and s.labels["status"] == "403"]
    assert {s.labels["operation"] for s in denials} == {"GetObject", "HeadBucket"}
