"""Short, quiet evidence: error messages without URLs, escapes and empty bodies."""

from __future__ import annotations

import re

_REQUEST = re.compile(r'(Post|Get|GET|POST) \\?"?https?://[^"\s]*\\?"?:? ?')
_NOISE = re.compile(r"\s*(URL: '[^']*'|Body: ''),?")
_OBJECT_KEY = re.compile(r"(upload) \S+/\S+: ")


def tidy(text: str, limit: int = 220) -> str:
    """One line, without request URLs, object keys or empty bodies, cut at `limit` characters."""
    text = text.replace("\\n", " ").replace("\\t", " ")
    text = _OBJECT_KEY.sub(r"\1: ", _NOISE.sub("", _REQUEST.sub("", text)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
