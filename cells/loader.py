"""Loads a fleet file into a validated Fleet, or raises FleetError with every problem in it."""

from __future__ import annotations

import re
import typing
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from cells.checks import check_fleet
from cells.collector import paused
from cells.files import read_text
from cells.last_read import LastRead
from cells.model import Fleet, fields_of
from cells.problems import FleetError, Problem
from cells.yaml_source import YamlDocument, line_of, read_yaml_document
from cells.yaml_values import described, shown

PATTERN_HINTS = {
    r"^[a-z][a-z0-9-]*[a-z0-9]$": "lower-case letters, digits and '-', starting with a letter",
    r"^subnet-[0-9a-f]{8,17}$": "a subnet id such as subnet-0a1b2c3d4e5f67890",
    r"^vpc-[0-9a-f]{8,17}$": "a VPC id such as vpc-0a1b2c3d4e5f67890",
    r"^[a-z]{2}(-gov)?-[a-z]+-\d$": "an AWS region such as us-east-1",
    r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$": "an availability zone such as us-east-1a",
    r"^kafka\.[a-z0-9]+\.[a-z0-9]+$": "an MSK broker type such as kafka.m7g.large",
    r"^[a-z][a-z0-9-]*\.[a-z0-9]+$": "an EC2 instance type such as m7i.xlarge",
    r"^1\.\d{2}$": "an EKS Kubernetes version such as 1.33",
    r"^(1\.20|2\.[0-2])\.\d+$": "a Flink version the operator runs: 1.20.x or 2.0.x-2.2.x",
    r"^(local|s3|https)://\S+\.jar$": "a jar URI such as local:///opt/flink/usrlib/job.jar",
    r"^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)*$": "a Java class name such as com.acme.Main",
    r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$": "an S3 bucket name such as acme-flink-artifacts",
    r"^(0|\d+h(\d+m)?(\d+s)?|\d+m(\d+s)?|\d+s)$": "a duration such as 90s, 30m, 1h or 1h30m",
}


# The last fleet loaded: the Pulumi program run once per stack in one process (`cellctl plan`,
# `cellctl diff`) reads the same fleet file each time.
_LAST: LastRead[Fleet] = LastRead()


def load_fleet(file: Path | str) -> Fleet:
    """Read and validate a fleet file; the last one loaded is reused while it is unchanged."""
    path = Path(file)
    try:
        path.stat()  # before resolving: a link loop is an OSError here
        resolved = path.resolve()
        with paused():
            return _LAST.get(resolved, resolved, lambda: _load(resolved))
    except OSError:
        read_text(path)  # says why: missing, a folder, no permission, a link loop
        raise
    except FleetError as error:  # name the file as the user wrote it
        raise FleetError(path, error.problems) from None


def _load(file: Path) -> Fleet:
    def _read(*, located: bool = True) -> YamlDocument:
        """The fleet file's document; located (with lines) only when there is a problem to
        place, so the file is read a second time only when it is wrong (its text is not held
        while the fleet is validated)."""
        return read_yaml_document(file, located=located)

    data = _read(located=False).data
    if not isinstance(data, dict):
        lines = _read().lines
        raise FleetError(
            file,
            [
                Problem(
                    "",
                    "not-a-mapping",
                    f"the fleet file must be a mapping with keys {', '.join(Fleet.model_fields)}",
                    line_of(lines, ""),
                )
            ],
        )
    try:
        fleet = Fleet.model_validate(data)
    except ValidationError as exc:
        document = _read()
        problems = [_from_pydantic(error, document) for error in exc.errors(include_url=False)]
        raise FleetError(
            file, [p.at_line(line_of(document.lines, p.location)) for p in problems]
        ) from None
    problems = check_fleet(fleet)
    if problems:
        document = _read()
        raise FleetError(file, [_placed(p, document) for p in problems])
    return fleet


def locate(file: Path, problems: list[Problem]) -> list[Problem]:
    """Problems found after loading (placement) placed in the fleet file: paths as written, with
    their lines. The file is read again, located, only when there is a problem to place."""
    try:
        document = read_yaml_document(file.resolve())
    except FleetError as error:  # name the file as the user wrote it
        raise FleetError(file, error.problems) from None
    return [problem if problem.line else _placed(problem, document) for problem in problems]


