"""Fuzzing of lab text as people write it and programs render it (issue 15).

Each example is a lab value written from a known number: thousands separators (space,
no-break space, narrow no-break space, thin space, comma), a decimal point or comma, digits of
another script (Arabic-Indic, full-width, Devanagari), then invisible characters or
bidirectional controls inserted anywhere. The properties:

- the value the lab tool classifies is the value a person reads on screen, or there is an
  error for it (never another number);
- an invisible character (zero-width space, joiners, word joiner, byte-order mark, soft
  hyphen) changes no classification;
- a bidirectional control before the end of the number (which can show the digits in another
  order than written) leaves no finding, only an error.

The number a person reads is built by the strategy from its digits, not by the tool's reader.
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from labtool.interpret import interpret
from labtool.report import LabReport
from labtool.rules import RuleSet, load_rules

from assistant.config import PROJECT_ROOT
from tests.reliability.conftest import record_figure
from tests.reliability.strategies import (
    BIDI_CONTROLS,
    INVISIBLE,
    WrittenValue,
    insert_at,
    written_values,
)

CORPUS = PROJECT_ROOT / "corpus" / "b12"
EXAMPLES = 5000


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(CORPUS / "rules.yaml", corpus_dir=CORPUS)


def classification(report: LabReport) -> tuple[object, ...]:
    """What a report decides, without its wording: findings, their categories, error codes."""
    return (
        tuple((f.analyte, f.value, f.unit, f.category, f.censored) for f in report.findings),
        tuple(sorted(e.code for e in report.errors)),
        tuple(c.code for c in report.conclusions),
    )


def assert_read_as_shown(report: LabReport, value: WrittenValue) -> None:
    """A finding holds the number a person reads; otherwise the value is an error."""
    assert [e for e in report.errors if e.code == "INTERNAL_ERROR"] == []
    if not report.findings:
        assert report.errors, f"{value.text!r}: neither a finding nor an error"
        return
    (finding,) = report.findings
    assert (finding.analyte, finding.unit) == (value.analyte, value.unit), value.text
    assert finding.value == float(value.number), value.text


def test_lab_text_is_read_as_shown_whatever_characters_it_holds(rules: RuleSet) -> None:
    """Per example: the value as written, the same text with invisible characters inserted
    anywhere, and with a direction control inserted anywhere."""
    examples: list[str] = []
    classified: list[bool] = []
    started = time.perf_counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(value=written_values(), pick=st.randoms(use_true_random=False))
    def check(value: WrittenValue, pick: random.Random) -> None:
        examples.append(value.text)
        plain = interpret(value.text, rules)
        assert_read_as_shown(plain, value)
        classified.append(bool(plain.findings))

        count = pick.randint(1, 4)  # invisible characters, anywhere
        positions = sorted(pick.randint(0, len(value.text)) for _ in range(count))
        hidden_characters = [pick.choice(INVISIBLE) for _ in range(count)]
        hidden = interpret(insert_at(value.text, positions, hidden_characters), rules)
        assert classification(hidden) == classification(plain), (positions, hidden_characters)
        assert_read_as_shown(hidden, value)

        position = pick.randint(0, len(value.text))  # one direction control, anywhere
        control = pick.choice(BIDI_CONTROLS)
        text = insert_at(value.text, [position], [control])
        turned = interpret(text, rules)
        if position <= value.number_end:  # the digits may show in another order: an error
            assert turned.findings == [], repr(text)
            assert turned.errors, repr(text)
        else:  # after the number: the digits show as written
            assert_read_as_shown(turned, value)

    check()
    seconds = time.perf_counter() - started
    record_figure(
        "fuzz.lab_text",
        {"examples": len(examples), "classified": sum(classified), "seconds": round(seconds, 1)},
    )
    assert len(examples) >= EXAMPLES
    assert sum(classified) > len(classified) // 5, "many written values should be classified"
