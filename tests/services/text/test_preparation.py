"""The derivation of canonical source text from a Markdown-saved article
(app.services.text.preparation).

The real essay pins the exact text every seeded claim offset points into; the small synthetic
inputs pin each documented rule on its own.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from app.config import PROJECT_ROOT
from app.services.text.preparation import derive_markdown_article

ESSAY = PROJECT_ROOT / "seed" / "sources" / "bondarev-2023-west-must-drive-a-wedge.original.md"
ESSAY_URL = (
    "https://www.themoscowtimes.com/2023/02/23/"
    "the-west-must-drive-a-wedge-between-putin-and-russia-s-elites-a80296"
)
ESSAY_TEXT_SHA256 = "6f74a669fb572e6b5db0bf06728dce12a5df9d6ac138171588649d2c0b6e674d"
PUBLISHER_NOTE = (
    "The views expressed in opinion pieces do not necessarily reflect the position of "
    "The Moscow Times."
)


@pytest.fixture(scope="module")
def essay():
    return derive_markdown_article(ESSAY.read_text(encoding="utf-8"))


def test_essay_metadata(essay) -> None:
    assert essay.title == "The West Must Drive a Wedge Between Putin and Russia's Elites"
    assert essay.byline == "Boris Bondarev"
    assert essay.published_date == date(2023, 2, 23)
    assert essay.url == ESSAY_URL
    assert essay.publisher_notes == [PUBLISHER_NOTE]


def test_essay_text_is_pinned(essay) -> None:
    paragraphs = essay.text.split("\n\n")
    assert len(paragraphs) == 12
    assert len(essay.text) == 4500
    assert hashlib.sha256(essay.text.encode("utf-8")).hexdigest() == ESSAY_TEXT_SHA256
    assert paragraphs[0].startswith("Putin's Russia has now been at war with Ukraine for a year.")
    assert paragraphs[-1].endswith("future political processes of a post-Putin Russia.")
    assert essay.text == essay.text.strip()
    assert "\n\n\n" not in essay.text
    assert all(p == p.strip() and "\n" not in p for p in paragraphs)


def test_essay_broken_paragraph_is_joined_with_one_space(essay) -> None:
    assert essay.text.count("acknowledge the validity of such an approach") == 1
    assert "acknowledge the\n" not in essay.text
    assert "acknowledge the  validity" not in essay.text
    joined = [p for p in essay.text.split("\n\n") if "acknowledge the validity" in p]
    assert joined == [
        "Adopting such an approach would be a far-sighted move for a united Russian opposition, "
        "emphasizing the West's readiness to negotiate with those members of Putin's elite "
        "instrumental in his eventual overthrow. If Ukraine and the West were also to acknowledge "
        "the validity of such an approach, a clear signal would be sent to Russia."
    ]


def test_essay_markup_teasers_and_credit_are_gone(essay) -> None:
    for markup in ("**", "](", "# ", "<http", "Original url"):
        assert markup not in essay.text
    assert "Related article" not in essay.text
    assert "Russian Elite Voices Anger at Military Leadership" not in essay.text
    assert "Navalny Urges Systematic Sanctions Against Russian Oligarchs" not in essay.text
    assert "kremlin.ru" not in essay.text
    assert "Boris Bondarev" not in essay.text
    assert "February 23, 2023" not in essay.text
    assert "The views expressed" not in essay.text


def test_essay_steps_record_every_removal(essay) -> None:
    assert essay.steps == [
        "normalised line endings to LF; split into paragraphs at blank lines; stripped whitespace",
        "took the '# ' heading as title, the 'By [...]' line as byline, the date line as "
        "published date and the 'Original url:' block as url",
        "dropped image credit '[kremlin.ru](https://kremlin.ru)'",
        "dropped related-article teaser '**Related article:** "
        "[Russian Elite Voices Anger at Military Leadership](#)'",
        "dropped related-article teaser '**Related article:** "
        "[Navalny Urges Systematic Sanctions Against Russian Oligarchs](#)'",
        "joined paragraph broken after 't were also to acknowledge the' to "
        "'validity of such an approach, ' with a space",
        f"set aside publisher's note {PUBLISHER_NOTE!r}",
        "kept 12 body paragraphs joined by one blank line (1 broken paragraph(s) rejoined); "
        "offsets are Unicode code points into this text",
    ]


def test_essay_derivation_ignores_crlf(essay) -> None:
    crlf = ESSAY.read_text(encoding="utf-8").replace("\n", "\r\n")
    assert derive_markdown_article(crlf).text == essay.text


# -- synthetic inputs, one rule at a time ------------------------------------------------


def test_heading_is_title_only_the_first_time() -> None:
    article = derive_markdown_article("# First title\n\nBody one.\n\n# Second heading\n")
    assert article.title == "First title"
    assert article.text == "Body one.\n\n# Second heading"


def test_byline() -> None:
    article = derive_markdown_article("By [Ivan Petrov](https://example.org/ivan)\n\nBody.")
    assert article.byline == "Ivan Petrov"
    assert article.text == "Body."


def test_only_the_first_date_line_is_the_published_date() -> None:
    article = derive_markdown_article("March 5, 2021\n\nBody.\n\nApril 1, 2022")
    assert article.published_date == date(2021, 3, 5)
    assert article.text == "Body.\n\nApril 1, 2022"


def test_link_only_paragraph_is_an_image_credit_and_dropped() -> None:
    article = derive_markdown_article("[AP Photo](https://ap.example/1)\n\nBody.")
    assert article.text == "Body."
    assert "dropped image credit '[AP Photo](https://ap.example/1)'" in article.steps


def test_related_article_teaser_is_dropped() -> None:
    article = derive_markdown_article(
        "First.\n\n**Related article:** [Something Else](https://x.example/a)\n\nSecond."
    )
    assert article.text == "First.\n\nSecond."
    assert (
        "dropped related-article teaser '**Related article:** [Something Else]"
        "(https://x.example/a)'"
    ) in article.steps


def test_italic_paragraph_is_a_publisher_note() -> None:
    article = derive_markdown_article("Body.\n\n*This note is from the publisher.*")
    assert article.publisher_notes == ["This note is from the publisher."]
    assert article.text == "Body."


def test_bold_paragraph_is_not_a_publisher_note() -> None:
    article = derive_markdown_article("**Bold body.**")
    assert article.publisher_notes == []
    assert article.text == "**Bold body.**"


def test_original_url_block() -> None:
    article = derive_markdown_article("Body.\n\nOriginal url:\n\n<https://example.org/a?b=1>")
    assert article.url == "https://example.org/a?b=1"
    assert article.text == "Body."


def test_angle_url_without_original_url_label_is_body() -> None:
    article = derive_markdown_article("Body.\n\n<https://example.org/a>")
    assert article.url is None
    assert article.text == "Body.\n\n<https://example.org/a>"


def test_broken_paragraph_is_joined_with_one_space() -> None:
    article = derive_markdown_article("If the West were to\n\n\n   accept it, fine.\n\nNext.")
    assert article.text == "If the West were to accept it, fine.\n\nNext."
    assert article.steps[-1] == (
        "kept 2 body paragraphs joined by one blank line (1 broken paragraph(s) rejoined); "
        "offsets are Unicode code points into this text"
    )


def test_paragraph_broken_across_a_teaser_is_joined() -> None:
    article = derive_markdown_article(
        "The West must\n\n**Related article:** [Other](#)\n\nact now."
    )
    assert article.text == "The West must act now."


def test_paragraph_broken_twice_is_joined_twice() -> None:
    article = derive_markdown_article("one\n\ntwo\n\nthree.")
    assert article.text == "one two three."


@pytest.mark.parametrize("ending", [".", "!", "?", "…", '"', "'", "”", "’", ")"])
def test_sentence_end_keeps_paragraphs_apart(ending: str) -> None:
    article = derive_markdown_article(f"He said it{ending}\n\nthen left.")
    assert article.text == f"He said it{ending}\n\nthen left."


def test_inline_links_keep_their_text() -> None:
    article = derive_markdown_article(
        "See [the report](https://example.org/r) and [this](#) for more."
    )
    assert article.text == "See the report and this for more."


def test_whitespace_and_line_endings_are_normalised() -> None:
    article = derive_markdown_article("\r\n\r\n  First.  \r\n \t \r\nSecond.\r\n\r\n\r\n")
    assert article.text == "First.\n\nSecond."


def test_empty_original() -> None:
    article = derive_markdown_article("")
    assert article.text == ""
    assert article.title is None
    assert article.byline is None
    assert article.published_date is None
    assert article.url is None
    assert article.publisher_notes == []
