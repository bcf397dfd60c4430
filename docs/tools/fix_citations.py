"""Point citations at the docs in this repository instead of research notes users do not have.

Docstrings and docs once cited working notes that are not in the repository (``notes/loom.md
A9``, ``../shared/notes/nnrp.md §0``, ``DESIGN.md``, bare ``§2.6`` meaning a section of those
notes). The rules and facts they rely on are now in ``docs/`` (``docs/loom.md#rules``, its
"What the real emitter sends" sections, ``docs/tanstack.md#reference-client-rules``,
``docs/nnrp.md#decisions``); this rewrites each citation to the page and anchor.

Usage::

    python docs/tools/fix_citations.py            # rewrite in place, print each change
    python docs/tools/fix_citations.py --check    # exit 1 if a citation still points outside
    python docs/tools/fix_citations.py --list     # print the changes without writing

Safe to re-run (after merges, when files move): it matches citations by their text, and a
rewritten citation does not match again. Bare section numbers (``§2.2``, ``notes §5.4``) are
read in the context of the file's format package (``formats/loom/`` → Loom, …).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("src", "docs", "examples", "README.md")

LOOM_SECTIONS = {
    "1": "docs/loom.md#what-the-real-emitter-sends",
    "1-2": "docs/loom.md#what-the-real-emitter-sends",
    "1.1": "docs/loom.md#spec-differences",
    "2": "docs/loom.md#what-the-real-emitter-sends",
    "2.1": "docs/loom.md#transports",
    "2.2": "docs/loom.md#envelope",
    "2.3": "docs/loom.md#event-order",
    "2.4": "docs/loom.md#tool-call-chunks",
    "2.5": "docs/loom.md#reply-errors-cancel-approval",
    "2.6": "docs/loom.md#multi-turn-sessions-and-sub-agents",
    "2.7": "docs/loom.md#tot-got-and-dup",
    "6": "docs/loom.md#rules",
}
TANSTACK_SECTIONS = {
    "1.6": "docs/tanstack.md#tool-call-rules",
    "1.8": "docs/tanstack.md#run-end-and-errors",
    "2": "docs/tanstack.md",
    "3": "docs/tanstack.md#wire-transports",
}
NNRP_SECTIONS = {
    "0": "docs/nnrp.md",
    "1": "docs/nnrp.md#token-profile-frames",
    "2": "docs/nnrp.md#operations-runs-and-messages",
    "3": "docs/nnrp.md#openai-compatible-profile-frames",
    "5": "docs/nnrp.md#decisions",
    **{f"5.{n}": f"docs/nnrp.md#decision-{n}" for n in range(1, 16)},
}
PEERS_SECTIONS = {"2": "docs/concepts/notifications.md#partial-tool-arguments"}
NOTES = {
    "loom": LOOM_SECTIONS,
    "tanstack": TANSTACK_SECTIONS,
    "nnrp": NNRP_SECTIONS,
    "peers": PEERS_SECTIONS,
}

SECTION = r"§\s*(?P<sec>\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?)?)"


def _section(table: dict[str, str], sec: str) -> str:
    sec = re.sub(r"\s+", "", sec).replace("–", "-")
    if sec in table:
        return table[sec]
    first, _, last = sec.partition("-")
    if last:  # a range: 5.7-5.9 (or 5.7-9)
        if "." in first and "." not in last:
            last = f"{first.rpartition('.')[0]}.{last}"
        if first in table and last in table:
            return f"{table[first]} to #{table[last].partition('#')[2]}"
    return table.get(first.split(".")[0])


def _or_keep(m: re.Match[str], new: str | None) -> str:
    return m.group(0) if new is None else new


def _rules(text: str) -> str:
    """``A1/A9`` or ``A1-A14`` → ``docs/loom.md#a1, #a9`` / ``docs/loom.md#rules``."""
    if re.fullmatch(r"A1\s*[-–]\s*A14", text):
        return "docs/loom.md#rules"
    numbers = re.findall(r"A(\d+)", text)
    return "docs/loom.md#" + ", #".join(f"a{n}" for n in numbers)


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# Citations whose text names the notes file: the same anywhere.
GLOBAL: list[Rule] = [
    # Loom rules: notes/loom.md A4, ``../shared/notes/loom.md`` A1/A9, notes A9
    (
        re.compile(
            r"(?:``)?(?:\.\./)?(?:shared/)?notes/loom\.md(?:``)?\s+(?P<rules>A\d+(?:\s*[/,-–]\s*A\d+)*)"
        ),
        lambda m: _rules(m["rules"]),
    ),
    # notes/<format>.md §x.y, ``../shared/notes/nnrp.md`` §0
    (
        re.compile(
            r"(?:``)?(?:\.\./)?(?:shared/)?notes/(?P<file>loom|tanstack|nnrp|peers)\.md(?:``)?\s+"
            + SECTION
        ),
        lambda m: _or_keep(m, _section(NOTES[m["file"]], m["sec"])),
    ),
    # DESIGN.md and its quoted sections
    (
        re.compile(r'(?:``)?(?:\.\./)?(?:shared/)?DESIGN\.md(?:``)?\s+"The model"'),
        lambda m: "``docs/model.md``",
    ),
    (
        re.compile(r'(?:``)?(?:\.\./)?(?:shared/)?DESIGN\.md(?:``)?\s+"Untrusted text[^"]*"'),
        lambda m: "``docs/concepts/data-flow.md#untrusted-text``",
    ),
    (
        re.compile(r'(?:``)?(?:\.\./)?(?:shared/)?DESIGN\.md(?:``)?\s+"Snapshots[^"]*"'),
        lambda m: "``docs/snapshot.md``",
    ),
    (
        re.compile(r"(?:``)?(?:\.\./)?(?:shared/)?DESIGN\.md(?:``)?"),
        lambda m: "``docs/model.md``",
    ),
    (
        re.compile(r"References below are to those notes\."),
        lambda m: "A1-A14 below are the rules in ``docs/loom.md#rules``.",
    ),
    # the written specs
    (
        re.compile(r"(?:``)?(?:\.\./)?(?:shared/)?specs/loom-streaming-protocol\.md(?:``)?"),
        lambda m: "Loom's ``docs/protocol_spec.md`` at b84eedb, summarised in ``docs/loom.md``",
    ),
    (
        re.compile(r"(?:``)?(?:\.\./)?(?:shared/)?specs/tanstack-ai-chunk-definitions\.txt(?:``)?"),
        lambda m: "TanStack AI's ``types.ts``, summarised in ``docs/tanstack.md``",
    ),
    (
        re.compile(r"(?:``)?(?:\.\./)?(?:shared/)?specs/nnrp-token-profile\.txt(?:``)?"),
        lambda m: "the NNRP token profile pages, summarised in ``docs/nnrp.md``",
    ),
]

