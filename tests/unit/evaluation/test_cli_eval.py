"""`assistant eval`: options reach the runner, --json prints the summary, exit codes gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.app.cli import app
from assistant.evaluation import runner
from assistant.evaluation.runner import EvalError


class FakeOutcome:
    def __init__(self, passed: bool) -> None:
        self.passed = passed

    def summary_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "metrics": {"lab_exactness": {"assistant": 1.0}}}


def test_options_reach_the_runner_and_json_is_printed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_run(settings: Any, **kwargs: Any) -> FakeOutcome:
        calls.append({"rules": settings.rules_path, **kwargs})
        return FakeOutcome(passed=True)

    monkeypatch.setattr(runner, "run_evaluation", fake_run)
    rules = tmp_path / "lab.yaml"

    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--cases",
            str(tmp_path),
            "--rules",
            str(rules),
            "--report",
            str(tmp_path / "r"),
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passed"] is True
    assert calls == [
        {
            "rules": rules,
            "cases_path": tmp_path,
            "report_dir": tmp_path / "r",
            "echo": False,
            "split": "gate",
            "update_baseline": False,
        }
    ]


def test_a_failed_gate_exits_1_and_an_unusable_input_exits_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "run_evaluation", lambda settings, **kw: FakeOutcome(False))
    assert CliRunner().invoke(app, ["eval"]).exit_code == 1

    def broken(settings: Any, **kwargs: Any) -> FakeOutcome:
        raise EvalError("evals/cases/x.yaml: invalid case")

    monkeypatch.setattr(runner, "run_evaluation", broken)
    result = CliRunner().invoke(app, ["eval"])
    assert result.exit_code == 2
    assert "invalid case" in result.output
