"""Force offline, telemetry-free operation before any heavy library is imported.

Imported first by every entry point and by each module that loads a runtime (the embedding
model, Chroma, Gradio), so these variables are set before the runtime reads them. Each
runtime's own switch, not a firewall: ONNX Runtime's 1DS uploader (built into the official
Linux wheels) looks up mobile.events.data.microsoft.com unless ORT_DISABLE_TELEMETRY is set
before it initialises; Chroma's product telemetry (PostHog), Gradio's analytics and the
Hugging Face libraries' telemetry and update checks have theirs. A variable the user set
explicitly is kept.
"""

from __future__ import annotations

import os

_OFFLINE_ENV = {
    # Hugging Face (huggingface_hub, transformers, sentence-transformers): no downloads,
    # no telemetry, no update check.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    # ONNX Runtime: its 1DS telemetry uploader is never created.
    "ORT_DISABLE_TELEMETRY": "1",
    # Chroma: product telemetry (PostHog) off; OpenTelemetry exports nothing.
    "ANONYMIZED_TELEMETRY": "False",
    "OTEL_SDK_DISABLED": "true",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    # Gradio: no analytics.
    "GRADIO_ANALYTICS_ENABLED": "False",
    # LangChain / LangSmith: no tracing to a hosted service.
    "LANGCHAIN_TRACING_V2": "false",
    "LANGSMITH_TRACING": "false",
    # tokenizers: no fork warnings (not network, but start-up noise).
    "TOKENIZERS_PARALLELISM": "false",
}


def enforce_offline() -> None:
    """Set the offline variables unless the user set them explicitly."""
    for key, value in _OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def offline_environment() -> dict[str, str]:
    """The variables this module sets (for documentation and tests)."""
    return dict(_OFFLINE_ENV)


enforce_offline()
