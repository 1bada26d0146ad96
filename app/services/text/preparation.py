"""Turn a web article saved as Markdown into the canonical text that claim offsets point into.

Offsets are only verifiable if everyone derives the same text from the same original, so the
derivation is code (deterministic, tested) and every step it takes is recorded next to the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

_LINK_ONLY = re.compile(r"^\[[^\]]*\]\([^)]*\)$")
_BYLINE = re.compile(r"^By \[(?P<name>[^\]]+)\]\([^)]*\)$")
_RELATED = re.compile(r"^\*\*Related article:\*\*")
_ITALIC_ONLY = re.compile(r"^\*(?P<text>[^*].*[^*])\*$")
_ANGLE_URL = re.compile(r"^<(?P<url>https?://[^>]+)>$")
_SENTENCE_END = re.compile(r"[.!?…\"'”’)]$")
_INLINE_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass
class DerivedArticle:
    """The canonical body text plus the metadata and notes peeled off the original."""

    text: str
    title: str | None = None
    byline: str | None = None
    published_date: date | None = None
    url: str | None = None
    publisher_notes: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def _parse_date(paragraph: str) -> date | None:
    try:
        return datetime.strptime(paragraph, "%B %d, %Y").date()
    except ValueError:
        return None


def derive_markdown_article(original: str) -> DerivedArticle:
    """Derive the canonical body text of a Markdown-saved article.

    Rules, applied to blank-line separated paragraphs in order:
    the `# ` heading is the title; `By [Name](...)` is the byline; a `Month D, YYYY` line is the
    publication date; a paragraph that is only a link is an image credit and is dropped;
    `**Related article:**` teasers are dropped; a paragraph wholly in `*...*` is a publisher's
    note, kept aside; `Original url:` followed by `<url>` gives the URL. A body paragraph that
    does not end a sentence was broken by the capture and is joined to the next with one space.
    Inline links keep their text only. Body paragraphs are separated by one blank line and the
    text has no leading or trailing whitespace.
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", original.replace("\r\n", "\n"))]
    paragraphs = [p for p in paragraphs if p]
    out = DerivedArticle(text="")
    body: list[str] = []
    expecting_url = False
    joined = 0
    for para in paragraphs:
        if expecting_url and (m := _ANGLE_URL.match(para)):
            out.url = m.group("url")
            expecting_url = False
            continue
        if para.startswith("# ") and out.title is None:
            out.title = para[2:].strip()
        elif m := _BYLINE.match(para):
            out.byline = m.group("name")
        elif out.published_date is None and (d := _parse_date(para)):
            out.published_date = d
        elif _LINK_ONLY.match(para):
            out.steps.append(f"dropped image credit {para!r}")
        elif _RELATED.match(para):
            out.steps.append(f"dropped related-article teaser {para!r}")
        elif m := _ITALIC_ONLY.match(para):
            out.publisher_notes.append(m.group("text"))
            out.steps.append(f"set aside publisher's note {m.group('text')!r}")
        elif para.rstrip(":").lower() == "original url":
            expecting_url = True
        else:
            para = _INLINE_LINK.sub(r"\1", para)
            if body and not _SENTENCE_END.search(body[-1]):
                out.steps.append(
                    f"joined paragraph broken after {body[-1][-30:]!r} "
                    f"to {para[:30]!r} with a space"
                )
                body[-1] = f"{body[-1]} {para}"
                joined += 1
            else:
                body.append(para)
    out.steps[:0] = [
        "normalised line endings to LF; split into paragraphs at blank lines; stripped whitespace",
        "took the '# ' heading as title, the 'By [...]' line as byline, the date line as "
        "published date and the 'Original url:' block as url",
    ]
    out.steps.append(
        f"kept {len(body)} body paragraphs joined by one blank line ({joined} broken paragraph(s) "
        "rejoined); offsets are Unicode code points into this text"
    )
    out.text = "\n\n".join(body)
    return out
