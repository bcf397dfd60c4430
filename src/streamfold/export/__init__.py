"""Exporters: the model in other tools' shapes (:mod:`streamfold.export.tanstack`)."""

__all__ = ["agui", "json", "tanstack", "timeline", "transcript"]  # the exporters, by module
