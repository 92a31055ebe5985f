"""Judging what a written answer claims: the judges that score whether a premise supports a
claim (`judges`), and the check that drops or replaces the sentences their citations do not
support (`check`). Independent of the answering stages, so any answerer's draft goes through
the same check."""
