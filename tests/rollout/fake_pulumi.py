"""A stand-in for the Pulumi CLI at the Automation API's boundary.

It records every invocation (argv, working directory, process group) to $FAKE_PULUMI_LOG and
answers as the CLI does: `version`, `whoami --json`, `stack ls --json`, `stack select`,
`preview`/`up` streaming the engine events of $FAKE_PULUMI_SCENARIO over the Automation API's
gRPC event log, `stack output` and `stack history`. Nothing here decides a test's outcome: the
scenario file does, and the tests check what the real Automation API code sent and received."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

VERSION = "v3.272.0"


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(255)


def stream(target: str, events: list[dict]) -> None:
    import grpc
    from pulumi.runtime.proto import events_pb2, events_pb2_grpc

    assert target.startswith("tcp://"), target
    with grpc.insecure_channel(target.removeprefix("tcp://")) as channel:
        stub = events_pb2_grpc.EventsStub(channel)
        stub.StreamEvents(
            iter(
                events_pb2.EventRequest(event=json.dumps({"sequence": i, **e}))
                for i, e in enumerate(events)
            )
        )


def main(argv: list[str]) -> None:
    args = [a for a in argv if a != "--non-interactive"]
    scenario = json.loads(Path(os.environ["FAKE_PULUMI_SCENARIO"]).read_text())
    with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
        entry = {"argv": args, "cwd": os.getcwd(), "pid": os.getpid(), "sid": os.getsid(0)}
        log.write(json.dumps(entry) + "\n")
    stack = option(args, "--stack")
    stacks = scenario.get("stacks", {})
    if args[:1] == ["version"]:
        print(VERSION)
    elif args[:1] == ["whoami"]:
        if not scenario.get("logged_in", True):
            fail("PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")
        print(json.dumps({"user": "rollout-tester", "url": "file://~", "organizations": []}))
    elif args[:2] == ["stack", "ls"]:
        print(json.dumps([{"name": name, "current": False} for name in stacks]))
    elif args[:2] == ["stack", "select"]:
        if stack not in stacks:
            fail(f"no stack named '{stack}' found")
    elif args[:2] == ["stack", "output"]:
        print("{}")
    elif args[:2] == ["stack", "history"]:
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        summary = {"kind": "update", "startTime": now, "endTime": now, "message": "",
                   "environment": {}, "config": {}, "result": "succeeded"}  # fmt: skip
        print(json.dumps([summary]))
    elif args[:1] in (["preview"], ["up"]):
        script = stacks[stack]
        operation = args[0]
        marker = os.environ.get("FAKE_PULUMI_STARTED")
        if marker:
            Path(marker, f"{operation}-{stack}").touch()
        time.sleep(script.get(f"{operation}_seconds", 0))
        summary = {"summaryEvent": {"maybeCorrupt": False, "durationSeconds": 1,
                                    "resourceChanges": {}, "PolicyPacks": {}}}  # fmt: skip
        stream(option(args, "--event-log"), [*script.get(operation, []), summary])
        if script.get(f"{operation}_error"):
            fail(script[f"{operation}_error"])
        if marker:
            Path(marker, f"{operation}-{stack}.done").touch()
    else:
        fail(f"fake pulumi: unexpected command {args}")


if __name__ == "__main__":
    main(sys.argv[1:])
