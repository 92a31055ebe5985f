"""Vectors on a real Chroma server (`chroma run` on loopback): build, ask, rebuild,
and a clear one-line error when the server is gone."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest

from tests.loopback import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    binary = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.fail("the chroma CLI should come with chromadb")
    port = free_port()
    server = subprocess.Popen([binary, "run", "--path", str(tmp_path_factory.mktemp("chroma")),
                               "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120  # only ends a hang: polled until it answers
    while True:
        try:
            collections(f"http://127.0.0.1:{port}")
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("chroma run did not come up within 120 s")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


def cli(module, args, data_dir):
    env = {**os.environ, "ATA_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True,
                          text=True, timeout=300)


def collections(url):
    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port,
                                 settings=chromadb.Settings(anonymized_telemetry=False))
    return sorted(c.name for c in client.list_collections())


def test_build_and_ask_against_a_chroma_server(chroma_url, tmp_path, article):
    built = cli("index", ["--chroma-url", chroma_url, "build"], tmp_path)
    assert built.returncode == 0, built.stderr
    assert f"vectors on {chroma_url}" in built.stdout
    names = collections(chroma_url)
    assert len(names) == 1 and names[0].startswith("ata-reverse-kissinger-build-")
    assert not list(tmp_path.glob("indexes/*/build-*/chroma"))  # no embedded files

    out = cli("assistant", ["ask", "--json", "--chroma-url", chroma_url,
                            "On which island did Soviet and Chinese troops clash?"], tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    quote = next(c for c in data["citations"] if "Zhengbao" in c["quote"])
    assert article.text[quote["start"]:quote["end"]] == quote["quote"]

    # A forced rebuild swaps in a new collection and keeps the previous one only.
    for _ in range(2):
        assert cli("index", ["--chroma-url", chroma_url, "build", "--force"],
                   tmp_path).returncode == 0
    assert len(collections(chroma_url)) == 2


def test_unreachable_server_is_one_clear_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    out = cli("assistant", ["ask", "--chroma-url", url, "Who wrote the article?"], tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert lines and f"cannot reach the Chroma server at {url}" in lines[0]


def test_bad_chroma_url_is_a_settings_error(tmp_path):
    out = cli("index", ["--chroma-url", "localhost:8000", "build"], tmp_path)
    assert out.returncode == 2 and "not an http(s)://HOST:PORT URL" in out.stderr
