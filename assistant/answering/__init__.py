"""The answering stages."""
