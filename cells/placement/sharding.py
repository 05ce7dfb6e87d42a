"""Shuffle sharding: tenants -> k cells of their home region, jobs -> one cell of the shard.

Guarantees, each with a test of the same name in tests/placement/:
- determinism: the same fleet gives the same placement in every process (stable ids, no hash());
- stability: from scratch, adding a cell changes at most one member of any shard (rendezvous
  hashing), and about k/(N+1) of the region's tenants; removing or draining a cell changes only
  the shards that held it, each by one member;
- tenants per cell: once a region has TENANT_BALANCE_MIN_MEAN shard members per active cell
  (mean m), a new member skips a cell holding floor(TENANT_BALANCE x m) tenants, so a fresh
  placement holds every cell to 1.10 x the mean whenever (N - k_max + 1) x floor(1.10 m) covers
  the region's members; a drain or a grown k fills with the same bound; `rebalance` moves
  members (those running no job first) off cells over it. With a lock nothing moves unasked;
  from scratch the bound binds in the tail only (1.0-1.2 x the ideal churn at 300 per cell);
- consistency on shard size: growing k gives a superset of the shard, shrinking a subset;
- capacity: the jobs in a cell never need more capacity units than the cell has;
- isolation: with max_overlap m, no two shards of a region share more than m cells;
- spread: a tenant with two or more jobs and k >= 2 keeps jobs in at least two cells;
- stickiness: given the previous placement, only what is new is placed; moving anything else
  takes `rebalance` or `drain`;
- rebalance never worsens balance: it starts from the previous placement and makes only moves
  that lower the region's (max utilisation, sum of load^2/capacity); a move is a job to another
  cell of its shard, or a shard member swapped for a cell outside the shard (with the jobs it
  ran), so a new cell receives tenants and no active cell stays empty while one can be filled;
- shrinking a shard drops the cells that cost least to leave: those running none (or the fewest
  capacity units) of the tenant's jobs.
Capacity, max_overlap and the tenant bound can make a cell skip its turn in a tenant's
preference order; from-scratch stability holds exactly when none of them binds (the bound yields
before it would make a placement fail).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field

from cells.collector import paused
from cells.model import CellState, Fleet, Tenant
from cells.placement.hashing import ranked, stable_id, top_ranked
from cells.placement.model import (
    JOB_REMOVED,
    NEW_JOB,
    NEW_TENANT,
    TENANT_REMOVED,
    JobKey,
    Move,
    Placement,
    PlacementError,
    PlacementResult,
)
from cells.problems import Problem

# The balance pass stops once the region's max/mean utilisation is at most this.
BALANCE_TARGET = 1.05
# A new shard member skips a cell holding floor(this x the region's mean) tenants already...
TENANT_BALANCE = 1.10
# ...once the region has this many shard members per active cell: the smallest mean at which
# whole tenants can meet the bound (ceil(mean) <= 1.10 x mean needs mean >= 10).
TENANT_BALANCE_MIN_MEAN = 10
# Regions with at most this many jobs to place try this many job orders and keep the best.
MULTI_START_MAX_JOBS = 400
MULTI_START_ORDERS = 24
# The balance pass moves jobs out of this many of the most utilised cells at a time.
BALANCE_SOURCES = 8
# How many preferred cells to rank at once; a tenant needing more falls back to a full ranking.
RANK_DEPTH_EXTRA = 4
# A rebalance alternates the load and tenant passes at most this often (it ends sooner: when
# neither moves anything, which is what makes a second rebalance a no-op).
REBALANCE_ROUNDS = 8
# Bounded search when greedy shard choice meets the overlap bound.
SEARCH_LIMIT = 20_000
# Jobs named (the largest first) in one capacity problem; a cell of a large fleet runs hundreds.
NAMED_JOBS = 10
# Failures that a region short of capacity explains: reported as the region's, not a tenant's.
CAPACITY_CODES = frozenset({"placement-infeasible", "capacity-exceeded"})


def place(
    fleet: Fleet,
    previous: Placement | None = None,
    *,
    rebalance: bool = False,
    drain: str | None = None,
    tenant_balance: float | None = TENANT_BALANCE,
) -> PlacementResult:
    """Place every tenant and job of the fleet.

    previous: the lock file's placement; its assignments are kept unless asked otherwise.
    rebalance: starting from `previous`, move jobs and shard members while that flattens load
        and tenants per cell. drain: move every tenant and job off this cell.
    tenant_balance: the bound on tenants per cell over the region's mean (None: rendezvous
        hashing alone, as before issue 14; kept for the benchmark's same-run comparison).
    """
    if rebalance and drain:
        raise ValueError("rebalance and drain are separate operations")
    # Placement allocates hundreds of thousands of small acyclic tuples; each young-generation
    # collection would rescan the fleet's models for cycles that cannot exist.
    with paused():
        return _place(fleet, previous, rebalance, drain, tenant_balance)


def _place(
    fleet: Fleet,
    previous: Placement | None,
    rebalance: bool,
    drain: str | None,
    tenant_balance: float | None,
) -> PlacementResult:
    shards: dict[str, tuple[str, ...]] = {}
    jobs: dict[JobKey, str] = {}
    problems: list[Problem] = []
    for region in fleet.regions:
        placer = _RegionPlacer(fleet, region.name, previous, rebalance, drain, tenant_balance)
        try:
            placer.run()
        except PlacementError as error:
            problems += error.problems
            continue
        shards.update(placer.shards)
        jobs.update(placer.jobs)
    if problems:
        raise PlacementError(problems)
    placement = Placement(shards=shards, jobs=jobs)
    return PlacementResult(placement, _moves(fleet, previous, placement, rebalance, drain))


@dataclass
class _RegionPlacer:
    fleet: Fleet
    region: str
    previous: Placement | None
    rebalance: bool
    drain: str | None
    tenant_balance: float | None = TENANT_BALANCE
    shards: dict[str, tuple[str, ...]] = field(default_factory=dict)
    jobs: dict[JobKey, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fleet = self.fleet
        self.cells = [c.id for c in fleet.cells_in(self.region)]
        self.cell_set = set(self.cells)
        self.active = [
            c.id
            for c in fleet.cells_in(self.region)
            if c.state == CellState.ACTIVE and c.id != self.drain
        ]
        self.active_set = set(self.active)
        self.capacity = {
            c.id: fleet.sizes[c.size].capacity_units for c in fleet.cells_in(self.region)
        }
        self.tenants = [t for t in fleet.tenants if t.home_region == self.region]
        self.by_id = {t.id: t for t in self.tenants}
        self.tenant_units = {t.id: sum(job.capacity_units for job in t.jobs) for t in self.tenants}
        self.index = {t.id: i for i, t in enumerate(fleet.tenants)}
        self.max_overlap = fleet.fleet.max_overlap
        self.used_subsets: dict[frozenset[str], str] = {}
        self.share: dict[str, float] = defaultdict(float)
        self.load: dict[str, int] = defaultdict(int)
        self.members: dict[str, int] = defaultdict(int)
        self.member_bound = self._member_bound()

    def _member_bound(self) -> dict[str, int] | None:
        """Per active cell, the most tenants it takes before a new shard member skips it, or
        None when the region is too small for the bound to be met in whole tenants."""
        if self.tenant_balance is None or not self.active:
            return None
        mean = sum(t.shard_size for t in self.tenants) / len(self.active)
        if mean < TENANT_BALANCE_MIN_MEAN:
            return None
        return {c: member_bound(self.tenant_balance * mean, c) for c in self.active}

    # -- shards ---------------------------------------------------------------------------

    def run(self) -> None:
        if not self.tenants:
            return
        try:
            self._run()
        except PlacementError as error:
            # Whichever tenant or job found no room first, the cause is the region's.
            over = self._over_capacity()
            if over is None or any(p.code not in CAPACITY_CODES for p in error.problems):
                raise
            raise PlacementError([over]) from None

    def _run(self) -> None:
        kept, fresh = self._kept_shards()
        pinned_first = sorted(kept, key=lambda t: self.by_id[t].pinned_cells is None)
        for tenant_id in pinned_first:
            tenant, shard = self.by_id[tenant_id], kept[tenant_id]
            if self.rebalance and tenant.pinned_cells is None and not self._overlap_free(shard):
                fresh[tenant_id] = ()
                continue
            self._register(tenant, shard)
        order = sorted((self.by_id[t] for t in fresh), key=lambda t: (stable_id(t.id), t.id))
        # Members a shard keeps (a drain, a grown k) count against the bound from the start.
        for start in fresh.values():
            for cell in start:
                self.members[cell] += 1
        depth = max((t.shard_size for t in order), default=0) + RANK_DEPTH_EXTRA
        preferences = top_ranked([t.id for t in order], self.active, depth) if order else []
        for tenant, preferred in zip(order, preferences, strict=True):
            start = fresh[tenant.id]
            cells = [self.active[i] for i in preferred]
            self._register(tenant, self._choose(tenant, start, cells), counted=start)
        self._place_jobs()

    def _kept_shards(self) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
        """Split tenants into shards fixed already (pins, the lock) and shards to (re)choose,
        the latter with the members they must keep."""
        kept: dict[str, tuple[str, ...]] = {}
        fresh: dict[str, tuple[str, ...]] = {}
        for tenant in self.tenants:
            before = self._previous_shard(tenant)
            if tenant.pinned_cells is not None:
                if self.drain in tenant.pinned_cells:
                    raise PlacementError(
                        [
                            Problem(
                                f"tenants.{self.index[tenant.id]}.pinned_cells",
                                "drain-pinned",
                                f"tenant '{tenant.id}' pins {self.drain}: pin another cell "
                                "before draining it",
                            )
                        ]
                    )
                kept[tenant.id] = tuple(tenant.pinned_cells)
            elif before is None:
                fresh[tenant.id] = ()
            elif self.drain in before:
                fresh[tenant.id] = tuple(c for c in before if c != self.drain)
            elif len(before) < tenant.shard_size:
                fresh[tenant.id] = before
            elif len(before) > tenant.shard_size:
                kept[tenant.id] = self._shrunk(tenant, before)
            else:
                kept[tenant.id] = before
        return kept, fresh

    def _shrunk(self, tenant: Tenant, before: tuple[str, ...]) -> tuple[str, ...]:
        """The shard_size cells of `before` that cost most to leave: active cells running the
        most of the tenant's capacity units; among equals, the tenant's preferred ones."""
        running: dict[str, int] = defaultdict(int)
        for job in tenant.jobs:
            cell = self.previous.jobs.get((tenant.id, job.id)) if self.previous else None
            if cell in before:
                running[cell] += job.capacity_units
        preference = {c: i for i, c in enumerate(ranked(tenant.id, list(before)))}
        order = sorted(before, key=lambda c: (c not in self.active_set, -running[c], preference[c]))
        keep = set(order[: tenant.shard_size])
        return tuple(c for c in before if c in keep)

    def _previous_shard(self, tenant: Tenant) -> tuple[str, ...] | None:
        if self.previous is None or tenant.id not in self.previous.shards:
            return None
        before = self.previous.shards[tenant.id]
        # A home region that changed starts afresh; cells gone from the fleet are drained first.
        if not all(c in self.cell_set or c == self.drain for c in before):
            missing = [c for c in before if c not in self.cell_set]
            if all(self.fleet.cell(c) is None for c in missing):
                raise PlacementError(
                    [
                        Problem(
                            f"tenants.{self.index[tenant.id]}",
                            "lock-cell-removed",
                            f"tenant '{tenant.id}' is placed on {', '.join(missing)}, which the "
                            f"fleet no longer has: run `cellctl shard --drain {missing[0]}` to "
                            "move it off (the cell's stack keeps its resources until destroyed)",
                        )
                    ]
                )
            return None
        return before

    def _choose(
        self, tenant: Tenant, start: tuple[str, ...], preferred: list[str], bounded: bool = True
    ) -> tuple[str, ...]:
        """The first cells in the tenant's preference order that have room, keep the overlap
        bound and (while it can be met) hold fewer than member_bound tenants."""
        k = tenant.shard_size
        share = self.tenant_units[tenant.id] / k
        bounds = self.member_bound if bounded else None
        candidates = [c for c in preferred if c not in start]
        shard = list(start)
        for cell in candidates:
            if len(shard) == k:
                break
            if bounds is not None and self.members[cell] >= bounds[cell]:
                continue
            if self._fits(cell, share) and self._overlap_ok(shard, cell):
                shard.append(cell)
        if len(shard) < k and len(preferred) < len(self.active):
            return self._choose(tenant, start, ranked(tenant.id, self.active), bounded)
        if len(shard) < k and bounds is not None:
            # The tenant bound is a preference, never a reason to fail: capacity and overlap are.
            return self._choose(tenant, start, preferred, bounded=False)
        if len(shard) < k:
            shard = self._search(tenant, list(start), [c for c in preferred if c not in start])
        return tuple(shard)

    def _search(self, tenant: Tenant, start: list[str], candidates: list[str]) -> list[str]:
        """Depth-first over candidates in preference order, for when greedy choice dead-ends."""
        k = tenant.shard_size
        share = self.tenant_units[tenant.id] / k
        budget = [SEARCH_LIMIT]

        def extend(shard: list[str], offset: int) -> list[str] | None:
            if len(shard) == k:
                return shard
            for i in range(offset, len(candidates)):
                budget[0] -= 1
                if budget[0] < 0:
                    return None
                cell = candidates[i]
                if self._fits(cell, share) and self._overlap_ok(shard, cell):
                    found = extend([*shard, cell], i + 1)
                    if found:
                        return found
            return None

        found = extend(start, 0)
        if found is None:
            raise PlacementError([self._infeasible(tenant)])
        return found

    def _over_capacity(self) -> Problem | None:
        """The region's jobs need more capacity units than its active cells hold. Only more or
        larger cells or fewer or lighter jobs help: each job takes its capacity_units in one
        cell, and shard choice counts a tenant's units as a share over its k cells, which sums
        to the same whatever k is, so no shard_size helps."""
        demand = sum(self.tenant_units[t.id] for t in self.tenants)
        supply = sum(self.capacity[c] for c in self.active)
        if demand <= supply:
            return None
        sizes = sorted({c.size for c in self.fleet.cells_in(self.region) if c.id in self.active})
        per_size = ", ".join(
            f"`sizes.{size}.capacity_units` (now {self.fleet.sizes[size].capacity_units})"
            for size in sizes
        )
        tenants, cells = len(self.tenants), len(self.active)
        return Problem(
            "cells",
            "capacity-exceeded",
            f"{self.region} is over capacity: the jobs of its {tenants:,} "
            f"tenant{'s' if tenants != 1 else ''} need {demand:,} capacity units and its "
            f"{cells:,} active cell{'s' if cells != 1 else ''} hold {supply:,}, "
            f"{demand - supply:,} short. No shard_size changes that (each job takes its "
            f"capacity_units in one cell, whatever the shard). Fix it with more cells in "
            f"{self.region} (active, under `cells`), a larger "
            f"{per_size or '`capacity_units` for their size'}, or fewer or lighter jobs "
            "(`tenants[].jobs[].capacity_units`)",
        )

    def _infeasible(self, tenant: Tenant) -> Problem:
        reasons = []
        fixes = [f"more cells in {self.region}"]
        k, active = tenant.shard_size, len(self.active)
        if active < k:
            reasons.append(f"only {active} active cells")
            fixes.append(f"a shard_size of at most {active}" if active else "active cells")
        share = self.tenant_units[tenant.id] / k
        full = [c for c in self.active if not self._fits(c, share)]
        largest = max((self.capacity[c] for c in self.active), default=0)
        if share > largest:
            reasons.append(
                f"its jobs need {self.tenant_units[tenant.id]} capacity units over "
                f"{k} cell(s), more than {largest} per cell"
            )
            if active > k:
                fixes.append("a larger shard_size (a smaller share per cell)")
            fixes += ["larger cells' capacity_units", "lighter jobs"]
        elif full:
            demand = sum(self.tenant_units[t.id] for t in self.tenants)
            supply = sum(self.capacity[c] for c in self.active)
            reasons.append(
                f"{len(full)} of {active} cells lack room for its share of {share:g} units per "
                f"cell (the region's jobs need {demand:,} of its {supply:,} capacity units)"
            )
            fixes.append("larger cells' capacity_units")
        if self.max_overlap is not None:
            reasons.append(f"max_overlap {self.max_overlap} is exhausted")
            fixes += ["a smaller shard_size", "a larger fleet.max_overlap"]
        return Problem(
            f"tenants.{self.index[tenant.id]}",
            "placement-infeasible",
            f"cannot place tenant '{tenant.id}' ({tenant.shard_size} cells) in {self.region}: "
            f"{'; '.join(reasons) or 'no set of cells satisfies every constraint'}. "
            f"Make it feasible with {_either(fixes)}",
        )

    def _register(
        self, tenant: Tenant, shard: tuple[str, ...], counted: tuple[str, ...] = ()
    ) -> None:
        share = self.tenant_units[tenant.id] / max(len(shard), 1)
        for cell in shard:
            self.share[cell] += share
            self.members[cell] += cell not in counted
        if self.max_overlap is not None and len(shard) > self.max_overlap:
            for subset in itertools.combinations(sorted(shard), self.max_overlap + 1):
                key = frozenset(subset)
                other = self.used_subsets.get(key)
                if other is not None:
                    raise PlacementError(
                        [
                            Problem(
                                f"tenants.{self.index[tenant.id]}",
                                "overlap-exceeded",
                                f"tenants '{other}' and '{tenant.id}' share cells "
                                f"{', '.join(sorted(key))}: more than max_overlap "
                                f"{self.max_overlap}. Change a pin, or run "
                                "`cellctl shard --rebalance`",
                            )
                        ]
                    )
                self.used_subsets[key] = tenant.id
        self.shards[tenant.id] = shard

    def _fits(self, cell: str, share: float) -> bool:
        return self.share[cell] + share <= self.capacity[cell]

    def _overlap_free(self, shard: tuple[str, ...]) -> bool:
        m = self.max_overlap
        if m is None or len(shard) <= m:
            return True
        return all(
            frozenset(subset) not in self.used_subsets
            for subset in itertools.combinations(shard, m + 1)
        )

    def _overlap_ok(self, shard: list[str], cell: str) -> bool:
        m = self.max_overlap
        if m is None or len(shard) < m:
            return True
        return all(
            frozenset((*subset, cell)) not in self.used_subsets
            for subset in itertools.combinations(shard, m)
        )

    # -- jobs -----------------------------------------------------------------------------

    def _place_jobs(self) -> None:
        # Most constrained first (fewest cells to choose from), then largest first, then by
        # tenant digest and job id; ties (a digest collision) keep the fleet's order. The sort
        # key is built with each tenant, not looked up per job (a fifth of this pass at 1M).
        keyed: list[tuple[int, int, int, str, int, tuple[Tenant, str, int]]] = []
        for tenant in self.tenants:
            shard = self.shards[tenant.id]
            choices = sum(c in self.active_set for c in shard)
            order_id = stable_id(tenant.id)
            for job in tenant.jobs:
                before = self.previous.jobs.get((tenant.id, job.id)) if self.previous else None
                stays = before is not None and before in shard and before != self.drain
                # A rebalance re-places a job its cell no longer has room for (a smaller size,
                # a grown job); otherwise that is an error below, with this command as its fix.
                if stays and self.rebalance:
                    stays = self.load[before] + job.capacity_units <= self.capacity[before]
                if stays:
                    self._assign(tenant, job.id, job.capacity_units, before)
                else:
                    item = (tenant, job.id, job.capacity_units)
                    keyed.append((choices, -item[2], order_id, item[1], len(keyed), item))
        keyed.sort()
        pending = [entry[-1] for entry in keyed]
        del keyed
        self._check_kept_capacity()
        kept_peak = max((self.load[c] / self.capacity[c] for c in self.active), default=0.0)
        balancing = self.rebalance or self.previous is None
        if not balancing or len(pending) > MULTI_START_MAX_JOBS:
            self._greedy(pending, balancing)
        else:
            self._multi_start(pending)
        if self.rebalance and self.member_bound is not None:
            for _ in range(REBALANCE_ROUNDS):
                if not self._balance_members(kept_peak) or not self._balance():
                    break

    def _multi_start(self, pending: list[tuple[Tenant, str, int]]) -> None:
        """Small regions: a few more job orders, seeded from stable digests, keep the best
        outcome. A rebalance also swaps shard members, so shards are part of each attempt."""
        kept_jobs, kept_load = dict(self.jobs), dict(self.load)
        kept_shards, kept_subsets = dict(self.shards), dict(self.used_subsets)
        kept_members = dict(self.members)
        best: tuple[tuple[float, float], dict[JobKey, str], dict[str, int], dict, dict] | None
        best = None
        first_error: PlacementError | None = None
        for attempt in range(MULTI_START_ORDERS):
            order = (
                pending
                if attempt == 0
                else sorted(
                    pending, key=lambda item: stable_id(f"{attempt}/{item[0].id}/{item[1]}")
                )
            )
            self.jobs, self.load = dict(kept_jobs), defaultdict(int, kept_load)
            self.shards, self.used_subsets = dict(kept_shards), dict(kept_subsets)
            self.members = defaultdict(int, kept_members)
            try:
                self._greedy(order, balancing=True)
            except PlacementError as error:
                first_error = first_error or error
                continue
            score = self._imbalance()
            if best is None or score < best[0]:
                best = (score, dict(self.jobs), dict(self.load), self.shards, self.used_subsets)
            if score[0] <= BALANCE_TARGET:
                break
        if best is None:
            assert first_error is not None
            raise first_error
        self.jobs, self.load = best[1], defaultdict(int, best[2])
        self.shards, self.used_subsets = best[3], best[4]
        self.members = defaultdict(int)
        for shard in self.shards.values():
            for cell in shard:
                self.members[cell] += 1

    def _check_kept_capacity(self) -> None:
        """Capacity is a hard limit: jobs kept where they were must still fit their cell."""
        problems = []
        for cell in self.cells:
            if self.load[cell] <= self.capacity[cell]:
                continue
            units = {(t.id, j.id): j.capacity_units for t in self.tenants for j in t.jobs}
            jobs = sorted(
                (key for key, placed in self.jobs.items() if placed == cell),
                key=lambda key: (-units[key], key),
            )
            named = ", ".join(f"{t}/{j} ({units[(t, j)]} units)" for t, j in jobs[:NAMED_JOBS])
            if len(jobs) > NAMED_JOBS:
                named += f" and {len(jobs) - NAMED_JOBS} more"
            ci = next(i for i, c in enumerate(self.fleet.cells) if c.id == cell)
            problems.append(
                Problem(
                    f"cells.{ci}.size",
                    "capacity-exceeded",
                    f"cell '{cell}' would hold {self.load[cell]} capacity units, its size "
                    f"'{self.fleet.cells[ci].size}' holds {self.capacity[cell]} (jobs: "
                    f"{named}): run `cellctl shard "
                    "--rebalance` to move jobs to cells with room, or give the cell a larger size",
                )
            )
        if problems:
            raise PlacementError(problems)

    def _greedy(self, order: list[tuple[Tenant, str, int]], balancing: bool) -> None:
        for tenant, job_id, units in order:
            self._assign(tenant, job_id, units, self._best_cell(tenant, job_id, units))
        if balancing:
            self._balance()

    def _imbalance(self) -> tuple[float, float]:
        """(max/mean utilisation, sum of load^2/capacity) over the region's active cells."""
        util = [self.load[c] / self.capacity[c] for c in self.active]
        mean = sum(util) / len(util) if util else 0.0
        spread = sum(self.load[c] ** 2 / self.capacity[c] for c in self.active)
        return (max(util) / mean if mean else 1.0, spread)

    def _assign(self, tenant: Tenant, job_id: str, units: int, cell: str) -> None:
        self.jobs[(tenant.id, job_id)] = cell
        self.load[cell] += units

    def _best_cell(self, tenant: Tenant, job_id: str, units: int) -> str:
        """The least utilised active cell of the shard with room, keeping the jobs spread."""
        shard = self.shards[tenant.id]
        crowded = self._crowded_cell(tenant, exclude=job_id) if len(tenant.jobs) > 1 else None
        best, best_util = None, 0.0
        for cell in shard:  # in preference order, so ties go to the preferred cell
            if cell == crowded or cell not in self.active_set:
                continue
            load, capacity = self.load[cell] + units, self.capacity[cell]
            if load <= capacity and (best is None or load / capacity < best_util):
                best, best_util = cell, load / capacity
        if best is None:
            raise PlacementError([self._no_room(tenant, job_id, units, crowded)])
        return best

    def _no_room(self, tenant: Tenant, job_id: str, units: int, crowded: str | None) -> Problem:
        """Why a job fits nowhere, with the numbers that show it and only the fixes that apply."""
        shard = self.shards[tenant.id]
        free = ", ".join(
            f"{c}: {self.capacity[c] - self.load[c]} of {self.capacity[c]} free"
            if c in self.active_set
            else f"{c}: not active"
            for c in shard
        )
        ji = next(i for i, j in enumerate(tenant.jobs) if j.id == job_id)
        # A region short of capacity is reported as such (see run); this job is then not why.
        if crowded is not None:
            reason = (
                f"its other jobs all run in {crowded}, and a tenant's jobs stay in two cells: "
                "raise shard_size, or add cells or larger sizes"
            )
        else:
            reason = (
                f"other cells of {self.region} have room: raise shard_size"
                + (
                    ""
                    if self.rebalance or self.previous is None
                    else ", run `cellctl shard --rebalance`"
                )
                + ", or add cells or larger sizes"
            )
        return Problem(
            f"tenants.{self.index[tenant.id]}.jobs.{ji}.capacity_units",
            "capacity-exceeded",
            f"job '{tenant.id}/{job_id}' needs {units} capacity units and no active cell of its "
            f"shard has that much free ({free}); {reason}",
        )

    def _crowded_cell(self, tenant: Tenant, exclude: str) -> str | None:
        """The cell this job must avoid so that the tenant's jobs never sit in one cell: set
        when every other job of a tenant with 2+ jobs and 2+ cells is placed, all in one cell."""
        if len(tenant.jobs) < 2 or len(self.shards[tenant.id]) < 2:
            return None
        cell = None
        for job in tenant.jobs:
            if job.id == exclude:
                continue
            placed = self.jobs.get((tenant.id, job.id))
            if placed is None or (cell is not None and placed != cell):
                return None
            cell = placed
        return cell

    def _balance(self) -> bool:
        """Local search: one move at a time while it lowers the region's maximum utilisation,
        or keeps it and lowers sum(load^2 / capacity). A move takes a job to another cell of its
        shard or, in a rebalance, swaps a shard member for a cell outside the shard (with the
        jobs it ran there). Stops at BALANCE_TARGET once no active cell is empty. Each move
        strictly improves (max, sum) in lexicographic order, so the search ends, and never ends
        worse than it started. True if it moved anything."""
        # A region balanced already (most are, after the greedy pass) needs no index of its
        # jobs: building one was 4 % of placing 1,000,000 tenants.
        if not self.active or self._unbalanced() is None:
            return False
        units = {(t.id, j.id): j.capacity_units for t in self.tenants for j in t.jobs}
        by_cell: dict[str, list[JobKey]] = defaultdict(list)
        for key, cell in self.jobs.items():
            by_cell[cell].append(key)
        moved = False
        for _ in range(4 * (len(self.active) + len(units))):
            state = self._unbalanced()
            if state is None:
                return moved
            util, ordered = state
            move = self._best_move(ordered, util, units, by_cell)
            if self.rebalance:
                move = self._best_member_move(ordered, util, units, by_cell, move)
            if move is None:
                return moved
            moved = True
            _, _, keys, source, target = move
            for key in keys:
                self.load[source] -= units[key]
                self.load[target] += units[key]
                by_cell[source].remove(key)
                by_cell[target].append(key)
                self.jobs[key] = target
            tenant_id = keys[0][0]
            if source in self.shards[tenant_id] and target not in self.shards[tenant_id]:
                self._swap_member(self.by_id[tenant_id], source, target)
        return moved

    def _unbalanced(self) -> tuple[dict[str, float], list[str]] | None:
        """Each active cell's utilisation and the cells, most utilised first, while the region
        needs balancing; None once its max/mean utilisation is at most BALANCE_TARGET and no
        active cell is empty, or nothing runs."""
        util = {c: self.load[c] / self.capacity[c] for c in self.active}
        mean = sum(util.values()) / len(util)
        ordered = sorted(self.active, key=lambda c: (-util[c], c))
        if mean == 0:
            return None
        if util[ordered[0]] / mean <= BALANCE_TARGET and util[ordered[-1]] > 0:
            return None
        return util, ordered

    def _balance_members(self, kept_peak: float) -> bool:
        """Rebalance only: while an active cell holds more than member_bound tenants, move one
        of its shard members to a cell with fewer tenants, with the jobs it runs there. Members
        running no job go first (moving them moves no state), then the fewest capacity units.
        A move needs room and keeps max_overlap; it may raise a cell's utilisation up to the
        region's highest, or up to BALANCE_TARGET x the mean but never past `kept_peak` (the
        highest before this rebalance placed anything), so load never ends worse than it
        started. Each move lowers sum(tenants per cell^2), so the pass ends. True if it moved
        anything."""
        bounds = self.member_bound
        if bounds is None:
            return False
        units = {(t.id, j.id): j.capacity_units for t in self.tenants for j in t.jobs}
        running: dict[str, dict[str, list[JobKey]]] = defaultdict(lambda: defaultdict(list))
        for key, cell in self.jobs.items():
            running[cell][key[0]].append(key)
        hosted: dict[str, set[str]] = defaultdict(set)
        for tenant_id, shard in self.shards.items():
            for cell in shard:
                hosted[cell].add(tenant_id)
        order_id = {t.id: stable_id(t.id) for t in self.tenants}
        stuck: set[str] = set()
        moved = False
        while True:
            over = [c for c in self.active if self.members[c] > bounds[c] and c not in stuck]
            if not over:
                return moved
            source = max(over, key=lambda c: (self.members[c], c))
            util = [self.load[c] / self.capacity[c] for c in self.active]
            ceiling = max(max(util), min(BALANCE_TARGET * sum(util) / len(util), kept_peak))
            move = self._member_balance_move(source, running, hosted, units, order_id, ceiling)
            if move is None:
                stuck.add(source)
                continue
            moved = True
            tenant_id, target = move
            for key in running[source].pop(tenant_id, []):
                self.load[source] -= units[key]
                self.load[target] += units[key]
                self.jobs[key] = target
                running[target][tenant_id].append(key)
            hosted[source].discard(tenant_id)
            hosted[target].add(tenant_id)
            self._swap_member(self.by_id[tenant_id], source, target)

    def _member_balance_move(
        self,
        source: str,
        running: dict[str, dict[str, list[JobKey]]],
        hosted: dict[str, set[str]],
        units: dict[JobKey, int],
        order_id: dict[str, int],
        ceiling: float,
    ) -> tuple[str, str] | None:
        """(tenant, target) for _balance_members: the cheapest member of `source` to move to
        one of the cells with fewest tenants, or None if no member may move."""
        targets = sorted(
            (c for c in self.active if self.members[c] + 1 < self.members[source]),
            key=lambda c: (self.members[c], c),
        )[:BALANCE_SOURCES]
        cost = {t: sum(units[key] for key in running[source].get(t, ())) for t in hosted[source]}
        for tenant_id in sorted(hosted[source], key=lambda t: (cost[t], order_id[t], t)):
            shard = self.shards[tenant_id]
            if self.by_id[tenant_id].pinned_cells is not None:
                continue
            for target in targets:
                load = self.load[target] + cost[tenant_id]
                if target in shard or load > self.capacity[target]:
                    continue
                if load / self.capacity[target] > ceiling + 1e-12:
                    continue
                if self._member_overlap_ok(tenant_id, shard, source, target):
                    return tenant_id, target
        return None

    @staticmethod
    def _score(
        ordered: list[str],
        util: dict[str, float],
        source: str,
        target: str,
        load_s: int,
        load_t: int,
        cap_s: int,
        cap_t: int,
        size: int,
    ) -> tuple[float, float] | None:
        """(new max utilisation, change of sum load^2/capacity) if moving `size` units from
        source to target improves the region; None if it does not."""
        others = next((util[c] for c in ordered if c not in (source, target)), 0.0)
        new_max = max(others, (load_s - size) / cap_s, (load_t + size) / cap_t)
        delta = ((load_s - size) ** 2 - load_s**2) / cap_s + (
            (load_t + size) ** 2 - load_t**2
        ) / cap_t
        current_max = util[ordered[0]]
        lower_max = new_max < current_max - 1e-12
        flatter = new_max <= current_max + 1e-12 and delta < -1e-12
        return (new_max, delta) if lower_max or flatter else None

    def _best_move(
        self,
        ordered: list[str],
        util: dict[str, float],
        units: dict[JobKey, int],
        by_cell: dict[str, list[JobKey]],
    ) -> tuple[float, float, list[JobKey], str, str] | None:
        best: tuple[float, float, list[JobKey], str, str] | None = None
        for source in ordered[:BALANCE_SOURCES]:
            for key in sorted(by_cell[source]):
                size = units[key]
                for target in self.shards[key[0]]:
                    if target == source or target not in self.active_set:
                        continue
                    if self.load[target] + size > self.capacity[target]:
                        continue
                    score = self._score(
                        ordered, util, source, target, self.load[source], self.load[target],
                        self.capacity[source], self.capacity[target], size,
                    )  # fmt: skip
                    if score is None or (best is not None and score >= (best[0], best[1])):
                        continue
                    if self._keeps_spread(self.by_id[key[0]], key, target):
                        best = (*score, [key], source, target)
        return best

    def _best_member_move(
        self,
        ordered: list[str],
        util: dict[str, float],
        units: dict[JobKey, int],
        by_cell: dict[str, list[JobKey]],
        best: tuple[float, float, list[JobKey], str, str] | None,
    ) -> tuple[float, float, list[JobKey], str, str] | None:
        """A shard member of a busy cell swapped for one of the least used cells outside the
        shard, if that beats the best job move; among equals, the tenant that ranks the new
        cell highest moves."""
        targets = ordered[::-1][:BALANCE_SOURCES]
        for source in ordered[:BALANCE_SOURCES]:
            running: dict[str, list[JobKey]] = defaultdict(list)
            for key in by_cell[source]:
                running[key[0]].append(key)
            for tenant_id in sorted(running):
                tenant = self.by_id[tenant_id]
                shard = self.shards[tenant_id]
                if tenant.pinned_cells is not None or source not in shard:
                    continue
                keys = sorted(running[tenant_id])
                size = sum(units[key] for key in keys)
                for target in targets:
                    if target in shard or self.load[target] + size > self.capacity[target]:
                        continue
                    bounds = self.member_bound
                    if bounds is not None and self.members[target] >= bounds[target]:
                        continue
                    score = self._score(
                        ordered, util, source, target, self.load[source], self.load[target],
                        self.capacity[source], self.capacity[target], size,
                    )  # fmt: skip
                    if score is None or (best is not None and score >= (best[0], best[1])):
                        continue
                    if self._member_overlap_ok(tenant_id, shard, source, target):
                        best = (*score, keys, source, target)
        return best

    def _member_overlap_ok(
        self, tenant_id: str, shard: tuple[str, ...], source: str, target: str
    ) -> bool:
        m = self.max_overlap
        rest = [c for c in shard if c != source]
        if m is None or len(rest) < m:
            return True
        return all(
            self.used_subsets.get(frozenset((*subset, target)), tenant_id) == tenant_id
            for subset in itertools.combinations(rest, m)
        )

    def _swap_member(self, tenant: Tenant, source: str, target: str) -> None:
        old = self.shards[tenant.id]
        new = tuple(target if c == source else c for c in old)
        share = self.tenant_units[tenant.id] / len(old)
        self.share[source] -= share
        self.share[target] += share
        self.members[source] -= 1
        self.members[target] += 1
        m = self.max_overlap
        if m is not None and len(old) > m:
            for subset in itertools.combinations(sorted(old), m + 1):
                if self.used_subsets.get(frozenset(subset)) == tenant.id:
                    del self.used_subsets[frozenset(subset)]
            for subset in itertools.combinations(sorted(new), m + 1):
                self.used_subsets[frozenset(subset)] = tenant.id
        self.shards[tenant.id] = new

    def _keeps_spread(self, tenant: Tenant, moving: JobKey, target: str) -> bool:
        if len(tenant.jobs) < 2 or len(self.shards[tenant.id]) < 2:
            return True
        cells = {self.jobs[(tenant.id, j.id)] for j in tenant.jobs if j.id != moving[1]}
        return cells != {target}


