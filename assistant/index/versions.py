"""Index versions: each pack's index is a series of Chroma collections, one live at a time.

A complete version is never written again. A change (an `ingest` that adds, removes or edits a
chunk, or an `ingest --rebuild`) builds a new collection `<pack>--v<N>` beside the live one
(vectors of unchanged chunks are copied, not recomputed) and, once it is complete, switches to it
by rewriting the pointer: the metadata of a tiny collection `<pack>--live`, one atomic update in
Chroma itself, so the switch is seen by every process in both the embedded and the server mode.
Searchers read the pointer before each question, so a running app moves to the new version on its
next question; until the switch the old version keeps serving.

The pointer also names the version being built and every source it was given, written before the
first chunk, so an interrupted build is finished by the next `ingest` or start-up with all its
sources. Superseded versions are deleted by a later ingest once RETIRED_GRACE_SECONDS have passed
(questions in flight in other processes finish on them) and no searcher in this process holds them.

The very first build of a pack writes the plain collection `<pack>` in place (there is nothing
to serve yet); an index built before versions existed is that collection, and stays live.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.config import Settings
from assistant.index.statement_files import collection_name as statement_collection
from assistant.index.store import (
    ChunkStore,
    Manifest,
    StoreError,
    client_for,
    describe_location,
    forget_client,
)

POINTER_SUFFIX = "--live"
VERSION_MARK = "--v"
POINTER_FORMAT = 1
RETIRED_GRACE_SECONDS = 300.0


@dataclass(frozen=True)
class Pointer:
    """Which collection is live, which one is being built (with its sources), which retired."""

    live: str = ""
    serial: int = 0  # bumped at every switch: part of the version searchers compare
    building: str = ""
    building_sources: tuple[str, ...] = ()
    building_fresh: bool = False  # a rebuild: nothing is copied from the live version
    retired: Mapping[str, float] = field(default_factory=dict)  # name -> when it was replaced

    def as_metadata(self) -> dict[str, str | int | bool]:
        return {
            "pointer_format": POINTER_FORMAT,
            "live": self.live,
            "serial": self.serial,
            "building": self.building,
            "building_sources": json.dumps(list(self.building_sources)),
            "building_fresh": self.building_fresh,
            "retired": json.dumps(dict(self.retired)),
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> Pointer:
        data = dict(metadata or {})
        try:
            sources = tuple(str(s) for s in json.loads(str(data.get("building_sources", "[]"))))
            retired_at = json.loads(str(data.get("retired", "{}")))
            retired = {str(k): float(v) for k, v in retired_at.items()}
        except (json.JSONDecodeError, TypeError, ValueError, AttributeError):
            sources, retired = (), {}
        return cls(
            live=str(data.get("live", "")),
            serial=int(data.get("serial", 0) or 0),
            building=str(data.get("building", "")),
            building_sources=sources,
            building_fresh=bool(data.get("building_fresh", False)),
            retired=retired,
        )


# Versions a searcher of this process holds (name per store location -> holders): never deleted.
_held: dict[tuple[str, str], int] = {}
_held_lock = threading.Lock()


def _hold(store: ChunkStore) -> ChunkStore:
    key = (store.location, store.name)
    with _held_lock:
        _held[key] = _held.get(key, 0) + 1
    weakref.finalize(store, _release, key)
    return store


def _release(key: tuple[str, str]) -> None:
    with _held_lock:
        left = _held.get(key, 0) - 1
        if left > 0:
            _held[key] = left
        else:
            _held.pop(key, None)


def _is_held(location: str, name: str) -> bool:
    with _held_lock:
        return _held.get((location, name), 0) > 0


class IndexVersions:
    """The versions of one pack's index in one Chroma (a folder or a server)."""

    def __init__(self, settings: Settings) -> None:
        self.base = settings.collection
        self.location = describe_location(settings)
        try:
            self._client = client_for(settings)
        except StoreError:
            forget_client(settings)
            raise

    @property
    def pointer_name(self) -> str:
        return f"{self.base}{POINTER_SUFFIX}"

    def _failed(self, action: str, exc: Exception) -> StoreError:
        return StoreError(f"cannot {action} the Chroma index at {self.location}: {exc}")

    def pointer(self) -> Pointer:
        """The pointer as written by the last ingest (an empty one before the first)."""
        try:
            collection = self._client.get_collection(self.pointer_name, embedding_function=None)
        except Exception as exc:
            if _is_not_found(exc):
                return Pointer()
            raise self._failed("read", exc) from exc
        return Pointer.from_metadata(collection.metadata)

    def write_pointer(self, pointer: Pointer) -> Pointer:
        """Replace the pointer in one update (a reader sees the old or the new one)."""
        try:
            collection = self._client.get_or_create_collection(
                self.pointer_name, metadata=pointer.as_metadata(), embedding_function=None
            )
            collection.modify(metadata=pointer.as_metadata())
        except Exception as exc:
            raise self._failed("write", exc) from exc
        return pointer

    def names(self) -> list[str]:
        """Every collection of this pack's index (the pointer left out)."""
        try:
            listed = self._client.list_collections()
        except Exception as exc:
            raise self._failed("list", exc) from exc
        names = [getattr(c, "name", c) for c in listed]
        pattern = re.compile(re.escape(self.base) + rf"(?:{re.escape(VERSION_MARK)}\d+)?")
        return sorted(str(n) for n in names if pattern.fullmatch(str(n)))

    def live_name(self, pointer: Pointer | None = None) -> str:
        return (pointer or self.pointer()).live or self.base

    def open(
        self, name: str, *, create: bool = False, manifest: Manifest | None = None
    ) -> ChunkStore:
        return ChunkStore(self._client, name, self.location, create=create, manifest=manifest)

    def open_other(self, name: str, create: bool) -> ChunkStore:
        """A collection beside the versions (a version's statement collection)."""
        return ChunkStore(self._client, name, self.location, create=create)

    def exists(self, name: str) -> bool:
        return name in self.names()

    def next_name(self, pointer: Pointer) -> str:
        numbers = [0, pointer.serial]
        for name in [*self.names(), *pointer.retired, pointer.building, pointer.live]:
            if name.startswith(self.base + VERSION_MARK):
                numbers.append(int(name.rsplit(VERSION_MARK, 1)[1]))
        return f"{self.base}{VERSION_MARK}{max(numbers) + 1}"

    def delete(self, name: str) -> None:
        """Delete a version and its statement collection."""
        with contextlib.suppress(Exception):  # none (built before them) is fine
            self._client.delete_collection(statement_collection(name))
        try:
            self._client.delete_collection(name)
        except Exception as exc:
            if self.exists(name):
                raise self._failed("delete a version of", exc) from exc

    def switch(self, pointer: Pointer, name: str) -> Pointer:
        """Make `name` live (the build is complete); the previous live version is retired."""
        retired = dict(pointer.retired)
        previous = self.live_name(pointer)
        if previous != name:
            retired[previous] = time.time()
        retired.pop(name, None)
        return self.write_pointer(Pointer(live=name, serial=pointer.serial + 1, retired=retired))

    def collect_garbage(self, pointer: Pointer) -> Pointer:
        """Delete superseded versions past their grace time that no searcher here holds.
        Call under the ingest lock (the pointer is rewritten)."""
        keep = {self.live_name(pointer), pointer.building}
        now = time.time()
        retired = dict(pointer.retired)
        existing = self.names()
        for name in existing:
            if name in keep:
                continue
            since = retired.setdefault(name, now)  # a leftover: its grace starts now
            if now - since >= RETIRED_GRACE_SECONDS and not _is_held(self.location, name):
                self.delete(name)
                retired.pop(name)
        for name in [n for n in retired if n in keep or n not in existing]:
            retired.pop(name)
        if retired != dict(pointer.retired):
            pointer = self.write_pointer(replace(pointer, retired=retired))
        return pointer


