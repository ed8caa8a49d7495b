"""Property-based fuzzing of everything that reads user text: the lab tool, the router and `ask`.

Arbitrary Unicode, very long input, numbers of every shape, Markdown, HTML and script payloads.
The properties: no unhandled exception; the lab tool never classifies an impossible value and
never falls back to its INTERNAL_ERROR safety net; every answer cites what it numbers and
traces every number; the only errors are the documented ones (empty, over the size limit).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from labtool.interpret import interpret
from labtool.render import render_report
from labtool.report import LabError, LabReport
from labtool.rules import RuleSet, load_rules

from assistant.app.messages import answer_messages, escape_user_messages
from assistant.config import PROJECT_ROOT, Settings
from assistant.domain.language import DomainLanguage
from assistant.guard.provenance import answer_body, untraced_numbers
from assistant.pipeline import Assistant, AssistantError
from assistant.question.followup import resolve_followup, turns_from
from assistant.question.injection import find_injection
from assistant.retrieval.plan import plan_search
from assistant.routing.route import guideline_question
from assistant.schema import AnswerResult, Citation
from assistant.text.sentences import citation_numbers
from tests.reliability.conftest import offline_assistant, record_figure
from tests.reliability.strategies import (
    AUDIENCES,
    HISTORIES,
    LAB_VALUES,
    NUMBERS,
    PAYLOADS,
    messages,
)
from tests.unit.ui.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, Markup

CORPUS = PROJECT_ROOT / "corpus" / "b12"
SLOW_INPUT = [HealthCheck.too_slow, HealthCheck.data_too_large]
DOCUMENTED_ERRORS = re.compile(r"the question is empty|characters long; the limit is \d+")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(CORPUS / "rules.yaml", corpus_dir=CORPUS)


def assert_sound_report(report: LabReport, rules: RuleSet) -> None:
    """No safety-net errors; every classified value finite and physiologically possible."""
    assert [e for e in report.errors if e.code == "INTERNAL_ERROR"] == []
    for finding in report.findings:
        assert math.isfinite(finding.value)
        assert math.isfinite(finding.canonical_value)
        plausible = rules.analytes[finding.analyte].plausible
        assert plausible.contains(Decimal(str(finding.canonical_value))), finding


def assert_sound_answer(result: AnswerResult) -> None:
    """A complete answer: text, markers that resolve, every number traced to its source."""
    assert result.answer.strip()
    cited = {citation.n for citation in result.citations}
    assert set(citation_numbers(answer_body(result.answer))) <= cited
    assert untraced_numbers(result) == []
    if result.refused:
        assert result.citations == []


def ask_or_documented_error(
    assistant: Assistant, text: str, history: list[dict[str, str]], audience: str
) -> AnswerResult | None:
    try:
        return assistant.ask(text, history=history, audience=audience)  # type: ignore[arg-type]
    except AssistantError as error:
        message = str(error)
    assert DOCUMENTED_ERRORS.search(message), message
    return None


def test_lab_tool_reads_any_text_without_crashing_or_classifying_the_impossible(
    rules: RuleSet,
) -> None:
    examples: list[str] = []

    @settings(max_examples=2000, deadline=None, suppress_health_check=SLOW_INPUT)
    @given(text=st.one_of(messages(), LAB_VALUES, NUMBERS, st.text()))
    def check(text: str) -> None:
        examples.append(text)
        report = interpret(text, rules)
        assert_sound_report(report, rules)
        assert isinstance(render_report(report), str)
        LabReport.model_validate_json(report.model_dump_json())  # the --json contract holds

    check()
    record_figure("fuzz.lab_tool.examples", len(examples))
    assert len(examples) >= 1500


def test_very_long_lab_text_is_read_in_one_pass(rules: RuleSet) -> None:
    """Input far beyond any real message: linear time, no catastrophic regex backtracking
    (no time limit asserted: the test would hang, and time out, if it backtracked)."""
    hostile = [
        "B12 " * 50_000,
        "1," * 50_000,
        "1-" * 50_000,
        "B12 " + "is " * 50_000 + "240 ng/L",
        "<" * 100_000,
        "9" * 100_000,
        "B12 240 ng/L, " * 2_000,
    ]
    for text in hostile:
        assert_sound_report(interpret(text, rules), rules)
    repeated = interpret("B12 240 ng/L, " * 2_000, rules)
    (finding,) = repeated.findings  # one finding per distinct value, however often repeated
    assert finding.repeats == 2_000
    assert finding.category == "indeterminate"


def test_router_handles_any_message_and_history(b12_language: DomainLanguage) -> None:
    examples: list[str] = []

    @settings(max_examples=800, deadline=None, suppress_health_check=SLOW_INPUT)
    @given(text=messages(), history=HISTORIES, has_labs=st.booleans())
    def check(text: str, history: list[dict[str, str]], has_labs: bool) -> None:
        examples.append(text)
        injection = find_injection(text)
        assert set(injection.clean_text.split()) <= set(text.split())
        asked = guideline_question(injection.clean_text, b12_language, has_labs=has_labs)
        if asked is None:
            return
        resolved = resolve_followup(asked, turns_from(history), b12_language)
        plan = plan_search(resolved, b12_language)
        assert plan.main.strip()
        assert all(query.strip() for _, query in plan.topic_queries)

    check()
    record_figure("fuzz.router.examples", len(examples))
    assert len(examples) >= 600


@pytest.fixture(scope="module", name="offline_assistant")
def offline_assistant_fixture(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = Settings(
        corpus_dir=CORPUS,
        rules_path=CORPUS / "rules.yaml",
        data_dir=tmp_path_factory.mktemp("fuzz-data"),
        audit_log=None,
    )
    return offline_assistant(settings)


def test_ask_answers_or_refuses_any_message_clearly(offline_assistant: Assistant) -> None:
    examples: list[str] = []
    answered: list[bool] = []

    @settings(max_examples=250, deadline=None, suppress_health_check=SLOW_INPUT)
    @given(text=messages(), history=HISTORIES, audience=AUDIENCES)
    def check(text: str, history: list[dict[str, str]], audience: str) -> None:
        examples.append(text)
        result = ask_or_documented_error(offline_assistant, text, history, audience)
        if result is not None:
            assert_sound_answer(result)
            answered.append(not result.refused)

    check()
    record_figure("fuzz.ask_offline.examples", len(examples))
    assert len(examples) >= 200
    assert any(answered), "the fuzzing must reach real answers, not only refusals"


@pytest.mark.integration
def test_ask_on_the_real_index_survives_hostile_messages(indexed_settings: Settings) -> None:
    """Fewer examples (each one embeds a query with the real model on the real index)."""
    assistant = Assistant(indexed_settings)
    examples: list[str] = []

    @settings(max_examples=100, deadline=None, suppress_health_check=SLOW_INPUT)
    @given(text=messages(max_parts=8), history=HISTORIES, audience=AUDIENCES)
    def check(text: str, history: list[dict[str, str]], audience: str) -> None:
        examples.append(text)
        result = ask_or_documented_error(assistant, text, history, audience)
        if result is not None:
            assert_sound_answer(result)

    check()
    record_figure("fuzz.ask_real_index.examples", len(examples))
    assert len(examples) >= 80


def test_question_over_the_size_limit_is_a_clear_error(offline_assistant: Assistant) -> None:
    limit = offline_assistant.settings.max_question_chars
    at_limit = ("What is the B12 cut-off? " * limit)[:limit]

    assert offline_assistant.ask(at_limit).answer  # the limit itself is accepted
    with pytest.raises(AssistantError, match=f"{limit + 1} characters long; the limit is {limit}"):
        offline_assistant.ask(at_limit + "x")
    with pytest.raises(AssistantError, match=f"the limit is {limit}"):
        offline_assistant.ask("B12 240 ng/L " * 100_000)


def test_the_size_limit_is_documented() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    limit = Settings().max_question_chars
    assert f"{limit:,}" in readme or str(limit) in readme
    assert "ASSISTANT_MAX_QUESTION_CHARS" in readme


def test_cli_rejects_oversized_input_with_a_message(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from assistant.app.cli import app

    limit = Settings().max_question_chars
    runner = CliRunner()
    for command in ("labs", "ask"):
        result = runner.invoke(app, [command, "B12 240 ng/L " * limit])
        assert result.exit_code == 2, result.output
        assert f"the limit is {limit}" in result.output
        assert "Traceback" not in result.output


def test_chat_messages_show_any_question_or_corpus_text_literally() -> None:
    """No tag or Markdown image from a question, an answer, a passage, a title or a heading
    reaches the chat (the browser test checks the rendering; this checks every field, fast)."""
    examples: list[str] = []
    text = st.one_of(st.sampled_from(PAYLOADS), messages(max_parts=4), st.text())

    @settings(max_examples=300, deadline=None, suppress_health_check=SLOW_INPUT)
    @given(answer=text, title=text, section=text, passage=text)
    def check(answer: str, title: str, section: str, passage: str) -> None:
        examples.append(answer)
        citation = Citation(
            n=1, doc_id="doc", title=title, source_type="Guideline", year=2020,
            section=section, text=passage,
        )  # fmt: skip
        labs = LabReport(errors=[LabError(input=passage, code="UNREADABLE", message=title)])
        result = AnswerResult(answer=answer, citations=[citation], labs=labs)
        # The answer is the app's own HTML: only its tags and attributes, links only within
        # the page; the question is shown as typed, never as markup.
        (message,) = answer_messages(result, turn_id="1")
        markup = Markup(str(message["content"]))
        assert set(markup.tags) <= ALLOWED_TAGS
        assert {name for name, _ in markup.attributes} <= ALLOWED_ATTRIBUTES
        assert all(v.startswith("#ref-") for n, v in markup.attributes if n == "href")
        (user,) = escape_user_messages([{"role": "user", "content": answer}])
        assert "<" not in str(user["content"])  # type: ignore[index]
        assert "![" not in str(user["content"])  # type: ignore[index]

    check()
    record_figure("fuzz.chat_messages.examples", len(examples))
    assert len(examples) >= 200
