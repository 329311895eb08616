"""Retrieval: knowledge-base chunking and hybrid (BM25 + dense) index."""
