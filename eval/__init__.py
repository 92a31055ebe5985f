"""The eval suite: cases, entailment judge, metrics, reports (python -m eval)."""
