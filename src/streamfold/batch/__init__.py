"""Fold many inputs into tables: files, directories, globs, logs split across files.

::

    from streamfold.batch import export

    export(["logs/"], "out")                       # each file on its own, one process per core
    export(["app.log.1", "app.log.2"], "out", log=True)   # one log, sessions across files
    export(["logs/"], "out", engine="dask", scheduler="tcp://scheduler:8786")

The command line is ``streamfold export`` (:func:`main_export`; ``python -m streamfold.batch``).
Tables: :mod:`streamfold.tables`. Modules: :mod:`~streamfold.batch.inputs` (what to read),
:mod:`~streamfold.batch.routing` (the session of a frame), :mod:`~streamfold.batch.work` (the
units of work), :mod:`~streamfold.batch.local` and :mod:`~streamfold.batch.dask_engine` (the
engines). See docs/batch.md.
"""

from __future__ import annotations

from .api import Engine, export, prepare_output
from .cli import add_export_arguments, main_export
from .inputs import expand_inputs
from .local import ExportStats
from .routing import SessionRouter
from .work import FileResult, LogRouter, SessionFolder, fold_path

__all__ = [
    "Engine",
    "ExportStats",
    "FileResult",
    "LogRouter",
    "SessionFolder",
    "SessionRouter",
    "add_export_arguments",
    "expand_inputs",
    "export",
    "fold_path",
    "main_export",
    "prepare_output",
]
