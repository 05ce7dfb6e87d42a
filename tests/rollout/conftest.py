from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FAKE = Path(__file__).with_name("fake_pulumi.py")


@dataclass
class FakePulumi:
    """The fake CLI on PATH: write its scenario, read back what it was asked to do."""

    folder: Path
    scenario_file: Path
    log_file: Path
    started: Path

    def scenario(self, **scenario: Any) -> None:
        self.scenario_file.write_text(json.dumps(scenario))

    def calls(self) -> list[dict[str, Any]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]

    def operations(self) -> list[tuple[str, str]]:
        """(preview|up, stack) in the order the CLI was asked for them."""
        return [
            (c["argv"][0], c["argv"][c["argv"].index("--stack") + 1])
            for c in self.calls()
            if c["argv"][0] in ("preview", "up")
        ]


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    launcher = folder / "pulumi"
    launcher.write_text(
        f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = {str(FAKE)!r}\n"
        f"runpy.run_path({str(FAKE)!r}, run_name='__main__')\n"
    )
    launcher.chmod(0o755)
    fake = FakePulumi(folder, tmp_path / "scenario.json", tmp_path / "pulumi.log", tmp_path / "s")
    fake.started.mkdir()
    fake.scenario(stacks={})
    monkeypatch.setenv("PATH", f"{folder}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_PULUMI_SCENARIO", str(fake.scenario_file))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(fake.log_file))
    monkeypatch.setenv("FAKE_PULUMI_STARTED", str(fake.started))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return fake
