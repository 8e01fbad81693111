"""The import rule of DESIGN.md as a test: layers import downward only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
RANK = {"__init__": 0, "core": 0, "meta": 1, "blobs": 1, "events": 1, "placement": 1,
        "engine": 2, "s3": 3, "cluster": 3, "erasure": 3, "admin": 3, "console": 3,
        "config": 4, "server": 4, "cli": 4, "cli_admin": 4, "__main__": 4, "tls": 4, "backup": 4, "migrate": 4,
        "testing": 5, "pytest_plugin": 5}


def imported(path: Path, root: Path = SRC) -> Iterator[str]:
    here = path.relative_to(root).with_suffix("").parts  # ("rucket", "s3", "router")
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):  # resolve relative imports; also catches `from .. import engine`
            base = ".".join(here[: len(here) - node.level]) if node.level else ""
            mod = ".".join(p for p in (base, node.module) if p)
            yield from (f"{mod}.{a.name}" for a in node.names)


def _rank(module: str) -> int:
    name = module.split(".")[1]
    is_module = (SRC / "rucket" / name).is_dir() or (SRC / "rucket" / f"{name}.py").is_file()
    return RANK[name] if is_module else RANK["__init__"]  # `from rucket import __version__`


@pytest.mark.parametrize("path", sorted((SRC / "rucket").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_imports(path: Path) -> None:
    own = RANK[path.relative_to(SRC / "rucket").parts[0].removesuffix(".py")]
    bad = [m for m in imported(path) if m.startswith("rucket.") and _rank(m) > own]
    assert not bad, f"{path} imports upward: {bad}"


def test_same_rank_siblings_do_not_import_each_other() -> None:
    """meta, blobs, events and placement are peers: none may depend on another."""
    peers = {"meta", "blobs", "events", "placement"}
    for path in (SRC / "rucket").rglob("*.py"):
        pkg = path.relative_to(SRC / "rucket").parts[0]
        if pkg not in peers:
            continue
        bad = [m for m in imported(path) if m.startswith("rucket.") and m.split(".")[1] in peers - {pkg}]
        assert not bad, f"{path} imports a peer layer: {bad}"


# cluster/ and erasure/ implement the engine's Protocols (rank 3: they may import engine/ to do so), but nothing
# else reaches them: the composition root (server.py) names them, so engine/ and s3/ stay deployment-agnostic.
BEHIND_THE_SEAM = {"cluster", "erasure"}
MAY_NAME_THEM = BEHIND_THE_SEAM | {"server"}


@pytest.mark.parametrize("path", sorted((SRC / "rucket").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_only_the_composition_root_names_cluster_packages(path: Path) -> None:
    if path.relative_to(SRC / "rucket").parts[0].removesuffix(".py") in MAY_NAME_THEM:
        return
    bad = [m for m in imported(path) if m.startswith("rucket.") and m.split(".")[1] in BEHIND_THE_SEAM]
    assert not bad, f"{path} names a package behind the storage seam: {bad}"


def test_imported_resolves_relative_imports(tmp_path: Path) -> None:
    """A probe module in a scratch tree shaped like src/ (never written into src/ itself)."""
    pkg = tmp_path / "rucket" / "core"
    pkg.mkdir(parents=True)
    fake = pkg / "_layers_probe.py"
    fake.write_text("from .. import engine\nfrom ..s3 import app\nfrom . import hlc\nimport rucket.meta.sqlite\n")
    assert set(imported(fake, tmp_path)) == {"rucket.engine", "rucket.s3.app", "rucket.core.hlc",
                                              "rucket.meta.sqlite"}
