"""The lock file's text: PyYAML's bytes, written directly for the entries whose bytes are certain.

The lock has one fixed shape. Most tenant entries hold only short ids that YAML reads back as
strings without quotes, on lines shorter than the wrap width: for those the text is written
here, without building YAML nodes (PyYAML's representer is pure Python, about 1 s per 10,000
tenants). Every other entry (a quoted id, a savepoint path, a line long enough to wrap) is
written by `yaml.dump`, so the file is byte for byte what `yaml.dump` makes of the whole lock.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from cells.placement.model import JobMove, Placement

LOCK_VERSION = 1
HEADER = (
    "# Placement lock, written by `cellctl shard`: commit it with the fleet file.\n"
    "# `pulumi up` reads it and never re-shuffles; change it only through `cellctl shard`.\n"
)
WIDTH = 100

# libyaml's emitter where PyYAML has it: the same bytes as the pure-Python one, twice as fast.
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# No indicator, quote, space, colon or non-ASCII character: with the resolver's word that it
# reads back as a string, such a scalar is written plain in block and flow context alike.
_SIMPLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_STR_TAG = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, default_flow_style=None, width=WIDTH)


def lock_text(fleet_name: str, placement: Placement) -> str:
    """The lock file for `placement`: header comment, version, fleet name, tenants by id."""
    # The top lines as the whole lock has them: an empty tenants map stands in for the real one
    # (a mapping of scalars alone would be written in flow style, `{version: 1, ...}`).
    top = dump({"version": LOCK_VERSION, "fleet": fleet_name, "tenants": {}})
    if not placement.shards:
        return HEADER + top
    # Jobs and moves grouped by tenant in one sorted pass each, not a scan per tenant.
    jobs: dict[str, dict[str, str]] = {}
    for (owner, job), cell in sorted(placement.jobs.items()):
        jobs.setdefault(owner, {})[job] = cell
    moves: dict[str, dict[str, dict[str, str]]] = {}
    for (owner, job), move in sorted(placement.moves.items()):
        moves.setdefault(owner, {})[job] = _move_entry(move)
    quoted = _not_plain(placement)
    parts = [HEADER, top.removesuffix("tenants: {}\n"), "tenants:\n"]
    dumped: dict[str, dict[str, Any]] = {}
    for tenant, shard in sorted(placement.shards.items()):
        text = _entry_text(tenant, shard, jobs.get(tenant, {}), moves.get(tenant), quoted)
        if text is None:
            dumped[tenant] = {"cells": list(shard), "jobs": jobs.get(tenant, {})}
            if tenant in moves:
                dumped[tenant]["moves"] = moves[tenant]
            continue
        if dumped:
            parts.append(_dump_entries(dumped))
            dumped = {}
        parts.append(text)
    if dumped:
        parts.append(_dump_entries(dumped))
    return "".join(parts)


def _move_entry(move: JobMove) -> dict[str, str]:
    entry = {"from": move.from_cell, "to": move.to_cell, "step": move.step.value}
    return {**entry, "savepoint": move.savepoint} if move.savepoint else entry


def _dump_entries(entries: dict[str, dict[str, Any]]) -> str:
    # A block mapping's entries do not affect one another: each starts on a new line at the
    # same indent, so consecutive entries dumped under the same key are the same text.
    return dump({"tenants": entries}).removeprefix("tenants:\n")


def _entry_text(
    tenant: str,
    cells: tuple[str, ...],
    jobs: dict[str, str],
    moves: dict[str, dict[str, str]] | None,
    quoted: set[str],
) -> str | None:
    """The entry as yaml.dump writes it, or None where that is not certain."""
    if quoted and (
        tenant in quoted
        or not quoted.isdisjoint(cells)
        or not quoted.isdisjoint(jobs)
        or not quoted.isdisjoint(jobs.values())
    ):
        return None
    lines = [
        f"  {tenant}:",
        f"    cells: [{', '.join(cells)}]",
        f"    jobs: {{{', '.join([f'{job}: {cell}' for job, cell in jobs.items()])}}}",
    ]
    if moves:
        lines.append("    moves:")
        for job, move in moves.items():
            if "savepoint" in move or (quoted and not quoted.isdisjoint((job, *move.values()))):
                return None
            lines.append(
                f"      {job}: {{from: {move['from']}, to: {move['to']}, step: {move['step']}}}"
            )
    # A flow collection wraps only once its line passes the width; a line within it also
    # keeps every key far below PyYAML's 128-character limit for simple keys.
    if max(map(len, lines)) > WIDTH:
        return None
    lines.append("")
    return "\n".join(lines)


def _not_plain(placement: Placement) -> set[str]:
    """The lock's strings that YAML would not write plain (no quotes) in flow context."""
    strings = set(placement.shards)
    for shard in placement.shards.values():
        strings.update(shard)
    for (_, job), cell in placement.jobs.items():
        strings.add(job)
        strings.add(cell)
    for (_, job), move in placement.moves.items():
        strings.update((job, move.from_cell, move.to_cell, move.step.value))
    return {
        text
        for text in strings
        if _SIMPLE.match(text) is None
        or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _STR_TAG
    }
