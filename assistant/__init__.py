"""Offline clinical guideline assistant: cited answers from a curated corpus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Assistant"]

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


def __getattr__(name: str) -> Any:
    # Lazy: `import assistant` must not pull in torch, Chroma or LangChain.
    if name == "Assistant":
        from assistant.pipeline import Assistant

        return Assistant
    raise AttributeError(name)
