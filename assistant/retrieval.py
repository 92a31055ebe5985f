"""Hybrid retrieval over the index's windows: BM25 and dense, fused by reciprocal rank."""

from __future__ import annotations

import re
import warnings
from functools import cache

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from index.store import Index, window_metadata

_WORD = re.compile(r"\w+")


@cache
def _stemmer():  # noqa: ANN202 - snowballstemmer has no types
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased Snowball stems, so 'clashes' finds 'clash' and 'U.S.' finds 'US'."""
    return _stemmer().stemWords(_WORD.findall(text.lower().replace(".", "")))


def window_documents(index: Index) -> list[Document]:
    return [Document(page_content=w.search_text, id=str(w.id), metadata=window_metadata(w))
            for w in index.windows]


def hybrid_retriever(index: Index, k: int) -> BaseRetriever:
    """LangChain's EnsembleRetriever over BM25 and Chroma, both returning `k` windows."""
    with warnings.catch_warnings():  # langchain-community announces its sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever

    bm25 = BM25Retriever.from_documents(window_documents(index), k=k, preprocess_func=tokenize)
    dense = index.vectorstore.as_retriever(search_kwargs={"k": k})
    return EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5], id_key="window_id")
