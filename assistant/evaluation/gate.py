"""The committed baseline and the gate: a gated metric below its floor fails the run."""

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
        default_factory=dict, description="The run the floors were taken from (information only)"
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
