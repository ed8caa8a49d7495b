"""Answer -> chat message: answer first, live citations, grouped references, the lab table,
escaping, and the conversation read back from the chat."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from labtool.report import Finding, LabError, LabReport, SourceRef

from assistant.app import messages as ui_messages
from assistant.app.answer_html import markdown_html
from assistant.schema import AnswerResult, AnswerSection
from tests.unit.ui.conftest import make_citation
from tests.unit.ui.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, Markup


def rendered(result: AnswerResult, links: dict[str, str] | None = None) -> str:
    (message,) = ui_messages.answer_messages(result, turn_id="7", links=links)
    assert message["role"] == "assistant"
    return message["content"]


def visible(shown: str) -> str:
    """The HTML without the answer's hidden Markdown copy."""
    return shown.split('class="answer-markdown"')[0]


def structured_answer() -> AnswerResult:
    citations = [
        make_citation(1, "nice", url=None),
        make_citation(2, "nice", section="Treatment > Oral"),
        make_citation(3, "bsh", review_status="under_review", kind="society_guideline"),
    ]
    direct = "Deficiency is confirmed below 180 ng/L [1]."
    sections = [AnswerSection(heading="Treatment", markdown="- Oral 1 mg daily [2].")]
    more = [AnswerSection(heading="Monitoring", markdown="- Review at 3 months [3].")]
    answer = f"{direct}\n\n### Treatment\n\n- Oral 1 mg daily [2].\n\n### References\n\n1. x"
    return AnswerResult(
        answer=answer,
        direct=direct,
        sections=sections,
        more_detail=more,
        citations=citations,
        disclaimer="**Disclaimer.** Verify.",
    )


def test_the_answer_comes_first_then_sections_then_more_detail_then_sources() -> None:
    shown = rendered(structured_answer())

    order = [
        shown.index('class="direct"'),
        shown.index("<summary>Treatment</summary>"),
        shown.index("<summary>More detail</summary>"),
        shown.index('class="references"'),
        shown.index("Disclaimer."),
    ]
    assert order == sorted(order)
    assert '<details class="section" open>' in shown  # sections open
    assert '<details class="more-detail">' in shown  # "More detail" collapsed
    assert "\n" not in shown  # one HTML block: the chat's Markdown pass leaves it alone


def test_each_marker_is_a_link_with_a_preview_of_the_cited_passage() -> None:
    answer = structured_answer()
    shown = rendered(answer, links={"bsh": "https://example.org/bsh"})

    markup = Markup(shown)
    hrefs = [value for name, value in markup.attributes if name == "href"]
    # A document with a web address opens it; one without jumps to its reference entry.
    assert "https://example.org/bsh" in hrefs
    anchors = [h[1:] for h in hrefs if h.startswith("#")]
    ids = {value for name, value in markup.attributes if name == "id"}
    assert anchors
    assert set(anchors) <= ids
    text = "".join(markup.text)
    for citation in answer.citations:
        assert citation.text in text
        assert citation.title in text
        assert citation.section in text
        assert str(citation.year) in text
    assert "Under review" in text
    assert "Society guideline" in text


def test_an_unknown_citation_number_stays_plain_text() -> None:
    result = AnswerResult(
        answer="x", direct="Cited [1] and [9].", citations=[make_citation(1, "a")]
    )

    shown = rendered(result)

    assert shown.count('class="cite"') == 1
    assert "[9]" in shown


def test_the_reference_list_has_one_entry_per_document_with_its_sections_beneath() -> None:
    shown = rendered(structured_answer())

    references = shown[shown.index('class="references"') :]
    assert references.count('class="ref-doc"') == 2  # nice (two passages) and bsh
    nice = references[references.index("Guideline nice") : references.index("Guideline bsh")]
    assert "Diagnosis &gt; Part 1" in nice
    assert "Treatment &gt; Oral" in nice
    assert "Sources: 2 documents, 3 cited passages" in references


def test_lab_results_are_a_table_and_their_lines_are_not_repeated_below_it() -> None:
    ref = SourceRef(doc_id="nice", title="NICE", section="Thresholds")
    finding = Finding(
        analyte="b12",
        analyte_name="Vitamin B12",
        value=150,
        unit="ng/L",
        canonical_value=150,
        canonical_unit="ng/L",
        category="deficient",
        category_label="B12 deficiency confirmed",
        summary="Vitamin B12 150 ng/L: B12 deficiency confirmed [below 180 ng/L].",
        near_threshold=False,
        sources=[ref],
        converted={"ng/L": 150.0, "pmol/L": 110.67},
        thresholds=["B12 deficiency confirmed: below 180 ng/L", "Unlikely: above 180 ng/L"],
        rule_id="b12-internal-rule-id",
    )
    labs = LabReport(
        findings=[finding, finding],
        errors=[LabError(input="B12 -3", code="IMPLAUSIBLE", message="negative value")],
    )
    direct = (
        "- Vitamin B12 150 ng/L: B12 deficiency confirmed [1]. Source: NICE.\n"
        "- **Conclusion:** Treat [1]."
    )
    result = AnswerResult(
        answer=direct,
        direct=direct,
        labs=labs,
        citations=[make_citation(1, "nice", section="Thresholds")],
    )

    shown = visible(rendered(result))

    assert shown.count("<tr>") == 2  # the header and one row: the repeated value once
    assert "Given 2 times in the message" in shown
    assert "111 pmol/L" in shown
    assert "110.67" not in shown
    assert "badge" in shown
    assert "B12 deficiency confirmed" in shown
    assert "Conclusion:" in shown
    assert "Source: NICE." not in shown  # the finding's line: the table shows it
    assert "negative value" in shown
    assert "IMPLAUSIBLE" not in shown
    assert "b12-internal-rule-id" not in shown