def _either(options: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join(filter(None, [", ".join(options[:-1]), options[-1]]))


def member_bound(limit: float, cell: str) -> int:
    """floor(limit - d) for a fixed fraction d in [0, 1) drawn from the cell's id: the bounds
    of a region step down cell by cell as its mean falls, never all at once. A common step
    (every full cell shedding a tenant when limit crossed an integer) moved 2.5 x the ideal
    share of 1,000,000 tenants when a cell was added."""
    return math.floor(limit - stable_id(f"tenant-bound/{cell}") / 2**64)


def _moves(
    fleet: Fleet,
    previous: Placement | None,
    placement: Placement,
    rebalance: bool,
    drain: str | None,
) -> list[Move]:
    before_shards = previous.shards if previous else {}
    before_jobs = previous.jobs if previous else {}
    why_shard = "rebalance" if rebalance else "cell drained" if drain else None
    drained = f"cell {drain} drained" if drain else None
    # Jobs of the lock grouped by tenant once: a scan of every job per tenant was quadratic.
    locked_jobs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (owner, job_id), old_cell in sorted(before_jobs.items()):
        locked_jobs[owner].append((job_id, old_cell))
    moves: list[Move] = []
    for tenant in fleet.tenants:
        old = before_shards.get(tenant.id)
        new = placement.shards[tenant.id]
        if old is None:
            moves.append(Move(tenant.id, None, None, ",".join(new), NEW_TENANT))
        elif set(old) != set(new):
            detail = None
            if why_shard:
                reason, detail = why_shard, drained
            elif tenant.pinned_cells is not None:
                reason = "pinned cells changed"
            elif set(old) < set(new):
                reason, detail = "shard size grew", f"shard size grew to {len(new)}"
            elif set(new) < set(old):
                reason, detail = "shard size shrank", f"shard size shrank to {len(new)}"
            else:
                reason = "home region or cells changed"
            # A member replaced is one change (one line), whatever else changed in the shard.
            leaving = [c for c in old if c not in new]
            joining = [c for c in new if c not in old]
            for i in range(max(len(leaving), len(joining))):
                before = leaving[i] if i < len(leaving) else None
                after = joining[i] if i < len(joining) else None
                moves.append(Move(tenant.id, None, before, after, reason, detail))
        for job in tenant.jobs:
            key = (tenant.id, job.id)
            old_cell, new_cell = before_jobs.get(key), placement.jobs[key]
            if old_cell == new_cell:
                continue
            detail = None
            if old_cell is None:
                reason = NEW_JOB
            elif old_cell == drain:
                reason, detail = "cell drained", drained
            elif old_cell not in new:
                reason, detail = "its cell left the shard", f"its cell {old_cell} left the shard"
                if rebalance:
                    reason, detail = f"rebalance: {reason}", f"rebalance: {detail}"
            else:
                reason = "rebalance: load"
            moves.append(Move(tenant.id, job.id, old_cell, new_cell, reason, detail))
        locked = locked_jobs.get(tenant.id)
        if locked:
            declared = {job.id for job in tenant.jobs}
            for job_id, old_cell in locked:
                if job_id not in declared:
                    moves.append(Move(tenant.id, job_id, old_cell, None, JOB_REMOVED))
    for tenant_id in sorted(set(before_shards) - set(placement.shards)):
        moves.append(
            Move(tenant_id, None, ",".join(before_shards[tenant_id]), None, TENANT_REMOVED)
        )
    return moves
