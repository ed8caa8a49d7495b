"""Load: the real app (real pipeline, model and index) served on 127.0.0.1 with its production
queue settings, driven by concurrent gradio_client sessions for a bounded time.

Every answer must be complete: equal to what the pipeline returns when called directly (it is
deterministic). Throughput and latency are reported, not asserted (no wall-clock limits).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from assistant.app.feedback import FeedbackStore
from assistant.app.ui import ChatHandlers, build_app, launch
from assistant.config import ServeSettings, Settings
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult, Audience
from tests.reliability.conftest import (
    SEED_QUESTION,
    Served,
    free_port,
    record_figure,
    serve_in_background,
)

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue calls pandas options that pandas 3 deprecates: noise, not our code.
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]

SESSIONS = 24
LOAD_SECONDS = 25.0


def questions_for(session: int) -> Iterator[str]:
    """A clinic's mix: guideline questions, lab values (different per request), out of scope."""
    fixed = [
        SEED_QUESTION,
        "When is intramuscular rather than oral B12 replacement preferred?",
        "Which tests confirm deficiency when the B12 result is indeterminate?",
        "How long should vitamin B12 treatment continue?",
        "What is the capital of France?",
    ]
    n = 0
    while True:
        value = 120 + (session * 37 + n * 11) % 400
        yield fixed[(session + n) % len(fixed)]
        yield f"Serum B12 {value} ng/L and MMA {150 + value % 300} nmol/L: what does this mean?"
        n += 1


