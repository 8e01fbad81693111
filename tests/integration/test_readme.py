"""The README as a new user follows it (issue 15 items 20 and 21): the test-fixture example
runs as written, the install commands name extras that exist, and no link leaves the repository."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_fixture_example_runs_as_written(tmp_path: Path) -> None:
    """The python block is saved as a test file and run by pytest, the plugin found through its
    entry point exactly as an installed rucket provides it."""
    (code,) = blocks(section("Use it in your tests"), "python")
    (tmp_path / "test_from_readme.py").write_text(code)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_from_readme.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr


def test_install_commands_name_real_extras_and_the_built_wheel() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (sh,) = blocks(section("Use it in your tests"), "sh")
    extras = set(re.findall(r"\[([a-z]+)\]'", sh))
    assert extras == {"testing"} and extras <= project["optional-dependencies"].keys()
    assert any(d.startswith("boto3") for d in project["optional-dependencies"]["testing"])
    wheels = re.findall(r"dist/(\S+?\.whl)", sh)
    assert wheels == [f"rucket-{project['version']}-py3-none-any.whl"]  # what `python -m build --wheel` names it
    assert "pip install rucket" not in README  # not on PyPI yet


def test_readme_links_stay_inside_the_repository() -> None:
    targets = re.findall(r"\]\(([^)#]+)\)", README) + re.findall(r"`((?:\.\./|docs/|src/|tests/|bench/)[^`\s]*)`",
                                                                  README)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links nothing local: the pattern is broken"
    for target in local:
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), f"{target} points outside the repository"
        assert path.exists(), f"{target} does not exist"
