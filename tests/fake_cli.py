"""`python -m tests.fake_cli index|assistant ARGS…`: the real CLIs with the honest fake
embedder of `tests.fakes`, for tests that must run them in a process of their own (as
another user, or to be killed) without loading a model."""

import sys

from index import embed
from tests.fakes import BagOfWordsEmbeddings


def main(argv: list[str]) -> int:
    embed.embeddings_for = lambda settings: BagOfWordsEmbeddings()
    module, *args = argv
    if module == "index":
        from index.cli import main as run
    else:
        from assistant.serving.cli import main as run
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
