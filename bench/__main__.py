"""``python -m bench [name ...]``: run the benchmarks and print each figure against its baseline."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["invites", "reminders", "exports", "join", "load", "roster", "groups", "fanout"]


def main(names: list[str]) -> int:
    results = {}
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {module.__doc__.strip().splitlines()[0]}", flush=True)
        results[name] = module.run()
    missed = [name for name, ok in results.items() if not ok]
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
