"""`rucket serve --tls-cert FILE --tls-key FILE`: HTTPS with boto3, the aws CLI and curl against a CA made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.server import ROOT_KEY, ROOT_SECRET, ServerProcess, start_server

pytestmark = pytest.mark.integration


@dataclass
class Pki:
    ca_cert: Path
    ca: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(directory: Path) -> Pki:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("Rucket Test CA")).issuer_name(_name("Rucket Test CA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .sign(key, hashes.SHA256()))
    path = directory / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Pki(path, cert, key)


def issue(pki: Pki, directory: Path, cn: str = "rucket-test") -> tuple[Path, Path, int]:
    """A server certificate for 127.0.0.1 and localhost signed by the CA; returns (cert, key, serial)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    serial = x509.random_serial_number()
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(pki.ca.subject)
            .public_key(key.public_key()).serial_number(serial)
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(pki.ca_key, hashes.SHA256()))
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, serial


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_ca(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, int]]:
    certs = tmp_path_factory.mktemp("certs")
    cert, key, serial = issue(pki, certs)
    data = tmp_path_factory.mktemp("tlsdata")
    proc = start_server(data, extra_args=["--tls-cert", str(cert), "--tls-key", str(key)], ca=pki.ca_cert)
    yield proc, serial
    proc.stop()


def served_serial(endpoint: str, ca: Path) -> int:
    host, port = endpoint.removeprefix("https://").rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection((host, int(port)), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=host) as s:
        der = s.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def test_tls_endpoint_is_https_and_boto3_round_trips(tls_server: tuple[ServerProcess, int], pki: Pki) -> None:
    server, _ = tls_server
    assert server.endpoint.startswith("https://127.0.0.1:")
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", verify=str(pki.ca_cert),
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET,
                      config=BotoConfig(retries={"max_attempts": 1}))
    s3.create_bucket(Bucket="tls-boto")
    s3.put_object(Bucket="tls-boto", Key="k", Body=b"over tls" * 1000)
    assert s3.get_object(Bucket="tls-boto", Key="k")["Body"].read() == b"over tls" * 1000


def test_tls_sse_c_is_accepted_over_https(tls_server: tuple[ServerProcess, int], pki: Pki) -> None:
    """SSE-C over plain HTTP is refused (issue 15); over the TLS port it must work."""
    server, _ = tls_server
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", verify=str(pki.ca_cert),
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET)
    s3.create_bucket(Bucket="tls-ssec")
    key = b"k" * 32
    s3.put_object(Bucket="tls-ssec", Key="s", Body=b"secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    got = s3.get_object(Bucket="tls-ssec", Key="s", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert got["Body"].read() == b"secret"


def test_tls_migrate_reaches_an_https_server_with_the_ca(tls_server: tuple[ServerProcess, int],
                                                       pki: Pki) -> None:
    """`rucket migrate --ca-bundle` speaks HTTPS to both ends (here one server is source and destination:
    the object is found unchanged), and it fails cleanly without the CA."""
    server, _ = tls_server
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1", verify=str(pki.ca_cert),
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET)
    s3.create_bucket(Bucket="tls-mig")
    s3.put_object(Bucket="tls-mig", Key="k", Body=b"x")
    env = {**os.environ, "RUCKET_ENDPOINT": server.endpoint, "RUCKET_ROOT_USER": ROOT_KEY,
           "RUCKET_ROOT_PASSWORD": ROOT_SECRET}
    base = [sys.executable, "-m", "rucket", "migrate", "--from", server.endpoint, "--access-key", ROOT_KEY,
            "--secret-key", ROOT_SECRET, "--bucket", "tls-mig"]
    ok = subprocess.run([*base, "--ca-bundle", str(pki.ca_cert)], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "bucket tls-mig: 0 copied (0 bytes), 1 unchanged" in ok.stdout, ok.stdout + ok.stderr
    bad = subprocess.run(base, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "SSL" in bad.stdout + bad.stderr


def test_tls_refuses_a_client_that_does_not_trust_the_ca(tls_server: tuple[ServerProcess, int]) -> None:
    server, _ = tls_server
    s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                      aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET,
                      config=BotoConfig(retries={"max_attempts": 1}))
    from botocore.exceptions import SSLError

    with pytest.raises(SSLError):
        s3.list_buckets()


def test_tls_aws_cli_with_ca_bundle(tls_server: tuple[ServerProcess, int], pki: Pki, tmp_path: Path) -> None:
    server, _ = tls_server
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ROOT_KEY, "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null"}
    src = tmp_path / "f.txt"
    src.write_bytes(b"cli over tls\n")
    base = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--ca-bundle", str(pki.ca_cert)]
    for args in (["s3", "mb", "s3://tls-cli"], ["s3", "cp", str(src), "s3://tls-cli/f.txt"],
                 ["s3", "cp", "s3://tls-cli/f.txt", str(tmp_path / "back.txt")]):
        out = subprocess.run(base + args, env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    assert (tmp_path / "back.txt").read_bytes() == b"cli over tls\n"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_tls_curl_health_with_cacert_and_without(tls_server: tuple[ServerProcess, int], pki: Pki) -> None:
    server, _ = tls_server
    ok = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(pki.ca_cert),
                         server.endpoint + "/minio/health/live"], capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0 and ok.stdout == "200", ok.stderr
    untrusted = subprocess.run(["curl", "-sS", "-o", "/dev/null", server.endpoint + "/minio/health/live"],
                               capture_output=True, text=True, timeout=30)
    assert untrusted.returncode == 60  # CURLE_PEER_FAILED_VERIFICATION
    plain = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                            server.endpoint.replace("https://", "http://") + "/minio/health/live"],
                           capture_output=True, text=True, timeout=30)
    assert plain.stdout != "200"  # the S3 port speaks only TLS


