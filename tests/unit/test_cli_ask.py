"""`assistant ask`: options, the --json contract and clear errors (typer's CliRunner).

The answering itself is faked here (its own tests cover it); input validation and history
loading are the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

import assistant.pipeline as pipeline
from assistant.app.cli import app
from assistant.schema import AnswerResult, Audience, Citation

runner = CliRunner()

# The answer as shown, its parts (claims apart from fixed text), and what it rests on.
JSON_KEYS = {
    "answer", "direct", "gaps", "sections", "more_detail", "lab_details", "notices",
    "references", "disclaimer", "followups", "citations", "labs", "refused", "removed", "backend",
}  # fmt: skip
CITATION_KEYS = {"n", "doc_id", "title", "source_type", "year", "section", "text"}


class RecordingAssistant:
    """Stands in for the pipeline; records what the CLI passed."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, settings: object) -> None:
        self.settings = settings

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult:
        RecordingAssistant.calls.append(
            {"question": question, "history": history, "audience": audience}
        )
        citation = Citation(
            n=1,
            doc_id="nice-ng239",
            title="NG239",
            source_type="Guideline",
            year=2024,
            section="Total B12 thresholds",
            text="Deficiency is confirmed below 180 ng/L.",
        )
        return AnswerResult(answer="Deficiency below 180 ng/L [1].", citations=[citation])


@pytest.fixture
def fake_assistant(monkeypatch: pytest.MonkeyPatch) -> type[RecordingAssistant]:
    RecordingAssistant.calls = []
    monkeypatch.setattr(pipeline, "Assistant", RecordingAssistant)
    return RecordingAssistant


def test_plain_output_is_the_markdown_answer(fake_assistant: type[RecordingAssistant]) -> None:
    result = runner.invoke(app, ["ask", "What is the B12 cut-off?"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Deficiency below 180 ng/L [1]."
    assert fake_assistant.calls == [
        {"question": "What is the B12 cut-off?", "history": None, "audience": "clinician"}
    ]


def test_json_output_has_exactly_the_contract_keys(
    fake_assistant: type[RecordingAssistant],
) -> None:
    result = runner.invoke(app, ["ask", "What is the B12 cut-off?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == JSON_KEYS
    assert data["labs"] is None
    assert data["refused"] is False
    assert data["removed"] == []
    assert data["backend"] == "extractive"
    assert set(data["citations"][0]) >= CITATION_KEYS
    assert data["citations"][0]["text"] == "Deficiency is confirmed below 180 ng/L."


def test_history_file_and_audience_are_passed_on(
    fake_assistant: type[RecordingAssistant], tmp_path: Path
) -> None:
    history = [
        {"role": "user", "content": "How is B12 deficiency treated?"},
        {"role": "assistant", "content": "Orally [1]."},
    ]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history), encoding="utf-8")
    args = ["ask", "and for how long?", "--history", str(path), "--audience", "patient"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert fake_assistant.calls[0]["history"] == history
    assert fake_assistant.calls[0]["audience"] == "patient"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON (line 1, column 1)"),
        ('{"role": "user"}', "must be a JSON list"),
        ('["hello"]', "message 1 is not an object"),
        ('[{"role": "robot", "content": "x"}]', "message 1 has role 'robot'"),
        ('[{"role": "user", "content": 5}]', "message 1 needs a text 'content'"),
    ],
)
def test_malformed_history_is_a_clear_error(
    fake_assistant: type[RecordingAssistant], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "history.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["ask", "and for how long?", "--history", str(path)])
    assert result.exit_code == 2
    assert f"error: history file {path}" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert fake_assistant.calls == []


def test_unreadable_history_is_a_clear_error(
    fake_assistant: type[RecordingAssistant], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    result = runner.invoke(app, ["ask", "question", "--history", str(missing)])
    assert result.exit_code == 2
    assert f"error: cannot read history file {missing}" in result.output


def test_unknown_audience_is_refused(fake_assistant: type[RecordingAssistant]) -> None:
    result = runner.invoke(app, ["ask", "question", "--audience", "doctor"])
    assert result.exit_code == 2
    shown = " ".join(result.output.replace("│", " ").split())
    assert "'--audience'" in shown
    assert "'doctor' is not one of 'clinician', 'patient'" in shown
    assert fake_assistant.calls == []


def test_empty_question_is_a_clear_error_from_the_real_pipeline() -> None:
    result = runner.invoke(app, ["ask", "   "])
    assert result.exit_code == 2
    assert "error: the question is empty" in result.output


def test_overlong_question_is_a_clear_error_from_the_real_pipeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSISTANT_MAX_QUESTION_CHARS", "20")
    result = runner.invoke(app, ["ask", "x" * 21])
    assert result.exit_code == 2
    assert "the limit is 20" in result.output
