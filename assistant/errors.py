"""The chat core's one error type, shared by the pipeline and its input checks."""

from __future__ import annotations


class AssistantError(Exception):
    """Input the assistant cannot accept; the message says what to change."""
