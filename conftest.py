"""The checkout's root conftest: loads the answer-test plugin for any pytest run started
here (the install registers no pytest entry point: the checkout is the one import root)."""

pytest_plugins = ["eval.pytest_plugin"]
