"""The answering stages: from a question to a plan of evidence to quote.

Read the question (`question`), score the document's sentences against it (`scoring`),
map the document's structure (`structure`), select and shape the evidence (`evidence`,
`reader`), decide whether the document answers at all (`answerability`), and run them in
order for one document (`pipeline`). `compose` renders a plan as quoted text. Nothing here
knows about settings, answerers or serving: the chain composes these stages.
"""
