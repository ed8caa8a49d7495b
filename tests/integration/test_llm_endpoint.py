"""The optional language model over a real endpoint: the real langchain-openai and
langchain-ollama clients against the scripted server of tests/fakes/chat_server.py, over the
real index and corpus.

Each scripted reply has its test of the answer the user gets (text, citations, notices,
`removed`, backend), asked whole (`ask`) and streamed (`ask_stream`, whose last item must equal
`ask`'s answer), for both API shapes. The served app is asked through gradio_client too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from gradio_client import Client

from assistant.answer.compose import (
    LLM_UNAVAILABLE,
    MODEL_UNVERIFIED,
    REFUSAL,
)
from assistant.app.ui import build_app, launch
from assistant.config import LLMSettings, ServeSettings, Settings
from assistant.guard.provenance import untraced_numbers
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult
from assistant.text.sentences import citation_numbers
from tests.fakes.chat_replies import prompt_statements, without_citations
from tests.fakes.chat_server import ChatServer
from tests.integration.test_ui_app import free_port

pytestmark = pytest.mark.integration

QUESTION = "What B12 level confirms deficiency?"
TIMEOUT_S = 2.0  # the scripted server answers in milliseconds
SLOW_TIMEOUT_S = 0.5  # "slow" and "stall" stay silent just past this
BACKENDS = {"openai": "llm:openai-chat:scripted", "ollama": "llm:chat-ollama:scripted"}


def with_model(settings: Settings, server: ChatServer, provider: str, **llm: object) -> Settings:
    model = server.llm_settings(provider, **{"timeout_s": TIMEOUT_S, **llm})
    return settings.model_copy(update={"llm": model})


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    with ChatServer(slow_s=SLOW_TIMEOUT_S + 1.0) as running:
        yield running


@pytest.fixture(scope="module")
def offline(indexed_settings: Settings) -> AnswerResult:
    """The offline composer's answer: what every fallback must give."""
    return Assistant(indexed_settings).ask(QUESTION)


@dataclass
class Asked:
    provider: str
    whole: AnswerResult  # `ask`
    frames: list[AnswerResult]  # `ask_stream`
    prompt: str

    @property
    def statements(self) -> list[str]:
        return prompt_statements(self.prompt)


Ask = Callable[..., Asked]  # ask(reply, timeout_s=...): the answers with that scripted reply


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def ask(request: pytest.FixtureRequest, indexed_settings: Settings, server: ChatServer) -> Ask:
    provider = str(request.param)
    assistants: dict[float, Assistant] = {}

    def asking(reply: str, *, timeout_s: float = TIMEOUT_S) -> Asked:
        if timeout_s not in assistants:
            settings = with_model(indexed_settings, server, provider, timeout_s=timeout_s)
            assistants[timeout_s] = Assistant(settings)
        assistant = assistants[timeout_s]
        server.reply = reply
        whole = assistant.ask(QUESTION)
        prompt = server.last_prompt()
        frames = list(assistant.ask_stream(QUESTION))
        assert frames[-1] == whole, "the streamed answer ends as the whole answer"
        return Asked(provider, whole, frames, prompt)

    return asking


def assert_fallback(asked: Asked, offline: AnswerResult, notice: str) -> None:
    """The offline answer, whole, with the notice first."""
    for result in (asked.whole, asked.frames[-1]):
        assert result.notices == [notice]
        assert result.answer.startswith(notice)
        assert result.body == offline.body
        assert result.citations == offline.citations
        assert result.backend == "extractive"
        assert not result.refused


def test_a_faithful_reply_is_the_answer(ask: Ask) -> None:
    asked = ask("faithful")
    result = asked.whole
    assert result.backend == BACKENDS[asked.provider]
    assert (result.notices, result.removed, result.refused) == ([], [], False)
    lead = without_citations(asked.statements[0])
    assert without_citations(result.direct) == lead  # the most authoritative statement leads
    assert lead.startswith("Under NICE NG239, total B12 deficiency is confirmed below 180 ng/L")
    assert result.citations[0].section == "Total B12 thresholds"
    assert set(citation_numbers(result.body)) == {c.n for c in result.citations}
    assert untraced_numbers(result) == []
    assert len(asked.frames) >= 3, "the answer streams sentence by sentence"


def test_invented_numbers_give_the_offline_answer_with_a_notice(
    ask: Ask, offline: AnswerResult
) -> None:
    asked = ask("invented-numbers")
    assert_fallback(asked, offline, MODEL_UNVERIFIED)
    removed = asked.whole.removed
    assert len(removed) == 2
    assert all("937" in s or "61 weeks" in s for s in removed)
    assert "937" not in asked.whole.answer
    for frame in asked.frames:  # never shown, not even while streaming
        assert "937" not in frame.answer
        assert untraced_numbers(frame) == []


