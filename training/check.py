"""Writers' check, runnable with a bare python3: `python3 training/check.py [prefix]`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.corpus import main_check  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main_check(only=sys.argv[1] if len(sys.argv) > 1 else None))
