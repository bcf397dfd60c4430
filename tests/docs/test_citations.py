"""Docs and docstrings cite pages of this repository, not notes users do not have.

``docs/tools/fix_citations.py`` rewrites the old citations (``notes/loom.md A9`` →
``docs/loom.md#a9``); these tests run it on a copy of the tree, so they keep working as files
move, and check that every anchor it points to exists.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .support import DOCS, ROOT, load_tool

fix = load_tool("fix_citations")


def test_docs_examples_and_readme_cite_only_the_repository() -> None:
    found = fix.outside_citations(ROOT, ("docs", "examples", "README.md"))
    assert found == []


def test_the_fixer_leaves_no_outside_citation_in_src(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src")
    assert fix.main(["--root", str(tmp_path), "src"]) == 0
    assert fix.outside_citations(tmp_path, ("src",)) == []
    # and running it again changes nothing (safe to re-run after merges)
    before = {p: p.read_text() for p in (tmp_path / "src").rglob("*.py")}
    assert fix.main(["--root", str(tmp_path), "src"]) == 0
    assert before == {p: p.read_text() for p in (tmp_path / "src").rglob("*.py")}
    for path in before:
        for line in path.read_text().splitlines():
            if "docs/" in line:
                assert len(line) <= fix.MAX_LINE, f"{path}: {line}"


def _anchors(page: Path) -> set[str]:
    text = page.read_text()
    ids = set(re.findall(r'<a id="([^"]+)"></a>', text))
    for heading in re.findall(r"(?m)^#{1,6} (.+)$", text):
        slug = re.sub(r"[^\w\s-]", "", heading.lower()).strip()
        ids.add(re.sub(r"[\s]+", "-", slug))
    return ids


def _targets() -> set[str]:
    tables = (fix.LOOM_SECTIONS, fix.TANSTACK_SECTIONS, fix.NNRP_SECTIONS, fix.PEERS_SECTIONS)
    targets = {target for table in tables for target in table.values()}
    targets |= {f"docs/loom.md#a{n}" for n in range(1, 15)}
    return targets


@pytest.mark.parametrize("target", sorted(_targets()))
def test_every_citation_target_exists(target: str) -> None:
    page, _, anchor = target.partition("#")
    path = ROOT / page
    assert path.is_file(), target
    if anchor:
        assert anchor in _anchors(path), f"{target}: no such anchor"


@pytest.mark.parametrize(
    ("old", "relative", "new"),
    [
        ("(notes/loom.md A4)", "src/streamfold/model.py", "(docs/loom.md#a4)"),
        ("notes/loom.md A1/A9.", "src/streamfold/core/x.py", "docs/loom.md#a1, #a9."),
        (
            "(the reply, §2.2)",
            "src/streamfold/formats/loom/runs.py",
            "(the reply, docs/loom.md#envelope)",
        ),
        (
            "(notes §5.7-5.9)",
            "src/streamfold/formats/nnrp/x.py",
            "(docs/nnrp.md#decision-7 to #decision-9)",
        ),
        ("spec §4.2; notes A9", "src/streamfold/formats/loom/x.py", "spec §4.2; docs/loom.md#a9"),
        ("WHATWG HTML §9.2", "src/streamfold/framing/sse.py", "WHATWG HTML §9.2"),
        ("(notes/tanstack.md §1.6)", "src/a.py", "(docs/tanstack.md#tool-call-rules)"),
        ("spec §4.3 / §5", "examples/recordings/README.md", "spec §4.3 / §5"),
    ],
)
def test_rewrites(old: str, relative: str, new: str) -> None:
    assert fix.rewrite(old, relative)[0] == new


def test_the_mapping_for_the_integrator_is_current() -> None:
    todo = (DOCS / "_citations.todo").read_text()
    assert "notes/loom.md A4  ->  docs/loom.md#a4" in todo or "docs/loom.md#a4" in todo
