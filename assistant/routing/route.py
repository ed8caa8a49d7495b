"""Decide what a message needs: the lab tool, retrieval, or both.

Lab values always go to the lab tool, whatever else the message asks; the words beyond the values
(if any) are the guideline question.
"""

from __future__ import annotations

from assistant.domain.topics import content_words, strip_values, word_set

# Words that accompany lab values without asking a guideline question.
_LAB_WORDS = word_set(
    """b12 vitamin cobalamin mma methylmalonic acid holotc active holotranscobalamin folate
    serum plasma red cell rbc ferritin hb haemoglobin hgb mcv epo erythropoietin homocysteine
    interpret interpretation result results level levels value values patient pt lab labs
    blood bloods test tests tested showed show shows came back reading mean means meaning
    normal low high check male female man woman men women aged age year years old yo y weeks
    week months month pregnant pregnancy trimester crp inflammation ibd flare his her their
    got get had has have"""
)

# Words that only ask what a result means; the lab tool's interpretation answers them.
_ABOUT_THE_RESULT = word_set(
    """deficient deficiency deficiencies low lower high higher raised elevated normal abnormal
    ok okay fine bad good worry worried worrying concern concerning significant serious
    indeterminate borderline anaemic anemic anaemia anemia iron mean means meaning interpret
    interpretation range enough too right correct classify classified category"""
)


def guideline_question(text: str, *, has_labs: bool) -> str | None:
    """The part of a message for retrieval, or None when it holds only lab values.

    Without lab values, the whole text is the question (retrieval decides whether the corpus
    covers it). With lab values, a question remains only if words beyond the values, analyte
    names and patient context are left ("B12 240 ng/L: oral or IM?").
    """
    if not has_labs:
        return text.strip() or None
    residual = strip_values(text)
    asking = [word for word in content_words(residual) if word not in _LAB_WORDS]
    if len(asking) >= 2 or ("?" in text and asking):
        return residual
    return None


def asks_only_about_result(question: str) -> bool:
    """Does a question beside lab values only ask what they mean ("Is B12 300 ng/L deficient?")?

    Then the lab tool's interpretation is the whole direct answer; a question with words beyond
    the result ("B12 240 ng/L: oral or IM?") also gets a direct answer from the corpus.
    """
    return all(
        word in _LAB_WORDS or word in _ABOUT_THE_RESULT
        for word in content_words(strip_values(question))
    )
