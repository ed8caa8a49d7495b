"""The lab tool as a LangChain tool (the only module in tools/ that imports LangChain).

Content is the plain-text report a model can read; the artifact is the LabReport as a
dict (the `assistant labs --json` contract) for code that needs the structure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from labtool.interpret import interpret
from labtool.render import render_report
from labtool.rules import RuleSet, load_rules


class LabValuesInput(BaseModel):
    text: str = Field(
        description=(
            "The lab values exactly as the clinician wrote them, with units and patient "
            "context, e.g. 'B12 240 ng/L, MMA 410 nmol/L, 45-year-old woman'."
        )
    )


class InterpretLabValuesTool(BaseTool):
    """Classify lab values with cited cut-offs from the rules file."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "interpret_lab_values"
    description: str = (
        "Interpret laboratory values (vitamin B12, active B12/holotranscobalamin, MMA, "
        "folate, ferritin, haemoglobin, MCV, EPO) against cited guideline cut-offs. "
        "Always use it for any number in a lab result; never classify values yourself."
    )
    args_schema: type[BaseModel] = LabValuesInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    ruleset: RuleSet

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
