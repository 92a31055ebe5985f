"""No half states and no network: builds killed mid-way, and the CLI with sockets blocked."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from assistant.settings import load_settings
from index.store import current_manifest
from source import load_article

BUILD_SCRIPT = textwrap.dedent("""
    import sys
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from assistant.settings import load_settings
    from index.store import build_index
    from source import load_article

    settings = load_settings(data_dir=sys.argv[1])
    build_index(settings, load_article(), DeterministicFakeEmbedding(size=16), progress=False)
    print("built", flush=True)
""")


@pytest.mark.slow
def test_killed_builds_never_replace_the_good_index(tmp_path):
    """Each build is killed (SIGKILL) at a known point, once its vectors are written and
    once its manifest is too, just before the swap (index.store.pause_point): never by a
    random sleep that may land before the build starts or after it ends."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    cmd = [sys.executable, "-c", BUILD_SCRIPT, str(tmp_path)]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    settings, article = load_settings(data_dir=tmp_path), load_article()
    good = current_manifest(settings, article)
    assert good is not None
    for point in ("build:written", "build:manifest"):
        child = subprocess.Popen(cmd, env={**env, "ATA_TEST_PAUSE_AT": point},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in child.stderr:
            if line.strip() == f"paused at {point}":
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL, f"the build never reached {point}"
        assert current_manifest(settings, article) == good  # the same whole index
    root = tmp_path / "indexes" / article.article_id
    assert len(list(root.glob("build-*"))) == 3  # the good one and two killed halves
    finished = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0 and "built" in finished.stdout
    assert current_manifest(settings, article) != good
    assert len(list(root.glob("build-*"))) <= 2  # leftovers of killed builds were removed


BLOCK_NETWORK = textwrap.dedent("""
    import runpy, socket, sys
    attempts = []
    real_connect = socket.socket.connect
    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        loopback = host.startswith("127.") or host in ("::1", "localhost")
        if isinstance(address, tuple) and not loopback:
            attempts.append(host)
            sys.stderr.write(f"BLOCKED network connect to {host}\\n")
            raise OSError("network blocked by test")
        return real_connect(self, address)
    socket.socket.connect = guarded_connect
    sys.argv = ["assistant", *sys.argv[1:]]
    try:
        runpy.run_module("assistant", run_name="__main__")
    finally:
        if attempts:
            sys.stderr.write(f"BLOCKED {len(attempts)} attempts\\n")
""")


@pytest.mark.slow
def test_cli_answers_with_the_network_blocked(assistant, shared_data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update({"ATA_DATA_DIR": str(shared_data_dir), "PYTHONPATH": os.getcwd()})
    out = subprocess.run([sys.executable, "-c", BLOCK_NETWORK, "ask", "--json",
                          "Who wrote the article?"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert "BLOCKED" not in out.stderr, out.stderr
    assert "Ihor Petrenko" in json.dumps(json.loads(out.stdout)["citations"])
