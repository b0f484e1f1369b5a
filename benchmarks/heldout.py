"""Score one trained model on the held-out set, as ``make eval`` does.

Run as ``python -m benchmarks.heldout MODEL`` (a subprocess, so two models can be scored side by
side while other benchmark jobs run); prints one JSON line: macro_f1, oos_precision, accuracy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path


def measure(model: Path) -> dict[str, float]:
    from bot.evaluation import predict, score

    s = score(asyncio.run(predict(model)))
    return {"macro_f1": s.macro_f1, "oos_precision": s.oos_precision, "accuracy": s.accuracy}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    args = parser.parse_args()
    print(json.dumps(measure(args.model)))


if __name__ == "__main__":
    main()
