"""`assistant labs`: text and JSON output, exit codes, --rules."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.app.cli import app

runner = CliRunner()


def test_labs_prints_findings_and_conclusions() -> None:
    result = runner.invoke(app, ["labs", "B12 240 ng/L, MMA 410 nmol/L"])

    assert result.exit_code == 0, result.output
    assert "Indeterminate" in result.stdout
    assert "Conclusions:" in result.stdout
    assert "functional-b12-deficiency" not in result.stdout  # no rule ids in the words
    assert "source:" in result.stdout


def test_labs_json_is_the_lab_report_contract() -> None:
    result = runner.invoke(app, ["labs", "active B12 22 pmol/L", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"findings", "conclusions", "conflicts", "errors", "notices"}
    (finding,) = data["findings"]
    assert (finding["analyte"], finding["category"]) == ("holotc", "deficient")
    assert finding["sources"][0]["doc_id"] == "nice-ng239"


def test_labs_json_findings_carry_the_rules_file_names() -> None:
    result = runner.invoke(app, ["labs", "B12 240 ng/L, TSH 8 mU/L", "--json"])

    data = json.loads(result.stdout)
    (finding,) = data["findings"]
    assert finding["analyte_name"] == "Vitamin B12 (total serum cobalamin)"
    assert finding["category_label"] == "Indeterminate: B12 deficiency possible"
    (error,) = data["errors"]
    assert error["code"] == "UNSUPPORTED_ANALYTE"
    assert error["message"].startswith("'TSH 8 mU/L': there are no rules for TSH in this pack")


def test_errors_in_the_input_are_data_and_exit_zero() -> None:
    missing_unit = runner.invoke(app, ["labs", "B12 150", "--json"])
    negative = runner.invoke(app, ["labs", "B12 -5 ng/L", "--json"])

    assert missing_unit.exit_code == 0
    assert [e["code"] for e in json.loads(missing_unit.stdout)["errors"]] == ["MISSING_UNIT"]
    assert negative.exit_code == 0
    assert [e["code"] for e in json.loads(negative.stdout)["errors"]] == ["NEGATIVE_VALUE"]


def test_text_without_lab_values_says_so() -> None:
    result = runner.invoke(app, ["labs", "How long should oral B12 be taken?"])

    assert result.exit_code == 0
    assert "No lab values" in result.stdout


def test_a_broken_rules_file_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("version: 1\nanalytes: [unclosed\n", encoding="utf-8")

    result = runner.invoke(app, ["labs", "B12 240 ng/L", "--rules", str(broken)])

    assert result.exit_code == 2
    assert "malformed YAML" in result.stderr
    assert str(broken) in result.stderr
    assert result.stdout == ""


def test_a_missing_rules_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["labs", "B12 240 ng/L", "--rules", str(tmp_path / "no.yaml")])

    assert result.exit_code == 2
    assert "cannot read rules file" in result.stderr


def test_rules_option_uses_another_laboratory_file(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    local = tmp_path / "local-rules.yaml"
    # A laboratory that moves the NICE lower cut-off to 200 ng/L (cited sections unchanged).
    text = (repo / "corpus" / "b12" / "rules.yaml").read_text(encoding="utf-8")
    text = text.replace("less_than: 180", "less_than: 200", 1)
    text = text.replace("between_inclusive: [180, 350]", "between_inclusive: [200, 350]", 1)
    local.write_text(text, encoding="utf-8")

    default = json.loads(runner.invoke(app, ["labs", "B12 190 ng/L", "--json"]).stdout)
    result = runner.invoke(app, ["labs", "B12 190 ng/L", "--json", "--rules", str(local)])

    assert result.exit_code == 0, result.output
    assert default["findings"][0]["category"] == "indeterminate"
    assert json.loads(result.stdout)["findings"][0]["category"] == "deficient"


def test_usage_error_exits_2() -> None:
    result = runner.invoke(app, ["labs"])

    assert result.exit_code == 2
