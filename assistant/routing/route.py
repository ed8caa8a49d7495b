"""Decide what a message needs: the lab tool, retrieval, or both.

Lab values always go to the lab tool, whatever else the message asks; the words beyond the values
(if any) are the guideline question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from labtool.report import LabReport

from assistant.domain.language import DomainLanguage
from assistant.question.followup import Turn
from assistant.routing.completion import complete_message
from assistant.routing.lab_state import ReadValues, with_earlier_values
from assistant.routing.unread import unread_values, with_unread
from assistant.text.sentences import strip_values
from assistant.text.tokens import word_set

# Words that accompany lab values without asking a guideline question (the pack adds its test
# names and the words that describe a patient).
_LAB_WORDS = word_set(
    """serum plasma red cell rbc interpret interpretation result results level levels value
    values patient pt lab labs blood bloods test tests tested showed show shows came back
    reading mean means meaning normal low high check male female man woman men women aged age
    year years old yo y weeks week months month pregnant pregnancy trimester his her their got
    get had has have"""
)

# Words that only ask what a result means; the lab tool's interpretation answers them (the pack
# adds the words of its category labels).
_ABOUT_THE_RESULT = word_set(
    """deficient deficiency deficiencies low lower high higher raised elevated normal abnormal
    ok okay fine bad good worry worried worrying concern concerning significant serious
    indeterminate borderline mean means meaning interpret interpretation range enough too
    right correct classify classified category"""
)


def guideline_question(text: str, language: DomainLanguage, *, has_labs: bool) -> str | None:
    """The part of a message for retrieval, or None when it holds only lab values.

    Without lab values, the whole text is the question (retrieval decides whether the corpus
    covers it). With lab values, a question remains only if words beyond the values, analyte
    names and patient context are left ("B12 240 ng/L: oral or IM?").
    """
    if not has_labs:
        return text.strip() or None
    residual = strip_values(text)
    lab_words = _LAB_WORDS | language.lab_words
    asking = [w for w in language.vocabulary.content_words(residual) if w not in lab_words]
    if len(asking) >= 2 or ("?" in text and asking):
        return residual
    return None


def asks_only_about_result(question: str, language: DomainLanguage) -> bool:
    """Does a question beside lab values only ask what they mean ("Is B12 300 ng/L deficient?")?

    Then the lab tool's interpretation is the whole direct answer; a question with words beyond
    the result ("B12 240 ng/L: oral or IM?") also gets a direct answer from the corpus.
    """
    allowed = _LAB_WORDS | _ABOUT_THE_RESULT | language.lab_words | language.result_words
    return all(
        word in allowed for word in language.vocabulary.content_words(strip_values(question))
    )


# A figure under discussion ("where does the 150 pmol/L cut-off come from?"), not a result.
_CUTOFF_TALK = re.compile(
    r"\b(?:cut-?offs?|thresholds?|limits?|come from|based on)\b", re.IGNORECASE
)

# The lab tool: the message, and the tests a value without a test name may be.
Interpreter = Callable[[str, Sequence[str]], LabReport | None]


@dataclass(frozen=True)
class Route:
    """What a message needs: the lab tool's report (None without lab values) and the question
    for retrieval (None when the message only holds lab values)."""

    report: LabReport | None
    question: str | None
    earlier: frozenset[str] = frozenset()  # tests whose result only an earlier turn gave


def route_message(
    text: str,
    turns: Sequence[Turn],
    interpret: Interpreter,
    language: DomainLanguage,
    read_values: ReadValues | None = None,
) -> Route:
    """Send lab values to the lab tool and the rest of the message to retrieval.

    A bare value ("Her result was 175 ng/L.") is read as the test the conversation is about:
    the tests the latest user turn naming any test names.
    """
    report = interpret(text, ())
    if report is not None and turns and not _CUTOFF_TALK.search(text) and _unnamed(report):
        named = _latest_named_tests(turns, language)
        if named:
            report = interpret(text, sorted(named)) or report
    unread = [] if _CUTOFF_TALK.search(text) else unread_values(text, report)
    lab_text = text
    if turns and (report is None or not report.findings):
        # "pmol/L" after "B12 150", "it was 270 not 170", "and if it was 300?"
        completed = complete_message(
            text, unread, turns, lambda t: interpret(t, ()), language, read_values
        )
        completed_report = interpret(completed, ()) if completed is not None else None
        if completed is not None and completed_report is not None:
            lab_text, unread, report = completed, [], completed_report
    earlier: frozenset[str] = frozenset()
    if unread and (report is None or not report.findings):
        # Only a figure nobody can read ("what if it was 250?"): ask for the test and unit.
        return Route(with_unread(report, unread), None)
    if read_values is not None and turns and not _CUTOFF_TALK.search(text):
        # Results from earlier turns stay in the conversation (a later value replaces one).
        named_now = language.analytes_in(lab_text) if lab_text != text else frozenset()
        combined = with_earlier_values(lab_text, turns, read_values, named_now)
        if combined != lab_text:
            report = interpret(combined, ()) or report
            assumed = tuple(sorted(_latest_named_tests(turns, language)))
            now = {key for key, _ in read_values(lab_text, assumed)} | named_now
            found = report.findings if report is not None else []
            earlier = frozenset(f.analyte for f in found if f.analyte not in now)
    if unread:
        report = with_unread(report, unread)
    asked = guideline_question(text, language, has_labs=report is not None)
    if report is not None and asked is not None and _figures_only(report):
        # "Where does the 150 pmol/L cut-off come from?": a figure under discussion, not a
        # patient's result; the whole message, figure included, is the question.
        return Route(None, guideline_question(text, language, has_labs=False))
    return Route(report, asked, earlier)


def _unnamed(report: LabReport) -> bool:
    return any(error.code == "NO_ANALYTE" for error in report.errors)


def _latest_named_tests(history: Sequence[Turn], language: DomainLanguage) -> frozenset[str]:
    """The tests (rules-file keys) named by the latest user turn that names any."""
    for turn in reversed(history):
        if turn.role == "user" and (named := language.analytes_in(turn.content)):
            return named
    return frozenset()


def _figures_only(report: LabReport) -> bool:
    """Numbers with lab units but no test named: figures being discussed, not results."""
    return not report.findings and all(error.code == "NO_ANALYTE" for error in report.errors)
