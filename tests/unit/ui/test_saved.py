"""Conversations kept in the browser: what is stored, and what the server accepts back."""

from __future__ import annotations

import stat
from pathlib import Path

from assistant.app import messages as ui_messages
from assistant.app import saved
from assistant.app.feedback import RatedAnswer
from assistant.schema import AnswerResult


def conversation(turns: int) -> tuple[list[dict[str, object]], dict[int, RatedAnswer]]:
    messages: list[dict[str, object]] = []
    rated: dict[int, RatedAnswer] = {}
    for n in range(turns):
        answer = AnswerResult(answer=f"Answer {n} [1].", direct=f"Answer {n}.")
        messages.append({"role": "user", "content": f"Question {n}"})
        messages.extend(dict(m) for m in ui_messages.answer_messages(answer, str(len(messages))))
        rated[len(messages) - 1] = RatedAnswer(question=f"Question {n}", answer=answer.answer)
    return messages, rated


def test_a_saved_conversation_comes_back_with_its_ratings(tmp_path: Path) -> None:
    signer = saved.TurnSigner(saved.server_key(tmp_path))
    messages, rated = conversation(3)

    restored, turns = saved.restore(saved.save(messages, rated, signer), signer)

    assert restored == messages
    assert turns == rated
    assert ui_messages.history_for_assistant(restored)[-1]["content"] == "Answer 2 [1]."


def test_a_rating_target_changed_in_the_browser_is_not_accepted(tmp_path: Path) -> None:
    signer = saved.TurnSigner(saved.server_key(tmp_path))
    messages, rated = conversation(2)
    value = saved.save(messages, rated, signer)
    value["turns"]["1"]["rated"]["answer"] = "Something the assistant never said"

    _, turns = saved.restore(value, signer)

    assert set(turns) == {3}  # the untouched turn only


def test_another_installation_cannot_vouch_for_a_rating(tmp_path: Path) -> None:
    messages, rated = conversation(1)
    value = saved.save(messages, rated, saved.TurnSigner(saved.server_key(tmp_path / "a")))

    _, turns = saved.restore(value, saved.TurnSigner(saved.server_key(tmp_path / "b")))

    assert turns == {}


def test_a_long_conversation_keeps_its_latest_turns_from_a_question(tmp_path: Path) -> None:
    signer = saved.TurnSigner(saved.server_key(tmp_path))
    messages, rated = conversation(saved.MAX_SAVED_MESSAGES)

    restored, turns = saved.restore(saved.save(messages, rated, signer), signer)

    assert len(restored) <= saved.MAX_SAVED_MESSAGES
    assert restored[0]["role"] == "user"
    assert restored == messages[-len(restored) :]
    assert all(restored[i]["role"] == "assistant" for i in turns)
    assert {t.question for t in turns.values()} == {
        str(m["content"]) for m in restored if m["role"] == "user"
    }


def test_a_damaged_copy_restores_nothing(tmp_path: Path) -> None:
    signer = saved.TurnSigner(saved.server_key(tmp_path))

    for value in (None, "text", {"messages": "x"}, {"version": 99, "messages": []}, [1, 2]):
        assert saved.restore(value, signer) == ([], {})


def test_the_key_is_made_once_and_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = saved.server_key(tmp_path)

    assert saved.server_key(tmp_path) == key
    assert len(key) == 32
    mode = stat.S_IMODE((tmp_path / saved.KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert saved.browser_secret(key) not in key.hex()  # the page never gets the signing key