def _placed(problem: Problem, document: YamlDocument) -> Problem:
    """A cross-field problem with its path as written (a key `0x1` is not `1`) and its line."""
    location = document.written_path(problem.location.split(".")) if problem.location else ""
    return replace(problem, location=location, line=line_of(document.lines, location))


def _from_pydantic(error: ErrorDetails, document: YamlDocument) -> Problem:
    kind = error["type"]
    value = error.get("input")
    if error["loc"][-1:] == ("[key]",):  # the key itself is wrong: name it as written
        location = document.written_path(error["loc"][:-1])
        written = location.rpartition(".")[2]
        message = f"key {written}: {error['msg']} (got {shown(value, written)})"
        return Problem(location, kind.replace("_", "-"), message)
    location = document.written_path(error["loc"])
    raw = document.raw_scalars.get(location)
    got = shown(value, raw)
    if kind == "invalid_key":
        written = location.rpartition(".")[2]
        allowed = _allowed_keys(error["loc"][:-1])
        message = (
            f"a null key ({written or 'empty'}): every key here is a field name"
            if value is None
            else f"YAML reads the key {written} as {described(value)}, not as a field name"
        ) + (f"; allowed here: {', '.join(allowed)}" if allowed else "; remove it")
    elif kind == "string_type" and value is None:
        message = (
            f"{raw} is YAML's null (no value); write the text it stands for"
            if raw
            else "the value is empty; write the text it stands for"
        )
    elif kind == "string_type" and raw is not None:
        message = f'YAML reads {raw} as {described(value)}, not as text; quote it: "{raw}"'
    elif kind in ("int_type", "float_type") and isinstance(value, bool):
        message = f"expected a number, got the boolean {got}; write a number"
    elif kind in _NUMBER_KINDS and location in document.quoted and _plain_would_do(value):
        message = (
            f"expected {_NUMBER_KINDS[kind]}, got {document.quoted[location]}, which is quoted, "
            "so YAML reads it as text: remove the quotes"
        )
    elif kind in ("int_type", "int_parsing") and _integral(value):
        message = (
            f"expected an integer, got {value}, which YAML reads as text (a YAML number with an "
            f"exponent needs a '.', as in 1.0e3); write it out: {_integer(value)}"
        )
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(error["loc"][:-1])
        message = f"unknown key '{error['loc'][-1]}'" + (
            f"; allowed here: {', '.join(allowed)}" if allowed else ""
        )
    elif kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        message = f"{got} is not valid: expected {PATTERN_HINTS.get(pattern, pattern)}"
    else:
        message = f"{error['msg']} (got {got})"
    return Problem(location, kind.replace("_", "-"), message)


_NUMBER_KINDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def _plain_would_do(value: Any) -> bool:
    """Quoted text that YAML, written plain, reads as a number or boolean (`"1"`, not `"one"`)."""
    try:
        read = yaml.safe_load(value) if isinstance(value, str) else None
    except yaml.YAMLError:
        return False
    return isinstance(read, int | float)


# A number with an exponent but no '.': a whole number to Python, text to YAML 1.1.
_EXPONENT = re.compile(r"[-+]?\d+[eE][-+]?\d+")


def _integral(value: Any) -> bool:
    """Text such as `1e3`, written plain: YAML 1.1 reads it as text."""
    return isinstance(value, str) and _EXPONENT.fullmatch(value) is not None


def _integer(text: str) -> str:
    return str(int(float(text)))


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys a mapping at `loc` accepts, found by walking the models' and records' fields."""
    annotation: Any = Fleet
    for part in loc:
        annotation = _model_in(annotation)
        fields = fields_of(annotation)
        if isinstance(part, str) and fields is not None:
            field = fields.get(part)
            if field is None:
                return []
            annotation = field.annotation
        else:
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
    return list(fields_of(_model_in(annotation)) or [])


def _model_in(annotation: Any) -> Any:
    """Unwrap Optional[...] to the model or container inside."""
    args = typing.get_args(annotation)
    if type(None) in args:
        return next(a for a in args if a is not type(None))
    return annotation
