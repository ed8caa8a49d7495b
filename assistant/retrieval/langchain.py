"""The hybrid search as a LangChain retriever (the retrieval layer's only LangChain import)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.config import Settings
from assistant.retrieval.hybrid import HybridSearcher, get_searcher
from assistant.schema import Passage


class GuidelineRetriever(BaseRetriever):
    """LangChain retriever over the hybrid search; `k` in the constructor or in `invoke`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    k: int | None = Field(default=None, ge=1, description="Passages per query (default: settings)")
    approved_only: bool | None = None
    source_types: frozenset[str] | None = None
    searcher: HybridSearcher | None = Field(
        default=None, exclude=True, description="Default: the shared searcher of `settings`"
    )

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        searcher = self.searcher or get_searcher(self.settings)
        passages = searcher.search(
            query,
            k if k is not None else self.k,
            approved_only=kwargs.get("approved_only", self.approved_only),
            source_types=kwargs.get("source_types", self.source_types),
        )
        return [passage_to_document(p) for p in passages]


def passage_to_document(passage: Passage) -> Document:
    metadata: dict[str, Any] = passage.doc.model_dump()
    metadata.update(
        chunk_id=passage.chunk_id,
        section=passage.section,
        score=passage.score,
        dense_similarity=passage.dense_similarity,
    )
    return Document(id=passage.chunk_id, page_content=passage.text, metadata=metadata)
