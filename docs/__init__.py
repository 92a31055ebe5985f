"""Documentation tools: `python -m docs.generate` writes the reference pages."""
