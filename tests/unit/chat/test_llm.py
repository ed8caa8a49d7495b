"""The optional chat model: built from settings (no network at construction), prompted with the
offline composer's numbered statements, failures turned into LLMError."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from pydantic import SecretStr

from assistant.answer.compose import REFUSAL
from assistant.answer.llm import (
    LLMError,
    backend_name,
    build_chat_model,
    write_answer,
)
from assistant.answer.llm_prompt import (
    STATEMENTS_HEADING,
    PromptEvidence,
    StatementRecorder,
    build_prompt,
    prompt_evidence,
)
from assistant.config import LLMSettings
from assistant.schema import DocumentMeta, Passage

PASSAGE = Passage(
    chunk_id="c1",
    doc=DocumentMeta(
        doc_id="nice-ng239",
        title="NG239",
        source_type="Guideline",
        publisher="NICE",
        year=2024,
        review_status="approved",
        last_reviewed="2026-01-01",
    ),
    section="Total B12 thresholds",
    text="Deficiency is confirmed below 180 ng/L.",
)


def test_no_provider_means_no_model() -> None:
    assert build_chat_model(LLMSettings()) is None


def test_openai_compatible_endpoint_is_built_from_settings() -> None:
    settings = LLMSettings(
        provider="openai",
        model="qwen2.5-7b-instruct",
        base_url="http://127.0.0.1:8000/v1",
        api_key=SecretStr("local-key"),
        temperature=0.0,
        timeout_s=12,
    )
    model = build_chat_model(settings)
    assert model is not None
    assert type(model).__name__ == "ChatOpenAI"
    assert model.model_name == "qwen2.5-7b-instruct"  # type: ignore[attr-defined]
    assert str(model.openai_api_base) == "http://127.0.0.1:8000/v1"  # type: ignore[attr-defined]
    assert backend_name(model) == "llm:openai-chat:qwen2.5-7b-instruct"


def test_ollama_is_built_from_settings() -> None:
    model = build_chat_model(
        LLMSettings(provider="ollama", model="llama3.1", base_url="http://127.0.0.1:11434")
    )
    assert model is not None
    assert type(model).__name__ == "ChatOllama"
    assert backend_name(model) == "llm:chat-ollama:llama3.1"


def test_provider_without_a_model_name_is_an_error() -> None:
    with pytest.raises(LLMError, match="model is empty"):
        build_chat_model(LLMSettings(provider="openai"))


def test_prompt_numbers_sources_lists_statements_and_carries_the_lab_output() -> None:
    evidence = PromptEvidence(
        sources=[(3, PASSAGE)],
        statements=["Deficiency is confirmed below 180 ng/L [3]."],
        not_covered=("nitrous oxide",),
    )
    messages = build_prompt(
        "What is the B12 cut-off?",
        evidence,
        refusal=REFUSAL,
        lab_output="Vitamin B12 240 ng/L: indeterminate",
        conversation="user: earlier question",
        subject="the example field",
    )
    (system_role, system), (human_role, human) = messages
    assert (system_role, human_role) == ("system", "human")
    assert system.startswith("You are a clinical guideline assistant for the example field.")
    assert "Cite every sentence" in system
    assert f'"{REFUSAL}"' in system
    assert "[3] NG239 (NICE, 2024; Guideline), section “Total B12 thresholds”" in human
    assert f"{STATEMENTS_HEADING}\n- Deficiency is confirmed below 180 ng/L [3]." in human
    assert "The sources say nothing about: nitrous oxide." in human
    assert "Vitamin B12 240 ng/L: indeterminate" in human
    assert "user: earlier question" in human
    assert human.endswith("Question: What is the B12 cut-off?")
    assert "patient" not in system


def test_patient_prompt_asks_for_plain_language() -> None:
    empty = PromptEvidence(sources=[], statements=[])
    (_, system), _ = build_prompt("q", empty, refusal=REFUSAL, audience="patient")
    assert "plain language" in system


def test_the_prompt_lists_statements_as_the_answer_shows_them_once_without_the_tools_lines() -> (
    None
):
    recorder = StatementRecorder()
    other = PASSAGE.model_copy(update={"chunk_id": "c2", "section": "Oral treatment"})
    # Cited in this order, shown in another: the differences block is cited before the sections.
    second = recorder.cited("Oral cyanocobalamin 1 mg daily works.", other)
    first = recorder.cited("Deficiency is confirmed below 180 ng/L.", PASSAGE)
    tool = recorder.cited("Vitamin B12 240 ng/L: Indeterminate.", PASSAGE)
    recorder.cited("Deficiency is confirmed below 180 ng/L.", PASSAGE)  # cited twice, listed once
    answer = f"{tool}\n\n{first}\n\n### Treatment\n\n- {second}"

    evidence = prompt_evidence(recorder, answer, tool_lines=["Vitamin B12 240 ng/L: Indeterminate"])

    assert evidence.statements == [
        "Deficiency is confirmed below 180 ng/L [2].",
        "Oral cyanocobalamin 1 mg daily works [1].",
    ]
    assert [(n, p.chunk_id) for n, p in evidence.sources] == [(1, "c2"), (2, "c1")]


def test_write_answer_returns_the_model_text() -> None:
    model = FakeListChatModel(responses=["Below 180 ng/L [1]."])
    assert write_answer(model, [("human", "q")]) == "Below 180 ng/L [1]."


def test_model_failure_becomes_llm_error() -> None:
    model = build_chat_model(
        LLMSettings(
            provider="openai",
            model="m",
            base_url="http://127.0.0.1:9/v1",
            timeout_s=1,
            max_retries=0,
        )
    )
    assert model is not None
    with pytest.raises(LLMError, match="did not answer"):
        write_answer(model, [("human", "q")])  # nothing listens on port 9: connection refused
