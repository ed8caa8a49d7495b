"""The search files of one index version: written at ingest, read by searchers in milliseconds.

Besides its Chroma collection, a version has files in the data folder (`indexes/<collection>/
<identity>/`): its passages (assistant.index.passage_files), its BM25 index per pack vocabulary
(`lexical-<key>/`, assistant.index.lexical_files) and its statements per pack meta patterns
(`statements-<key>/`, assistant.index.statement_files). The identity digests what the
collection holds (its name, model, corpus hash and size), so the files of a version are found
again by any process, with the embedded store or a Chroma server. Each part is written into a
temporary folder and renamed into place: a reader sees all of it or nothing. An index built
before these files existed gets them on first use (assistant.retrieval.corpus).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.domain.language import DomainLanguage
from assistant.domain.pack import PackError, load_domain
from assistant.index import statement_files as statements
from assistant.index.lexical_files import (
    build_bm25,
    save_bm25,
    tokenize_passages,
    vocabulary_key,
)
from assistant.index.passage_files import write_passages, write_terms
from assistant.index.store import ChunkStore, StoreError, private_folder
from assistant.schema import Passage
from assistant.text.tokens import Vocabulary

logger = logging.getLogger(__name__)

FORMAT = "1"
SUBDIR = "indexes"
PASSAGES = "passages"
LEXICAL = "lexical-"
STATEMENTS = "statements-"


@dataclass(frozen=True)
class Identity:
    """What one complete version of an index holds."""

    name: str
    model: str
    corpus_hash: str
    count: int

    @property
    def key(self) -> str:
        described = json.dumps([FORMAT, self.name, self.model, self.corpus_hash, self.count])
        return hashlib.sha256(described.encode("utf-8")).hexdigest()[:20]


def identity_of(source: Any) -> Identity | None:
    """The identity of a complete version; None for anything else (a version being built in
    place, a test's stand-in store): its files would describe something that still changes."""
    if not isinstance(source, ChunkStore):
        return None
    manifest = source.manifest()
    if not manifest.corpus_hash:
        return None
    return Identity(source.name, manifest.model, manifest.corpus_hash, source.count())


def version_folder(settings: Settings, identity: Identity) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", identity.name)
    return settings.data_dir / SUBDIR / safe / identity.key


@dataclass(frozen=True)
class Profile:
    """What a pack adds to the files: its vocabulary (tokens) and which sentences are notes
    about the documents rather than statements."""

    words: Vocabulary
    meta_patterns: tuple[str, ...]
    skip: Callable[[str], bool]

    @property
    def lexical(self) -> str:
        return LEXICAL + vocabulary_key(self.words)

    @property
    def statements(self) -> str:
        return STATEMENTS + statements.statements_key(self.meta_patterns)


def pack_profile(pack: Path) -> Profile:
    """The profile of a pack's domain file (raises PackError when it is broken)."""
    domain = load_domain(pack)
    if domain is None:
        return Profile(Vocabulary(), (), lambda _sentence: False)
    language = DomainLanguage(domain)  # the same vocabulary and notes test as the pipeline's
    return Profile(language.vocabulary, tuple(domain.meta_patterns), language.is_meta)


def publish_folder(target: Path, write: Callable[[Path], None]) -> None:
    """Write a part into a temporary sibling, then rename it into place (a reader never sees
    half of it). When another process got there first, its copy stays."""
    if target.is_dir():
        return
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=".building-"))
    try:
        write(temporary)
        try:
            os.rename(temporary, target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def ensure_passages(folder: Path, passages: Sequence[Passage]) -> None:
    publish_folder(folder / PASSAGES, lambda path: write_passages(path, passages))


def ensure_lexical(folder: Path, passages: Sequence[Passage], words: Vocabulary) -> None:
    def write(path: Path) -> None:
        tokenized = tokenize_passages(passages, words)
        save_bm25(path, build_bm25(tokenized.documents))
        write_terms(path, tokenized.counts)

    publish_folder(folder / (LEXICAL + vocabulary_key(words)), write)


def ensure_statements(
    folder: Path,
    passages: Sequence[Passage],
    profile: Profile,
    embed: statements.Embed,
    sources: Sequence[ChunkStore] = (),
    share_to: ChunkStore | None = None,
) -> int:
    """The statement cache of a version; vectors copied from `sources` (statement collections)
    where they are, else embedded; `share_to` (the version's own collection) receives every
    vector it lacks. Returns how many statements were embedded."""
    target = folder / profile.statements
    if target.is_dir():
        return 0
    texts, chunk_ids = statements.statement_texts(passages, profile.skip)
    searchable = len(texts)
    extra, extra_ids = statements.lookup_texts(passages, profile.skip, set(texts))
    texts, chunk_ids = [*texts, *extra], [*chunk_ids, *extra_ids]

    def share(rows: list[int], vectors: np.ndarray) -> None:
        if share_to is not None and rows:
            chosen = [texts[r] for r in rows]
            statements.store_vectors(share_to, chosen, [chunk_ids[r] for r in rows], vectors)

    vectors, origin = statements.gather_vectors(texts, sources, embed, share)
    own = next((n for n, source in enumerate(sources) if source is share_to), -1)
    copied = [row for row in range(len(texts)) if origin[row] >= 0 and origin[row] != own]
    share(copied, vectors[copied])  # copied from the version before: now this one's too
    position = {passage.chunk_id: row for row, passage in enumerate(passages)}
    rows = np.array([position[c] for c in chunk_ids], dtype=np.int32)
    publish_folder(
        target, lambda path: statements.write_cache(path, texts, rows, searchable, vectors)
    )
    return int((origin < 0).sum())


def publish(
    settings: Settings,
    target: ChunkStore,
    open_collection: Callable[[str, bool], ChunkStore],
    reference: ChunkStore | None = None,
    embed: statements.Embed | None = None,
) -> int:
    """At ingest: every search file of a complete version, and its statement collection.

    `open_collection(name, create)` opens a collection of the same store. Returns how many
    statements were embedded. A broken domain file leaves the files to the first search
    (which reports the domain file's problem itself).
    """
    identity = identity_of(target)
    if identity is None:
        return 0
    try:
        profile = pack_profile(settings.pack)
    except PackError as exc:
        logger.warning("search files not written (%s): built on first use", exc)
        return 0
    private_folder(settings.data_dir)
    folder = version_folder(settings, identity)
    passages = _passages(target)
    ensure_passages(folder, passages)
    ensure_lexical(folder, passages, profile.words)
    own = open_collection(statements.collection_name(target.name), True)
    sources = [own]
    if reference is not None and reference.name != target.name:
        # A version built before statement collections has none: nothing to copy.
        with contextlib.suppress(StoreError):
            sources.append(open_collection(statements.collection_name(reference.name), False))
    return ensure_statements(
        folder, passages, profile, embed or model_embed(settings), sources, share_to=own
    )


def _passages(store: ChunkStore) -> list[Passage]:
    from assistant.index.passage_files import sorted_passages

    return sorted_passages(store.all_chunks())


def model_embed(settings: Settings) -> statements.Embed:
    """The index's embedding model as a function of texts (loaded on first call)."""

    def embed(texts: Sequence[str]) -> np.ndarray:
        from assistant.index.embeddings import embeddings_for

        vectors = embeddings_for(settings).embed_documents(list(texts))
        return np.asarray(vectors, dtype=np.float32)

    return embed


def prune(settings: Settings, names: Sequence[str], current: Identity | None = None) -> None:
    """Remove the files of versions that no longer exist, and older files of `current`'s
    collection. Files open in a running process stay readable until it closes them."""
    root = settings.data_dir / SUBDIR
    if not root.is_dir():
        return
    kept = {re.sub(r"[^A-Za-z0-9._-]", "_", name) for name in names}
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in kept:
            shutil.rmtree(folder, ignore_errors=True)
    if current is not None:
        own = version_folder(settings, current)
        for folder in own.parent.glob("*"):
            if folder.is_dir() and folder != own and not folder.name.startswith("."):
                shutil.rmtree(folder, ignore_errors=True)
