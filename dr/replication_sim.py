"""A SIMULATION of S3 cross-region replication, for drills against moto.

moto stores a bucket's replication configuration but never replicates. This module stands in
for S3 replication, and only for drills: each object written to a source bucket gets a seeded
replication lag (most within seconds, some beyond Replication Time Control's 15 minutes, some
never: a FAILED replication), so objects arrive one by one and out of order, and a savepoint's
`_metadata` can arrive before its state files. When the region is lost, whatever had not arrived
is lost in flight.

S3 keeps the source object's creation time on a replica; moto stamps a copy with the time it is
made, to the second. So the simulator decides out of order *which* objects arrived, then writes
the arrived ones to the replica in source order, one savepoint generation per wall-clock second:
LastModified in the replica then orders each job's savepoints as S3 would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReplicationProfile:
    mean_lag_seconds: float = 20.0  # typical replication lag (exponential)
    slow_fraction: float = 0.02  # objects that lag beyond the RTC budget
    slow_lag_seconds: tuple[float, float] = (900.0, 2400.0)
    failed_fraction: float = 0.005  # replications that fail: the object never arrives
    # The newest savepoint of each job: its `_metadata` arrives at once, its state files are
    # still in flight when the region is lost (the case a DR tool must not be fooled by).
    newest_metadata_first: bool = False


@dataclass(frozen=True)
class SourceObject:
    key: str
    body: bytes
    written_at: float  # seconds on the drill's clock
    savepoint: str  # the savepoint directory it belongs to
    is_metadata: bool
    rank: int  # 0: its job's newest savepoint, 1: the one before, …


@dataclass(frozen=True)
class Arrival:
    object: SourceObject
    arrives_at: float | None  # None: the replication failed


class ReplicationSimulator:
    """Seeded: the same seed, objects and profile give the same arrivals."""

    def __init__(self, profile: ReplicationProfile, seed: int) -> None:
        self.profile = profile
        self._random = random.Random(seed)

    def arrivals(self, objects: Iterable[SourceObject], lost_at: float) -> list[Arrival]:
        """Each object's arrival time in the replica, in the order they arrive."""
        profile = self.profile
        result = []
        for item in objects:
            draw = self._random.random()
            if draw < profile.failed_fraction:
                result.append(Arrival(item, None))
                continue
            if draw < profile.failed_fraction + profile.slow_fraction:
                lag = self._random.uniform(*profile.slow_lag_seconds)
            else:
                lag = self._random.expovariate(1 / profile.mean_lag_seconds)
            if profile.newest_metadata_first and item.rank == 0:
                # state files still in flight at the loss; `_metadata` already there
                lag = 0.5 if item.is_metadata else (lost_at - item.written_at) + 60.0
            result.append(Arrival(item, item.written_at + lag))
        return sorted(result, key=lambda a: (a.arrives_at is None, a.arrives_at or 0.0))

    @staticmethod
    def replicate(
        s3: Any, replica_of: dict[str, str], arrivals: list[Arrival], lost_at: float
    ) -> int:
        """Write to the replica what arrived before the loss (in source order, see above);
        returns how many objects were lost in flight."""
        arrived = [
            a.object for a in arrivals if a.arrives_at is not None and a.arrives_at <= lost_at
        ]
        generation = None
        for item in sorted(arrived, key=lambda o: (-o.rank, o.written_at, o.key)):
            if generation is not None and item.rank != generation:
                time.sleep(1.02 - time.time() % 1.0)  # S3's LastModified has 1 s resolution
            generation = item.rank
            s3.put_object(Bucket=replica_of[item.key], Key=item.key, Body=item.body)
        return len(arrivals) - len(arrived)
