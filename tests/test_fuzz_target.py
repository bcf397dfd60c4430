"""The atheris fuzz target (fuzz/fuzz_reducer.py) runs on its seeds, so it cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("atheris")

ROOT = Path(__file__).parent.parent


def test_fuzz_target_runs_on_every_seed(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("fuzz_reducer", ROOT / "fuzz" / "fuzz_reducer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.seed_corpus(tmp_path)
    seeds = sorted(tmp_path.iterdir())
    assert len(seeds) >= 20
    for seed in seeds:
        data = seed.read_bytes()
        for mode in range(4):
            module.one_input(bytes([mode]) + data[1:])
