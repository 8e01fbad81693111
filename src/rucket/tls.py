"""HTTPS on the S3 port: the certificate and key files are checked before granian sees them.

granian loads the PEM files itself, in each worker, and on a bad file a worker dies with a
Rust error that does not say which file was wrong. So `rucket serve` checks both files with
the standard `ssl` module first and stops with a message naming the file. The same check runs
on SIGHUP: granian respawns its workers on that signal (which re-reads the files, i.e. a
certificate rotation), and a rotation to a broken file is refused with the old workers kept
serving instead of leaving a server with no worker at all.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("rucket.tls")


class TlsFileError(ValueError):
    """A certificate or key file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def configured(cert: str, key: str) -> TlsFiles | None:
    """Both or neither: one alone is a mistake we name rather than serve plain HTTP."""
    if not cert and not key:
        return None
    if not cert:
        raise TlsFileError(f"--tls-key {key} given without --tls-cert")
    if not key:
        raise TlsFileError(f"--tls-cert {cert} given without --tls-key")
    return TlsFiles(Path(cert), Path(key))


def _readable(path: Path, what: str) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(1 << 20)
    except OSError as exc:
        raise TlsFileError(f"TLS {what} file {path}: {exc.strerror or exc}") from exc
    if b"-----BEGIN" not in head:
        raise TlsFileError(f"TLS {what} file {path} is not a PEM file")


def check(files: TlsFiles) -> None:
    """Raise TlsFileError naming the file unless the pair loads into a TLS server context."""
    from cryptography import x509  # only when TLS is configured: keeps `rucket serve` start-up lean
    from cryptography.hazmat.primitives import serialization

    _readable(files.cert, "certificate")
    _readable(files.key, "key")
    try:
        x509.load_pem_x509_certificates(files.cert.read_bytes())
    except ValueError as exc:
        raise TlsFileError(f"TLS certificate file {files.cert} holds no valid certificate: {exc}") from exc
    try:
        serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:  # TypeError: the key is encrypted
        raise TlsFileError(f"TLS key file {files.key} holds no usable unencrypted private key: {exc}") from exc
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(str(files.cert), str(files.key))
    except ssl.SSLError as exc:
        raise TlsFileError(f"TLS key file {files.key} does not match certificate file {files.cert}: "
                           f"{exc.reason or exc}") from exc


def granian_options(files: TlsFiles | None) -> dict[str, Any]:
    """granian's TLS arguments; TLS 1.2 as the floor (granian's default is 1.3, which old SDKs lack)."""
    if files is None:
        return {}
    from granian.constants import SSLProtocols

    return {"ssl_cert": files.cert, "ssl_key": files.key, "ssl_protocol_min": SSLProtocols.tls12}


def reloading_server(files: TlsFiles | None) -> type[Any]:
    """granian's Server, whose SIGHUP (respawn the workers, which re-read the PEM files) first checks
    the new files: a broken rotation is logged and refused, the running workers keep the old pair.
    The paths are resolved again, so a symlink swap (a Kubernetes Secret update) is followed too."""
    from granian.server import Server

    if files is None:
        return Server
    pair = files

    class TlsServer(Server):  # type: ignore[misc, valid-type]
        def signal_handler_reload(self, *args: Any, **kwargs: Any) -> None:
            try:
                check(pair)
            except TlsFileError as exc:
                log.error("SIGHUP: keeping the current certificate: %s", exc)
                return
            opts = granian_options(pair)
            self.build_ssl_context(opts["ssl_cert"], opts["ssl_key"], None, opts["ssl_protocol_min"], None, [], False)
            log.warning("SIGHUP: reloading TLS certificate %s", pair.cert)
            super().signal_handler_reload(*args, **kwargs)

    return TlsServer
