"""TLS file pairs: both or neither, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rucket import tls


def test_configured_neither_is_plain_http() -> None:
    assert tls.configured("", "") is None


@pytest.mark.parametrize(("cert", "key", "says"), [
    pytest.param("c.pem", "", "without --tls-key", id="cert-only"),
    pytest.param("", "k.pem", "without --tls-cert", id="key-only"),
])
def test_configured_half_a_pair_is_refused(cert: str, key: str, says: str) -> None:
    with pytest.raises(tls.TlsFileError, match=says):
        tls.configured(cert, key)


def test_check_names_a_file_that_is_not_pem(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("hello")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(tls.TlsFileError, match=f"certificate file {cert} is not a PEM file"):
        tls.check(tls.TlsFiles(cert, key))
