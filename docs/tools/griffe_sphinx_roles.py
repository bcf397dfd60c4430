"""A Griffe extension for the reference: the docstrings' reST roles become cross-references.

The docstrings are written for ``help()`` and editors: ``:class:`~streamfold.replay.Replayer```,
``:meth:`feed_line```, literal blocks introduced by ``::``. mkdocstrings renders Markdown, so
this rewrites each role into an *optional* autorefs link (a link when the target has a reference
entry, plain code text when it has none, never a broken link), and ``::`` into ``:``.
A relative name (``feed_line``, ``.Replayer``) is looked up from the object outwards.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj):`(?P<target>[^`]+)`")
LITERAL = re.compile(r"(?m)(\S)::$")
BARE_LITERAL = re.compile(r"(?m)^(\s*)::$")


def _candidates(obj: Object, target: str) -> list[str]:
    target = target.lstrip(".")
    if target.startswith("streamfold"):
        return [target]
    scopes: list[str] = []
    current: Any = obj
    while current is not None:
        scopes.append(current.path)
        current = current.parent
    return [f"{scope}.{target}" for scope in scopes] + [target]


def _resolve(obj: Object, target: str) -> str:
    """The first candidate path that names an object Griffe loaded, else the first candidate."""
    candidates = _candidates(obj, target)
    modules = obj.modules_collection if hasattr(obj, "modules_collection") else None
    for path in candidates:
        if modules is not None:
            try:
                modules.get_member(path)
            except Exception:  # an unknown name, or an alias Griffe cannot resolve
                continue
            return path
    return candidates[0]


def rewrite(obj: Object, text: str) -> str:
    def role(match: re.Match[str]) -> str:
        target = match["target"]
        title = target
        if "<" in target and target.endswith(">"):  # :class:`text <target>`
            title, _, target = target[:-1].partition("<")
            title = title.strip()
        elif target.startswith("~"):
            target = target[1:]
            title = target.rpartition(".")[2]
        path = _resolve(obj, target)
        return f'<autoref identifier="{path}" optional><code>{title}</code></autoref>'

    text = ROLE.sub(role, text)
    text = BARE_LITERAL.sub("", text)
    return fence_doctests(LITERAL.sub(r"\1:", text))


def fence_doctests(text: str) -> str:
    """Wrap each ``>>>`` example (up to the next blank line) in a ``pycon`` fence."""
    out: list[str] = []
    in_example = False
    for line in text.splitlines():
        stripped = line.strip()
        if not in_example and stripped.startswith(">>>"):
            if out and out[-1].strip():
                out.append("")
            out.append("```pycon")
            in_example = True
        elif in_example and not stripped:
            out.append("```")
            in_example = False
        out.append(line.strip() if in_example else line)
    if in_example:
        out.append("```")
    return "\n".join(out)


class SphinxRoles(Extension):
    """Rewrite reST roles in every docstring once the package is loaded."""

    def on_package(self, *, pkg: Any, **kwargs: Any) -> None:
        self._walk(pkg)

    def _walk(self, obj: Any) -> None:
        if obj.is_alias:
            return
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj, obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member)
