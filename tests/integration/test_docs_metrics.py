"""docs/metrics.md, the Prometheus alert rules and the Grafana dashboard name only metrics a live server has,
and the reference table lists every metric it has."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
import yaml
from botocore.client import BaseClient

from tests.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "docs" / "monitoring"
PROMETHEUS_OWN = {"up"}  # written by Prometheus itself, not by the server
pytestmark = pytest.mark.integration


def live_metrics(server: ServerProcess, s3: BaseClient, bucket: str) -> dict[str, str]:
    """family name → type, from /metrics after traffic that gives every labelled family a sample."""
    s3.put_object(Bucket=bucket, Key="m", Body=b"metrics")
    s3.get_object(Bucket=bucket, Key="m")["Body"].read()
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as r:
        text = r.read().decode()
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def named(expr: str) -> set[str]:
    return set(re.findall(r"\b(rucket_[a-z0-9_]+|up)\b", expr))


def family(name: str, families: dict[str, str]) -> str | None:
    if name in families or name in PROMETHEUS_OWN:
        return name
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    return base if families.get(base) == "histogram" else None


def alert_exprs() -> list[str]:
    doc = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [rule["expr"] for group in doc["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    doc = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel["targets"]]


def test_alert_rules_and_dashboard_name_only_live_metrics(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    families = live_metrics(server, s3, bucket)
    for source, exprs in (("alerts.yml", alert_exprs()), ("grafana-dashboard.json", dashboard_exprs())):
        names = {n for e in exprs for n in named(e)}
        assert names, source
        assert sorted(n for n in names if family(n, families) is None) == [], source


def test_metrics_reference_lists_exactly_the_live_metrics(server: ServerProcess, s3: BaseClient, bucket: str) -> None:
    families = live_metrics(server, s3, bucket)
    table = dict(re.findall(r"^\| `(rucket_[a-z0-9_]+)` \| (\w+) \|", (ROOT / "docs" / "metrics.md").read_text(), re.M))
    assert table == {k: v for k, v in families.items() if k.startswith("rucket_")}
