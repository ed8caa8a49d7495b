"""The committed baseline and the gate: a gated metric below its floor fails the run.

Floors only go up: `raise_baseline` (what `assistant eval --write-baseline` writes) raises a
floor or lowers a ceiling to this run's value and never the reverse, and `loosened` lists every
way one baseline is weaker than another (a test holds the committed baselines to it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.evaluation.scoring import Aggregate


class BaselineError(ValueError):
    """A baseline file that is missing or malformed."""


class Bound(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Bound:
        if (self.min is None) == (self.max is None):
            raise ValueError("a bound has exactly one of min or max")
        return self


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = ""
    gated: dict[str, Bound] = Field(min_length=1)
    recorded: dict[str, float] = Field(
        default_factory=dict,
        description="The values of the run that last wrote the file (information only)",
    )
    lowered: dict[str, str] = Field(
        default_factory=dict,
        description="Why a bound was loosened in this version, per metric (written by hand, "
        "in review); a reason carried over from the previous version loosens nothing",
    )


class GateCheck(BaseModel):
    metric: str
    value: float | None
    op: Literal[">=", "<="]
    bound: float
    passed: bool


def load_baseline(path: Path) -> Baseline:
    try:
        return Baseline.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from exc
    except ValidationError as exc:
        raise BaselineError(f"{path}: invalid baseline: {exc}") from exc


def check_gate(baseline: Baseline, metrics: Mapping[str, Aggregate]) -> list[GateCheck]:
    """One check per gated metric; a gated metric the run did not produce fails."""
    checks: list[GateCheck] = []
    for name, bound in baseline.gated.items():
        agg = metrics.get(name)
        value = agg.value if agg is not None else None
        if bound.min is not None:
            ok = value is not None and value >= bound.min - 1e-9
            checks.append(GateCheck(metric=name, value=value, op=">=", bound=bound.min, passed=ok))
        elif bound.max is not None:
            ok = value is not None and value <= bound.max + 1e-9
            checks.append(GateCheck(metric=name, value=value, op="<=", bound=bound.max, passed=ok))
    return checks


# Which way each gated metric improves: "min" metrics gate with a floor, "max" with a ceiling.
DIRECTIONS: dict[str, Literal["min", "max"]] = {
    "lab_exactness": "min",
    "tool_call": "min",
    "unsupported_numbers": "max",
    "threshold_inconsistencies": "max",
    "required_content": "min",
    "forbidden_content": "max",
    "citation_structure": "min",
    "citation_sources": "min",
    "recall@5": "min",
    "mrr@5": "min",
    "behavior": "min",
    "abstention": "min",
    "determinism": "min",
    "no_crash": "min",
    "lead_answers": "min",
    "length_median": "max",
    "length_p95": "max",
    "repetition": "max",
    "gap_admission": "min",
    "near_domain_abstention": "min",
    "caveat_retention": "min",
    "lab_state": "min",
    "patient_readability": "min",
}


def _floor(value: float) -> float:
    return math.floor(value * 10_000 + 1e-6) / 10_000


def _ceiling(value: float) -> float:
    return math.ceil(value * 10_000 - 1e-6) / 10_000


def baseline_from(metrics: Mapping[str, Aggregate], gated: Mapping[str, Bound]) -> Baseline:
    """A baseline whose bounds are this run's values, to 4 decimals on the safe side."""
    bounds = {
        name: Bound(max=_ceiling(metrics[name].value))
        if bound.max is not None
        else Bound(min=_floor(metrics[name].value))
        for name, bound in gated.items()
        if name in metrics
    }
    return Baseline(
        comment="Floors from a passing run; update deliberately (see evals/README.md).",
        gated=bounds,
        recorded={name: round(agg.value, 6) for name, agg in sorted(metrics.items())},
    )


def _bound_for(name: str, value: float, like: Bound | None) -> Bound:
    side = ("max" if like.max is not None else "min") if like else DIRECTIONS.get(name, "min")
    return Bound(max=_ceiling(value)) if side == "max" else Bound(min=_floor(value))


def _describe(bound: Bound) -> str:
    return f">= {bound.min:g}" if bound.min is not None else f"<= {bound.max:g}"


def raise_baseline(
    current: Baseline, metrics: Mapping[str, Aggregate]
) -> tuple[Baseline, list[str]]:
    """The baseline with every bound moved to this run's value where that is stricter (a floor
    raised, a ceiling lowered), and the known gated metrics it lacks added at this run's value.
    Never loosens a bound. Returns the new baseline and one line per change."""
    gated = dict(current.gated)
    changes: list[str] = []
    for name, bound in current.gated.items():
        agg = metrics.get(name)
        if agg is None:
            continue
        proposed = _bound_for(name, agg.value, bound)
        stricter = (
            proposed.min is not None and bound.min is not None and proposed.min > bound.min
        ) or (proposed.max is not None and bound.max is not None and proposed.max < bound.max)
        if stricter:
            gated[name] = proposed
            changes.append(f"{name}: {_describe(bound)} -> {_describe(proposed)}")
    for name in DIRECTIONS:
        if name not in gated and name in metrics:
            gated[name] = _bound_for(name, metrics[name].value, None)
            changes.append(f"{name}: added, {_describe(gated[name])}")
    recorded = {name: round(agg.value, 6) for name, agg in sorted(metrics.items())}
    # Reasons for loosening belong to the version that loosened: a raise starts without them.
    update = {"gated": gated, "recorded": recorded, "lowered": {}}
    return current.model_copy(update=update), changes


def loosened(previous: Baseline, current: Baseline) -> list[str]:
    """Every way `current` gates less than `previous`: a gated metric removed, a floor lowered,
    a ceiling raised or a bound turned round."""
    problems: list[str] = []
    for name, before in previous.gated.items():
        reason = current.lowered.get(name, "").strip()
        if reason and reason != previous.lowered.get(name, "").strip():
            continue  # loosened on purpose in this version, the reason written beside it
        after = current.gated.get(name)
        if after is None:
            problems.append(f"{name}: no longer gated (was {_describe(before)})")
        elif before.min is not None and (after.min is None or after.min < before.min - 1e-9):
            problems.append(f"{name}: floor lowered from {_describe(before)} to {_describe(after)}")
        elif before.max is not None and (after.max is None or after.max > before.max + 1e-9):
            problems.append(
                f"{name}: ceiling raised from {_describe(before)} to {_describe(after)}"
            )
    return problems


def write_baseline(path: Path, baseline: Baseline) -> None:
    path.write_text(baseline.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8")
