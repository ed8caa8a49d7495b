"""The lab tool through LangChain's standard tool test suites, on the real rules file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from labtool.langchain_tool import InterpretLabValuesTool
from labtool.rules import RulesError, load_rules
from langchain_core.messages import ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES = REPO_ROOT / "corpus" / "b12" / "rules.yaml"
CORPUS = REPO_ROOT / "corpus" / "b12"

pytestmark = pytest.mark.integration


class _RealRules:
    @property
    def tool_constructor(self) -> type[InterpretLabValuesTool]:
        return InterpretLabValuesTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"ruleset": load_rules(RULES, corpus_dir=CORPUS)}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"text": "B12 240 ng/L, MMA 410 nmol/L"}


class TestLabToolUnit(_RealRules, ToolsUnitTests):
    pass


class TestLabToolIntegration(_RealRules, ToolsIntegrationTests):
    pass


def test_tool_call_returns_the_rendered_report_and_the_json_artifact() -> None:
    tool = InterpretLabValuesTool.from_rules_file(RULES, corpus_dir=CORPUS)

    message = tool.invoke(
        {"name": tool.name, "args": {"text": "B12 150"}, "id": "call-1", "type": "tool_call"}
    )

    assert isinstance(message, ToolMessage)
    assert "MISSING_UNIT" in message.content
    assert message.artifact["errors"][0]["code"] == "MISSING_UNIT"
    assert set(message.artifact) == {"findings", "conclusions", "conflicts", "errors", "notices"}


async def test_async_tool_call_gives_the_same_artifact() -> None:
    tool = InterpretLabValuesTool.from_rules_file(RULES, corpus_dir=CORPUS)
    call = {
        "name": tool.name,
        "args": {"text": "active B12 22 pmol/L"},
        "id": "c",
        "type": "tool_call",
    }

    sync_message = tool.invoke(call)
    async_message = await tool.ainvoke(call)

    assert async_message.artifact == sync_message.artifact
    assert async_message.artifact["findings"][0]["category"] == "deficient"


def test_the_description_names_the_tests_of_the_rules_file() -> None:
    tool = InterpretLabValuesTool.from_rules_file(RULES, corpus_dir=CORPUS)
    covered = [entry.name for entry in tool.ruleset.aliases() if not entry.context]

    assert covered
    assert all(name in tool.description for name in covered)
    assert "C-reactive protein" not in tool.description  # a context analyte is not a test


def test_a_broken_rules_file_fails_when_building_the_tool(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("version: 1\n", encoding="utf-8")

    with pytest.raises(RulesError, match=str(broken)):
        InterpretLabValuesTool.from_rules_file(broken)
