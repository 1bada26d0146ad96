"""Anchoring quotes in source text (app.services.text.spans): offsets are Unicode code points,
half-open [start, end), with 32 code points of prefix/suffix context."""

from __future__ import annotations

import pytest

from app.problems import ValidationFailed
from app.services.text.spans import CONTEXT_CHARS, Span, anchor, occurrences

TEXT = "The cat sat. The cat ran. A dog barked."
#       0123456789012345678901234567890123456789


def test_explicit_offsets_that_match() -> None:
    assert anchor(TEXT, "cat ran", start=17, end=24) == Span(
        start=17, end=24, quote="cat ran", prefix="The cat sat. The ", suffix=". A dog barked."
    )


def test_explicit_offsets_that_do_not_match_name_label_and_show_both_texts() -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "cat ran", start=4, end=11, label="essay.toml: claim 'cat-runs'")
    assert info.value.status == 422
    assert info.value.detail == (
        "essay.toml: claim 'cat-runs': the quote does not match the source text at [4, 11): "
        "expected 'cat ran', the text has 'cat sat'."
    )


def test_quote_without_offsets_is_located() -> None:
    span = anchor(TEXT, "dog")
    assert (span.start, span.end, span.quote) == (28, 31, "dog")
    assert TEXT[span.start : span.end] == "dog"


def test_ambiguous_quote_without_occurrence_lists_positions() -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "cat", label="claim 'c'")
    assert info.value.detail == (
        "claim 'c': the quote 'cat' occurs 2 times (at [4, 17]); "
        "say which with occurrence (1-based)."
    )


def test_occurrence_picks_the_nth() -> None:
    assert anchor(TEXT, "cat", occurrence=1).start == 4
    span = anchor(TEXT, "cat", occurrence=2)
    assert (span.start, span.end, span.prefix, span.suffix) == (
        17,
        20,
        "The cat sat. The ",
        " ran. A dog barked.",
    )


def test_occurrence_one_of_a_unique_quote() -> None:
    assert anchor(TEXT, "dog", occurrence=1).start == 28


@pytest.mark.parametrize("occurrence", [3, 0])
def test_occurrence_out_of_range(occurrence: int) -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "cat", occurrence=occurrence, label="claim 'c'")
    assert info.value.detail == (
        f"claim 'c': occurrence {occurrence} asked for, but the quote occurs 2 time(s)."
    )


def test_quote_not_in_text() -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "cow", label="claim 'c'")
    assert info.value.detail == "claim 'c': the quote 'cow' does not occur in the source text."


def test_empty_quote() -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "", start=0, end=0, label="claim 'c'")
    assert info.value.detail == "claim 'c': the quote is empty."


@pytest.mark.parametrize(("start", "end"), [(4, None), (None, 7)])
def test_only_one_of_start_and_end(start: int | None, end: int | None) -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "cat", start=start, end=end, label="claim 'c'")
    assert info.value.detail == "claim 'c': give both start and end, or neither."


@pytest.mark.parametrize(("start", "end"), [(37, 40), (-1, 2), (5, 5), (6, 4)])
def test_offsets_out_of_range(start: int, end: int) -> None:
    with pytest.raises(ValidationFailed) as info:
        anchor(TEXT, "ed.", start=start, end=end, label="claim 'c'")
    assert info.value.detail == (
        f"claim 'c': offsets [{start}, {end}) are outside the text (length 39)."
    )


def test_offsets_reaching_the_end_of_the_text() -> None:
    span = anchor(TEXT, "barked.", start=32, end=39)
    assert (span.quote, span.suffix) == ("barked.", "")


def test_prefix_and_suffix_are_32_code_points() -> None:
    text = "a" * 50 + "QUOTE" + "b" * 50
    span = anchor(text, "QUOTE")
    assert CONTEXT_CHARS == 32
    assert span.prefix == "a" * 32
    assert span.suffix == "b" * 32


def test_prefix_and_suffix_are_cut_at_the_text_edges() -> None:
    span = anchor("0123456789QUOTE0123", "QUOTE")
    assert (span.prefix, span.suffix) == ("0123456789", "0123")


def test_overlapping_occurrences_are_all_counted() -> None:
    assert occurrences("aaaa", "aa") == [0, 1, 2]
    with pytest.raises(ValidationFailed) as info:
        anchor("aaaa", "aa", label="q")
    assert info.value.detail == (
        "q: the quote 'aa' occurs 3 times (at [0, 1, 2]); say which with occurrence (1-based)."
    )


# Emoji are outside the BMP (two UTF-16 units, four UTF-8 bytes); Cyrillic letters are in the
# BMP but take two UTF-8 bytes. Offsets must count neither units nor bytes, only code points.
NON_BMP_TEXT = "🇷🇺 Путин 🙂 said: the elite is loyal. 👍🏽"


def test_offsets_are_code_points_not_utf16_units_or_utf8_bytes() -> None:
    quote = "the elite is loyal"
    span = anchor(NON_BMP_TEXT, quote)
    head = NON_BMP_TEXT[: span.start]
    assert head == "🇷🇺 Путин 🙂 said: "
    assert (span.start, span.end) == (17, 35)
    utf16_start = len(head.encode("utf-16-le")) // 2
    utf8_start = len(head.encode("utf-8"))
    assert (utf16_start, utf8_start) == (20, 31)
    assert span.prefix == "🇷🇺 Путин 🙂 said: "
    assert span.suffix == ". 👍🏽"


def test_explicit_code_point_offsets_after_non_bmp_text_verify() -> None:
    span = anchor(NON_BMP_TEXT, "the elite is loyal", start=17, end=35)
    assert span.quote == "the elite is loyal"
    # The UTF-16 offsets of the same quote point three code units too far.
    with pytest.raises(ValidationFailed) as info:
        anchor(NON_BMP_TEXT, "the elite is loyal", start=20, end=38, label="q")
    assert info.value.detail == (
        "q: the quote does not match the source text at [20, 38): expected 'the elite is loyal', "
        "the text has ' elite is loyal. 👍'."
    )


def test_quote_made_of_non_bmp_characters() -> None:
    span = anchor(NON_BMP_TEXT, "🙂")
    assert (span.start, span.end) == (9, 10)
    span = anchor(NON_BMP_TEXT, "Путин")
    assert (span.start, span.end, span.prefix) == (3, 8, "🇷🇺 ")


def test_context_counts_code_points_around_non_bmp_text() -> None:
    text = "😀" * 40 + "Q" + "ж" * 40
    span = anchor(text, "Q")
    assert (span.start, span.end) == (40, 41)
    assert span.prefix == "😀" * 32
    assert span.suffix == "ж" * 32
