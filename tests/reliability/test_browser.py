"""End to end in a real browser (Debian's Chromium, Playwright): what a clinician sees.

One served app over the real pipeline and index, one Chromium; each test opens its own page (its
own local storage). Answers are compared with the pipeline called directly. The page must make
no request that leaves 127.0.0.1.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.app.chat_page import PATIENT_BANNER
from assistant.config import Settings
from assistant.index.build import run_ingest
from tests.integration.conftest import make_settings
from tests.reliability.browser_support import (
    GEOMETRY,
    PHONE,
    App,
    Browser,
    answer_markdown,
    chromium,
    last_answer,
    open_app,
    send,
    serve_app,
)
from tests.reliability.conftest import SEED_QUESTION, record_figure
from tests.unit.chat.conftest import write_corpus

pytestmark = [
    pytest.mark.integration,
    # Gradio's queue calls pandas options that pandas 3 deprecates: noise, not our code.
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]

LAB_MESSAGE = "B12 240 ng/L, MMA 410 nmol/L"
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
# A lab report pasted whole: the same few results again and again, up to the length limit.
PASTED_RESULTS = ["Serum B12 240 ng/L", "MMA 410 nmol/L", "Folate 5.1 ng/mL", "MCV 104 fL"]
PASTE_BOUND_S = 30.0  # generous: the figure is measured and reported, the target is under 2 s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def real_app(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    served = serve_app(indexed_settings, tmp_path_factory.mktemp("fb") / "feedback.jsonl")
    try:
        yield served
    finally:
        served.blocks.close()


def visible(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def geometry(page: Any) -> dict[str, Any]:
    shown: dict[str, Any] = page.evaluate(GEOMETRY)
    return shown


def test_a_clinician_asks_reads_from_the_first_line_checks_a_source_and_follows_up(
    browser: Browser, real_app: App
) -> None:
    page = browser.page()
    open_app(page, real_app.url)

    send(page, SEED_QUESTION)

    expected = real_app.assistant.ask(SEED_QUESTION)
    assert answer_markdown(page) == expected.answer
    # The view lands on the answer's first line, not on its end.
    shown = geometry(page)
    assert shown["scroller"]["top"] <= shown["firstLine"]["top"] < shown["scroller"]["bottom"]
    assert 0 <= shown["firstLine"]["top"] < shown["window"]
    if shown["answer"]["height"] > shown["scroller"]["height"]:
        assert not shown["scrolledToEnd"]
    # Hovering a citation shows its passage, title, section, kind and review status.
    first = expected.citations[0]
    marker = last_answer(page).locator(".cite-n").first
    card = last_answer(page).locator(".cite-card").first
    assert not card.is_visible()
    marker.hover()
    card.wait_for(state="visible", timeout=5_000)
    assert visible(first.text)[:80] in visible(card.inner_text())
    assert first.section in card.inner_text()
    assert first.title in card.inner_text()
    # ... and so does focusing it from the keyboard.
    page.mouse.move(0, 0)
    page.locator("#question textarea").focus()
    second = last_answer(page).locator(".cite-n").nth(1)
    second.focus()
    last_answer(page).locator(".cite-card").nth(1).wait_for(state="visible", timeout=5_000)
    # One reference entry per document.
    entries = last_answer(page).locator(".ref-doc")
    assert entries.count() == len({c.doc_id for c in expected.citations})

    # A suggested next question, clicked, is asked and answered in this conversation.
    suggestion = page.locator("#suggestions button:visible").first
    asked = suggestion.inner_text().strip()
    before = page.locator("[data-testid=user]").count()
    suggestion.click()
    page.locator("[data-testid=user]").nth(before).wait_for(timeout=180_000)
    page.wait_for_function(
        f"() => document.querySelectorAll('#chat .answer').length > {before}", timeout=180_000
    )
    page.wait_for_function("() => !document.querySelector('#question textarea').disabled")
    assert page.locator("[data-testid=user]").last.inner_text().strip() == asked
    history = [
        {"role": "user", "content": SEED_QUESTION},
        {"role": "assistant", "content": expected.answer},
    ]
    assert answer_markdown(page) == real_app.assistant.ask(asked, history=history).answer
    assert page.locator("#suggestions button:visible").count() >= 3

    # A reload brings the conversation back.
    answers = [a.text_content() for a in page.locator("#chat .answer-markdown").all()]
    page.reload(wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('#chat .answer').length === 2")
    assert [a.text_content() for a in page.locator("#chat .answer-markdown").all()] == answers
    assert browser.outside_requests == []


def test_a_restored_answer_can_be_rated_and_a_dislike_asks_why(
    browser: Browser, real_app: App
) -> None:
    page = browser.page()
    open_app(page, real_app.url)
    send(page, SEED_QUESTION)
    page.reload(wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('#chat .answer').length === 1")
    ratings = len(real_app.feedback.read_all())

    page.get_by_role("button", name="Dislike").last.click()
    reason = page.locator("#reason-panel textarea:visible")
    reason.wait_for(state="visible", timeout=30_000)
    reason.fill("The treatment section misses the pregnancy advice.")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_function(
        "() => ![...document.querySelectorAll('#reason-panel textarea')].some(e => e.offsetParent)",
        timeout=30_000,
    )

    records = real_app.feedback.read_all()[ratings:]
    assert [(r.rating, r.reason) for r in records] == [
        ("dislike", ""),
        ("dislike", "The treatment section misses the pregnancy advice."),
    ]
    assert records[-1].answer == real_app.assistant.ask(SEED_QUESTION).answer


def test_lab_values_come_back_as_a_table_with_text_badges(browser: Browser, real_app: App) -> None:
    page = browser.page()
    open_app(page, real_app.url)

    send(page, LAB_MESSAGE)

    expected = real_app.assistant.ask(LAB_MESSAGE)
    assert expected.labs is not None
    table = last_answer(page).locator("table.lab-table")
    rows = table.locator("tbody tr")
    assert rows.count() == len(expected.labs.findings)
    for finding, row in zip(expected.labs.findings, rows.all(), strict=True):
        badge = row.locator(".badge").first
        assert finding.category_label in badge.inner_text()  # the meaning is in the text
        assert finding.analyte_name in row.inner_text()
    text = last_answer(page).inner_text()
    assert all(f.rule_id not in text for f in expected.labs.findings if f.rule_id)
    assert all(c.code not in text for c in expected.labs.conclusions)
    assert "177.07" not in text  # rounded as written, not to the tool's precision
    assert browser.outside_requests == []


def test_a_long_lab_paste_renders_quickly_with_each_value_once(
    browser: Browser, real_app: App
) -> None:
    limit = real_app.assistant.settings.max_question_chars
    paste = ""
    for n in range(limit):
        piece = f"{PASTED_RESULTS[n % len(PASTED_RESULTS)]}; "
        if len(paste) + len(piece) > limit:
            break
        paste += piece
    paste = paste.ljust(limit, ".")
    page = browser.page()
    open_app(page, real_app.url)
    box = page.locator("#question textarea")

    # The counter says when the limit is reached and when it is passed; nothing is cut off.
    box.fill(paste + "!")
    assert "over the limit" in page.locator("#char-counter").inner_text()
    box.press("Enter")
    page.get_by_text("the limit is").first.wait_for(timeout=30_000)
    assert box.input_value() == paste + "!"
    box.fill(paste)
    assert "At the limit" in page.locator("#char-counter").inner_text()

    pipeline_started = time.perf_counter()
    expected = real_app.assistant.ask(paste)
    pipeline_s = time.perf_counter() - pipeline_started
    seconds = send(page, paste)

    assert expected.labs is not None
    distinct = {(f.analyte, f.value, f.unit) for f in expected.labs.findings}
    rows = last_answer(page).locator("table.lab-table tbody tr")
    assert rows.count() == len(distinct)
    shown = [visible(r.inner_text()) for r in rows.all()]
    assert len(shown) == len(set(shown))
    record_figure(
        "browser.lab_paste",
        {
            "characters": len(paste),
            "findings_from_the_tool": len(expected.labs.findings),
            "rows_shown": rows.count(),
            "answer_chars": len(expected.answer),
            "submit_to_rendered_s": round(seconds, 2),
            "pipeline_s": round(pipeline_s, 2),
        },
    )
    print(f"\n{len(paste)}-character paste: shown {seconds:.2f} s after Enter", end=" ")
    print(f"({pipeline_s:.2f} s of it the pipeline)")
    assert seconds < PASTE_BOUND_S


def test_patient_mode_has_its_own_banner_and_answers(browser: Browser, real_app: App) -> None:
    page = browser.page()
    open_app(page, real_app.url)
    banner = page.locator("#banner")
    assert "healthcare professionals" in banner.inner_text()

    page.locator("#audience").get_by_text("Patient").click()
    page.wait_for_function(
        "() => document.querySelector('#banner').innerText.includes('For patients')"
    )
    send(page, SEED_QUESTION)

    assert "healthcare professionals" not in banner.inner_text()
    banner_words = visible(re.sub(r"<[^>]+>|\*\*", "", PATIENT_BANNER))
    assert banner_words[:40] in visible(banner.inner_text())
    patient_answer = real_app.assistant.ask(SEED_QUESTION, audience="patient")
    assert answer_markdown(page) == patient_answer.answer


def test_on_a_phone_the_chat_takes_most_of_the_screen(browser: Browser, real_app: App) -> None:
    page = browser.page(PHONE)
    open_app(page, real_app.url)
    empty = geometry(page)

    send(page, SEED_QUESTION)

    shown = geometry(page)
    record_figure(
        "browser.phone_chat_share",
        {"empty": round(empty["chat"]["height"] / empty["window"], 2),
         "answered": round(shown["chat"]["height"] / shown["window"], 2)},
    )  # fmt: skip
    assert empty["chat"]["height"] > 0.5 * empty["window"]
    assert shown["chat"]["height"] > 0.5 * shown["window"]
    assert 0 <= shown["firstLine"]["top"] < shown["window"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the screen


def test_html_typed_in_a_question_shows_as_text_and_never_runs(
    browser: Browser, real_app: App
) -> None:
    page = browser.page()
    open_app(page, real_app.url)

    send(page, HOSTILE_QUESTION)

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
    served = serve_app(settings, tmp_path / "feedback.jsonl")
    try:
        page = browser.page()
        open_app(page, served.url)
        expected = served.assistant.ask(MARKUP_QUESTION)
        assert "markup-test" in {c.doc_id for c in expected.citations}

        send(page, MARKUP_QUESTION)
        for marker in last_answer(page).locator(".cite-n").all():
            marker.hover()
        last_answer(page).locator("details.references > summary").click()

        chat = page.locator("#chat")
        assert chat.locator(".answer img, .answer script, .answer b").count() == 0
        assert "<script>window.__pwned=3</script>" in last_answer(page).text_content()
        assert page.evaluate("() => window.__pwned") is None
        assert browser.outside_requests == []
    finally:
        served.blocks.close()