def _wait_serial(endpoint: str, ca: Path, want: int, timeout: float = 30) -> int:
    deadline, seen = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        try:
            seen = served_serial(endpoint, ca)
        except OSError:
            seen = 0  # between the old workers stopping and the new ones accepting
        if seen == want:
            return seen
        time.sleep(0.2)
    return seen


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _wait_gone(pids: set[int], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}").exists() and "zombie" not in _state(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0].lower()
    except (OSError, IndexError):
        return "zombie"


def _wait_log(path: Path, text: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return True
        time.sleep(0.1)
    return False


def test_tls_sighup_reloads_certificate_and_refuses_a_broken_one(pki: Pki, tmp_path: Path) -> None:
    cert, key, first = issue(pki, tmp_path)
    server = start_server(tmp_path / "data", extra_args=["--tls-cert", str(cert), "--tls-key", str(key)],
                          ca=pki.ca_cert)
    try:
        assert served_serial(server.endpoint, pki.ca_cert) == first
        staging = tmp_path / "next"
        staging.mkdir()
        new_cert, new_key, second = issue(pki, staging, cn="rotated")
        os.replace(new_cert, cert)
        os.replace(new_key, key)
        assert server.proc is not None
        old_workers = _children(server.proc.pid)
        assert old_workers
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_serial(server.endpoint, pki.ca_cert, second) == second
        assert _wait_gone(old_workers)  # new and old workers overlap during a respawn: wait for the old to exit
        assert served_serial(server.endpoint, pki.ca_cert) == second
        cert.write_text("not a certificate\n")  # a broken rotation: refused, the running pair keeps serving
        os.kill(server.proc.pid, signal.SIGHUP)
        assert _wait_log(tmp_path / "data-server.log", "keeping the current certificate")
        assert served_serial(server.endpoint, pki.ca_cert) == second
        assert server.proc.poll() is None
    finally:
        server.stop()
    log = (tmp_path / "data-server.log").read_text()
    assert "keeping the current certificate" in log and str(cert) in log


def _serve_fails(tmp_path: Path, *tls_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rucket", "serve", "--port", "0", "--data-dir",
                           str(tmp_path / "d"), *tls_args], capture_output=True, text=True, timeout=30)


def test_tls_missing_cert_file_names_it(tmp_path: Path, pki: Pki) -> None:
    _, key, _ = issue(pki, tmp_path)
    out = _serve_fails(tmp_path, "--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key))
    assert out.returncode == 1 and str(tmp_path / "nope.pem") in out.stderr and "No such file" in out.stderr


def test_tls_garbage_cert_names_it(tmp_path: Path, pki: Pki) -> None:
    cert, key, _ = issue(pki, tmp_path)
    cert.write_text("-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n")
    out = _serve_fails(tmp_path, "--tls-cert", str(cert), "--tls-key", str(key))
    assert out.returncode == 1 and f"certificate file {cert}" in out.stderr


def test_tls_key_not_matching_cert_names_both(tmp_path: Path, pki: Pki) -> None:
    cert, _, _ = issue(pki, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, wrong_key, _ = issue(pki, other)
    out = _serve_fails(tmp_path, "--tls-cert", str(cert), "--tls-key", str(wrong_key))
    assert out.returncode == 1 and str(wrong_key) in out.stderr and str(cert) in out.stderr


def test_tls_key_without_cert_is_refused(tmp_path: Path, pki: Pki) -> None:
    _, key, _ = issue(pki, tmp_path)
    out = _serve_fails(tmp_path, "--tls-key", str(key))
    assert out.returncode == 1 and "without --tls-cert" in out.stderr


def test_tls_from_rucket_toml(tmp_path: Path, pki: Pki) -> None:
    cert, key, serial = issue(pki, tmp_path)
    toml = tmp_path / "rucket.toml"
    toml.write_text(f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
    server = start_server(tmp_path / "data", extra_args=["--config", str(toml)], ca=pki.ca_cert)  # last --config wins
    try:
        assert served_serial(server.endpoint, pki.ca_cert) == serial
    finally:
        server.stop()
