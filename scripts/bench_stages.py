"""Where an ask's time goes: route, search, select, compose, guard (and the rest).

The pipeline's stages are timed by wrapping the functions that carry them out, for the length of
a `with StageClock():` block (the benchmark only; nothing is changed outside it):

- route: `route_message` (the router and the lab tool) and `resolve_followup`;
- search: `Assistant._retrieve` (search plan, hybrid searches, scope, nearest statements);
- select: `score_statements` and `plan_answer` (statements scored and chosen);
- compose: the rest of `write_bodies` (the answer's text around the chosen statements);
- guard: `guard_answer` (the numeric guard);
- other: the rest of `ask` (input checks, references, follow-up suggestions, the result).

A stage whose function is not found (renamed since) is left out, not guessed.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Callable, Iterator
from typing import Any

STAGES: dict[str, list[tuple[str, str]]] = {
    "route": [("assistant.pipeline", "route_message"), ("assistant.pipeline", "resolve_followup")],
    "search": [("assistant.pipeline", "Assistant._retrieve")],
    "select": [
        ("assistant.answer.extractive", "score_statements"),
        ("assistant.answer.extractive", "plan_answer"),
    ],
    "compose": [("assistant.pipeline", "write_bodies")],
    "guard": [("assistant.pipeline", "guard_answer")],
}
ORDER = ("route", "search", "select", "compose", "guard", "other")


class StageClock:
    """Seconds per stage of the asks inside the block; `take()` returns and clears them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._undo: list[Callable[[], None]] = []

    def __enter__(self) -> StageClock:
        for stage, targets in STAGES.items():
            for module_name, attribute in targets:
                self._wrap(stage, module_name, attribute)
        return self

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def take(self, total_s: float) -> dict[str, float]:
        """This ask's stages in ms (compose without select, which runs inside it)."""
        found = {stage: 1000 * value for stage, value in self.seconds.items()}
        found["compose"] = max(0.0, found["compose"] - found["select"])
        found["other"] = max(0.0, 1000 * total_s - sum(found.values()))
        self.seconds = dict.fromkeys(STAGES, 0.0)
        return found

    def _wrap(self, stage: str, module_name: str, attribute: str) -> None:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None:
            return
        clock = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = original(*args, **kwargs)
                if isinstance(result, Iterator):  # a generator: time it as it is consumed
                    return _timed_iterator(result, clock, stage)
                return result
            finally:
                clock.seconds[stage] += time.perf_counter() - started

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))


def _timed_iterator(items: Iterator[Any], clock: StageClock, stage: str) -> Iterator[Any]:
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            clock.seconds[stage] += time.perf_counter() - started
            return
        clock.seconds[stage] += time.perf_counter() - started
        yield item


def shares(per_ask: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean ms per ask of each stage and its share of the total."""
    if not per_ask:
        return {}
    means = {stage: sum(a.get(stage, 0.0) for a in per_ask) / len(per_ask) for stage in ORDER}
    total = sum(means.values()) or 1.0
    return {
        stage: {"mean_ms": round(ms, 2), "share": round(ms / total, 3)}
        for stage, ms in means.items()
    }
