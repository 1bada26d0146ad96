"""Anchoring quotes in source text: offsets are Unicode code points, half-open [start, end)."""

from __future__ import annotations

from dataclasses import dataclass

from app.problems import ValidationFailed

CONTEXT_CHARS = 32


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def occurrences(text: str, quote: str) -> list[int]:
    """Start offsets of every (possibly overlapping) occurrence of `quote` in `text`."""
    found, at = [], text.find(quote)
    while at != -1:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def anchor(
    text: str,
    quote: str,
    *,
    start: int | None = None,
    end: int | None = None,
    occurrence: int | None = None,
    label: str = "claim",
) -> Span:
    """Verify a quote at given offsets, or compute the offsets from the quote.

    With `start`/`end`, `text[start:end]` must equal `quote`. Without them the quote must occur
    in the text, and if it occurs more than once `occurrence` (1-based) must say which.
    Raises ValidationFailed naming `label` and what is wrong.
    """
    if not quote:
        raise ValidationFailed(f"{label}: the quote is empty.")
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValidationFailed(f"{label}: give both start and end, or neither.")
        if not 0 <= start < end <= len(text):
            raise ValidationFailed(
                f"{label}: offsets [{start}, {end}) are outside the text (length {len(text)})."
            )
        actual = text[start:end]
        if actual != quote:
            raise ValidationFailed(
                f"{label}: the quote does not match the source text at [{start}, {end}): "
                f"expected {quote!r}, the text has {actual!r}."
            )
        return _span(text, start, end)
    found = occurrences(text, quote)
    if not found:
        raise ValidationFailed(f"{label}: the quote {quote!r} does not occur in the source text.")
    if occurrence is None:
        if len(found) > 1:
            raise ValidationFailed(
                f"{label}: the quote {quote!r} occurs {len(found)} times (at {found}); "
                "say which with occurrence (1-based)."
            )
        occurrence = 1
    if not 1 <= occurrence <= len(found):
        raise ValidationFailed(
            f"{label}: occurrence {occurrence} asked for, but the quote occurs {len(found)} "
            f"time(s)."
        )
    at = found[occurrence - 1]
    return _span(text, at, at + len(quote))


def _span(text: str, start: int, end: int) -> Span:
    return Span(
        start=start,
        end=end,
        quote=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
    )
