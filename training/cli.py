"""`python -m training check | fit | heads | ship | evaluate`: the corpus checked, the
reader trained, its premise and yes/no heads fitted, shipped into
`assistant/reader_model/`, and scored on a split."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from source.errors import ArgumentParser
from training import corpus, splits
from training.fit import CONFIG, RUNS, Config

log = logging.getLogger("training")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the corpus and print its counts")
    check.add_argument("prefix", nargs="?", help="only documents whose id starts so")
    fit = sub.add_parser("fit", help="train the reader (minutes; background it)")
    fit.add_argument("--config", type=Path, default=CONFIG)
    fit.add_argument("--out", type=Path, default=RUNS / "latest")
    fit.add_argument("--max-steps", type=int, help="stop after this many steps (smoke runs)")
    fit.add_argument("--base", type=Path, help="base model folder (default: the config's)")
    fit.add_argument("--ship", action="store_true", help="ship the model when done")
    heads = sub.add_parser("heads", help="fit the premise and yes/no heads of a trained run")
    heads.add_argument("--run", type=Path, default=RUNS / "latest")
    ship = sub.add_parser("ship", help="export a trained run into assistant/reader_model/")
    ship.add_argument("--run", type=Path, default=RUNS / "latest")
    evaluate = sub.add_parser("evaluate", help="score the shipped reader on a split")
    evaluate.add_argument("split", choices=splits.NAMES)
    evaluate.add_argument("--write", action="store_true", help="record it in the card")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        if args.command == "check":
            return corpus.main_check(only=args.prefix)
        if args.command == "fit":
            from training.fit import fit as run

            run(Config.read(args.config, max_steps=args.max_steps), args.out, base=args.base)
            if not args.ship:
                return 0
            from training.heads import fit_heads

            fit_heads(args.out)
            return _ship(args.out)
        if args.command == "heads":
            from training.heads import fit_heads

            print(json.dumps(fit_heads(args.run), indent=1))
            return 0
        if args.command == "ship":
            return _ship(args.run)
        return _evaluate(args.split, args.write)
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _items(split: str, depth: int):  # noqa: ANN202
    from index.embed import embeddings_for
    from index.settings import IndexSettings
    from training.pairs import items, prepare

    documents, errors = corpus.load()
    if errors:
        raise ValueError(f"the corpus has {len(errors)} problems; run: python -m training check")
    which = splits.load()
    chosen = [d for d in documents if which.get(d.id) == split]
    embeddings = embeddings_for(IndexSettings.load())
    return items(prepare(chosen, embeddings), embeddings, depth)


def _ship(run: Path) -> int:
    from training.export import ship

    config = json.loads((run / "fit.json").read_text("utf-8"))["config"]
    card = ship(run, _items("dev", config["eval_depth"]), corpus.fingerprint())
    print(json.dumps({k: card[k] for k in ("model_sha256", "model_bytes", "thresholds",
                                           "dev_int8")}, indent=1))
    return 0


def _evaluate(split: str, write: bool) -> int:
    from training.export import SHIPPED, onnx_scorer
    from training.metrics import measure

    card_path = SHIPPED / "card.json"
    card = json.loads(card_path.read_text("utf-8"))
    score = onnx_scorer(SHIPPED / "model.onnx", SHIPPED / "tokenizer.json", card["max_length"])
    result = measure(_items(split, card["config"]["eval_depth"]), score)
    result.pop("rows")
    print(json.dumps(result, indent=1))
    if write:
        card[f"{split}_int8"] = result
        card_path.write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    return 0
