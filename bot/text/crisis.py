"""Safety net: recognise messages about suicide or acute distress by pattern.

The NLU model has a ``crisis`` intent; these patterns (``crisis_patterns.txt``, one
Python regular expression per line, matched on lower-cased text) make sure the 113
answer never depends on model confidence. They are tuned for recall: a false alarm
costs one kind message, a miss can cost much more. Tested in tests/test_crisis.py.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

PATTERNS_FILE = Path(__file__).with_name("crisis_patterns.txt")


@lru_cache(maxsize=1)
def _compiled() -> re.Pattern[str]:
    lines = PATTERNS_FILE.read_text(encoding="utf-8").splitlines()
    patterns = [line for line in lines if line.strip() and not line.startswith("#")]
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text)


def is_crisis(text: str | None) -> bool:
    """True when ``text`` expresses suicidal thoughts, self-harm or acute distress."""
    if not text or text.startswith("/"):
        return False
    return _compiled().search(_normalise(text[:5000])) is not None
