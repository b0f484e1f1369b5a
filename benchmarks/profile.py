"""Where a Rasa process spends its CPU under load: py-spy samples, summed per step.

``profile_steps`` runs ``py-spy record`` (raw, collapsed stacks) on one Rasa process while a
saturation load runs, then puts every sample in the first step whose frames it contains, in
the order of ``STEPS``: the NLU parse, the dialogue policies, the tracker store, the action
server round trip, serialisation, or "other" (Sanic, asyncio, logging, the lock store). Idle
samples (the event loop waiting in ``select``/``epoll``) are left out, so the shares are of
the CPU the process used. The report shows the shares before and after (default pipeline as
shipped, our process) and names the largest frames of the remaining gap.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

#: (step, frame substrings that put a sample there), checked in this order.
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tracker store", ("rasa/core/tracker_store.py", "bot/rasa_tracker_store.py")),
    ("NLU parse", ("parse_message (rasa/core/processor.py", "_parse_message_with_graph")),
    ("action server", ("RemoteAction", "rasa/utils/endpoints.py", "jsonschema")),
    ("policies", ("_predict_next_with_tracker", "predict_next_action", "rasa/core/policies/")),
    ("serialisation", ("json", "as_dict", "rasa/shared/core/events.py")),
)
IDLE = ("select (selectors.py", "epoll", "_run_once (asyncio", "run_forever", "poll (selectors")


@dataclass(frozen=True)
class Profile:
    samples: int  # CPU samples (idle ones left out)
    shares: dict[str, float]  # step -> share of samples
    top_frames: list[tuple[str, float]]  # the leaf frames with the largest shares outside the parse


def py_spy() -> str | None:
    """py-spy from the virtualenv (``make install``), else from PATH."""
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, rate: int = 200) -> Path:
    """py-spy's raw output (one collapsed stack per line with its count) for ``seconds``."""
    out = Path(tempfile.mkstemp(prefix="pyspy-", suffix=".txt")[1])
    subprocess.run(  # noqa: S603 - fixed arguments, our own process id
        [
            py_spy() or "py-spy",
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return out


def classify(raw: str) -> Profile:
    """Sum the samples of a raw py-spy file per step (see the module docstring)."""
    per_step: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if any(idle in frames[-1] for idle in IDLE):
            continue
        n = int(count)
        total += n
        step = next((name for name, marks in STEPS if any(m in stack for m in marks)), "other")
        per_step[step] += n
        if step != "NLU parse":
            leaves[frames[-1]] += n
    if not total:
        return Profile(0, {}, [])
    shares = {name: per_step[name] / total for name, _ in STEPS} | {"other": per_step["other"] / total}
    return Profile(total, shares, [(frame, n / total) for frame, n in leaves.most_common(8)])


def profile_pid(pid: int, seconds: float) -> Profile:
    path = record(pid, seconds)
    try:
        return classify(path.read_text(encoding="utf-8", errors="replace"))
    finally:
        path.unlink(missing_ok=True)
