"""Deployment files: the Dockerfile, the Kubernetes manifests and the systemd unit say what they must,
and every `rucket serve` flag they use exists (read from `rucket serve --help`, as a user would)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from rucket.cli import main

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "kubernetes" / "rucket.yaml"
UNIT = ROOT / "deploy" / "systemd" / "rucket.service"


def serve_flags() -> set[str]:
    out = CliRunner().invoke(main, ["serve", "--help"])
    assert out.exit_code == 0
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", out.output))


def flags_in(args: list[str]) -> set[str]:
    return {a.split("=", 1)[0] for a in args if a.startswith("--")}


def manifests() -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def test_serve_flags_reader_sees_known_flags() -> None:
    assert {"--address", "--data-dir", "--tls-cert", "--tls-key"} <= serve_flags()
    assert "--not-a-flag" not in serve_flags()


def test_k8s_statefulset_headless_service_pvc_probes() -> None:
    docs = manifests()
    sts = docs["StatefulSet/rucket"]
    headless = docs[f"Service/{sts['spec']['serviceName']}"]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    labels = sts["spec"]["template"]["metadata"]["labels"]
    assert headless["spec"]["selector"].items() <= labels.items()
    assert sts["spec"]["selector"]["matchLabels"].items() <= labels.items()
    pod = sts["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    claims = {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    data_dir = container["args"][container["args"].index("--data-dir") + 1]
    assert "data" in claims and mounts["data"] == data_dir
    assert container["livenessProbe"]["httpGet"]["path"] == "/minio/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/minio/health/ready"
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_k8s_args_name_only_real_serve_flags() -> None:
    container = manifests()["StatefulSet/rucket"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][0] == "serve"
    assert flags_in(container["args"]) <= serve_flags()


def _dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "")
            for ln in (raw.strip() for raw in text.splitlines()) if ln and not ln.startswith("#")]


def test_dockerfile_slim_non_root_volume_healthcheck_etcd() -> None:
    ins = _dockerfile()
    final = ins[max(i for i, (op, _) in enumerate(ins) if op == "FROM"):]
    assert "slim" in final[0][1]
    user = [arg for op, arg in final if op == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert any(op == "VOLUME" and "/data" in arg for op, arg in final)
    assert any(op == "HEALTHCHECK" and "/minio/health/live" in arg for op, arg in final)
    assert any(op == "RUN" and "etcd-server" in arg for op, arg in final)
    entry = [a for op, arg in final if op == "ENTRYPOINT" for a in yaml.safe_load(arg)]
    cmd = [a for op, arg in final if op == "CMD" for a in yaml.safe_load(arg)]
    assert entry == ["rucket"] and cmd[0] == "serve" and flags_in(cmd) <= serve_flags()


def _exec_start() -> list[str]:
    line = next(ln for ln in UNIT.read_text().splitlines() if ln.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_systemd_unit_hardening_and_flags() -> None:
    text = UNIT.read_text()
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes",
                   "CapabilityBoundingSet=", "SystemCallFilter=@system-service", "ReadWritePaths=/var/lib/rucket"):
        assert f"\n{option}\n" in text, option
    argv = _exec_start()
    assert argv[1] == "serve" and flags_in(argv) <= serve_flags()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed (only this check)")
def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified with ExecStart pointing at this test run's `rucket` (verify wants an existing binary);
    warnings count as failures: systemd only logs an unknown or misspelt option and carries on."""
    rucket = shutil.which("rucket") or str(Path(__import__("sys").executable).parent / "rucket")
    unit = tmp_path / "rucket.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/rucket", rucket))
    out = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not out.stderr.strip() and not out.stdout.strip(), out.stderr + out.stdout
    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    out = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert "NoNewPrivilege" in out.stderr  # the check does catch a misspelt option