# "notes §x" / "notes A9" in these files mean that format's notes; inside a format's package a
# bare "§x" does too (elsewhere a bare § may be the format's spec, and is left alone).
LOCAL: dict[str, tuple[str, bool]] = {
    "formats/loom/": ("loom", True),
    "formats/tanstack/": ("tanstack", True),
    "formats/nnrp/": ("nnrp", True),
    "examples/recordings/README.md": ("loom", False),
    "examples/recordings/make_nnrp_recordings.py": ("nnrp", False),
}


def _local_rules(fmt: str, bare: bool) -> list[Rule]:
    table = NOTES[fmt]
    # "notes §2.1", "(§5.7)", but never "spec §4.2", "HTML §9.2" or an already fixed one
    prefix = r"(?<![\w.#/])(?:notes\s+)?(?<!spec )(?<!HTML )" if bare else r"notes\s+"
    rules: list[Rule] = [
        (re.compile(prefix + SECTION), lambda m: _or_keep(m, _section(table, m["sec"]))),
    ]
    if fmt == "loom":
        rules.insert(
            0,
            (
                re.compile(r"notes\s+(?P<rules>A\d+(?:\s*[/,]\s*A\d+)*)"),
                lambda m: _rules(m["rules"]),
            ),
        )
    return rules


def _files(root: Path, targets: tuple[str, ...] = TARGETS) -> Iterator[Path]:
    for target in targets:
        path = root / target
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.suffix in {".py", ".md"} and "tools" not in file.relative_to(root).parts:
                    yield file


def rewrite(text: str, relative: str) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with its citations rewritten, and the (old, new) pairs."""
    changes: list[tuple[str, str]] = []
    rules = list(GLOBAL)
    for marker, (fmt, bare) in LOCAL.items():
        if marker in relative:
            rules += _local_rules(fmt, bare)

    for pattern, replace in rules:

        def sub(m: re.Match[str], replace: Callable[[re.Match[str]], str] = replace) -> str:
            new = replace(m)
            if new != m.group(0):
                changes.append((m.group(0), new))
            return new

        text = pattern.sub(sub, text)
    if relative.endswith(".py") and changes:
        text = "\n".join(line for old in text.split("\n") for line in _wrap(old))
    return text, changes


MAX_LINE = 100  # ruff's line-length


def _wrap(line: str) -> list[str]:
    """A comment or docstring line that a longer citation pushed past the limit, split at a
    space; the rest goes on a new line with the same indentation (and comment marker)."""
    if len(line) <= MAX_LINE or "docs/" not in line:
        return [line]
    indent = re.match(r"\s*(?:# |\* |- )?", line)
    lead = indent.group(0) if indent else ""
    if lead.strip() in {"*", "-"}:
        lead = " " * len(lead)  # continue a bullet under its text
    cut = line.rfind(" ", len(lead) + 1, MAX_LINE + 1)
    if cut <= len(lead):
        return [line]
    return [line[:cut], *_wrap(lead + line[cut + 1 :])]


OUTSIDE = re.compile(
    r"shared/(?:notes|specs)|DESIGN\.md|notes/(?:loom|tanstack|nnrp|peers|architecture-review)\.md"
    r"|/work/|notes §|notes A\d"
)


def outside_citations(root: Path, targets: tuple[str, ...] = TARGETS) -> list[str]:
    """``file:line: text`` of every remaining citation of a file outside the repository."""
    found = []
    for file in _files(root, targets):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{file.relative_to(root)}:{number}: {line.strip()}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("paths", nargs="*", default=list(TARGETS), help="under --root")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if any citation points out")
    mode.add_argument("--list", action="store_true", help="print the changes, write nothing")
    args = parser.parse_args(argv)
    root: Path = args.root
    if args.check:
        found = outside_citations(root, tuple(args.paths))
        print("\n".join(found) if found else "no citations outside the repository")
        return 1 if found else 0
    for file in _files(root, tuple(args.paths)):
        relative = file.relative_to(root).as_posix()
        old = file.read_text(encoding="utf-8")
        new, changes = rewrite(old, relative)
        for before, after in changes:
            print(f"{relative}: {' '.join(before.split())}  ->  {after}")
        if new != old and not args.list:
            file.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
