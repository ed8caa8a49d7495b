"""Lab values across a conversation: every turn's results stay, a later value of a test replaces
an earlier one, and the lab tool reads them together with this turn's.

"B12 210 ng/L" in one turn and "MMA 380 nmol/L" in the next meet in one interpretation, so the
conclusions combine them, and "what should I do next?" is answered from those results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.question.followup import Turn

# A message's lab values as (rules-file key, the value as the lab tool reads it alone:
# "B12 210 ng/L"), given the tests a value without a test name may be.
ReadValues = Callable[[str, Sequence[str]], list[tuple[str, str]]]


def with_earlier_values(
    text: str,
    turns: Sequence[Turn],
    read_values: ReadValues,
    given: frozenset[str] = frozenset(),
) -> str:
    """This message preceded by the latest earlier value of every test it does not give itself
    (nor names in `given`: a figure of it this message gives without a unit).

    The earlier values are written as the user wrote them, so the lab tool reads them exactly
    as before; this message comes last and wins for any test it gives again (a correction).
    """
    latest: dict[str, str] = {}
    for turn in turns:
        if turn.role != "user":
            continue
        # "It was 270 ng/L, not 170": a value without a test name is the earlier turns' test.
        for key, written in read_values(turn.content, tuple(latest)):
            latest.pop(key, None)  # keep the order of the latest mention
            latest[key] = written
    now = {key for key, _ in read_values(text, tuple(latest))} | given
    earlier = [written for key, written in latest.items() if key not in now]
    if not earlier:
        return text
    return f"{'; '.join(earlier)}. {text}"