@dataclass
class SessionLog:
    answers: list[tuple[str, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_session(
    url: str, session: int, start: threading.Barrier, stop_at: list[float]
) -> SessionLog:
    log = SessionLog()
    client = Client(url, verbose=False)  # one client per session, as separate browsers would
    start.wait()
    for question in questions_for(session):
        if time.monotonic() >= stop_at[0]:
            break
        began = time.monotonic()
        try:
            answer = client.predict(question, api_name="/chat")
        except Exception as exc:  # counted, and shown by the assertion below
            log.errors.append(f"{type(exc).__name__}: {exc}")
            continue
        log.latencies.append(time.monotonic() - began)
        log.answers.append((question, str(answer)))
    return log


@pytest.fixture(scope="module")
def served(indexed_settings: Settings) -> Iterator[Served]:
    server = serve_in_background(indexed_settings)  # the production queue settings
    try:
        yield server
    finally:
        server.app.close()


def test_concurrent_sessions_all_get_complete_answers(
    served: Served, indexed_settings: Settings
) -> None:
    serve = served.settings.serve
    assert serve == ServeSettings(port=serve.port), "the shipped defaults are what is tested"
    assert serve.max_queue >= SESSIONS, "every session fits in the queue: none is turned away"
    assert served.app._queue.default_concurrency_limit == serve.concurrency_limit
    Client(served.url, verbose=False).predict(SEED_QUESTION, api_name="/chat")  # warm-up

    logs: list[SessionLog] = [SessionLog() for _ in range(SESSIONS)]
    start = threading.Barrier(SESSIONS + 1)
    stop_at = [float("inf")]

    def worker(index: int) -> None:
        try:
            logs[index] = run_session(served.url, index, start, stop_at)
        except Exception as exc:
            logs[index].errors.append(f"session {index}: {type(exc).__name__}: {exc}")
            start.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    stop_at[0] = began + LOAD_SECONDS
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began

    errors = [error for log in logs for error in log.errors]
    latencies = sorted(latency for log in logs for latency in log.latencies)
    answers = [pair for log in logs for pair in log.answers]
    record_figure(
        "load",
        {
            "sessions": SESSIONS,
            "seconds": round(elapsed, 1),
            "requests": len(answers) + len(errors),
            "errors": len(errors),
            "throughput_per_s": round(len(answers) / elapsed, 2),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
            "max_s": round(latencies[-1], 3) if latencies else None,
            "concurrency_limit": serve.concurrency_limit,
            "max_queue": serve.max_queue,
        },
    )
    assert errors == []
    assert all(log.answers for log in logs), "every session was served"
    reference = Assistant(indexed_settings)
    expected = {question: reference.ask(question).answer for question, _ in answers}
    incomplete = [question for question, answer in answers if answer != expected[question]]
    assert incomplete == []
    assert any("[1]" in answer for _, answer in answers)


class GatedAssistant:
    """Answers only when the gate opens, so the queue fills up deterministically."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()

    def ask(
        self, question: str, history: object = None, audience: Audience = "clinician"
    ) -> AnswerResult:
        self.started.set()
        assert self.gate.wait(timeout=120)
        return AnswerResult(answer=f"Answer to: {question}")


class QueueWatch:
    """Every admission decision of the app's queue, as the server makes it: the app's own
    `Queue.push` wrapped, so the test waits on the queue's answer to each request, not on a
    clock."""

    def __init__(self, app: gr.Blocks) -> None:
        self.queue = app._queue
        self.decisions: list[tuple[bool, int]] = []  # (accepted, requests waiting before it)
        self._changed = threading.Condition()
        push = self.queue.push

        async def watched_push(*args: object, **kwargs: object) -> object:
            waiting = len(self.queue)
            outcome = await push(*args, **kwargs)
            with self._changed:
                self.decisions.append((bool(outcome[0]), waiting))
                self._changed.notify_all()
            return outcome

        self.queue.push = watched_push

    def wait_for(self, count: int) -> list[tuple[bool, int]]:
        """The first `count` decisions, once the queue has made them (the timeout only ends a
        hang; it decides nothing)."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.decisions) >= count, timeout=120)
            return self.decisions[:count]


def test_requests_beyond_the_queue_are_refused_clearly_and_the_rest_answered(
    tmp_path: Path,
) -> None:
    fake = GatedAssistant()
    serve = ServeSettings(port=free_port(), concurrency_limit=1, max_queue=2)
    settings = Settings(data_dir=tmp_path, serve=serve)
    app = build_app(settings, ChatHandlers(lambda: fake, FeedbackStore(tmp_path / "f.jsonl")))
    url = launch(app, settings, block=False)
    watch = QueueWatch(app)
    try:
        client = Client(url, verbose=False)
        jobs = [client.submit("question 0", api_name="/chat")]
        assert fake.started.wait(timeout=120)  # one answer in progress, the queue empty
        assert watch.wait_for(1) == [(True, 0)]
        # One request at a time, each after the queue has decided on the one before.
        for n in range(1, 8):
            jobs.append(client.submit(f"question {n}", api_name="/chat"))
            watch.wait_for(n + 1)
        # Requests 1 and 2 fill the queue; 3 to 7 are turned away while it is full.
        assert watch.decisions == [(True, 0), (True, 0), (True, 1)] + [(False, 2)] * 5
        assert len(watch.queue) == serve.max_queue
        fake.gate.set()

        answered, refused = {}, {}
        for n, job in enumerate(jobs):
            try:
                answered[n] = job.result(timeout=120)
            except Exception as exc:
                refused[n] = str(exc)
        assert answered == {n: f"Answer to: question {n}" for n in range(3)}
        assert sorted(refused) == [3, 4, 5, 6, 7]
        assert all("Queue is full" in message for message in refused.values())
        assert client.predict("after the burst", api_name="/chat") == "Answer to: after the burst"
        assert len(watch.queue) == 0
    finally:
        fake.gate.set()
        app.close()
    record_figure("load.queue_overflow", {"submitted": 8, "refused": len(refused)})


def test_an_oversized_question_through_the_api_is_a_clear_error(served: Served) -> None:
    limit = served.settings.max_question_chars
    client = Client(served.url, verbose=False)

    with pytest.raises(AppError, match=f"{limit + 1} characters long; the limit is {limit}"):
        client.predict("B" * (limit + 1), api_name="/chat")
    assert "[1]" in client.predict(SEED_QUESTION, api_name="/chat")  # still serving
