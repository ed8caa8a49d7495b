"""The app with a language model, in Chromium: the model's answer streams into the page sentence
by sentence, each sentence only once the guard has checked it, and a model answer the guard
rejects is replaced by the offline answer with a notice, its invented sentences never shown.

The model is the scripted server of tests/fakes/chat_server.py, which can hold a streamed reply
after its first sentence: the page is read while the rest of the answer is still "being
written". Chromium is launched as in test_browser.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from assistant.answer.compose import MODEL_UNVERIFIED
from assistant.app.ui import ChatHandlers, build_app, launch
from assistant.config import ServeSettings, Settings
from assistant.pipeline import Assistant
from tests.fakes.chat_replies import prompt_statements, without_citations
from tests.fakes.chat_server import ChatServer
from tests.reliability.browser_support import (
    ANSWER_TIMEOUT_MS,
    Browser,
    answer_markdown,
    chromium,
    open_app,
    wait_for_answer,
)
from tests.reliability.conftest import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]

QUESTION = "What B12 level confirms deficiency?"
SHOWN_MS = 20_000  # from the server sending a sentence to the page showing it (a hang guard)
INVENTED = "Most laboratories now use"  # the start of the invented-numbers reply's first lie
# Set when the chat ever shows `INVENTED`, however briefly.
WATCH_INVENTED = """(text) => {
  window.__inventedShown = false;
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    if (chat.innerText.includes(text)) window.__inventedShown = true;
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""
LAST_ANSWER_HAS = """([before, text]) => {
  const answers = document.querySelectorAll('#chat .answer');
  return answers.length > before && answers[answers.length - 1].innerText.includes(text);
}"""


@dataclass
class ModelApp:
    url: str
    assistant: Assistant
    server: ChatServer


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def model_app(indexed_settings: Settings) -> Iterator[ModelApp]:
    with ChatServer() as server:
        # A long timeout: the test holds the stream while it reads the page.
        settings = indexed_settings.model_copy(
            update={
                "llm": server.llm_settings("openai", timeout_s=120),
                "serve": ServeSettings(port=free_port()),
            }
        )
        assistant = Assistant(settings)
        blocks = build_app(settings, ChatHandlers.for_settings(settings, assistant))
        url = launch(blocks, settings, block=False)
        try:
            yield ModelApp(url, assistant, server)
        finally:
            blocks.close()


def start_question(page: Any, question: str) -> int:
    """Type and send a question without waiting for its answer; the answers shown before."""
    before = page.locator("#chat .answer").count()
    turns = page.locator("[data-testid=user]").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("[data-testid=user]").nth(turns).wait_for(timeout=ANSWER_TIMEOUT_MS)
    return int(before)


def wait_until_sent(page: Any, server: ChatServer) -> None:
    """Wait until the server has sent the first sentence. Polled through the page: Playwright
    serves the page's requests (the route that keeps them local) only while it is called."""
    deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while not server.first_sent.is_set():
        assert time.monotonic() < deadline, "the model server was never asked"
        page.wait_for_timeout(50)


def held(server: ChatServer, reply: str) -> threading.Event:
    """Make the next streamed reply stop after its first sentence until the event is set."""
    server.reply = reply
    server.first_sent.clear()
    server.hold = threading.Event()
    return server.hold


def plain(text: str) -> str:
    return " ".join(without_citations(text).split())


def test_the_model_answer_streams_into_the_page_one_checked_sentence_at_a_time(
    browser: Browser, model_app: ModelApp
) -> None:
    server = model_app.server
    server.hold, server.reply = None, "faithful"
    expected = model_app.assistant.ask(QUESTION)
    first, second, *_ = (plain(s) for s in prompt_statements(server.last_prompt()))
    assert expected.backend == "llm:openai-chat:scripted"
    page = browser.page()
    open_app(page, model_app.url)

    release = held(server, "faithful")
    try:
        before = start_question(page, QUESTION)
        wait_until_sent(page, server)
        # The model has written one sentence and is "still writing": the page shows it.
        page.wait_for_function(LAST_ANSWER_HAS, arg=[before, first[:60]], timeout=SHOWN_MS)
        partial = answer_markdown(page)
        assert plain(partial).startswith(first)
        assert second[:60] not in plain(partial)
        assert partial != expected.answer
    finally:
        release.set()
    wait_for_answer(page, before)

    assert answer_markdown(page) == expected.answer
    assert second[:60] in plain(answer_markdown(page))
    assert browser.outside_requests == []


def test_a_model_answer_the_guard_rejects_gives_way_to_the_offline_answer_in_the_page(
    browser: Browser, model_app: ModelApp
) -> None:
    server = model_app.server
    server.hold, server.reply = None, "invented-numbers"
    expected = model_app.assistant.ask(QUESTION)
    assert expected.notices == [MODEL_UNVERIFIED]
    assert expected.backend == "extractive"
    assert any(INVENTED in sentence for sentence in expected.removed)
    page = browser.page()
    open_app(page, model_app.url)
    page.evaluate(WATCH_INVENTED, INVENTED)

    release = held(server, "invented-numbers")
    try:
        before = start_question(page, QUESTION)
        wait_until_sent(page, server)
    finally:
        release.set()
    wait_for_answer(page, before)

    assert answer_markdown(page) == expected.answer  # the notice, then the offline answer
    shown = page.locator("#chat .answer").last.inner_text()
    assert "could not be verified against the sources" in shown
    assert page.evaluate("() => window.__inventedShown") is False
    assert browser.outside_requests == []
