"""The BM25 index of one index version (bm25s), built once and saved beside the passages.

Documents are the passages' index texts (title, section path, text), tokenized by the pack's
vocabulary; the same pass counts every token of the passages' sections and texts (the scope
decision's vocabulary). A pack's vocabulary (spellings, shorthand, lay phrases) decides the
tokens, so the files are kept per vocabulary (`vocabulary_key`). bm25s saves its score matrix
as numpy arrays, loaded memory-mapped: loading takes milliseconds at any corpus size.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.schema import Passage
from assistant.text.tokens import Vocabulary

EMPTY_DOCUMENT = "\u2205"  # bm25s needs a token in every document: an empty one gets this
# Words whose tokens change when the tokenizer's rules change (stemming, stop words, numbers,
# units): their tokens are part of the key, so files written by another tokenizer are not read.
_PROBE = (
    "What treatments were recommended? Colour, color, organisations, organization, measured, "
    "measuring, analyses, X2 180 ng/L, 1.5 mg, µmol/L, μg, IM PO aBc and the of in"
)


def vocabulary_key(words: Vocabulary) -> str:
    """What the tokens of a corpus depend on: the pack's vocabulary and the tokenizer."""
    described = json.dumps(
        [
            sorted(words.spellings.items()),
            sorted(words.abbreviations.items()),
            sorted(words.phrases.items()),
            words.tokenize(_PROBE),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(described.encode("utf-8")).hexdigest()[:16]


@dataclass
class Tokenized:
    documents: list[list[str]]  # per passage: its index text's tokens (the BM25 documents)
    counts: Counter[str]  # every token of the passages' sections and texts


def tokenize_passages(passages: Sequence[Passage], words: Vocabulary) -> Tokenized:
    """One pass over the passages (titles and sections repeat: tokenized once each)."""
    titles: dict[str, list[str]] = {}
    sections: dict[str, list[str]] = {}
    documents: list[list[str]] = []
    counts: Counter[str] = Counter()
    for passage in passages:
        title = titles.get(passage.doc.title)
        if title is None:
            title = titles.setdefault(passage.doc.title, words.tokenize(passage.doc.title))
        section = sections.get(passage.section)
        if section is None:
            section = sections.setdefault(passage.section, words.tokenize(passage.section))
        text = words.tokenize(passage.text)
        # index_text is "title\nsection\ntext": words never span the line breaks.
        documents.append([*title, *section, *text])
        counts.update(section)
        counts.update(text)
    return Tokenized(documents, counts)


def build_bm25(documents: Sequence[Sequence[str]]) -> Any | None:
    """A bm25s index of tokenized documents; None when no document has a token."""
    if not any(documents):
        return None
    import bm25s

    index = bm25s.BM25()
    # bm25s accepts pre-tokenized text; an empty document is given one placeholder token.
    index.index([list(d) or [EMPTY_DOCUMENT] for d in documents], show_progress=False)
    return index


def save_bm25(folder: Path, index: Any | None) -> None:
    if index is not None:
        index.save(str(folder), show_progress=False)


def load_bm25(folder: Path) -> Any | None:
    """The saved index, its score matrix memory-mapped (None when none was saved)."""
    if not (folder / "params.index.json").is_file():
        return None
    import bm25s

    return bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
