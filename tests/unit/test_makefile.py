"""The README's two commands: `make serve` installs only the server, `make test` the dev extras too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _plan(target: str, venv: Path) -> str:
    """What make would run on a fresh machine (a venv that does not exist yet), without running it."""
    assert shutil.which("make"), "make is needed to build and test Rucket"
    out = subprocess.run(["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"], capture_output=True,
                         text=True, timeout=30, check=True)
    return out.stdout


def test_make_serve_installs_no_dev_extras(tmp_path: Path) -> None:
    plan = _plan("serve", tmp_path / "venv")
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert installs and all("[dev]" not in line for line in installs), plan
    assert any(line.rstrip().endswith("-e .") for line in installs), plan
    assert "rucket serve" in plan


def test_make_test_installs_dev_extras(tmp_path: Path) -> None:
    plan = _plan("test", tmp_path / "venv")
    assert any("pip install" in line and "'.[dev]'" in line for line in plan.splitlines()), plan
    assert "pytest" in plan
