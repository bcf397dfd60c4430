"""The API reference covers the public surface, and the public surface is documented.

The reference is generated at build time by ``docs/tools/gen_ref.py`` (``mkdocs build --strict``
in CI then renders it, failing on any broken reference). These tests check what it is given.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import streamfold

from .support import DOCS, load_tool, own_docstring, public_api

gen_ref = load_tool("gen_ref")
PAGES = gen_ref.reference_pages()
BY_MODULE = {page.module: page for page in PAGES}

UNDOCUMENTED = Path(__file__).with_name("undocumented.txt")
"""Public classes, functions, methods and properties without a docstring, by qualified name.
The list may only shrink: a new public name needs a docstring (shapes, units, errors raised and
where the behaviour comes from, citing docs/*.md), and a name that got one leaves the list."""

# Public modules that declare no ``__all__`` yet (the reference lists the names they define
# that do not start with ``_``); every other public module has one. May only shrink: give a
# module ``__all__``, or make it private (a leading ``_``), and take it off this list.
WITHOUT_ALL: set[str] = set()  # every public module declares __all__ (issue #21)


def test_every_public_module_has_a_page() -> None:
    pages = {page.module for page in PAGES}
    assert "streamfold" in pages
    for name in list(sys.modules):
        if name.startswith("streamfold.") and gen_ref.is_public(name):
            assert name in pages, f"public module {name} has no reference page"
    # every page's module is public: private modules (a leading _) are never pages
    assert all(gen_ref.is_public(page) for page in pages)


@pytest.mark.parametrize("module", sorted(BY_MODULE))
def test_every_name_in_all_has_a_reference_entry(module: str) -> None:
    page = BY_MODULE[module]
    mod = importlib.import_module(module)
    declared = set(getattr(mod, "__all__", gen_ref.public_names(mod)))
    submodules = {name.rpartition(".")[2] for name in page.submodules}
    missing = declared - page.names - submodules
    assert not missing, f"{module}: no reference entry for {sorted(missing)}"
    for name, target in page.linked.items():  # a link points at a rendered entry
        home, _, attr = target.rpartition(".")
        assert attr in BY_MODULE[home].rendered, f"{module}.{name} -> {target} is not rendered"
    markdown = page.markdown()
    for name in page.rendered:
        assert f"        - {name}\n" in markdown


def test_the_top_level_names_are_all_reachable() -> None:
    top = BY_MODULE["streamfold"]
    submodules = {name.rpartition(".")[2] for name in top.submodules}
    assert set(streamfold.__all__) <= top.names | submodules
    assert top.linked["Reducer"].endswith(".Reducer")
    assert "__version__" in top.rendered


def test_public_modules_declare_all() -> None:
    without = {
        page.module for page in PAGES if "__all__" not in vars(importlib.import_module(page.module))
    }
    extra = sorted(without - WITHOUT_ALL)
    assert not extra, f"public modules without __all__: {extra}"
    stale = sorted(WITHOUT_ALL - without)
    assert not stale, f"these declare __all__ now, take them off WITHOUT_ALL: {stale}"


def test_summary_nests_packages_and_links_every_page() -> None:
    text = gen_ref.summary(PAGES)
    for page in PAGES:
        assert f"]({page.path.removeprefix('reference/')})" in text
    assert "* streamfold.formats\n" in text  # a package is a section with its index page first


def _undocumented() -> list[str]:
    return sorted({name for name, obj in public_api(PAGES) if own_docstring(obj) is None})


def test_public_api_has_docstrings() -> None:
    """Fails on a new public name without a docstring, and on a stale allowlist entry.

    To see the current list: ``python -m tests.docs.test_reference``.
    """
    allowed = set(UNDOCUMENTED.read_text().split())
    current = set(_undocumented())
    new = sorted(current - allowed)
    assert not new, f"public names without a docstring (write one): {new}"
    stale = sorted(allowed - current)
    assert not stale, f"documented now, remove from {UNDOCUMENTED.name}: {stale}"


def test_the_docstring_audit_can_fail() -> None:
    class Bare:
        def method(self) -> None:
            pass

    class Written:
        """Has one."""

    assert own_docstring(Bare) is None
    assert own_docstring(Bare.method) is None
    assert own_docstring(Written) == "Has one."
    assert own_docstring(type("Sub", (Written,), {})) is None  # inherited does not count


def test_docs_tools_are_not_published() -> None:
    config = (DOCS.parent / "mkdocs.yml").read_text()
    for pattern in ("*.py", "*.todo", "tools/"):
        assert f"  {pattern}\n" in config


if __name__ == "__main__":
    print("\n".join(_undocumented()))
