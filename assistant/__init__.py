"""The assistant: retrieval chain, answerers, citations and the CLI (python -m assistant)."""
