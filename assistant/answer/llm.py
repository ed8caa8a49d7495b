"""Optional language model: any LangChain chat model, chosen by settings, off by default.

The only module that imports langchain-openai or langchain-ollama, and only when a provider is
configured. It builds the model and asks it, for the whole reply or piece by piece as the
endpoint streams it. Every way an endpoint can fail (a timeout, a refused connection, an HTTP
error status, a reply that is not the JSON the API promises, a stream that stops before the model
says it has finished, an empty reply) becomes LLMError, so the caller answers offline instead.
What the model sees is built in llm_prompt; what it writes goes through the same guard as the
offline composer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from assistant.config import LLMSettings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)

Messages = list[tuple[str, str]]  # (role, content)

# Where each provider built here says why its reply ended. A reply from one of them that ends
# without saying so was cut off (the connection closed mid-stream).
_FINISH_KEYS = {"openai-chat": "finish_reason", "chat-ollama": "done_reason"}
# Reasons that mean the text stops before the model's answer did.
_CUT_OFF_REASONS = frozenset({"length", "content_filter"})


class LLMError(Exception):
    """The configured model cannot be built or did not answer."""


class LLMCutOffError(LLMError):
    """The reply ended before the model had finished its answer."""


def build_chat_model(llm: LLMSettings) -> BaseChatModel | None:
    """The chat model the settings name, or None for the offline composer."""
    if llm.provider == "none":
        return None
    if not llm.model:
        raise LLMError(
            f"settings.llm.model is empty (provider {llm.provider!r} needs a model name)"
        )
    if llm.provider == "openai":
        from langchain_openai import ChatOpenAI

        # An OpenAI-compatible endpoint covers vLLM, llama.cpp's server and Ollama's /v1; they
        # serve chat completions, not OpenAI's newer Responses API.
        return ChatOpenAI(
            model=llm.model,
            base_url=llm.base_url,
            api_key=llm.api_key.get_secret_value() if llm.api_key else "not-needed",
            temperature=llm.temperature,
            timeout=llm.timeout_s,
            max_retries=llm.max_retries,
            use_responses_api=False,
        )
    from langchain_ollama import ChatOllama

    kwargs: dict[str, Any] = {
        "model": llm.model,
        "temperature": llm.temperature,
        "client_kwargs": {"timeout": llm.timeout_s},
    }
    if llm.base_url:
        kwargs["base_url"] = llm.base_url
    return ChatOllama(**kwargs)


def backend_name(chat_model: BaseChatModel) -> str:
    """A short label for `AnswerResult.backend`, e.g. "llm:openai-chat:qwen2.5-7b"."""
    model = getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None)
    kind = chat_model._llm_type
    return f"llm:{kind}:{model}" if isinstance(model, str) and model else f"llm:{kind}"


def write_answer(chat_model: BaseChatModel, messages: Messages) -> str:
    """The model's whole reply; any failure becomes LLMError so the pipeline can fall back."""
    try:
        reply = chat_model.invoke(messages)
    except Exception as exc:  # any provider error means: no model answer
        raise _failure(exc) from exc
    _check_finished(chat_model, reply.response_metadata)
    text = _text(reply.content)
    if not text.strip():
        raise LLMError("the language model's reply was empty")
    return text


def stream_answer(chat_model: BaseChatModel, messages: Messages) -> Iterator[str]:
    """The model's reply piece by piece as the endpoint sends it; LLMError on any failure,
    raised where it happens (pieces already yielded stay yielded)."""
    finish: dict[str, Any] = {}
    received = False
    try:
        for chunk in chat_model.stream(messages):
            finish.update(chunk.response_metadata)
            piece = _text(chunk.content)
            if piece:
                received = True
                yield piece
    except Exception as exc:  # any provider error means: no (complete) model answer
        raise _failure(exc) from exc
    _check_finished(chat_model, finish)
    if not received:
        raise LLMError("the language model's reply was empty")


def _failure(exc: Exception) -> LLMError:
    logger.warning("the language model did not answer: %s: %s", type(exc).__name__, exc)
    return LLMError(f"the language model did not answer: {exc}")


def _check_finished(chat_model: BaseChatModel, metadata: Mapping[str, Any]) -> None:
    """LLMCutOffError when a provider that says why its reply ended did not say it finished."""
    key = _FINISH_KEYS.get(chat_model._llm_type)
    if key is None:
        return
    reason = metadata.get(key)
    if not reason or reason in _CUT_OFF_REASONS:
        logger.warning("the language model's reply was cut off (%s: %r)", key, reason)
        raise LLMCutOffError(f"the language model's reply was cut off ({key}: {reason!r})")


def _text(content: str | list[str | dict[Any, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in content
        if isinstance(part, str | dict)
    )
