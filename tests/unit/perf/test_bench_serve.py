"""The served app's throughput at one concurrency level, with fake clients (no server)."""

from __future__ import annotations

import threading
from typing import Any

from scripts.bench_serve import _served_level


class _Client:
    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on
        self.asked: list[str] = []
        self.threads: set[int] = set()

    def predict(self, question: str, history: list[Any], audience: str, api_name: str) -> Any:
        assert (history, audience, api_name) == ([], "clinician", "/ask")
        self.asked.append(question)
        self.threads.add(threading.get_ident())
        if self.fail_on and self.fail_on in question:
            raise ConnectionError("server went away")
        if "odd" in question:
            return "not a dict"
        return {"answer": f"answer to {question}"}


def test_every_question_is_asked_once_and_failures_are_errors() -> None:
    clients = [_Client(fail_on="q3"), _Client(fail_on="q3"), _Client(fail_on="q3")]
    batch = [f"q{i}" for i in range(9)] + ["odd one"]

    figures = _served_level(clients, batch)

    asked = [q for c in clients for q in c.asked]
    assert sorted(asked) == sorted(batch)
    assert figures["clients"] == 3
    assert figures["asks"] == 10
    assert figures["errors"] == 2  # the exception and the result without an answer
    assert any("ConnectionError: server went away" in e for e in figures["first_errors"])
    assert any("unexpected result" in e for e in figures["first_errors"])
    assert figures["latency"]["n"] == 8  # answers only
    assert figures["answers_per_s"] > 0


def test_without_answers_there_is_no_latency() -> None:
    figures = _served_level([_Client(fail_on="q")], ["q1", "q2"])

    assert figures["errors"] == 2
    assert figures["answers_per_s"] == 0
    assert figures["latency"] is None
