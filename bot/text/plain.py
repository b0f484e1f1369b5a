"""Text that coordinators typed (team and school names, help contacts) shown as written in the chat.

The widget renders bot messages as markdown (marked with GitHub's extensions, then
DOMPurify; bot/web/static/widget.js), so a team named ``[klik](https://evil.example)``
would become a link inside the private "alleen jij ziet dit" message, and ``**vet**``
bold. :func:`markdown_literal` escapes every ASCII sign markdown gives a meaning to with a
backslash (CommonMark shows an escaped sign as itself) and breaks the patterns GitHub's
autolinks look for (``www.``, ``https:``, ``name@host``), so the reader sees exactly what
was typed. Mail needs none of this: its HTML part is autoescaped and its text part is
plain text (bot/mail.py).
"""

from __future__ import annotations

import re

#: ASCII signs that mean something in the widget's markdown: emphasis, code, links and
#: images, HTML and entities, headings, lists, tables, strike-through, autolinks.
_SIGNS = re.compile(r"([\\`*_{}\[\]()<>#!|~&@:+=\"$%^.-])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def markdown_literal(text: object) -> str:
    """``text`` as one line of markdown that shows exactly these characters: no link, tag or emphasis."""
    one_line = _LINE_BREAKS.sub(" ", "" if text is None else str(text))
    return _SIGNS.sub(r"\\\1", one_line)
