"""The answer engine's stage clock: what it wraps, what it subtracts, and that it cleans up."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator

import pytest

from scripts import bench_stages
from scripts.bench_stages import ORDER, STAGES, StageClock, shares


def test_every_stage_target_exists_in_the_pipeline() -> None:
    """A renamed function would silently drop its stage to zero: the targets must resolve."""
    for stage, targets in STAGES.items():
        for module_name, attribute in targets:
            owner: object = importlib.import_module(module_name)
            for part in attribute.split("."):
                owner = getattr(owner, part, None)
            assert callable(owner), f"{stage}: {module_name}.{attribute} not found"
    assert set(ORDER) == {*STAGES, "other"}


def test_take_keeps_select_out_of_compose_and_puts_the_rest_in_other() -> None:
    clock = StageClock()
    clock.seconds |= {"route": 0.001, "search": 0.004, "select": 0.002, "compose": 0.005}

    taken = clock.take(0.012)

    assert taken["compose"] == pytest.approx(3.0)  # 5 ms with the 2 ms of select inside it
    assert taken["select"] == pytest.approx(2.0)
    assert taken["other"] == pytest.approx(12.0 - 1 - 4 - 2 - 3)
    assert sum(taken.values()) == pytest.approx(12.0)
    assert clock.take(0.0) == dict.fromkeys(ORDER, 0.0)  # cleared for the next ask


def test_shares_are_means_per_ask_and_add_up_to_one() -> None:
    asks = [
        {"route": 1.0, "search": 6.0, "select": 1.0, "compose": 1.0, "guard": 0.0, "other": 1.0},
        {"route": 1.0, "search": 2.0, "select": 1.0, "compose": 1.0, "guard": 2.0, "other": 3.0},
    ]

    found = shares(asks)

    assert list(found) == list(ORDER)
    assert found["search"] == {"mean_ms": 4.0, "share": 0.4}
    assert found["guard"] == {"mean_ms": 1.0, "share": 0.1}
    assert sum(s["share"] for s in found.values()) == pytest.approx(1.0)
    assert shares([]) == {}


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("fake_pipeline")

    def route(x: int) -> int:
        return x + 1

    def bodies(n: int) -> Iterator[int]:
        yield from range(n)

    module.route = route  # type: ignore[attr-defined]
    module.bodies = bodies  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_pipeline", module)
    monkeypatch.setattr(
        bench_stages,
        "STAGES",
        {
            "route": [("fake_pipeline", "route"), ("fake_pipeline", "renamed_since")],
            "search": [],
            "select": [],
            "compose": [("fake_pipeline", "bodies")],
            "guard": [],
        },
    )
    return module


def test_the_clock_times_calls_and_generators_inside_the_block_only(
    fake_pipeline: types.ModuleType,
) -> None:
    original_route, original_bodies = fake_pipeline.route, fake_pipeline.bodies

    with StageClock() as clock:
        assert fake_pipeline.route is not original_route  # wrapped; the missing one skipped
        assert fake_pipeline.route(1) == 2
        assert list(fake_pipeline.bodies(3)) == [0, 1, 2]  # a generator stays a generator
        assert clock.seconds["route"] > 0
        assert clock.seconds["compose"] > 0
        assert clock.seconds["search"] == 0

    assert fake_pipeline.route is original_route
    assert fake_pipeline.bodies is original_bodies
    assert not hasattr(fake_pipeline, "renamed_since")
