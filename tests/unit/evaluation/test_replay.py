"""The replay process of the determinism check: another hash seed, a clear error on failure.
(Answering in it, with the real model and index, is tested in tests/integration/.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.evaluation.replay import Replay, ReplayError, child_environment
from assistant.evaluation.systems import load_answerer


@pytest.mark.parametrize(
    ("parent", "child"),
    [("0", "1"), ("41", "42"), ("4294967295", "0"), ("random", None), (None, None)],
)
def test_the_child_gets_another_hash_seed(parent: str | None, child: str | None) -> None:
    environ = {"PATH": "/bin"} | ({} if parent is None else {"PYTHONHASHSEED": parent})

    env = child_environment(environ)

    assert env.get("PYTHONHASHSEED") == child
    assert env["PATH"] == "/bin"


def test_a_replay_that_fails_is_a_clear_error_and_leaves_nothing_behind(tmp_path: Path) -> None:
    cases = tmp_path / "missing-cases.yaml"
    with Replay(Settings(data_dir=tmp_path), cases, ["c1"]) as replay:
        folder = replay._folder
        with pytest.raises(ReplayError, match="replay process exited 1"):
            replay.signatures(timeout=300)
    assert not folder.exists()


def test_an_answerer_is_named_by_module_and_factory() -> None:
    with pytest.raises(ValueError, match="expected module:factory"):
        load_answerer("tests.integration.eval_faults", Settings())
