"""The review as a pull-request comment (Markdown), a terminal table, or JSON for machines."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from review.changes import OPS, Step
from review.dangers import DANGER_CLASSES, Danger
from review.review import UNCHANGED, Review, StackChanges

MARKER = "<!-- flink-cells:cellctl-diff -->"
COMMENT_LIMIT = 65_536
PATHS_SHOWN = 12
_CUT_NOTE_ROOM = 6_000


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _step_type(step: Step) -> str:
    return str(step.get("type") or (step.get("newState") or step.get("oldState") or {}).get("type"))


def _changed(step: Step) -> list[str]:
    paths = list(step.get("detailedDiff") or {})
    if step.get("aliasOf"):
        paths.insert(0, f"moved from {_resource_name(step['aliasOf'])} (alias)")
    return paths


def _verdict(review: Review) -> str:
    total, open_ = len(review.dangers), len(review.unacknowledged)
    if open_:
        return (
            f"❌ **{total} danger{'s' if total != 1 else ''}, {open_} unacknowledged.** "
            "CI fails until each is acknowledged, with a reason, in the change's ack file "
            "(`cellctl diff --ack FILE`)."
        )
    if total:
        return f"✅ **No unacknowledged danger** ({total} acknowledged, listed below)."
    return "✅ **No danger.**"


def _summary_table(review: Review) -> list[str]:
    changed = [s for s in review.stacks if s.status != UNCHANGED]
    lines = [
        "| stack | status | create | update | replace | delete | dangers |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    totals = dict.fromkeys(OPS, 0)
    for stack in changed:
        counts = stack.counts
        for op in OPS:
            totals[op] += counts[op]
        dangers = len(review.dangers_in(stack.stack))
        lines.append(
            f"| `{stack.stack}` | {stack.status} | "
            + " | ".join(str(counts[op]) for op in OPS)
            + f" | {'**' + str(dangers) + '**' if dangers else 0} |"
        )
    fleet = len(review.dangers_in(""))
    if fleet:
        lines.append(f"| fleet-wide | | | | | | **{fleet}** |")
    lines.append(
        f"| **total** ({len(changed)} changed) | | "
        + " | ".join(str(totals[op]) for op in OPS)
        + f" | {len(review.dangers)} |"
    )
    unchanged = [s.stack for s in review.stacks if s.status == UNCHANGED]
    if unchanged:
        lines += ["", f"Unchanged stacks ({len(unchanged)}): " + ", ".join(unchanged)]
    return lines


def _danger_full(review: Review, danger: Danger) -> list[str]:
    reason = review.reason_for(danger)
    where = f"`{danger.stack}`" if danger.stack else "fleet"
    mark = "✅" if reason else "❌"
    lines = [
        f"- {mark} **{danger.danger_class}** in {where}: {danger.summary}  ",
        f"  `{danger.id}`",
    ]
    if reason:
        lines.append(f"  acknowledged: {reason}")
    return lines


def _dangers_grouped(review: Review) -> list[str]:
    groups: dict[tuple[str, str], list[Danger]] = defaultdict(list)
    for danger in review.dangers:
        groups[(danger.danger_class, danger.stack)].append(danger)
    lines = [
        "_Too many dangers for one comment with their sentences: each is listed by id and class; "
        "`cellctl diff --format json` has every sentence._",
        "",
    ]
    for (danger_class, stack), dangers in groups.items():
        ids = ", ".join(f"`{d.id}` {'✅' if review.reason_for(d) else '❌'}" for d in dangers)
        lines.append(f"- **{danger_class}** in {'`' + stack + '`' if stack else 'fleet'}: {ids}")
    return lines


def _dangers_counted(review: Review) -> list[str]:
    counted: dict[str, list[int]] = {c: [0, 0] for c in DANGER_CLASSES}
    for danger in review.dangers:
        counted.setdefault(danger.danger_class, [0, 0])
        counted[danger.danger_class][0] += 1
        counted[danger.danger_class][1] += review.reason_for(danger) is None
    lines = [
        "_Too many dangers to list here; `cellctl diff --format json` lists every one._",
        "",
        "| class | dangers | unacknowledged |",
        "|---|---:|---:|",
    ]
    lines += [f"| {c} | {n} | {u} |" for c, (n, u) in counted.items() if n]
    return lines


def _stack_details(review: Review, stack: StackChanges) -> str:
    counts = stack.counts
    parts = [f"{counts[op]} {op}" for op in OPS if counts[op]]
    dangers = len(review.dangers_in(stack.stack))
    title = f"<b>{stack.stack}</b> ({stack.status}): {', '.join(parts) or 'no changes'}"
    if dangers:
        title += f", {dangers} danger{'s' if dangers != 1 else ''}"
    lines = [
        "<details>",
        f"<summary>{title}</summary>",
        "",
        "| op | resource | type | changed inputs |",
        "|---|---|---|---|",
    ]
    order = {op: i for i, op in enumerate(("replace", "delete", "create", "update"))}
    for step in sorted(stack.changed_steps, key=lambda s: (order.get(s["op"], 9), s["urn"])):
        paths = _changed(step)
        shown = ", ".join(f"`{_cell(p)}`" for p in paths[:PATHS_SHOWN])
        if len(paths) > PATHS_SHOWN:
            shown += f" and {len(paths) - PATHS_SHOWN} more"
        reasons = step.get("replaceReasons") or []
        if reasons:
            shown += " (replaced because of " + ", ".join(f"`{_cell(r)}`" for r in reasons) + ")"
        lines.append(
            f"| {step['op']} | `{_cell(_resource_name(step['urn']))}` | "
            f"`{_step_type(step)}` | {shown} |"
        )
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def markdown(review: Review, limit: int = COMMENT_LIMIT) -> str:
    """One comment for every stack; never longer than `limit` characters. Stack details are cut
    first (and the comment says which); the summary and every danger always stay."""
    head = [
        MARKER,
        f"### `cellctl diff`: {review.base} → {review.head}",
        "",
        _verdict(review),
        "",
        *_summary_table(review),
        "",
    ]
    for note in review.notes:
        head.append(f"> {note}")
    danger_forms = [[], _dangers_grouped(review), _dangers_counted(review)]
    if review.dangers:
        full: list[str] = []
        for danger in review.dangers:
            full += _danger_full(review, danger)
        danger_forms[0] = full
    body = ""
    for form in danger_forms:
        section = ["", f"#### Dangers ({len(review.dangers)})", "", *form, ""] if form else [""]
        body = "\n".join([*head, *section])
        if len(body) <= limit - _CUT_NOTE_ROOM:
            break
    details = [s for s in review.stacks if s.status != UNCHANGED]
    details.sort(key=lambda s: (-len(review.dangers_in(s.stack)), s.stack))
    blocks: list[str] = []
    cut: list[str] = []
    used = len(body) + len("\n#### Changes per stack\n\n")
    for stack in details:
        block = _stack_details(review, stack)
        if not cut and used + len(block) <= limit - _CUT_NOTE_ROOM:
            blocks.append(block)
            used += len(block)
        else:
            cut.append(stack.stack)
    text = body
    if details:
        text += "\n#### Changes per stack\n\n" + "".join(blocks)
    if cut:
        note = (
            f"\n_Details of {len(cut)} stack{'s' if len(cut) != 1 else ''} cut to keep this "
            f"comment within {limit:,} characters (the summary and dangers above are complete; "
            f"`cellctl diff --format json` has everything): {', '.join(cut)}_\n"
        )
        if len(text) + len(note) > limit:
            note = (
                f"\n_Details of {len(cut)} stacks cut to keep this comment within {limit:,} "
                "characters; `cellctl diff --format json` has everything._\n"
            )
        text += note
    return text


def to_json(review: Review) -> dict[str, Any]:
    """The same content for machines: steps in the `pulumi preview --json` shape."""
    return {
        "base": review.base,
        "head": review.head,
        "dangers": [{**d.to_json(), "acknowledged": review.reason_for(d)} for d in review.dangers],
        "unacknowledged": len(review.unacknowledged),
        "stacks": [
            {
                "stack": s.stack,
                "status": s.status,
                "inputsUnchanged": s.inputs_unchanged,
                "changeSummary": s.counts,
                "steps": [
                    step if step.get("op", "same") != "same" else {"op": "same", "urn": step["urn"]}
                    for step in s.steps
                ],
            }
            for s in review.stacks
        ],
        "notes": review.notes,
    }


def json_text(review: Review) -> str:
    return json.dumps(to_json(review), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def text(review: Review) -> str:
    """The terminal view: one summary row per changed stack, then every danger."""
    rows = []
    for stack in review.stacks:
        if stack.status == UNCHANGED:
            continue
        counts = stack.counts
        rows.append(
            (
                stack.stack,
                stack.status,
                *(str(counts[op]) for op in OPS),
                str(len(review.dangers_in(stack.stack))),
            )
        )
    headers = ("stack", "status", *OPS, "dangers")
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = [f"cellctl diff: {review.base} -> {review.head}"]
    lines += [
        "  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()
        for row in [headers, *rows]
    ]
    unchanged = sum(1 for s in review.stacks if s.status == UNCHANGED)
    lines.append(f"{len(rows)} stacks changed, {unchanged} unchanged")
    lines += review.notes
    for stack in review.stacks:
        for step in stack.changed_steps:
            paths = _changed(step)
            extra = f"  [{', '.join(paths[:PATHS_SHOWN])}]" if step["op"] == "update" else ""
            if step.get("replaceReasons"):
                extra = f"  replaced because of {', '.join(step['replaceReasons'])}"
            lines.append(f"  {stack.stack}  {step['op']:<7} {step['urn']}{extra}")
    lines.append(f"dangers: {len(review.dangers)}, unacknowledged: {len(review.unacknowledged)}")
    for danger in review.dangers:
        reason = review.reason_for(danger)
        state = f"acknowledged: {reason}" if reason else "UNACKNOWLEDGED"
        lines.append(f"  [{danger.danger_class}] {danger.id} ({state})")
        lines.append(f"      {danger.summary}")
    return "\n".join(lines) + "\n"
