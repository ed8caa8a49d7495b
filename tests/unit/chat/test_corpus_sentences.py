"""Every sentence the composer may quote from the real corpus reads correctly on its own.

An extractive answer shows corpus sentences one by one, away from their neighbours and heading.
So a quotable sentence (not in a document's summary or source notes, not about the corpus
itself) must not hinge on the sentence before it, must not be about the source page rather than
patients and tests, and, when it states a figure, must name what the figure is about.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from assistant.answer.candidates import (
    heading_of,
    is_quotable_section,
    leans_back,
    passage_sentences,
)
from assistant.config import PROJECT_ROOT
from assistant.domain.language import DomainLanguage
from assistant.sources.lookup import CorpusLookup
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
        if not is_quotable_section(section):
            continue
        for passage in passages:
            found.extend(
                (doc_id, heading_of(passage), sentence)
                for sentence in passage_sentences(passage)
                if not _language().is_meta(sentence)
            )
    return found


def test_the_corpus_has_quotable_sentences() -> None:
    assert len(_quotable()) > 150


@pytest.mark.parametrize(
    ("doc_id", "heading", "sentence"),
    _quotable(),
    ids=[f"{doc_id}-{index}" for index, (doc_id, _, _) in enumerate(_quotable())],
)
def test_quotable_sentence_stands_alone(doc_id: str, heading: str, sentence: str) -> None:
    b12_language = _language()
    assert not leans_back(sentence), f"{doc_id} § {heading}: leans on the previous sentence"
    assert not _PROVENANCE.search(sentence), f"{doc_id} § {heading}: provenance belongs in notes"
    if number_tokens(sentence) and b12_language.subjects_of(heading):
        assert b12_language.subjects_of(sentence), (
            f"{doc_id} § {heading}: figure without its subject"
        )
