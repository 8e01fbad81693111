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


# ---- the storage seam (DESIGN.md §6, issue 14) ---------------------------------------------
CONCRETE_STORES = ("rucket.meta.sqlite", "rucket.blobs.local", "rucket.cluster")  # named by server.py only
STORE_USERS = ("engine", "s3", "admin", "console")  # talk to the Protocols / the engine
ABOVE_ENGINE = ("s3", "admin", "console")
SEAM_MODULES = ("rucket.meta.base", "rucket.blobs.base")  # the Protocols and their records


def _files(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (SRC / "rucket" / pkg).rglob("*.py"))


def _names(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _concrete_stores_named(path: Path, root: Path = SRC) -> list[str]:
    return [m for m in imported(path, root) if _names(m, CONCRETE_STORES)]


def _storage_reached(path: Path, root: Path = SRC) -> list[str]:
    """Imports of meta/ or blobs/ beyond the seam's records, and any `engine.store` attribute."""
    storage = ("rucket.meta", "rucket.blobs")
    bad = [m for m in imported(path, root) if _names(m, storage) and not _names(m, SEAM_MODULES)]
    tree = ast.parse(path.read_text(), filename=str(path))
    return bad + [f"line {n.lineno}: .store" for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                  and n.attr == "store" and isinstance(n.value, ast.Attribute) and n.value.attr == "engine"]


@pytest.mark.parametrize("path", _files(*STORE_USERS), ids=lambda p: str(p.relative_to(SRC)))
def test_engine_and_above_never_name_a_concrete_store(path: Path) -> None:
    bad = _concrete_stores_named(path)
    assert not bad, f"{path} names a concrete store (only server.py may): {bad}"


@pytest.mark.parametrize("path", _files(*ABOVE_ENGINE), ids=lambda p: str(p.relative_to(SRC)))
def test_s3_and_admin_reach_storage_only_through_the_engine(path: Path) -> None:
    bad = _storage_reached(path)
    assert not bad, f"{path} reaches past the engine into storage: {bad}"


def test_seam_rules_catch_a_violation(tmp_path: Path) -> None:
    """The two rules above flag code that breaks them (a probe in a scratch tree, never in src/)."""
    pkg = tmp_path / "rucket" / "s3"
    pkg.mkdir(parents=True)
    probe = pkg / "_seam_probe.py"
    probe.write_text("from rucket.meta.sqlite import SqliteMeta\nfrom ..blobs import local\n\n"
                     "def f(ctx):\n    return ctx.engine.store.index\n")
    assert _concrete_stores_named(probe, tmp_path) == ["rucket.meta.sqlite.SqliteMeta", "rucket.blobs.local"]
    assert _storage_reached(probe, tmp_path) == ["rucket.meta.sqlite.SqliteMeta", "rucket.blobs.local",
                                                 "line 5: .store"]


@pytest.mark.parametrize("path", _files("engine"), ids=lambda p: str(p.relative_to(SRC)))
def test_engine_uses_only_the_metadata_protocols(path: Path) -> None:
    """No SQL helper, row converter or transaction class of meta/: writes are `core.mutations` batches."""
    bad = [m for m in imported(path) if _names(m, ("rucket.meta",)) and not _names(m, ("rucket.meta.base",))]
    assert not bad, f"{path} imports meta/ internals: {bad}"
