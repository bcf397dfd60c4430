"""Generate the API reference: one page per public module, from the package as it is.

Run by the ``gen-files`` plugin at every ``mkdocs build`` (see ``mkdocs.yml``); nothing it writes
is committed, so the reference follows the package when modules move. Also importable (the
tests call :func:`reference_pages` to check that every public name has an entry).

The public surface:

* a module is public when no part of its dotted name starts with ``_``;
* its public names are its ``__all__`` (a module without one lists the names it defines that do
  not start with ``_``);
* a name that a module re-exports from another public module that lists it (``streamfold.Reducer``
  is documented where it is defined) is a link to that entry; anything else is documented on the
  page of the module that exports it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

PACKAGE = "streamfold"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ModulePage:
    """The reference page of one public module."""

    module: str
    path: str  # relative to docs/, e.g. "reference/streamfold/replay.md"
    rendered: list[str] = field(default_factory=list)  # names documented on this page
    linked: dict[str, str] = field(default_factory=dict)  # name -> identifier documented elsewhere
    submodules: list[str] = field(default_factory=list)  # public submodules in __all__ or found
    modules: set[str] = field(default_factory=set)  # every public module (anchor clashes)

    @property
    def names(self) -> set[str]:
        return set(self.rendered) | set(self.linked)

    def markdown(self) -> str:
        # The anchor lets other pages link the module as [text][streamfold.replay].
        lines = [f"# `{self.module}`", "", f"[](){{#{self.module}}}", ""]
        options = [
            "    options:",
            "      show_root_heading: false",
            "      show_root_toc_entry: false",
            "      heading_level: 2",
        ]
        lines += [f"::: {self.module}", *options]
        if self.rendered:
            lines.append("      members:")
            lines += [f"        - {name}" for name in self.rendered]
        else:
            lines.append("      members: false")
        lines.append("")
        if self.linked:
            lines += [
                "## Re-exported names",
                "",
                "Importable from here; documented where they are defined.",
                "",
            ]
            for name, target in sorted(self.linked.items()):
                # autorefs anchor: [x][streamfold.Reducer] works; none where a submodule has
                # the same dotted name (streamfold.cli.main the function and the module)
                dotted = f"{self.module}.{name}"
                anchor = "" if dotted in self.modules else f"[](){{#{dotted}}} "
                lines.append(f"- {anchor}`{name}`: [`{target}`][{target}]")
            lines.append("")
        if self.submodules:
            lines += ["## Submodules", ""]
            lines += [f"- [`{sub}`][{sub}]" for sub in self.submodules]
            lines.append("")
        return "\n".join(lines)


def is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


def public_modules(package: str = PACKAGE) -> list[str]:
    """Every public module of ``package``, the package itself first, in dotted-name order."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if is_public(info.name):
            names.append(info.name)
    return sorted(names)


def public_names(module: ModuleType) -> list[str]:
    """``__all__``, or the names the module defines that do not start with ``_``."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return list(declared)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", module.__name__) == module.__name__
    ]


def _home(module: ModuleType, name: str, modules: set[str]) -> str | None:
    """Where ``module.name`` is documented, when that is another public module's page."""
    value = getattr(module, name)
    if inspect.ismodule(value):
        return value.__name__ if value.__name__ in modules else None
    origin = getattr(value, "__module__", None)
    if not (inspect.isclass(value) or inspect.isfunction(value)):
        return None
    if origin is None or origin == module.__name__ or origin not in modules:
        return None
    home = sys.modules[origin]
    if name in public_names(home) and getattr(home, name, None) is value:
        return f"{origin}.{name}"
    return None


def reference_pages(package: str = PACKAGE) -> list[ModulePage]:
    """The reference pages, one per public module."""
    modules = public_modules(package)
    known = set(modules)
    pages = []
    for dotted in modules:
        module = importlib.import_module(dotted)
        parts = dotted.split(".")
        is_package = hasattr(module, "__path__")
        path = "/".join(["reference", *parts, *(["index"] if is_package else [])]) + ".md"
        page = ModulePage(dotted, path, modules=known)
        for name in public_names(module):
            home = _home(module, name, known)
            if home is not None:
                if inspect.ismodule(getattr(module, name)):
                    page.submodules.append(home)
                else:
                    page.linked[name] = home
            else:
                page.rendered.append(name)
        if is_package:
            for sub in modules:
                if sub.rpartition(".")[0] == dotted and sub not in page.submodules:
                    page.submodules.append(sub)
        pages.append(page)
    return pages


def summary(pages: list[ModulePage]) -> str:
    """The literate-nav ``SUMMARY.md`` of the reference section (paths relative to reference/)."""
    by_module = {page.module: page for page in pages}
    children: dict[str, list[str]] = {}
    for page in pages:
        parent = page.module.rpartition(".")[0]
        if parent in by_module:
            children.setdefault(parent, []).append(page.module)

    def entry(module: str, depth: int) -> list[str]:
        page = by_module[module]
        link = page.path.removeprefix("reference/")
        indent = "    " * depth
        if module not in children:
            return [f"{indent}* [{module}]({link})"]
        # A package is a section whose first page is its index (theme feature navigation.indexes).
        lines = [f"{indent}* {module}", f"{indent}    * [{module}]({link})"]
        for child in children[module]:
            lines += entry(child, depth + 1)
        return lines

    roots = [page.module for page in pages if page.module.rpartition(".")[0] not in by_module]
    return "\n".join(line for root in roots for line in entry(root, 0)) + "\n"


def main() -> None:
    import mkdocs_gen_files

    pages = reference_pages()
    for page in pages:
        with mkdocs_gen_files.open(page.path, "w") as out:
            out.write(page.markdown())
    with mkdocs_gen_files.open("reference/SUMMARY.md", "w") as out:
        out.write(summary(pages))


if __name__ == "<run_path>" or __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
