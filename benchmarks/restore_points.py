"""Finding every job's newest complete savepoint: sequential against parallel, same run.

1,000 jobs with 10 savepoints each, spread over the checkpoint buckets of 20 cells (50 jobs per
cell, as a fleet spreads them), the real savepoints under tests/state/savepoints re-keyed into
each job's savepoint prefix (every fourth job's newest savepoint, where it has state files, lost
one, as replication can leave it, so the search falls back to the next one), in moto's S3 on
127.0.0.1 (a separate process, so the server does not share the client's interpreter). Prints
the seconds to find every job's restore point with one worker (the baseline) and with N
workers, and the ratio.
Target: the parallel run at least 4x faster than sequential, and under 60 s on 2 cores. The client
CPU seconds printed beside each run show how much of it the client itself burned; the rest is moto
answering from one Python process, which parallel requests queue at (real S3 is latency-bound).
Run: `.venv/bin/python benchmarks/restore_points.py [--jobs 1000] [--savepoints 10] [--workers 32]`.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from state.restore_points import find_restore_points, job_savepoint_prefix
from state.s3 import s3_client

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "state" / "savepoints"
BUCKET = "bench-{cell:02d}-checkpoints"
REGION = "us-east-1"


def _serve(port: int) -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    while True:
        time.sleep(3600)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("moto server did not start")


def _bucket(job: int, cells: int) -> str:
    return BUCKET.format(cell=job % cells)


def _objects(jobs: int, savepoints: int, cells: int) -> list[tuple[str, str, bytes]]:
    sources = sorted(p.parent for p in FIXTURES.glob("*/*/savepoint-*/_metadata"))
    files = {s: sorted(s.iterdir(), key=lambda p: p.name == "_metadata") for s in sources}
    objects = []
    for job in range(jobs):
        prefix = job_savepoint_prefix("bench", f"job-{job:04d}")
        for n in range(savepoints):
            source = sources[(job + n) % len(sources)]
            directory = f"{prefix}savepoint-{n:02d}-{source.name}"
            for i, file in enumerate(files[source]):
                lost = job % 4 == 0 and n == savepoints - 1 and i == 0 and len(files[source]) > 1
                if not lost:
                    key = f"{directory}/{file.name}"
                    objects.append((_bucket(job, cells), key, file.read_bytes()))
    return objects


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--savepoints", type=int, default=10)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--cells", type=int, default=20)
    args = parser.parse_args()
    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        _wait(port)
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        )
        s3 = s3_client(REGION)
        for cell in range(args.cells):
            s3.create_bucket(Bucket=BUCKET.format(cell=cell))
        objects = _objects(args.jobs, args.savepoints, args.cells)
        started = time.perf_counter()
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda o: s3.put_object(Bucket=o[0], Key=o[1], Body=o[2]), objects))
        print(
            f"setup: {args.jobs} jobs x {args.savepoints} savepoints in {args.cells} buckets = "
            f"{len(objects)} objects "
            f"in {time.perf_counter() - started:.1f} s"
        )
        targets = [(_bucket(j, args.cells), "bench", f"job-{j:04d}") for j in range(args.jobs)]
        timings = {}
        cpu = {}
        results = {}
        for workers in (1, args.workers):
            started, cpu_started = time.perf_counter(), time.process_time()
            results[workers] = find_restore_points(s3, targets, workers=workers)
            timings[workers] = time.perf_counter() - started
            cpu[workers] = time.process_time() - cpu_started
        assert results[1] == results[args.workers]
        found = sum(1 for p in results[1] if p.newest is not None)
        fallbacks = sum(1 for p in results[1] if p.skipped)
        print(
            f"restore points found: {found}/{args.jobs}; fell back past a broken one: {fallbacks}"
        )
        for workers, seconds in timings.items():
            print(
                f"workers={workers:3d}: {seconds:6.1f} s  ({args.jobs / seconds:6.1f} jobs/s)  "
                f"speed-up x{timings[1] / seconds:.2f}  client CPU {cpu[workers]:.1f} s"
            )
        print(f"cores: {os.cpu_count()} (shared machine: figures are noisy)")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
