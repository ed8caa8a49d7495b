"""The baseline file and the gate: floors, ceilings, missing metrics, malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evaluation.gate import (
    Baseline,
    BaselineError,
    Bound,
    baseline_from,
    check_gate,
    load_baseline,
)
from assistant.evaluation.scoring import Aggregate


def agg(name: str, hits: float, total: float = 1, kind: str = "rate") -> Aggregate:
    return Aggregate(name=name, kind=kind, hits=hits, total=total, cases=1, cases_failed=0)


BASELINE = Baseline(gated={"lab_exactness": Bound(min=1.0), "unsupported_numbers": Bound(max=0)})


def test_metrics_at_their_bounds_pass() -> None:
    checks = check_gate(
        BASELINE,
        {
            "lab_exactness": agg("lab_exactness", 40, 40),
            "unsupported_numbers": agg("unsupported_numbers", 0, kind="count"),
        },
    )

    assert [c.passed for c in checks] == [True, True]


def test_a_regression_on_either_side_fails() -> None:
    checks = check_gate(
        BASELINE,
        {
            "lab_exactness": agg("lab_exactness", 39, 40),
            "unsupported_numbers": agg("unsupported_numbers", 1, kind="count"),
        },
    )

    assert [(c.metric, c.value, c.op, c.passed) for c in checks] == [
        ("lab_exactness", 0.975, ">=", False),
        ("unsupported_numbers", 1, "<=", False),
    ]


def test_a_gated_metric_the_run_did_not_produce_fails() -> None:
    checks = check_gate(BASELINE, {"lab_exactness": agg("lab_exactness", 1)})

    assert checks[1].value is None
    assert not checks[1].passed


def test_a_proposed_baseline_takes_this_runs_values_for_the_gated_metrics() -> None:
    proposed = baseline_from(
        {
            "lab_exactness": agg("lab_exactness", 1),
            "recall@5": agg("recall@5", 19, 20),
            "unsupported_numbers": agg("unsupported_numbers", 0, kind="count"),
        },
        {"recall@5": Bound(min=0.9), "unsupported_numbers": Bound(max=0)},
    )

    assert proposed.gated == {"recall@5": Bound(min=0.95), "unsupported_numbers": Bound(max=0)}
    assert proposed.recorded["lab_exactness"] == 1.0


def test_the_baseline_round_trips_through_json(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(BASELINE.model_dump_json(), encoding="utf-8")

    assert load_baseline(path) == BASELINE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read"),
        (json.dumps({"gated": {}}), "invalid baseline"),
        (json.dumps({"gated": {"x": {"min": 1, "max": 2}}}), "exactly one of min or max"),
        (json.dumps({"gated": {"x": {"min": 1}}, "extra": 1}), "extra"),
    ],
)
def test_a_malformed_baseline_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(BaselineError, match=message):
        load_baseline(path)
