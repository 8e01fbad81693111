"""/metrics parsed by prometheus_client, and the JSON request log."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import boto3
from prometheus_client.parser import text_string_to_metric_families

from tests.server import start_server


def _samples(endpoint: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    with urllib.request.urlopen(endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
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
        samples = _samples(server.endpoint)
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
