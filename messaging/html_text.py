"""HTML mail bodies to plain text that the quote stripper can read.

Outlook, Gmail and phone clients often send replies as HTML only. The conversion keeps what
matters for finding the new text and drops the rest:

- block elements (``p``, ``div``, ``br``, table rows, list items) become line breaks, and an empty
  paragraph (Outlook's ``<p>&nbsp;</p>``) an empty line;
- ``<blockquote>`` content is prefixed with ``> `` per level, so quoted HTML is quoted text;
- ``<hr>`` becomes an Outlook-style rule line, which precedes the quoted header block;
- ``head``, ``style``, ``script`` and known signature containers (Gmail, Thunderbird, Outlook on
  the web) are skipped.

It uses the standard library's tolerant ``html.parser``; unbalanced or hostile markup degrades to
more or less text, never to an exception. Input is capped so the cost stays bounded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_HTML_CHARS = 2 * 1024 * 1024
RULE = "________________________________"

_SKIP_TAGS = frozenset({"head", "style", "script", "title", "xml", "template", "noscript"})
_BLOCK_TAGS = frozenset(
    {"p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section", "article"}
)
_SKIP_CLASSES = frozenset({"gmail_signature", "moz-signature"})
_SKIP_IDS = frozenset({"signature", "appendonsend"})
_BLANK_RUNS = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")


def html_to_text(html: str) -> str:
    """Convert an HTML body to text with ``>``-quoted blockquotes; never raises for any input."""
    html = html[:MAX_HTML_CHARS]
    last_open, last_close = html.rfind("<"), html.rfind(">")
    if last_open > last_close:
        html = html[:last_open]  # A tag cut off by truncation would otherwise surface as text.
    converter = _Converter()
    converter.feed(html)
    converter.close()
    return converter.text()


class _Converter(HTMLParser):
    """Streaming converter; keeps counters rather than a tree, so deep nesting costs nothing."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[str] = []
        self._current: list[str] = []
        self._quote_depth = 0
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            self._skip_depth += tag == self._skip_tag
            return
        if tag in _SKIP_TAGS or _is_signature(tag, attrs):
            self._break()
            self._skip_tag, self._skip_depth = tag, 1
            return
        self._open(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is None and tag in ("br", "hr"):
            self._open(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tag is not None:
            self._skip_depth -= tag == self._skip_tag
            if self._skip_depth <= 0:
                self._skip_tag = None
            return
        if tag == "blockquote":
            self._break(paragraph=True)
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "pre":
            self._break()
            self._pre_depth = max(0, self._pre_depth - 1)
        elif tag == "p":
            # Outlook writes every line as a zero-margin <p>, and a blank line as <p>&nbsp;</p>.
            self._break(force=True)
        elif tag in _BLOCK_TAGS:
            self._break()
        elif tag in ("td", "th"):
            self._current.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip_tag is not None:
            return
        data = data.replace("\xa0", " ")
        if self._pre_depth:
            parts = data.split("\n")
            for part in parts[:-1]:
                self._current.append(part)
                self._break(force=True)
            self._current.append(parts[-1])
        else:
            self._current.append(_WHITESPACE.sub(" ", data))

    def _open(self, tag: str) -> None:
        if tag == "br":
            self._break(force=True)
        elif tag == "hr":
            self._break(paragraph=True)
            self._lines.append(RULE)
        elif tag == "blockquote":
            self._break(paragraph=True)
            self._quote_depth += 1
        elif tag == "pre":
            self._break()
            self._pre_depth += 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def _break(self, *, force: bool = False, paragraph: bool = False) -> None:
        """End the current line; ``force`` keeps an empty one (``<br>``), ``paragraph`` adds a gap."""
        raw = "".join(self._current)
        self._current = []
        line = raw.rstrip() if self._pre_depth else " ".join(raw.split())
        prefix = "> " * self._quote_depth
        if line or force:
            self._lines.append(f"{prefix}{line}".rstrip())
        if paragraph and self._lines and self._lines[-1].strip("> ") != "":
            self._lines.append(prefix.rstrip())

    def text(self) -> str:
        """The converted text, with runs of blank lines collapsed."""
        self._break()
        joined = "\n".join(self._lines).strip("\n")
        return _BLANK_RUNS.sub("\n\n", joined)


def _is_signature(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag != "div":
        return False
    for name, value in attrs:
        if value is None:
            continue
        if name == "class" and _SKIP_CLASSES.intersection(value.lower().split()):
            return True
        if name == "id" and value.lower() in _SKIP_IDS:
            return True
    return False
