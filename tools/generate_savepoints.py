"""Produce real Flink savepoints as test data for the restore-point parser.

Runs a small stateful SQL job (a datagen source, a keyed COUNT per key, a blackhole sink) on a
local MiniCluster and triggers savepoints through the Java job client, for every combination the
platform meets in production: CANONICAL and NATIVE format, the hashmap and RocksDB backends, state
in separate files (`state.storage.fs.memory-threshold: 0b`) and state inlined in `_metadata` (the
default threshold). Needs `apache-flink` (the optional extra `savepoints`) and a JDK 17:

    python3.11 -m venv .flink-1.20 && .flink-1.20/bin/pip install apache-flink==1.20.5
    .flink-1.20/bin/python tools/generate_savepoints.py tests/state/savepoints

Each savepoint lands in `<out>/flink-<version>/<backend>-<storage>-<format>/savepoint-…/`; the
job finally stops with a NATIVE savepoint (`…-stop-native`), as a suspended FlinkDeployment does.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from pyflink.common import Configuration
from pyflink.java_gateway import get_gateway
from pyflink.table import EnvironmentSettings, TableEnvironment
from pyflink.version import __version__ as FLINK_VERSION

BACKENDS = ("hashmap", "rocksdb")
STORAGE = {"files": "0b", "inline": None}  # None: Flink's default threshold (20 kb)
FORMATS = ("CANONICAL", "NATIVE")
KEYS = 40
TRIGGER_ATTEMPTS = 30


def _config(backend: str, threshold: str | None, work: Path) -> Configuration:
    config = Configuration()
    config.set_string("state.backend.type", backend)
    checkpoints = (work / "checkpoints").as_uri()
    config.set_string("execution.checkpointing.dir", checkpoints)
    if FLINK_VERSION.startswith("1."):
        config.set_string("state.checkpoints.dir", checkpoints)
    if threshold is not None:
        config.set_string("state.storage.fs.memory-threshold", threshold)
    config.set_string("parallelism.default", "2")
    # The Python workers must run this interpreter, or the job restarts forever.
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    return config


def _start_job(backend: str, threshold: str | None, work: Path):
    settings = EnvironmentSettings.in_streaming_mode()
    env = TableEnvironment.create(settings)
    env.get_config().add_configuration(_config(backend, threshold, work))
    env.execute_sql(
        f"""CREATE TABLE events (k INT, v BIGINT) WITH (
            'connector' = 'datagen', 'rows-per-second' = '200',
            'fields.k.min' = '1', 'fields.k.max' = '{KEYS}')"""
    )
    env.execute_sql(
        "CREATE TABLE sink (k INT, c BIGINT, s BIGINT) WITH ('connector' = 'blackhole')"
    )
    result = env.execute_sql("INSERT INTO sink SELECT k, COUNT(*), SUM(v) FROM events GROUP BY k")
    return result.get_job_client()


def _trigger(client, directory: Path, fmt: str, *, stop: bool = False) -> str:  # noqa: ANN001
    """A savepoint while the job keeps running, or (stop) the one it stops with, as the operator
    does when it suspends a job with upgrade mode savepoint."""
    gateway = get_gateway()
    format_type = gateway.jvm.org.apache.flink.core.execution.SavepointFormatType.valueOf(fmt)
    last: Exception | None = None
    for _ in range(TRIGGER_ATTEMPTS):
        try:
            j_client = client._j_job_client
            if stop:
                return str(j_client.stopWithSavepoint(False, directory.as_uri(), format_type).get())
            return str(j_client.triggerSavepoint(directory.as_uri(), format_type).get())
        except Exception as error:  # tasks not running yet: Flink refuses, try again
            last = error
            time.sleep(3)
    raise RuntimeError(f"no savepoint after {TRIGGER_ATTEMPTS} attempts: {last}")


def main(out: Path) -> None:
    target = out / f"flink-{FLINK_VERSION}"
    for backend in BACKENDS:
        for storage, threshold in STORAGE.items():
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                client = _start_job(backend, threshold, work)
                time.sleep(5)  # let some state build up
                for fmt, stop in [*((f, False) for f in FORMATS), ("NATIVE", True)]:
                    scratch = work / f"{fmt.lower()}-{stop}"
                    written = Path(_trigger(client, scratch, fmt, stop=stop).removeprefix("file:"))
                    kind = f"stop-{fmt.lower()}" if stop else fmt.lower()
                    dest = target / f"{backend}-{storage}-{kind}"
                    shutil.rmtree(dest, ignore_errors=True)
                    dest.mkdir(parents=True)
                    shutil.copytree(written, dest / written.name)
                    print(f"{dest / written.name}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/state/savepoints"))
