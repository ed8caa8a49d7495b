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
    loosened,
    raise_baseline,
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


# --- raising the baseline (assistant eval --write-baseline) ----------------------------------


def test_writing_the_baseline_raises_floors_and_lowers_ceilings_only() -> None:
    current = Baseline(
        gated={
            "recall@5": Bound(min=0.9),
            "mrr@5": Bound(min=0.8),
            "length_p95": Bound(max=400),
            "repetition": Bound(max=3),
        }
    )
    run = {
        "recall@5": agg("recall@5", 19, 20),  # better: 0.95 > 0.9
        "mrr@5": agg("mrr@5", 7, 10),  # worse: 0.7 < 0.8, the floor stays
        "length_p95": agg("length_p95", 380, kind="level"),  # better: lower
        "repetition": agg("repetition", 5, kind="count"),  # worse: the ceiling stays
    }

    raised, changes = raise_baseline(current, run)

    assert raised.gated == {
        "recall@5": Bound(min=0.95),
        "mrr@5": Bound(min=0.8),
        "length_p95": Bound(max=380),
        "repetition": Bound(max=3),
    }
    assert changes == ["recall@5: >= 0.9 -> >= 0.95", "length_p95: <= 400 -> <= 380"]
    assert loosened(current, raised) == []
    assert raised.recorded["mrr@5"] == 0.7


def test_writing_the_baseline_adds_a_known_metric_it_lacks_at_this_runs_value() -> None:
    raised, changes = raise_baseline(
        Baseline(gated={"recall@5": Bound(min=1.0)}),
        {
            "recall@5": agg("recall@5", 1),
            "lead_answers": agg("lead_answers", 2, 3),
            "length_median": agg("length_median", 372.5, kind="level"),
            "case_pass_rate": agg("case_pass_rate", 1),  # reported, never gated
        },
    )

    assert raised.gated["lead_answers"] == Bound(min=0.6666)
    assert raised.gated["length_median"] == Bound(max=372.5)
    assert "case_pass_rate" not in raised.gated
    assert changes == ["lead_answers: added, >= 0.6666", "length_median: added, <= 372.5"]


def test_a_metric_missing_from_the_run_keeps_its_bound() -> None:
    current = Baseline(gated={"abstention": Bound(min=1.0)})

    raised, changes = raise_baseline(current, {})

    assert raised.gated == current.gated
    assert changes == []


@pytest.mark.parametrize(
    ("after", "problem"),
    [
        ({"unsupported_numbers": Bound(max=0)}, "lab_exactness: no longer gated (was >= 1)"),
        (
            {"lab_exactness": Bound(min=0.99), "unsupported_numbers": Bound(max=0)},
            "lab_exactness: floor lowered from >= 1 to >= 0.99",
        ),
        (
            {"lab_exactness": Bound(min=1.0), "unsupported_numbers": Bound(max=1)},
            "unsupported_numbers: ceiling raised from <= 0 to <= 1",
        ),
        (
            {"lab_exactness": Bound(max=1.0), "unsupported_numbers": Bound(max=0)},
            "lab_exactness: floor lowered from >= 1 to <= 1",
        ),
    ],
)
def test_every_way_of_loosening_a_baseline_is_named(after: dict[str, Bound], problem: str) -> None:
    assert loosened(BASELINE, Baseline(gated=after)) == [problem]


def test_a_stricter_or_larger_baseline_loosens_nothing() -> None:
    stricter = Baseline(
        gated={
            "lab_exactness": Bound(min=1.0),
            "unsupported_numbers": Bound(max=0),
            "repetition": Bound(max=0),
        }
    )

    assert loosened(BASELINE, stricter) == []


def test_a_floor_lowered_with_its_reason_passes_once() -> None:
    gated = {"lab_exactness": Bound(min=0.9), "unsupported_numbers": Bound(max=0)}
    reason = {"lab_exactness": "new hard cases, reviewed"}
    lowered = Baseline(gated=gated, lowered=reason)

    assert loosened(BASELINE, lowered) == []
    # The same reason in the next version lowers nothing more.
    again = Baseline(gated={**gated, "lab_exactness": Bound(min=0.8)}, lowered=reason)
    assert loosened(lowered, again) == ["lab_exactness: floor lowered from >= 0.9 to >= 0.8"]
    # A blank reason is no reason.
    assert loosened(BASELINE, Baseline(gated=gated, lowered={"lab_exactness": " "})) == [
        "lab_exactness: floor lowered from >= 1 to >= 0.9"
    ]


def test_raising_a_baseline_drops_the_reasons_for_lowering_it() -> None:
    current = Baseline(gated={"lab_exactness": Bound(min=0.9)}, lowered={"lab_exactness": "why"})
    raised, _ = raise_baseline(current, {})

    assert raised.lowered == {}
