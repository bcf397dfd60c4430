"""Deprecated: the command line's views moved to :mod:`streamfold.cli.views` (``live``,
``plain``, ``inspect``, ``pieces``). This module re-exports them for one release."""

from .cli.views.inspect import inspect_report
from .cli.views.live import LiveView
from .cli.views.pieces import RUN_STYLES, TOOL_STATE_STYLES, usage_text
from .cli.views.plain import PlainPrinter

__all__ = [
    "RUN_STYLES",
    "TOOL_STATE_STYLES",
    "LiveView",
    "PlainPrinter",
    "inspect_report",
    "usage_text",
]