def _is_not_found(exc: Exception) -> bool:
    """Chroma's "no such collection" (NotFoundError; older clients raise a ValueError)."""
    return type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc).lower()


def live_store(settings: Settings) -> ChunkStore:
    """The live version (the plain collection, created empty, before any index exists)."""
    versions = IndexVersions(settings)
    pointer = versions.pointer()
    return versions.open(versions.live_name(pointer), create=not pointer.live)


def index_versions(settings: Settings) -> list[str]:
    """Every version of the pack's index that exists now (live, building and retired)."""
    return IndexVersions(settings).names()


class LiveIndex:
    """What a searcher reads: the live version, followed from question to question.

    `index_version()` reads the pointer (one small read); `snapshot()` opens the version it
    names, and the searcher queries that store until the version changes, so one question is
    answered from one version even when a switch happens meanwhile.
    """

    def __init__(self, settings: Settings) -> None:
        self._versions = IndexVersions(settings)

    def index_version(self) -> str:
        return self._describe(self._versions.pointer())[0]

    def snapshot(self) -> tuple[str, ChunkStore]:
        pointer = self._versions.pointer()
        version, name = self._describe(pointer)
        store = self._versions.open(name, create=not pointer.live)
        if not pointer.live:  # the plain collection, still being built in place: say how far
            version = f"{version}|{store.index_version()}"
        return version, _hold(store)

    def _describe(self, pointer: Pointer) -> tuple[str, str]:
        name = self._versions.live_name(pointer)
        if pointer.live:
            return f"{name}#{pointer.serial}", name
        try:  # before the first switch: the collection's own manifest and size tell
            return f"{name}|{self._versions.open(name).index_version()}", name
        except StoreError as exc:
            if not _is_not_found(exc):
                raise
            return f"{name}|missing", name

    # The ChunkSource protocol, for callers that do not pin a version.
    def all_chunks(self) -> list[Any]:
        return self.snapshot()[1].all_chunks()

    def query(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self.snapshot()[1].query(*args, **kwargs)


def open_live_index(settings: Settings) -> LiveIndex:
    return LiveIndex(settings)
