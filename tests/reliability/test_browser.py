"""End to end in a real browser: Debian's Chromium driven by Playwright (no browser download).

A clinician asks the seed question, sees the answer with its citations, asks a follow-up,
opens a source and rates the answer. HTML typed in a question or written in the corpus shows
as text and never runs. The page makes no request that leaves 127.0.0.1.

`make test` installs Chromium first (scripts/install_chromium.sh); without it this test fails
with that instruction rather than being skipped.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant.app.feedback import FeedbackStore
from assistant.app.ui import ChatHandlers, build_app, launch
from assistant.config import Settings
from assistant.index.build import run_ingest
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult
from tests.integration.conftest import make_settings
from tests.reliability.conftest import SEED_QUESTION, free_port
from tests.unit.chat.conftest import write_corpus

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue calls pandas options that pandas 3 deprecates: noise, not our code.
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
FOLLOW_UP = "and for how long?"
ANSWER_TIMEOUT_MS = 180_000  # a hang guard for a loaded machine, not a performance limit
HOSTILE_QUESTION = (
    'B12 240 ng/L <img src=x onerror="window.__pwned=1"><b>bold?</b> '
    "![pixel](http://tracker.example.invalid/q.png)"
)
MARKUP_DOC = """---
id: markup-test
title: "Folate dosing <b>markup</b> test"
type: Guideline
publisher: Markup Test Society
year: 2025
review_status: approved
last_reviewed: 2025-06-01
---

## Folic acid dose <img src=x onerror="window.__pwned=2">

Folic acid 5 mg daily for four months treats folate deficiency
<script>window.__pwned=3</script> <img src=x onerror="window.__pwned=4"> in adults
![pixel](http://tracker.example.invalid/pixel.png) as the markup test society advises.
"""
MARKUP_QUESTION = "What folic acid dose treats folate deficiency?"


def chromium_path() -> str:
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        pytest.fail(
            "Chromium is not installed: run scripts/install_chromium.sh (make test runs it), "
            "or apt-get install -y chromium"
        )
    return path


@dataclass
class Browser:
    page: Any
    outside_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import Route, sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        context = chromium.new_context(viewport={"width": 1280, "height": 1400})
        state = Browser(page=None)

        def local_only(route: Route) -> None:
            if urlparse(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                state.outside_requests.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        state.page = context.new_page()
        try:
            yield state
        finally:
            context.close()
            chromium.close()


@dataclass
class App:
    url: str
    assistant: Assistant
    feedback: FeedbackStore


def serve_app(settings: Settings, feedback_file: Path) -> tuple[App, Any]:
    """The real app and pipeline on a free local port; feedback goes to `feedback_file`."""
    settings = settings.model_copy(
        update={"serve": settings.serve.model_copy(update={"port": free_port()})}
    )
    assistant = Assistant(settings)
    feedback = FeedbackStore(feedback_file)
    app = build_app(settings, ChatHandlers(lambda: assistant, feedback))
    return App(launch(app, settings, block=False), assistant, feedback), app


@pytest.fixture(scope="module")
def real_app(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    served, app = serve_app(indexed_settings, tmp_path_factory.mktemp("fb") / "feedback.jsonl")
    try:
        yield served
    finally:
        app.close()


def ask_in_page(page: Any, question: str) -> Any:
    """Type a question, wait for the whole answer; the locator of the turn's answer message."""
    turns_before = page.locator("[data-testid=user]").count()
    box = page.get_by_role("textbox").first
    box.fill(question)
    box.press("Enter")
    page.locator("[data-testid=user]").nth(turns_before).wait_for(timeout=ANSWER_TIMEOUT_MS)
    # The box is disabled while the answer streams and editable again when it is complete.
    page.wait_for_function(
        "() => !document.querySelector('textarea').disabled", timeout=ANSWER_TIMEOUT_MS
    )
    return page.locator("[data-testid=bot]").last


def visible_text(text: str) -> str:
    """Markdown source -> roughly the words a reader sees (for containment checks)."""
    text = re.sub(r"[*_`#>]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def first_sentence(result: AnswerResult) -> str:
    return visible_text(result.answer.split("\n\n")[0])[:120]


def test_a_clinician_asks_follows_up_opens_a_source_and_rates_the_answer(
    browser: Browser, real_app: App
) -> None:
    page = browser.page
    page.goto(real_app.url, wait_until="load")

    answer = ask_in_page(page, SEED_QUESTION)

    expected = real_app.assistant.ask(SEED_QUESTION)
    shown = visible_text(answer.inner_text())
    assert first_sentence(expected) in shown
    assert expected.citations
    assert all(f"[{c.n}]" in shown for c in expected.citations)
    assert "Sources:" in page.locator("[data-testid=bot]").first.inner_text()

    follow_up = ask_in_page(page, FOLLOW_UP)

    history = [
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": expected.answer},
    ]
    expected_follow_up = real_app.assistant.ask(FOLLOW_UP, history=history)
    assert not expected_follow_up.refused
    assert first_sentence(expected_follow_up) in visible_text(follow_up.inner_text())

    # Open the first turn's sources, then its first cited passage.
    page.get_by_text("Sources:").first.click()
    first = expected.citations[0]
    page.get_by_text(f"[1] {first.title}").first.click()
    passage = page.get_by_text(first.text[:60]).first
    passage.wait_for(state="visible", timeout=30_000)
    assert first.last_reviewed in page.locator("[data-testid=bot]").nth(1).inner_text() or (
        first.last_reviewed in page.content()
    )

    page.get_by_role("button", name="Like").last.click()
    page.get_by_text("feedback saved").first.wait_for(timeout=30_000)
    (record,) = real_app.feedback.read_all()
    assert (record.rating, record.question, record.answer) == (
        "like", FOLLOW_UP, expected_follow_up.answer,
    )  # fmt: skip
    assert browser.outside_requests == []


def test_html_typed_in_a_question_shows_as_text_and_never_runs(
    browser: Browser, real_app: App
) -> None:
    page = browser.page
    page.goto(real_app.url, wait_until="load")

    ask_in_page(page, HOSTILE_QUESTION)

    user_message = page.locator("[data-testid=user]").last
    assert '<img src=x onerror="window.__pwned=1">' in user_message.inner_text()
    assert user_message.locator("img, b").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert browser.outside_requests == []


def test_html_in_the_corpus_shows_as_text_and_never_runs(browser: Browser, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path)
    (corpus / "markup-test.md").write_text(MARKUP_DOC, encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "data")
    assert run_ingest(settings).failures == []
    served, app = serve_app(settings, tmp_path / "feedback.jsonl")
    try:
        page = browser.page
        page.goto(served.url, wait_until="load")
        expected = served.assistant.ask(MARKUP_QUESTION)
        assert "markup-test" in {c.doc_id for c in expected.citations}

        ask_in_page(page, MARKUP_QUESTION)
        page.get_by_text("Sources:").first.click()
        for card in page.get_by_text(re.compile(r"^\[\d+\] ")).all():
            card.click()

        chat = page.get_by_label("chatbot conversation")
        assert chat.locator("img, script, b").count() == 0
        assert "<script>window.__pwned=3</script>" in chat.inner_text()
        assert page.evaluate("() => window.__pwned") is None
        assert browser.outside_requests == []
    finally:
        app.close()
