"""Exporters: the model in other tools' shapes (:mod:`streamfold.export.tanstack`)."""
