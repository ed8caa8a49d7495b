"""`Assistant.ask` and `ask_stream` with a language model over HTTP: the real langchain-openai
client against the scripted server of tests/fakes/chat_server.py, on the tiny unit corpus with
the lexical fake searcher. What the model is shown, how its answer streams, when it gives way to
the offline answer, and what the audit log keeps. The same replies on the real index, for both
providers, are in tests/integration/test_llm_endpoint.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from assistant.answer.compose import LLM_UNAVAILABLE, MODEL_UNVERIFIED
from assistant.answer.lab_section import LAB_HEADING
from assistant.audit import read_audit_log
from assistant.config import Settings
from assistant.domain.pack import load_domain
from assistant.guard.provenance import untraced_numbers
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult
from assistant.sources.lookup import CorpusLookup
from assistant.text.tokens import Vocabulary
from tests.fakes.chat_replies import prompt_statements, without_citations
from tests.fakes.chat_server import ChatServer
from tests.fakes.searchers import FakeSearcher
from tests.unit.chat.test_pipeline import fake_interpreter

QUESTION = "What B12 level confirms deficiency?"
PROJECT_NOTE = "The lab tool cites this guideline itself for these figures."


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer(slow_s=2.0) as running:
        yield running


def make_assistant(
    settings: Settings, corpus_dir: Path, server: ChatServer | None, **llm: object
) -> Assistant:
    """The pipeline over the unit corpus as it is on disk now, with the scripted model (or none)."""
    if server is not None:
        model = server.llm_settings("openai", **{"timeout_s": 1.0, **llm})
        settings = settings.model_copy(update={"llm": model})
    lookup = CorpusLookup(corpus_dir)
    passages = [p for key in sorted(lookup._index()) for p in lookup.section(*key)]
    domain = load_domain(corpus_dir)
    assert domain is not None
    words = Vocabulary(domain.spellings, domain.abbreviations, domain.lay_phrases)
    return Assistant(
        settings,
        searcher=FakeSearcher(passages, words),
        lookup=lookup,
        interpreter=fake_interpreter([]),
    )


def plain(text: str) -> str:
    return " ".join(without_citations(text).split())


def test_the_model_is_shown_the_offline_answers_statements_in_its_order_without_notes(
    settings: Settings, corpus_dir: Path, server: ChatServer
) -> None:
    nice = corpus_dir / "nice-test.md"
    text = nice.read_text(encoding="utf-8")
    nice.write_text(text.replace("(258 pmol/L).", f"(258 pmol/L). {PROJECT_NOTE}"), "utf-8")
    offline = make_assistant(settings, corpus_dir, None).ask(QUESTION)

    make_assistant(settings, corpus_dir, server).ask(QUESTION)

    shown = prompt_statements(server.last_prompt())
    assert len(shown) >= 3
    offline_body = plain(offline.body)
    positions = [offline_body.find(plain(statement)) for statement in shown]
    assert -1 not in positions, "every statement is one the offline answer shows"
    assert positions == sorted(positions), "in the order the offline answer shows them"
    assert plain(offline.direct).startswith(plain(shown[0])), "the direct answer leads"
    assert PROJECT_NOTE not in server.last_prompt()
    assert any(PROJECT_NOTE in citation.text for citation in offline.citations)


def test_the_system_prompt_names_the_subject_the_pack_gives(
    settings: Settings, corpus_dir: Path, server: ChatServer
) -> None:
    domain_file = corpus_dir / "domain.yaml"
    text = domain_file.read_text(encoding="utf-8")
    subject = re.search(r"^llm_subject: (.+)$", text, re.MULTILINE)
    assert subject is not None
    domain_file.write_text(text.replace(subject.group(0), "llm_subject: the example field"))

    make_assistant(settings, corpus_dir, server).ask(QUESTION)

    system = server.requests[-1]["messages"][0]["content"]
    assert system.startswith("You are a clinical guideline assistant for the example field.")
    assert subject.group(1) not in system


def test_a_streamed_answer_shows_only_checked_sentences_and_ends_as_the_whole_answer(
    settings: Settings, corpus_dir: Path, server: ChatServer
) -> None:
    server.reply = "partly-invented"  # two statements, then an invented figure
    assistant = make_assistant(settings, corpus_dir, server)
    whole = assistant.ask(QUESTION)
    assert whole.backend == "llm:openai-chat:scripted"
    (invented,) = whole.removed

    frames = list(assistant.ask_stream(QUESTION))

    assert len(frames) >= 2, "the answer arrives in more than one piece"
    assert frames[-1] == whole
    for frame in frames:
        assert plain(invented) not in plain(frame.answer), "no sentence before its check"
        assert untraced_numbers(frame) == []
    bodies = [plain(frame.direct) for frame in frames]
    assert all(later.startswith(earlier) for earlier, later in pairwise(bodies))


def test_a_stream_that_stops_midway_ends_with_the_offline_answer_and_a_notice(
    settings: Settings, corpus_dir: Path, server: ChatServer
) -> None:
    server.reply = "stall"  # the first sentence, then silence past the timeout
    offline = make_assistant(settings, corpus_dir, None).ask(QUESTION)
    assistant = make_assistant(settings, corpus_dir, server, timeout_s=0.5)

    frames = list(assistant.ask_stream(QUESTION))

    first, *_, last = frames
    assert first.backend == "llm:openai-chat:scripted"
    assert plain(first.direct) == plain(prompt_statements(server.last_prompt())[0])
    assert last.notices == [LLM_UNAVAILABLE]
    assert (last.body, last.citations, last.backend) == (
        offline.body,
        offline.citations,
        "extractive",
    )


def test_lab_values_reach_the_model_as_the_tools_output_not_as_statements(
    settings: Settings, corpus_dir: Path, server: ChatServer
) -> None:
    result = make_assistant(settings, corpus_dir, server).ask("B12 240 ng/L, what next?")

    prompt = server.last_prompt()
    assert "Lab tool output" in prompt
    assert not any("240 ng/L" in statement for statement in prompt_statements(prompt))
    assert result.backend == "llm:openai-chat:scripted"
    assert result.lab_details.startswith(LAB_HEADING)  # the tool's own block follows the model
    assert "Indeterminate" in result.lab_details
    assert untraced_numbers(result) == []


def test_a_rejected_model_answer_is_audited_with_the_sentences_the_guard_removed(
    settings: Settings, corpus_dir: Path, server: ChatServer, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    server.reply = "invented-numbers"
    assistant = make_assistant(settings.model_copy(update={"audit_log": log}), corpus_dir, server)

    asked = assistant.ask(QUESTION)
    streamed = list(assistant.ask_stream(QUESTION))

    assert asked.notices == [MODEL_UNVERIFIED]
    assert streamed[-1] == asked
    entries = read_audit_log(log)
    assert len(entries) == 2, "one entry per answer, none for the pieces of a stream"
    for entry in entries:
        assert entry.removed == asked.removed
        assert len(entry.removed) == 2
        assert entry.backend == "extractive"
        assert MODEL_UNVERIFIED in entry.answer


def test_without_a_model_the_stream_is_the_offline_answer_at_once(
    settings: Settings, corpus_dir: Path
) -> None:
    assistant = make_assistant(settings, corpus_dir, None)
    frames: list[AnswerResult] = list(assistant.ask_stream(QUESTION))
    assert frames == [assistant.ask(QUESTION)]
    assert frames[0].backend == "extractive"
