"""Every statement the composer may quote from the real corpus reads correctly on its own.

An extractive answer shows corpus statements one by one, away from their neighbours and heading.
A statement is a sentence with the sentences that lean on it. So a quotable statement (not in a
document's summary or source notes, not about the corpus itself) must not begin by hinging on a
sentence before it, must not be about the source page rather than patients and tests, and, when
it states a figure, must name what the figure is about.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from assistant.config import PROJECT_ROOT
from assistant.domain.language import DomainLanguage
from assistant.sources.lookup import CorpusLookup
from assistant.sources.statements import heading_of, leans_back, quotable_section, statements_of
from assistant.text.sentences import number_tokens

# Wording only meaningful inside the source page ("As reproduced on the seed page, ...").
_PROVENANCE = re.compile(r"seed (?:answer )?page|as reproduced|only primary document", re.I)


@cache
def _language() -> DomainLanguage:
    """The B12 pack's language, at collection time (the sentences parametrize the tests)."""
    from assistant.config import Settings
    from assistant.resources import Resources

    return Resources(Settings(pack=PROJECT_ROOT / "corpus" / "b12")).language()


@cache
def _quotable() -> list[tuple[str, str, str]]:
    lookup = CorpusLookup(PROJECT_ROOT / "corpus" / "b12")
    found: list[tuple[str, str, str]] = []
    for (doc_id, section), passages in sorted(lookup._index().items()):
        if not quotable_section(section):
            continue
        for passage in passages:
            found.extend(
                (doc_id, heading_of(passage.section), statement.text)
                for statement in statements_of(passage.text, skip=_language().is_meta)
            )
    return found


def test_the_corpus_has_quotable_statements() -> None:
    assert len(_quotable()) > 150


@pytest.mark.parametrize(
    ("doc_id", "heading", "sentence"),
    _quotable(),
    ids=[f"{doc_id}-{index}" for index, (doc_id, _, _) in enumerate(_quotable())],
)
def test_quotable_statement_stands_alone(doc_id: str, heading: str, sentence: str) -> None:
    b12_language = _language()
    assert not leans_back(sentence), f"{doc_id} § {heading}: leans on the previous sentence"
    assert not _PROVENANCE.search(sentence), f"{doc_id} § {heading}: provenance belongs in notes"
    if number_tokens(sentence) and b12_language.subjects_of(heading):
        assert b12_language.subjects_of(sentence), (
            f"{doc_id} § {heading}: figure without its subject"
        )


@pytest.mark.parametrize(
    "caveat",
    [
        "No guideline sets 150 pmol/L as a treatment target.",
        "The overview disagrees with the national bands.",
        "However, the figure should be confirmed before being relied on.",
    ],
)
def test_a_qualifying_sentence_travels_with_the_statement_before_it(caveat: str) -> None:
    text = f"An overview calls 150 pmol/L the recommended level in anaemia. {caveat}"
    (statement,) = statements_of(text)
    assert statement.caveated
    assert statement.text.endswith(caveat)
