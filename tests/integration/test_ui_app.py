"""The served Gradio app over the real pipeline and index, called through gradio_client."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError
from pydantic import SecretStr

from assistant.app import messages as ui_messages
from assistant.app.feedback import FeedbackStore
from assistant.app.ui import ChatHandlers, build_app, launch
from assistant.config import ServeSettings, Settings
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult

pytestmark = pytest.mark.integration

SEED_QUESTION = "What is the recommended vitamin B12 level for treating anemia?"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    url: str
    settings: Settings
    app: gr.Blocks


def serve_in_background(settings: Settings, **serve: object) -> Served:
    settings = settings.model_copy(
        update={"serve": ServeSettings.model_validate({"port": free_port(), **serve})}
    )
    app = build_app(settings)
    return Served(launch(app, settings, block=False), settings, app)


@pytest.fixture(scope="module")
def served(indexed_settings: Settings) -> Iterator[Served]:
    server = serve_in_background(indexed_settings, concurrency_limit=2, max_queue=5)
    try:
        yield server
    finally:
        server.app.close()


@pytest.fixture(scope="module")
def reference(indexed_settings: Settings) -> Assistant:
    """The pipeline called directly: what the app must return."""
    return Assistant(indexed_settings)


def test_server_listens_on_localhost_with_the_configured_queue(served: Served) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    assert served.app.share is False
    assert served.app._queue.max_size == 5
    assert served.app._queue.default_concurrency_limit == 2


def test_chat_endpoint_takes_just_the_question_and_returns_the_cited_answer(
    served: Served, reference: Assistant
) -> None:
    answer = Client(served.url, verbose=False).predict(SEED_QUESTION, api_name="/chat")

    expected = reference.ask(SEED_QUESTION)
    assert not expected.refused
    assert expected.citations
    assert answer == expected.answer
    assert all(f"[{c.n}]" in answer for c in expected.citations)


def test_chat_endpoint_takes_the_audience(served: Served, reference: Assistant) -> None:
    client = Client(served.url, verbose=False)

    answer = client.predict(SEED_QUESTION, "patient", api_name="/chat")

    assert answer == reference.ask(SEED_QUESTION, audience="patient").answer
    assert answer != reference.ask(SEED_QUESTION, audience="clinician").answer


def test_ask_endpoint_returns_citations_with_review_status_and_date(served: Served) -> None:
    payload = Client(served.url, verbose=False).predict(SEED_QUESTION, api_name="/ask")

    result = AnswerResult.model_validate(payload)
    assert result.citations
    assert all(c.text and c.last_reviewed for c in result.citations)


def test_a_question_outside_the_corpus_is_refused(served: Served) -> None:
    payload = Client(served.url, verbose=False).predict(
        "What is the capital of France?", api_name="/ask"
    )

    result = AnswerResult.model_validate(payload)
    assert result.refused
    assert result.citations == []


@pytest.mark.parametrize(
    ("question", "audience", "message"),
    [("   ", "clinician", "empty"), (SEED_QUESTION, "robot", "audience")],
    ids=["empty-question", "unknown-audience"],
)
def test_bad_input_is_a_clear_error_not_a_crash(
    served: Served, question: str, audience: str, message: str
) -> None:
    client = Client(served.url, verbose=False)

    with pytest.raises(AppError, match=message):
        client.predict(question, audience, api_name="/chat")
    assert client.predict(SEED_QUESTION, api_name="/chat")  # the server still answers


def test_chat_turn_shows_each_cited_passage_as_a_source_card(
    reference: Assistant, tmp_path: Path
) -> None:
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    handlers = ChatHandlers(lambda: reference, store)

    *_, (messages, turns) = handlers.respond(SEED_QUESTION, [], "clinician", {})

    expected = reference.ask(SEED_QUESTION)
    cards = [m for m in messages if m.get("metadata", {}).get("title", "").startswith("[")]
    assert len(cards) == len(expected.citations)
    for card, citation in zip(cards, expected.citations, strict=True):
        assert ui_messages.escape_html(citation.text) in card["content"]
        assert citation.last_reviewed in card["content"]
    assert turns[1].doc_ids == list(dict.fromkeys(c.doc_id for c in expected.citations))

    history = [{"role": "user", "content": SEED_QUESTION}, *messages]
    handlers.rate(turns, history, gr.LikeData(None, {"index": 1, "value": [], "liked": True}))
    (record,) = store.read_all()
    assert (record.rating, record.answer) == ("like", expected.answer)


def test_login_is_required_when_configured(indexed_settings: Settings) -> None:
    server = serve_in_background(
        indexed_settings, username="clinic", password=SecretStr("correct horse")
    )
    try:
        with pytest.raises(AuthenticationError):
            Client(server.url, verbose=False).predict(SEED_QUESTION, api_name="/chat")
        with pytest.raises(ValueError, match="Could not login"):
            Client(server.url, auth=("clinic", "wrong"), verbose=False)
        client = Client(server.url, auth=("clinic", "correct horse"), verbose=False)
        assert client.predict(SEED_QUESTION, api_name="/chat")
    finally:
        server.app.close()
