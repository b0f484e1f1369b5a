"""Section 5, training time and peak memory; and the default pipeline's model, trained or reused.

Ours is `make train`'s model with its record (models/current.time.txt, models/current.train.log);
the default pipeline's is trained here, alone and first (its wall time is a result), and kept in
models/bench/ while its inputs are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.plan import Bench
from benchmarks.processes import BIN, OUR_MODEL, ROOT, time_v, timed_run
from benchmarks.report import commit

DEFAULT_CONFIG = ROOT / "benchmarks" / "config_default.yml"
DEFAULT_STORE = ROOT / "models" / "bench"  # the default-pipeline model, kept while its inputs are unchanged

TRAIN_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) .*?(Starting to train|Finished training|Restored) component '(\w+)'"
)
POLICIES = {"RulePolicy", "MemoizationPolicy", "TEDPolicy", "UnexpecTEDIntentPolicy", "AugmentedMemoizationPolicy"}


@dataclass(frozen=True)
class TrainingParts:
    """Seconds spent training NLU components and dialogue policies, from Rasa's training log."""

    nlu_s: float
    policies_s: float
    restored: tuple[str, ...]  # components restored from Rasa's training cache (not trained)


def training_parts(log: str) -> TrainingParts:
    """Pair Rasa's 'Starting to train' / 'Finished training component' log lines (1-s resolution)."""
    started: dict[str, list[datetime]] = {}
    nlu = policies = 0.0
    restored: list[str] = []
    for line in log.splitlines():
        match = TRAIN_LINE.match(line)
        if not match:
            continue
        when, what, name = datetime.fromisoformat(match[1]), match[2], match[3]
        if what == "Starting to train":
            started.setdefault(name, []).append(when)
        elif what == "Restored":
            restored.append(name)
        elif started.get(name):
            seconds = (when - started[name].pop(0)).total_seconds()
            if name in POLICIES:
                policies += seconds
            else:
                nlu += seconds
    return TrainingParts(nlu, policies, tuple(restored))


def recorded_training(model: Path = OUR_MODEL) -> dict | None:
    """What `make train` recorded for ``model``: /usr/bin/time -v output and Rasa's training log."""
    name = model.name.split(".")[0]
    record, log = model.with_name(f"{name}.time.txt"), model.with_name(f"{name}.train.log")
    if not (model.exists() and record.exists() and log.exists()):
        return None
    if abs(record.stat().st_mtime - model.stat().st_mtime) > 120:  # a record of an earlier training
        return None
    figures = time_v(record.read_text(errors="replace"))
    if not {"wall_s", "peak_mb"} <= figures.keys():
        return None
    parts = training_parts(log.read_text(errors="replace"))
    if parts.restored:  # trained partly from Rasa's cache: not a training time
        return None
    return {
        "cpu_s": float("nan"),
        **figures,
        "nlu_s": parts.nlu_s,
        "policies_s": parts.policies_s,
        "trained_at": datetime.fromtimestamp(model.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def default_fingerprint(config: Path = DEFAULT_CONFIG) -> str:
    """What the default-pipeline model depends on: its config, the domain, the training data, Rasa."""
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    for path in [config, *sorted((ROOT / "domain").rglob("*.yml")), *sorted((ROOT / "data").rglob("*.yml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def default_model(b: Bench) -> tuple[Path | None, dict | None]:
    """The default-pipeline model: reused from models/bench/ if its inputs are unchanged, else trained.

    Its 100-epoch transformer DIET takes ~12 min on 2 cores, half the budget; keeping the model
    (fingerprinted like `make train` keeps ours) lets every later run spend that time measuring.
    """
    model, meta_path = DEFAULT_STORE / "default.tar.gz", DEFAULT_STORE / "default.json"
    fingerprint = default_fingerprint()
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if model.exists() and meta.get("fingerprint") == fingerprint:
        b.log(f"default pipeline: reusing {model.relative_to(ROOT)} (trained {meta['trained_at']}, inputs unchanged)")
        return model, {**meta, "when": f"in an earlier `make bench`, {meta['trained_at']} (same config and data)"}
    if not b.fits("training the default pipeline", 14 * 60):
        return None, None
    b.log("training the default pipeline (rasa train under /usr/bin/time -v; ~12 min on 2 cores) ...")
    DEFAULT_STORE.mkdir(parents=True, exist_ok=True)
    log = DEFAULT_STORE / "default.train.log"
    cmd = [str(BIN / "rasa"), "train", "--config", str(DEFAULT_CONFIG), "--domain", "domain",
           "--out", str(DEFAULT_STORE), "--fixed-model-name", "default"]  # fmt: skip
    # an empty training cache: otherwise Rasa reuses cached components and the time means nothing
    env = {**b.env, "RASA_CACHE_DIRECTORY": str(b.tmp / "train-cache")}
    figures = timed_run(cmd, log, env=env, echo=lambda line: b.log(f"train default: {line}"))
    parts = training_parts(log.read_text(errors="replace"))
    meta = {"fingerprint": fingerprint, **figures, "nlu_s": parts.nlu_s, "policies_s": parts.policies_s,
            "trained_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit()}  # fmt: skip
    meta_path.write_text(json.dumps(meta, indent=2))
    b.log(f"trained the default pipeline in {figures['wall_s']:.0f} s (CPU {figures['cpu_s']:.0f} s, NLU "
          f"{parts.nlu_s:.0f} s), peak RSS {figures['peak_mb']:.0f} MB")  # fmt: skip
    return model, {**meta, "when": "in this run"}


def train_stage(b: Bench) -> dict[str, Path]:
    """Our model is `make train`'s (with its record); the default pipeline's is trained or reused.

    Puts ``[(config, when, figures)]`` into ``b.results["training"]``; returns the models by name.
    """
    trained: list[tuple[str, str, dict]] = []
    ours = recorded_training()
    if ours:
        trained.append(("ours (config.yml)", f"by `make train`, {ours['trained_at']}", ours))
    else:
        b.missing.append("training time of our config: models/current.tar.gz has no record of `make train` "
                         "(models/current.time.txt); run `make clean train` to record one")  # fmt: skip
    models = {"ours": OUR_MODEL}
    model, meta = default_model(b)
    if model and meta:
        models["default"] = model
        trained.append(("Rasa default (benchmarks/config_default.yml)", meta["when"], meta))
    else:
        b.missing.append("the default pipeline (held-out score, latency comparison, training time): its training "
                         "did not fit the time budget of this run")  # fmt: skip
    b.results["training"] = trained
    return models
