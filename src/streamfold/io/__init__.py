"""Sync edges: the shared intake, folding and reducing iterables and files, recordings.

* :mod:`~streamfold.io.intake` — :class:`~streamfold.io.intake.Intake`, the one sans-IO intake
  (items → frames → reducer, recorder tee) under both twins;
* :mod:`~streamfold.io.sync` — :func:`~streamfold.io.sync.fold`,
  :func:`~streamfold.io.sync.fold_file`, :class:`~streamfold.io.sync.Reduction`,
  :func:`~streamfold.io.sync.reduce_sync`, :func:`~streamfold.io.sync.convert_file`;
* :mod:`~streamfold.io.recording` — :class:`~streamfold.io.recording.RecordingWriter`,
  :func:`~streamfold.io.recording.read_recording`, :class:`~streamfold.io.recording.Recording`.
"""

__all__: list[str] = []  # the names live in the modules above
