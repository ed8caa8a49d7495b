"""One ingest at a time per data folder: a thread lock in this process and a lock file (flock)
across processes. Waiting is never silent: a log line says whom it waits for."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.config import Settings
from assistant.index.store import private_folder

LOCK_FILE = ".ingest.lock"
_process_lock = threading.Lock()
logger = logging.getLogger("assistant.index.build")


@contextmanager
def exclusive(settings: Settings, *, wait: bool) -> Iterator[bool]:
    """Hold the ingest lock for the block; yields False (without waiting) when `wait` is off and
    another ingest holds it, else True."""
    private_folder(settings.data_dir)
    path = settings.data_dir / LOCK_FILE
    if not _process_lock.acquire(blocking=False):
        if not wait:
            yield False
            return
        logger.warning("waiting for the ingest running in this process to finish")
        _process_lock.acquire()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    yield False
                    return
                logger.warning(
                    "waiting for the ingest running in another process to finish (lock: %s)", path
                )
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        _process_lock.release()
