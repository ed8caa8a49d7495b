"""The committed baselines hold their floors (issue 16).

The gate compares a run with `evals/<pack>/baseline.json`, so a baseline lowered or stripped of
a metric would let a regression through. These tests fail when a gated metric is missing, when
a floor is lower (or a ceiling higher) than the one pinned here or than in the previous
committed version of the file (read from git history), or when a pack's gate split has fewer
cases than pinned. Raising a floor is `assistant eval --write-baseline`; lowering one means
changing the table below, in review.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.evaluation.answer_metrics import NEAR_DOMAIN_TAG, from_earlier_turns
from assistant.evaluation.cases import EvalCase, load_cases
from assistant.evaluation.gate import DIRECTIONS, Baseline, Bound, load_baseline, loosened

pytestmark = pytest.mark.data

EVALS = PROJECT_ROOT / "evals"
# The weakest baseline each pack may commit: every gated metric and its bound, at the values of
# the run that set them (2026-12-03; the floors lowered then carry their reason in the
# baseline's `lowered`). Raise them as answers improve.
PINNED: dict[str, dict[str, Bound]] = {
    "b12": {
        "lab_exactness": Bound(min=1.0),
        "tool_call": Bound(min=1.0),
        "unsupported_numbers": Bound(max=0),
        "threshold_inconsistencies": Bound(max=0),
        "required_content": Bound(min=0.9312),
        "forbidden_content": Bound(max=0),
        "citation_structure": Bound(min=1.0),
        "citation_sources": Bound(min=0.8571),
        "recall@5": Bound(min=0.9278),
        "mrr@5": Bound(min=0.8245),
        "behavior": Bound(min=0.969),
        "abstention": Bound(min=0.9459),
        "determinism": Bound(min=1.0),
        "no_crash": Bound(min=1.0),
        "lead_answers": Bound(min=0.5217),
        "length_median": Bound(max=180),
        "length_p95": Bound(max=350),
        "repetition": Bound(max=2),
        "gap_admission": Bound(min=0.5263),
        "near_domain_abstention": Bound(min=0.9047),
        "lab_state": Bound(min=1.0),
        "patient_readability": Bound(min=1.0),
        "caveat_retention": Bound(min=1.0),
    },
    "diabetes": {
        "lab_exactness": Bound(min=1.0),
        "tool_call": Bound(min=1.0),
        "unsupported_numbers": Bound(max=0),
        "threshold_inconsistencies": Bound(max=0),
        "required_content": Bound(min=0.9255),
        "forbidden_content": Bound(max=0),
        "citation_structure": Bound(min=1.0),
        "citation_sources": Bound(min=0.9583),
        "recall@5": Bound(min=0.9117),
        "mrr@5": Bound(min=0.6931),
        "behavior": Bound(min=0.9727),
        "abstention": Bound(min=0.8181),
        "determinism": Bound(min=1.0),
        "no_crash": Bound(min=1.0),
        "length_median": Bound(max=180),
        "length_p95": Bound(max=350),
        "repetition": Bound(max=4),
        "patient_readability": Bound(min=0.5),
    },
}
# The fewest cases each pack's gate split may hold.
PINNED_GATE_CASES = {"b12": 150, "diabetes": 110}
# Whatever else changes, these never move.
ZERO_CEILINGS = ("unsupported_numbers", "threshold_inconsistencies", "forbidden_content")
PACKS = sorted(PINNED)


def baseline_path(pack: str) -> Path:
    return EVALS / pack / "baseline.json"


def weaker_than_pinned(pack: str, baseline: Baseline) -> list[str]:
    # A reason written in the baseline does not lower the pinned table: that is edited here.
    return loosened(Baseline(gated=PINNED[pack]), baseline.model_copy(update={"lowered": {}}))


def test_every_shipped_pack_is_pinned() -> None:
    shipped = sorted(p.parent.name for p in EVALS.glob("*/baseline.json"))
    assert shipped == PACKS


@pytest.mark.parametrize("pack", PACKS)
def test_no_gated_metric_is_missing_or_below_its_pinned_bound(pack: str) -> None:
    baseline = load_baseline(baseline_path(pack))

    assert weaker_than_pinned(pack, baseline) == []
    for name in ZERO_CEILINGS:
        assert baseline.gated[name] == Bound(max=0), name
    for name, bound in baseline.gated.items():
        side = "max" if bound.max is not None else "min"
        assert DIRECTIONS.get(name, side) == side, f"{name} gated the wrong way round"


# Where a pack's baseline lived before the packs had folders of their own.
EARLIER_PATHS = {"b12": ("evals/baseline.json",)}


def _git(*args: str, check: bool = True) -> str | None:
    git = shutil.which("git")
    assert git is not None, "git is needed to read the previous baselines"
    done = subprocess.run(
        [git, "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, check=check
    )
    return done.stdout if done.returncode == 0 else None


def committed_versions(pack: str) -> list[tuple[str, Baseline]]:
    """(commit, baseline) of every committed version of the pack's baseline, newest first,
    at its path or at a path it had earlier."""
    paths = [str(baseline_path(pack).relative_to(PROJECT_ROOT)), *EARLIER_PATHS.get(pack, ())]
    log = _git("log", "--format=%H", "--", *paths) or ""
    versions: list[tuple[str, Baseline]] = []
    for commit in log.split():
        content = next(
            (text for path in paths if (text := _git("show", f"{commit}:{path}", check=False))),
            None,
        )
        if content is not None:  # None: the commit removed the file
            versions.append((commit[:12], Baseline.model_validate(json.loads(content))))
    return versions


@pytest.mark.parametrize("pack", PACKS)
def test_no_floor_is_lower_than_in_the_previous_committed_baseline(pack: str) -> None:
    current = load_baseline(baseline_path(pack))
    versions = committed_versions(pack)
    assert versions, f"{pack}: no committed baseline in the git history"
    # The working tree against the last commit of the file; once that is the file as it is
    # (CI checks out the commit under test), that commit against the version before it.
    if versions[0][1] == current and len(versions) > 1:
        (_, current), (commit, previous) = versions[0], versions[1]
    else:
        commit, previous = versions[0]

    assert loosened(previous, current) == [], f"looser than {commit}"


@pytest.mark.parametrize("pack", PACKS)
def test_the_gate_split_keeps_its_pinned_number_of_cases(pack: str) -> None:
    gate = [c for c in load_cases(EVALS / pack) if c.split == "gate"]

    assert len(gate) >= PINNED_GATE_CASES[pack]


def test_a_lowered_floor_or_a_deleted_metric_is_caught() -> None:
    committed = load_baseline(baseline_path("b12"))
    lowered = committed.model_copy(
        update={"gated": {**committed.gated, "required_content": Bound(min=0.5)}}
    )
    deleted = committed.model_copy(
        update={"gated": {k: v for k, v in committed.gated.items() if k != "abstention"}}
    )
    relaxed = committed.model_copy(
        update={"gated": {**committed.gated, "unsupported_numbers": Bound(max=2)}}
    )

    pinned = PINNED["b12"]
    assert weaker_than_pinned("b12", lowered) == [
        f"required_content: floor lowered from >= {pinned['required_content'].min:g} to >= 0.5"
    ]
    assert loosened(committed, lowered) == weaker_than_pinned("b12", lowered)
    assert weaker_than_pinned("b12", deleted) == [
        f"abstention: no longer gated (was >= {pinned['abstention'].min:g})"
    ]
    assert weaker_than_pinned("b12", relaxed) == [
        "unsupported_numbers: ceiling raised from <= 0 to <= 2"
    ]


def exercised(cases: list[EvalCase]) -> set[str]:
    """The issue-11 metrics the gate cases give something to score. (`caveat_retention` is
    scored only when an answer shows the qualified statement, so a run decides it:
    `--write-baseline` adds it once one does.)"""
    gate = [c for c in cases if c.split == "gate"]
    answered = [c for c in gate if c.expected_behavior != "abstain"]
    found = {"length_median", "length_p95", "repetition"} if answered else set()
    checks = {
        "lead_answers": lambda c: c.lead is not None,
        "gap_admission": lambda c: c.expected_gap is not None,
        "near_domain_abstention": lambda c: NEAR_DOMAIN_TAG in c.tags,
        "lab_state": lambda c: any(from_earlier_turns(c, row) for row in c.expected_labs),
        "patient_readability": lambda c: c.audience == "patient" and c in answered,
    }
    found |= {name for name, applies in checks.items() if any(applies(c) for c in gate)}
    return found


@pytest.mark.parametrize("pack", PACKS)
def test_every_metric_the_cases_exercise_is_gated(pack: str) -> None:
    """A case with a `lead` (or a gap, a near-domain tag, a caveat, a patient audience, lab
    values from earlier turns) makes its metric gated: `assistant eval --write-baseline`
    adds it at the run's value."""
    gated = set(load_baseline(baseline_path(pack)).gated)

    assert exercised(load_cases(EVALS / pack)) - gated == set()
