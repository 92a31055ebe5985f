"""Vectors on a real Chroma server (`chroma run` on loopback): build, ask, rebuild,
and a clear one-line error when the server is gone."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import chromadb
import pytest

from eval.library_bench import chroma_server
from tests.loopback import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    if shutil.which("chroma", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("the chroma CLI should come with chromadb")
    with chroma_server(tmp_path_factory.mktemp("chroma"), wait=120) as url:
        yield url


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


def test_a_library_on_a_chroma_server(chroma_url, tmp_path):
    """The library search lives on the server too: one collection for the data folder,
    written by `index add`, dropped from by `index remove`; a question about the added
    article finds it."""
    source = tmp_path / "src" / "baltic-wind.md"
    source.parent.mkdir()
    source.write_text("# Offshore Wind in the Baltic\n\nDenmark built the world's first "
                      "offshore wind farm at Vindeby in 1991. It had eleven turbines.\n",
                      encoding="utf-8")
    data = tmp_path / "data"
    before = set(collections(chroma_url))
    added = cli("index", ["--chroma-url", chroma_url, "add", str(source.parent)], data)
    assert added.returncode == 0, added.stderr
    library = [n for n in collections(chroma_url) if n.startswith("ata-library-")]
    assert len(library) == 1 and library[0] not in before
    assert not (data / "library" / "search").exists()  # nothing embedded
    out = cli("assistant", ["ask", "--json", "--chroma-url", chroma_url,
                            "Where was the first offshore wind farm built?"], data)
    assert out.returncode == 0, out.stderr
    assert {c["article"] for c in json.loads(out.stdout)["citations"]} == {"baltic-wind"}
    port = int(chroma_url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port,
                                 settings=chromadb.Settings(anonymized_telemetry=False))
    rows = client.get_collection(library[0])
    assert rows.get(where={"article": "baltic-wind"}, limit=1)["ids"]
    assert cli("index", ["--chroma-url", chroma_url, "remove", "baltic-wind"],
               data).returncode == 0
    assert not rows.get(where={"article": "baltic-wind"}, limit=1)["ids"]
