"""The command line's surface: --version, flags shown as flags, choices, terminal rendering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

import assistant.app.cli as cli
import assistant.pipeline as pipeline
from assistant.app.cli import app
from assistant.schema import AnswerResult

runner = CliRunner()
ANSWER = (
    "Deficiency is confirmed below 180 ng/L [1].\n\n### Treatment\n\n- **Oral** 1 mg daily [2]."
)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output.startswith("assistant ")
    assert result.output.split()[1][0].isdigit()


@pytest.mark.parametrize(
    ("command", "flag"),
    [("ask", "--json"), ("labs", "--json"), ("ingest", "--rebuild"), ("eval", "--write-baseline")],
)
def test_flags_are_shown_without_a_value(command: str, flag: str) -> None:
    result = runner.invoke(app, [command, "--help"], terminal_width=200)

    (line,) = [line for line in result.output.splitlines() if f"{flag} " in line]
    assert "<bool>" not in line


def test_the_audience_is_a_choice_shown_in_help() -> None:
    result = runner.invoke(app, ["ask", "--help"], terminal_width=200)

    assert "clinician|patient" in result.output


class Scripted:
    def __init__(self, settings: object) -> None:
        self.settings = settings

    def ask(self, question: str, history: object = None, audience: str = "") -> AnswerResult:
        return AnswerResult(answer=ANSWER)


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(pipeline, "Assistant", Scripted)
    return


def test_ask_prints_the_markdown_itself_into_a_pipe(scripted: None) -> None:
    result = runner.invoke(app, ["ask", "What confirms deficiency?"])

    assert result.output.strip() == ANSWER


def test_ask_renders_the_markdown_on_a_terminal(
    scripted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_is_terminal", lambda: True)

    result = runner.invoke(app, ["ask", "What confirms deficiency?"])

    assert result.exit_code == 0
    assert "Treatment" in result.output
    assert "### Treatment" not in result.output
    assert "**Oral**" not in result.output
    assert "Oral" in result.output


def test_json_is_never_rendered(scripted: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_is_terminal", lambda: True)

    result = runner.invoke(app, ["ask", "q", "--json"])

    assert '"answer"' in result.output
    assert "### Treatment" in result.output


def test_a_bad_setting_is_named_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_SERVE__PASSWORD", "short")
    monkeypatch.setattr(cli.sys, "argv", ["assistant", "labs", "B12 240 ng/L"])

    with pytest.raises(SystemExit) as exited:
        cli.main()

    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ASSISTANT_SERVE__PASSWORD:")
    assert "at least 12" in error
    assert "Traceback" not in error
