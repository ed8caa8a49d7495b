"""The app's event functions and settings checks, with a fake assistant and no server."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import gradio as gr
import pytest
from pydantic import SecretStr

from assistant.app import messages as ui_messages
from assistant.app.feedback import FeedbackStore, feedback_path
from assistant.app.ui import ChatHandlers, ServeError, auth_from_settings, build_app
from assistant.config import ServeSettings, Settings, get_settings
from assistant.pipeline import AssistantError
from assistant.schema import AnswerResult
from tests.unit.ui.conftest import FakeAssistant


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def handlers_for(settings: Settings, fake: FakeAssistant) -> ChatHandlers:
    return ChatHandlers.for_settings(settings, fake)


def like(index: int, liked: bool | str) -> gr.LikeData:
    return gr.LikeData(target=None, data={"index": index, "value": ["..."], "liked": liked})


def test_a_chat_turn_shows_progress_then_the_answer_with_its_sources(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)
    handlers = handlers_for(settings, fake)

    frames = list(handlers.respond("  What threshold?  ", [], "patient", {}))

    first_messages, _ = frames[0]
    assert first_messages[0]["metadata"]["status"] == "pending"
    last_messages, turns = frames[-1]
    assert last_messages == ui_messages.answer_messages(cited_answer, turn_id="1")
    assert fake.calls == [("What threshold?", None, "patient")]
    assert turns[1].question == "What threshold?"
    assert turns[1].doc_ids == ["bsh-cobalamin", "praxis-b12"]


def test_follow_up_passes_the_conversation_without_source_cards(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)
    handlers = handlers_for(settings, fake)
    history = [
        {"role": "user", "content": [{"type": "text", "text": "First question"}]},
        *ui_messages.answer_messages(cited_answer),
    ]

    *_, (_, turns) = handlers.respond("And in pregnancy?", history, "clinician", {})

    _, passed_history, _ = fake.calls[0]
    assert passed_history == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": cited_answer.answer},
    ]
    assert set(turns) == {len(history) + 1}  # the new answer follows the new question


def test_input_the_assistant_rejects_is_shown_as_a_message_not_raised(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer, error=AssistantError("the question is empty"))
    handlers = handlers_for(settings, fake)

    frames = list(handlers.respond("   ", [], "clinician", {}))

    messages, turns = frames[-1]
    assert messages == ui_messages.error_messages("the question is empty")
    assert turns == {}


def test_an_unexpected_failure_is_logged_and_shown_as_a_short_message(
    settings: Settings, cited_answer: AnswerResult, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeAssistant(cited_answer, error=RuntimeError("index exploded"))
    handlers = handlers_for(settings, fake)

    with caplog.at_level(logging.ERROR, logger="assistant.app.ui"):
        messages, _ = list(handlers.respond("What threshold?", [], "clinician", {}))[-1]

    assert "index exploded" not in messages[0]["content"]
    assert messages[0]["content"].startswith("⚠")
    assert "index exploded" in caplog.text


def test_an_unknown_audience_is_refused_before_asking(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)
    handlers = handlers_for(settings, fake)

    messages, _ = list(handlers.respond("What threshold?", [], "robot", {}))[-1]

    assert "audience" in messages[0]["content"]
    assert fake.calls == []


def test_the_chat_api_returns_the_answer_text(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)

    answer = handlers_for(settings, fake).chat("What threshold?")

    assert answer == cited_answer.answer
    assert fake.calls == [("What threshold?", None, "clinician")]


def test_the_ask_api_returns_the_whole_answer_as_json(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    payload = handlers_for(settings, FakeAssistant(cited_answer)).ask("q", "patient")

    assert AnswerResult.model_validate(json.loads(json.dumps(payload))) == cited_answer


def test_api_errors_carry_the_assistant_message(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer, error=AssistantError("the question is empty"))
    handlers = handlers_for(settings, fake)

    with pytest.raises(gr.Error, match="the question is empty"):
        handlers.chat("")
    with pytest.raises(gr.Error, match="audience must be"):
        handlers.chat("q", audience="robot")


def test_a_like_is_stored_with_the_question_answer_and_cited_documents(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    handlers = handlers_for(settings, FakeAssistant(cited_answer))
    *_, (messages, turns) = handlers.respond("What <b>threshold</b>?", [], "clinician", {})
    shown = ui_messages.escape_user_messages(
        [{"role": "user", "content": [{"type": "text", "text": "What <b>threshold</b>?"}]}]
    )
    history = [*cast("list[Mapping[str, Any]]", shown), *messages]

    handlers.rate(turns, history, like(1, True))
    handlers.rate(turns, history, like(1, ""))

    records = FeedbackStore(feedback_path(settings)).read_all()
    assert [r.rating for r in records] == ["like", "cleared"]
    assert records[0].question == "What <b>threshold</b>?"
    assert records[0].answer == cited_answer.answer
    assert records[0].doc_ids == ["bsh-cobalamin", "praxis-b12"]


def test_a_rating_that_matches_no_answer_of_the_session_stores_nothing(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    handlers = handlers_for(settings, FakeAssistant(cited_answer))
    *_, (messages, turns) = handlers.respond("First", [], "clinician", {})
    other_history = [{"role": "user", "content": "Something else"}, *messages]

    with pytest.warns(UserWarning, match="Feedback"):
        handlers.rate(turns, other_history, like(1, False))
    with pytest.warns(UserWarning, match="Feedback"):
        handlers.rate(turns, other_history, like(7, False))

    assert not feedback_path(settings).exists()


def test_building_the_app_does_not_create_the_assistant(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    created: list[FakeAssistant] = []

    def make() -> FakeAssistant:
        created.append(FakeAssistant(cited_answer))
        return created[-1]

    handlers = ChatHandlers(make, FeedbackStore(feedback_path(settings)))
    build_app(settings, handlers)
    assert created == []

    handlers.chat("one")
    handlers.chat("two")
    assert len(created) == 1


def test_only_chat_and_ask_are_public_api_endpoints(settings: Settings) -> None:
    app = build_app(settings)

    public = {fn.api_name for fn in app.fns.values() if fn.api_visibility == "public"}

    assert public == {"chat", "ask"}


def test_the_app_chatbot_sanitizes_and_shows_typed_html_as_text(settings: Settings) -> None:
    app = build_app(settings)
    (chatbot,) = (block for block in app.blocks.values() if isinstance(block, gr.Chatbot))

    shown = chatbot.postprocess(
        [
            {"role": "user", "content": '<img src="http://example.org/x.png"> 5 < 6'},
            {"role": "assistant", "content": "**bold** answer"},
        ]
    ).model_dump()

    assert chatbot.sanitize_html is True
    user_text = shown[0]["content"][0]["text"]
    assert "<img" not in user_text
    assert user_text == '&lt;img src="http://example.org/x.png"> 5 &lt; 6'
    assert shown[1]["content"][0]["text"] == "**bold** answer"


def test_no_login_unless_configured() -> None:
    assert auth_from_settings(ServeSettings()) is None


def test_login_from_user_name_and_password() -> None:
    serve = ServeSettings(username="clinic", password=SecretStr("s3cret"))

    assert auth_from_settings(serve) == [("clinic", "s3cret")]


@pytest.mark.parametrize(
    "serve",
    [
        ServeSettings(username="clinic"),
        ServeSettings(password=SecretStr("s3cret")),
        ServeSettings(username="clinic", password=SecretStr("")),
    ],
    ids=["user-only", "password-only", "empty-password"],
)
def test_half_configured_login_is_a_clear_error(serve: ServeSettings) -> None:
    with pytest.raises(ServeError, match="ASSISTANT_SERVE__PASSWORD"):
        auth_from_settings(serve)


def test_login_is_read_from_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_SERVE__USERNAME", "clinic")
    monkeypatch.setenv("ASSISTANT_SERVE__PASSWORD", "from-env")

    assert auth_from_settings(Settings().serve) == [("clinic", "from-env")]


def test_serve_refuses_a_half_configured_login_before_loading_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.app import ui

    settings = Settings(data_dir=tmp_path, serve=ServeSettings(username="clinic"))
    monkeypatch.setattr(ui, "launch", pytest.fail)

    with pytest.raises(ServeError):
        ui.serve(settings)

    assert list(tmp_path.iterdir()) == []
