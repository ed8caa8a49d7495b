"""The lab tool as a LangChain tool (the only module in tools/ that imports LangChain).

Content is the plain-text report a model can read; the artifact is the LabReport as a
dict (the `assistant labs --json` contract) for code that needs the structure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from labtool.interpret import interpret
from labtool.render import render_report
from labtool.rules import RuleSet, load_rules


class LabValuesInput(BaseModel):
    text: str = Field(
        description=(
            "The lab values exactly as the clinician wrote them, each after its test name, "
            "with units and patient context (age, sex, pregnancy, other results)."
        )
    )


class InterpretLabValuesTool(BaseTool):
    """Classify lab values with cited cut-offs from the rules file."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "interpret_lab_values"
    description: str = (
        "Interpret laboratory values against the cited guideline cut-offs of the rules file. "
        "Always use it for any number in a lab result; never classify values yourself."
    )
    args_schema: type[BaseModel] = LabValuesInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    ruleset: RuleSet

    @model_validator(mode="after")
    def _name_the_tests(self) -> InterpretLabValuesTool:
        """The tests the rules file covers, in the description a model reads."""
        names = [entry.name for entry in self.ruleset.aliases() if not entry.context]
        if names and "Tests covered:" not in self.description:
            self.description = f"{self.description} Tests covered: {'; '.join(names)}."
        return self

    @classmethod
    def from_rules_file(
        cls, rules_path: Path | str, corpus_dir: Path | str | None = None
    ) -> InterpretLabValuesTool:
        """Build the tool from a rules file (raises labtool.rules.RulesError if it is broken)."""
        return cls(ruleset=load_rules(rules_path, corpus_dir=corpus_dir))

    def _run(
        self, text: str, run_manager: CallbackManagerForToolRun | None = None
    ) -> tuple[str, dict[str, Any]]:
        report = interpret(text, self.ruleset)
        return render_report(report), report.model_dump(mode="json")