def test_the_reply_quoted_in_issue_17_gives_the_offline_answer_not_the_disclaimer_alone(
    ask: Ask, offline: AnswerResult
) -> None:
    asked = ask("issue-17")
    assert_fallback(asked, offline, MODEL_UNVERIFIED)
    assert [without_citations(s) for s in asked.whole.removed] == [
        "Most labs now use 500 ng/L as the treatment target.",
        "Give 1 mg oral B12 daily.",
    ]
    assert asked.whole.direct.startswith("Under NICE NG239, total B12 deficiency is confirmed")


def test_a_few_invented_numbers_are_removed_and_the_rest_of_the_model_answer_stays(
    ask: Ask,
) -> None:
    asked = ask("partly-invented")
    result = asked.whole
    assert result.backend == BACKENDS[asked.provider]
    assert result.notices == []
    (removed,) = result.removed
    assert "is always normal" in removed
    assert "always normal" not in result.answer
    assert without_citations(asked.statements[1]) in without_citations(result.direct)
    assert untraced_numbers(result) == []


def test_invented_citations_are_dropped_and_their_figures_removed(ask: Ask) -> None:
    asked = ask("invented-citations")
    result = asked.whole
    assert result.backend == BACKENDS[asked.provider]
    assert result.notices == []
    assert result.removed == ["Give 1 mg by mouth every day."]
    assert "Experts agree on this." in result.answer  # no figure: kept, without the marker
    assert "[98]" not in result.answer
    assert "[99]" not in result.answer
    assert max(citation_numbers(result.answer)) == len(result.citations)
    assert untraced_numbers(result) == []


def test_a_refusal_is_the_refusal_answer(ask: Ask) -> None:
    asked = ask("refusal")
    for result in (asked.whole, *asked.frames):
        assert result.refused
        assert result.notices == [REFUSAL]
        assert (result.citations, result.removed) == ([], [])
        assert result.backend == BACKENDS[asked.provider]
    assert len(asked.frames) == 1, "the refusal is not streamed as if it were an answer"


@pytest.mark.parametrize("reply", ["error-500", "error-404", "malformed", "empty"])
def test_an_endpoint_that_fails_gives_the_offline_answer_with_a_notice(
    ask: Ask, offline: AnswerResult, reply: str
) -> None:
    asked = ask(reply)
    assert_fallback(asked, offline, LLM_UNAVAILABLE)
    assert asked.whole.removed == []


def test_a_slow_endpoint_times_out_into_the_offline_answer(ask: Ask, offline: AnswerResult) -> None:
    asked = ask("slow", timeout_s=SLOW_TIMEOUT_S)
    assert_fallback(asked, offline, LLM_UNAVAILABLE)
    assert len(asked.frames) == 1


def test_an_endpoint_that_stalls_midway_shows_its_checked_start_then_the_offline_answer(
    ask: Ask, offline: AnswerResult
) -> None:
    asked = ask("stall", timeout_s=SLOW_TIMEOUT_S)
    assert_fallback(asked, offline, LLM_UNAVAILABLE)
    first = asked.frames[0]
    assert first.backend == BACKENDS[asked.provider]
    assert without_citations(first.direct) == without_citations(asked.statements[0])


def test_a_truncated_stream_gives_the_offline_answer_with_a_notice(
    ask: Ask, offline: AnswerResult
) -> None:
    asked = ask("truncated")
    assert_fallback(asked, offline, LLM_UNAVAILABLE)
    assert asked.frames[0].backend == BACKENDS[asked.provider], "its start was shown, checked"


def test_an_endpoint_that_is_not_there_gives_the_offline_answer_with_a_notice(
    indexed_settings: Settings, offline: AnswerResult
) -> None:
    settings = indexed_settings.model_copy(
        update={
            "llm": LLMSettings(
                provider="openai",
                model="scripted",
                base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens
                timeout_s=TIMEOUT_S,
                max_retries=0,
            )
        }
    )
    result = Assistant(settings).ask(QUESTION)
    assert result.notices == [LLM_UNAVAILABLE]
    assert (result.body, result.backend) == (offline.body, "extractive")


def test_the_served_app_answers_through_the_model_and_falls_back_through_it(
    indexed_settings: Settings, server: ChatServer, offline: AnswerResult
) -> None:
    settings = with_model(indexed_settings, server, "openai").model_copy(
        update={"serve": ServeSettings(port=free_port())}
    )
    app = build_app(settings)
    url = launch(app, settings, block=False)
    try:
        client = Client(url, verbose=False)
        server.reply = "faithful"
        faithful = AnswerResult.model_validate(client.predict(QUESTION, api_name="/ask"))
        server.reply = "invented-numbers"
        rejected = AnswerResult.model_validate(client.predict(QUESTION, api_name="/ask"))
        chat_text = client.predict(QUESTION, api_name="/chat")
    finally:
        app.close()

    assert faithful.backend == BACKENDS["openai"]
    assert (faithful.notices, faithful.removed) == ([], [])
    assert faithful.direct.startswith("Under NICE NG239, total B12 deficiency is confirmed")
    assert rejected.notices == [MODEL_UNVERIFIED]
    assert (rejected.body, rejected.backend) == (offline.body, "extractive")
    assert len(rejected.removed) == 2
    assert chat_text.startswith(MODEL_UNVERIFIED)
