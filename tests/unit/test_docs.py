"""Operator docs: the generated pages are current, the generators work, mkdocs builds with --strict."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_configuration_reference_is_generated_and_current() -> None:
    gen = tool("gen_config_reference")
    assert (ROOT / "docs" / "configuration.md").read_text() == gen.render(), \
        "docs/configuration.md is out of date: run python tools/gen_config_reference.py"


def test_every_config_field_has_a_description() -> None:
    import dataclasses

    from rucket.config import Config

    notes = tool("gen_config_reference").field_comments()
    assert [f.name for f in dataclasses.fields(Config) if not notes.get(f.name)] == []


def test_s3_compat_generator_counts_a_junit(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite timestamp="2026-12-04T00:00:00">'
        '<testcase name="test_lifecycle_expiration"/><testcase name="test_cors_origin_response"><failure/></testcase>'
        '<testcase name="test_cors_origin_wildcard"/><testcase name="test_object_write_read"><skipped/></testcase>'
        '<testcase name="test_bucket_list_many"><error/></testcase>'
        '</testsuite></testsuites>')
    gen = tool("gen_s3_compat")
    rows = gen.read(junit)
    assert (rows["Lifecycle"].passed, rows["Lifecycle"].status) == (1, "supported")
    assert (rows["CORS"].passed, rows["CORS"].failed, rows["CORS"].status) == (1, ["test_cors_origin_response"],
                                                                              "partial")
    assert rows["Listing"].status == "not supported" and rows["Objects (PUT, GET, HEAD, DELETE)"].skipped == 1
    page = gen.render(rows, "sample")
    assert "**2 passed, 2 failed, 1 skipped**" in page and "| CORS | 1 | 1 | 0 | partial |" in page


def test_s3_compat_page_is_the_generators_output() -> None:
    page = (ROOT / "docs" / "s3-compatibility.md").read_text()
    assert tool("gen_s3_compat").MARKER in page and "| feature | passed | failed | skipped | status |" in page


def _mkdocs(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(project / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, timeout=120)


@pytest.mark.integration
def test_docs_build_with_mkdocs_strict_and_a_broken_link_fails(tmp_path: Path) -> None:
    out = _mkdocs(ROOT, tmp_path / "site")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").exists()
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", copy / "docs")
    (copy / "docs" / "install.md").write_text((copy / "docs" / "install.md").read_text() + "\n[gone](nowhere.md)\n")
    broken = _mkdocs(copy, tmp_path / "site2")
    assert broken.returncode != 0 and "nowhere.md" in broken.stderr
