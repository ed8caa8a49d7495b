"""Driving the real app in Debian's Chromium with Playwright (no browser download).

`make test` installs Chromium first (scripts/install_chromium.sh); without it a browser test
fails with that instruction rather than being skipped. Every request that would leave 127.0.0.1
is blocked and recorded, so a test can assert the page loads nothing from elsewhere.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import gradio as gr
import pytest

from assistant.app.feedback import FeedbackStore
from assistant.app.ui import ChatHandlers, build_app, launch
from assistant.config import Settings
from assistant.pipeline import Assistant
from tests.reliability.conftest import free_port

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
ANSWER_TIMEOUT_MS = 180_000  # a hang guard for a loaded machine, not a performance limit
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 screen in CSS pixels
ANSWER_DONE = "() => !document.querySelector('#question textarea').disabled"

# Where things are on the screen (CSS pixels, relative to the window).
GEOMETRY = """() => {
  const rect = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, height: r.height}; };
  const answers = document.querySelectorAll('#chat .answer');
  const answer = answers[answers.length - 1];
  let box = answer ? answer.parentElement : null;
  while (box && box !== document.body && getComputedStyle(box).overflowY === 'visible')
    box = box.parentElement;
  return {
    window: window.innerHeight,
    chat: rect(document.querySelector('#chat')),
    scroller: rect(box),
    scrolledToEnd: box ? box.scrollTop + box.clientHeight >= box.scrollHeight - 2 : null,
    answer: rect(answer),
    firstLine: rect(answer ? answer.firstElementChild : null),
  };
}"""


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
    """One Chromium; `page()` opens a page in a fresh context (its own local storage)."""

    chromium: Any
    outside_requests: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def page(self, viewport: dict[str, int] = DESKTOP) -> Any:
        from playwright.sync_api import Route

        context = self.chromium.new_context(viewport=viewport)

        def local_only(route: Route) -> None:
            if urlparse(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                self.outside_requests.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        self.contexts.append(context)
        return context.new_page()


@contextmanager
def chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        browser = Browser(launched)
        try:
            yield browser
        finally:
            for context in browser.contexts:
                context.close()
            launched.close()


@dataclass
class App:
    url: str
    assistant: Assistant
    feedback: FeedbackStore
    blocks: gr.Blocks


def serve_app(settings: Settings, feedback_file: Path) -> App:
    """The real app and pipeline on a free local port; feedback goes to `feedback_file`."""
    settings = settings.model_copy(
        update={"serve": settings.serve.model_copy(update={"port": free_port()})}
    )
    assistant = Assistant(settings)
    handlers = ChatHandlers.for_settings(settings, assistant)
    handlers.feedback = FeedbackStore(feedback_file)  # not the shared index folder's
    blocks = build_app(settings, handlers)
    return App(launch(blocks, settings, block=False), assistant, handlers.feedback, blocks)


def open_app(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    page.locator("#question textarea").wait_for(timeout=60_000)
    page.wait_for_function(ANSWER_DONE, timeout=60_000)


def send(page: Any, question: str) -> float:
    """Type `question` and press Enter; wait for the whole answer. Returns the seconds taken."""
    turns_before = page.locator("[data-testid=user]").count()
    box = page.locator("#question textarea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.locator("[data-testid=user]").nth(turns_before).wait_for(timeout=ANSWER_TIMEOUT_MS)
    wait_for_answer(page, turns_before)
    return time.perf_counter() - started


def wait_for_answer(page: Any, turns_before: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('#chat .answer, #chat .answer-error').length > "
        f"{turns_before} && !document.querySelector('#question textarea').disabled",
        timeout=ANSWER_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)  # the page script places the view after the last frame


def last_answer(page: Any) -> Any:
    return page.locator("#chat .answer").last


def answer_markdown(page: Any) -> str:
    """The Markdown the last answer carries (the pipeline's `answer`, exactly)."""
    return str(last_answer(page).locator(".answer-markdown").text_content())