def test_an_answer_without_parts_is_shown_whole() -> None:
    result = AnswerResult(answer="A model's free text [1].", citations=[make_citation(1, "a")])

    shown = rendered(result)

    assert "A model&#x27;s free text" in shown or "A model's free text" in shown
    assert 'class="cite"' in shown


HOSTILE = st.sampled_from(
    [
        '<img src=x onerror="alert(1)">',
        "<script>alert('x')</script>",
        "![pixel](http://tracker.example.invalid/p.png)",
        '<a href="javascript:alert(1)">x</a>',
        "[link](javascript:alert(1))",
        '" onmouseover="alert(1)',
        "<details open><summary>x</summary></details>",
        "&lt;b&gt;",
        "<!-- comment -->",
    ]
)


@settings(max_examples=60, deadline=None)
@given(payload=HOSTILE, where=st.integers(min_value=0, max_value=5))
def test_text_from_anywhere_never_becomes_markup_or_fetches_anything(
    payload: str, where: int
) -> None:
    fields = ["B12 below 180 ng/L [1]."] * 6
    fields[where] = f"{fields[where]} {payload}"
    result = AnswerResult(
        answer=fields[0],
        direct=fields[1],
        sections=[AnswerSection(heading=fields[2], markdown=fields[3])],
        notices=[fields[4]],
        citations=[make_citation(1, "doc", title=fields[5], text=payload, section=payload)],
    )

    markup = Markup(rendered(result, links={"doc": "https://example.org/doc"}))

    assert set(markup.tags) <= ALLOWED_TAGS
    assert {name for name, _ in markup.attributes} <= ALLOWED_ATTRIBUTES
    hrefs = [value for name, value in markup.attributes if name == "href"]
    assert all(h.startswith(("#ref-", "https://example.org/")) for h in hrefs)
    assert "img" not in markup.tags
    assert "script" not in markup.tags


def test_markdown_images_and_raw_html_are_text() -> None:
    shown = markdown_html("![x](http://e.invalid/p.png) <b>bold</b>")

    assert "<img" not in shown
    assert "<b>" not in shown


def test_the_conversation_read_back_is_what_was_asked_and_answered() -> None:
    answer = structured_answer()
    history = [
        {"role": "user", "content": [{"type": "text", "text": "What is &lt;180 ng/L?"}]},
        *ui_messages.answer_messages(answer, turn_id="1"),
        *ui_messages.error_messages("the question is empty"),
        {"role": "user", "content": "And MMA?"},
        *ui_messages.pending_messages(),
    ]

    assert ui_messages.history_for_assistant(history) == [
        {"role": "user", "content": "What is <180 ng/L?"},
        {"role": "assistant", "content": answer.answer},
        {"role": "user", "content": "And MMA?"},
    ]
    assert ui_messages.asked_questions(history) == ["What is <180 ng/L?", "And MMA?"]


def test_api_history_is_read_as_given() -> None:
    history = [
        {"role": "user", "content": "What B12 level confirms deficiency?"},
        {"role": "assistant", "content": "Below 180 ng/L [1]."},
    ]

    assert ui_messages.history_for_assistant(history) == history


def test_question_before_finds_the_user_message_a_turn_replies_to() -> None:
    history: list[dict[str, object]] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": [{"type": "text", "text": "second &lt;b&gt;"}]},
        {"role": "assistant", "content": "a2"},
    ]

    assert ui_messages.question_before(history, 1) == "first"
    assert ui_messages.question_before(history, 3) == "second <b>"
    assert ui_messages.question_before(history, 0) == ""


def test_users_html_is_escaped_once_however_often_the_chat_is_redrawn() -> None:
    history = [
        {"role": "user", "content": "<img src=x> & 5 < 6"},
        {"role": "assistant", "content": "<kept as the app wrote it>"},
    ]

    once = ui_messages.escape_user_messages(history)
    twice = ui_messages.escape_user_messages(once)

    assert once == twice
    assert once[0] == {"role": "user", "content": "&lt;img src=x> & 5 &lt; 6"}
    assert once[1] == history[1]


def test_error_message_is_escaped() -> None:
    (message,) = ui_messages.error_messages("question is <empty>")

    assert "question is &lt;empty&gt;" in message["content"]
    assert "<empty>" not in message["content"]


def test_with_the_approved_only_switch_passages_not_approved_are_pointed_out() -> None:
    answer = structured_answer()  # one of its three citations is under review

    switched = visible(ui_messages.answer_messages(answer, "1", approved_only=True)[0]["content"])
    plain = visible(rendered(answer))

    assert "Approved sources only" in switched
    assert "1 cited passage comes" in switched
    assert "Approved sources only" not in plain
