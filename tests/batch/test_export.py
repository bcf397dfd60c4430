"""The export job: mixed inputs, damaged files, --log, and the Dask engine on a real
``distributed.LocalCluster`` giving exactly the local engine's rows (docs/batch.md)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from streamfold.batch import export, main_export
from streamfold.batch.work import fold_path
from streamfold.tables import TABLE_NAMES, Rows, empty_rows

from .support import RECORDINGS, canonical, interleave, read_export, split_bytes
from .test_log import MIXED

MIXED_FILES = [
    "loom-multi-agent.ndjson",
    "nnrp-concurrent.ndjson",
    "tanstack-agui-tools.sse",
    "tanstack-legacy-tools.sse",
    "tanstack-agui-client-tool.ndjson",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A folder of mixed formats and framings with damaged files, and a log cut in pieces."""
    root = tmp_path_factory.mktemp("inputs")
    folder = root / "files"
    (folder / "nested").mkdir(parents=True)
    for name in MIXED_FILES:
        shutil.copy(RECORDINGS / name, folder / name)
    # A TanStack ChunkRecording document and a streamfold recording (frames with times).
    chunks = [
        {"chunk": orjson.loads(line), "timestamp": 1000 + i, "index": i}
        for i, line in enumerate(
            (RECORDINGS / "loom-spec-example.ndjson").read_bytes().splitlines()
        )
    ]
    (folder / "nested" / "chunks.json").write_bytes(
        orjson.dumps({"version": 1, "chunks": chunks}, option=orjson.OPT_INDENT_2)
    )
    recording = [b'{"streamfold_recording":1,"framing":"ndjson"}']
    for i, line in enumerate((RECORDINGS / "loom-tot.ndjson").read_bytes().splitlines()):
        recording.append(orjson.dumps({"t": i / 10, "frame": line.decode()}))
    text = b"\n".join(recording)
    (folder / "nested" / "timed.recording").write_bytes(text[: len(text) - 9])  # cut mid-record
    (folder / "garbage.bin").write_bytes(bytes(range(256)) * 40)
    (folder / ".hidden").write_bytes(b"not an input")
    missing = str(root / "no-such-file.ndjson")
    log = root / "log"
    log.mkdir()
    data = interleave([RECORDINGS / name for name in MIXED])
    (root / "whole.ndjson").write_bytes(data)
    pieces = split_bytes(data, 4, log)
    return {"folder": folder, "missing": missing, "pieces": pieces, "whole": root / "whole.ndjson"}


def expected_files(folder: Path, missing: str) -> Rows:
    rows = empty_rows()
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in [*map(str, paths), missing]:
        for table, batch in fold_path(path).rows.items():
            rows[table] += batch
    return rows


@pytest.fixture(scope="module")
def local_files(inputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local-files")
    stats = export([str(inputs["folder"]), inputs["missing"]], out, jobs=2)
    assert stats.files == 9 and stats.errors == 1
    assert len(stats.worker_peak_rss) == 2 and min(stats.worker_peak_rss) > 1 << 20
    return out


@pytest.fixture(scope="module")
def local_log(inputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local-log")
    stats = export([str(p) for p in inputs["pieces"]], out, log=True, jobs=2, source="log")
    assert stats.files == 4 and stats.errors == 0 and stats.frames > 500
    return out


def test_local_engine_folds_every_file_of_every_format(
    inputs: dict[str, Any], local_files: Path
) -> None:
    got = read_export(local_files)
    assert canonical(got) == canonical(expected_files(inputs["folder"], inputs["missing"]))
    sources = {Path(str(row["source"])).name for row in got["runs"]}
    assert sources >= {*MIXED_FILES, "chunks.json", "timed.recording"}
    assert (local_files / "_schema.json").is_file()
    assert sorted(p.name for p in local_files.iterdir()) == sorted([*TABLE_NAMES, "_schema.json"])


def test_damaged_files_are_rows_and_do_not_stop_the_job(
    inputs: dict[str, Any], local_files: Path
) -> None:
    diagnostics = read_export(local_files)["diagnostics"]
    by_code = {(Path(str(r["source"])).name, r["code"]) for r in diagnostics}
    assert ("no-such-file.ndjson", "file_error") in by_code
    assert ("timed.recording", "truncated_record") in by_code
    assert ("garbage.bin", "not_json") in by_code
    assert not any(".hidden" in str(r["source"]) for r in diagnostics)
    # The truncated recording kept every frame before the cut.
    runs = read_export(local_files)["runs"]
    assert any(str(r["source"]).endswith("timed.recording") for r in runs)


def test_local_log_equals_one_reducer_over_the_concatenated_log(
    inputs: dict[str, Any], local_log: Path
) -> None:
    expected = fold_path(str(inputs["whole"]), "log").rows
    assert canonical(read_export(local_log)) == canonical(expected)


def test_cli_jsonl_and_usage_errors(inputs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main_export(
        [
            *map(str, inputs["pieces"]),
            "--log",
            "--to",
            "jsonl",
            "-o",
            str(out),
            "--jobs",
            "1",
            "--source",
            "log",
            "--no-progress",
        ]
    )
    assert code == 0
    expected = fold_path(str(inputs["whole"]), "log").rows
    assert canonical(read_export(out)) == canonical(expected)
    assert main_export([str(tmp_path / "nothing-*.ndjson"), "-o", str(out)]) == 2
    assert main_export([str(inputs["whole"]), "-o", str(out), "--jobs", "0"]) == 2
    assert main_export([str(inputs["whole"]), "-o", str(out), "--scheduler", "tcp://x:1"]) == 2


# ------------------------------------------------------------------------------------ Dask


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    # Two single-threaded workers in this process: a real scheduler and real workers, quick to
    # start on a 2-core CI machine.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_files_gives_exactly_the_local_rows(
    inputs: dict[str, Any], local_files: Path, dask_client: Any, tmp_path: Path
) -> None:
    stats = export(
        [str(inputs["folder"]), inputs["missing"]], tmp_path, engine="dask", client=dask_client
    )
    assert stats.files == 9 and stats.errors == 1
    assert canonical(read_export(tmp_path)) == canonical(read_export(local_files))
    assert all(
        name.startswith("part-d") for name in (p.stem for p in (tmp_path / "runs").iterdir())
    )


def test_dask_log_gives_exactly_the_local_rows(
    inputs: dict[str, Any], local_log: Path, dask_client: Any, tmp_path: Path
) -> None:
    stats = export(
        [str(p) for p in inputs["pieces"]],
        tmp_path,
        log=True,
        source="log",
        engine="dask",
        client=dask_client,
    )
    assert stats.files == 4 and stats.frames > 500
    assert canonical(read_export(tmp_path)) == canonical(read_export(local_log))
