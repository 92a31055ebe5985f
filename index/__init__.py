"""Segmenting the article into sentences and windows, and the Chroma index over them."""
