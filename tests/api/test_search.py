"""GET /v1/search and POST /v1/match against the seeded essay, and the search index that the
curation writes keep current.

Every pinned value was observed on both backends and then checked by hand against the rules
before being written down, so a test fails on any change of ranking, score or highlight:
- query words (app/services/name_scoring.parse_query): a lone lowercase letter ("с", "a") is
  left out, a word repeated in another spelling ("Путин Putin") counts once, and a combining
  mark stays inside its word ("Mis\u030custin" is "Mišustin");
- name scores follow app/services/search/scoring.py: 1.0 for a stored spelling (same words once
  casefolded, diacritics and apostrophes dropped); 0.98 when every word is the same once
  transliteration and Russian inflection are set aside; fewer words than the spelling has:
  mean x (0.75 + 0.25 x share of its words), x 0.85 without the surname (a surname alone
  against a two-word form: 0.875); a word that meets nothing: token-sort similarity x 0.8 if
  another word met one, and no candidate at all if no word did;
- the spelling that explains a name hit (`matched_by`, the name highlight, /match
  `explanation`) is the best-scoring one, then the one with most words identical (folded) to
  the query as typed, then one in the query's script, then a curated form over the display
  name over a generated romanisation, then the spelling's text;
- claims and sources follow app/services/search/ranking.py: every query word present, 0.5 + 0.2 when
  the words stand together + 0.1 x min(1, 20 / words of the record), so at most 0.8, below a
  surname alone (0.875); a person's or an organisation's description scores the same x 0.9;
- highlight offsets are checked by slicing the matched words out of `highlight.text`; a claim
  or source snippet is centred on the first place the query's words stand together.

The backends only propose candidates and the scoring and the choice of spelling are shared
Python, so every assertion is the same on SQLite and PostgreSQL, /match candidate lists and
name highlights included.

Each test builds a fresh database per backend, which costs far more than a request, so tables
of cases run as subtests inside a few tests.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import (
    SOURCE_ID,
    assert_problem,
    canonical_text,
    claim_by_key,
    expected_claims,
)
from tests.support.clients import Keys
from tests.support.curation import CURATOR, created, etag, with_etag

SURNAME_ALONE = 0.875  # 1.0 x (0.75 + 0.25 x 1/2): one word of two, the surname
SAME_NAME = 0.98

EFFECTIVE_MANAGERS = claim_by_key("mishustin-sobyanin-effective-managers")
FIVE_NAMED = claim_by_key("five-named-as-russian-elite-examples")
GREF_CEO = claim_by_key("gref-role-sberbank-ceo")
NABIULLINA_CHAIR = claim_by_key("nabiullina-role-central-bank-chair")
KUDRIN_MINISTER = claim_by_key("kudrin-role-former-finance-minister")
SOBYANIN_MAYOR = claim_by_key("sobyanin-role-moscow-mayor")
LIBERALLY_MINDED = claim_by_key("kudrin-nabiullina-gref-liberally-minded")
PRESERVE_REGIME = claim_by_key("five-work-to-preserve-putins-regime")
LOYALTY = claim_by_key("five-demonstrate-loyalty-to-dictator")


def search(client: TestClient, q: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text[:400]
    assert response.headers["content-type"] == "application/json"
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ranked(items: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    return [(i["type"], i["id"], i["score"]) for i in items]


def method(item: dict[str, Any]) -> str:
    """The scoring method a name hit reports at the end of its first reason."""
    return str(item["matched_by"][0].rsplit(": ", 1)[1])


def marked(highlight: dict[str, Any]) -> list[str]:
    """The words a highlight marks, sliced out of its snippet."""
    return [highlight["text"][start:end] for start, end in highlight["matches"]]


def match(client: TestClient, queries: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.post("/v1/match", params=params, json={"queries": queries})
    assert response.status_code == 200, response.text[:400]
    body: dict[str, Any] = response.json()
    return body


# -- names ------------------------------------------------------------------------------------

# (query, top result: type, id, score, scoring method).
NAME_CASES: list[tuple[str, tuple[str, str, float, str]]] = [
    # Russian cases of a surname alone: the dictionary form is the stored surname.
    ("Набиуллиной", ("person", "elvira-nabiullina", SURNAME_ALONE, "part_of_name")),
    ("Грефа", ("person", "german-gref", SURNAME_ALONE, "part_of_name")),
    ("Собянину", ("person", "sergei-sobyanin", SURNAME_ALONE, "part_of_name")),
    ("Кудрина", ("person", "alexei-kudrin", SURNAME_ALONE, "part_of_name")),
    ("Мишустиным", ("person", "mikhail-mishustin", SURNAME_ALONE, "part_of_name")),
    # A lone lowercase letter is a preposition, not an initial: left out.
    ("с Мишустиным", ("person", "mikhail-mishustin", SURNAME_ALONE, "part_of_name")),
    # Inflected full names, in either order: the same name, not the stored spelling.
    ("Эльвиры Набиуллиной", ("person", "elvira-nabiullina", SAME_NAME, "inflected_form")),
    ("Набиуллиной Эльвиры", ("person", "elvira-nabiullina", SAME_NAME, "inflected_form")),
    ("Михаилом Мишустиным", ("person", "mikhail-mishustin", SAME_NAME, "inflected_form")),
    ("Алексея Леонидовича Кудрина", ("person", "alexei-kudrin", SAME_NAME, "inflected_form")),
    # Cyrillic against the only one-word spelling, the Latin "Putin".
    ("Путина", ("person", "vladimir-putin", SAME_NAME, "transliteration")),
    # One name typed in two scripts counts once: the first spelling, "Путин", against "Putin".
    ("Путин Putin", ("person", "vladimir-putin", SAME_NAME, "transliteration")),
    # Other transliterations: skeletons fold ia/ya, ou/u, -ine/-in, sch/sh.
    ("Sobianin", ("person", "sergei-sobyanin", SURNAME_ALONE, "part_of_name")),
    ("Sobianine", ("person", "sergei-sobyanin", SURNAME_ALONE, "part_of_name")),
    ("Koudrine", ("person", "alexei-kudrin", SURNAME_ALONE, "part_of_name")),
    ("Mischustin", ("person", "mikhail-mishustin", SURNAME_ALONE, "part_of_name")),
    ("Mišustin", ("person", "mikhail-mishustin", SURNAME_ALONE, "part_of_name")),
    # Decomposed (NFD) letters: the combining mark stays in the word, as composed ones do.
    ("Mis\u030custin", ("person", "mikhail-mishustin", SURNAME_ALONE, "part_of_name")),
    ("Собя\u0301нин", ("person", "sergei-sobyanin", SURNAME_ALONE, "part_of_name")),
    ("Sergei Semenovich Sobyanin", ("person", "sergei-sobyanin", SAME_NAME, "transliteration")),
    # Stored spellings (curated forms and generated romanisations) are exact.
    ("Aleksej Kudrin", ("person", "alexei-kudrin", 1.0, "exact")),
    ("Alexei Koudrine", ("person", "alexei-kudrin", 1.0, "exact")),
    ("Sergey Sobyanin", ("person", "sergei-sobyanin", 1.0, "exact")),
    ("Sergueï Sobianine", ("person", "sergei-sobyanin", 1.0, "exact")),
    ("Sergey Semyonovich Sobyanin", ("person", "sergei-sobyanin", 1.0, "exact")),
    ("Сергей Семенович Собянин", ("person", "sergei-sobyanin", 1.0, "exact")),
    ("Herman Gref", ("person", "german-gref", 1.0, "exact")),
    ("alexei  kudrin", ("person", "alexei-kudrin", 1.0, "exact")),
    # Small typos: "Nabiulina" has the same skeleton (doubled letters once); "Nabiulena" is
    # Indel-similar to "nabiulina" (1 - 2/18): (1.0 + 0.8889) / 2 x 0.98 = 0.9256.
    ("Nabiulina", ("person", "elvira-nabiullina", SURNAME_ALONE, "part_of_name")),
    ("Elvira Nabiulena", ("person", "elvira-nabiullina", 0.9256, "fuzzy")),
    # A possessive ending is not part of the word.
    ("Putin's", ("person", "vladimir-putin", 1.0, "exact")),
    # Initials agree with 0.9: (0.9 + 1.0) / 2 x 0.98 = 0.931; (0.9 + 0.9 + 1.0) / 3 x 0.98.
    ("E. Nabiullina", ("person", "elvira-nabiullina", 0.931, "fuzzy")),
    ("А. Кудрин", ("person", "alexei-kudrin", 0.931, "fuzzy")),
    ("A. L. Kudrin", ("person", "alexei-kudrin", 0.9147, "fuzzy")),
    # Given name + patronymic without the surname: 1.0 x (0.75 + 0.25 x 2/3) x 0.85 = 0.7792;
    # a patronymic alone: 1.0 x (0.75 + 0.25 x 1/3) x 0.85 = 0.7083.
    ("Герман Оскарович", ("person", "german-gref", 0.7792, "part_of_name")),
    ("Vladimir Vladimirovich", ("person", "vladimir-putin", 0.7792, "part_of_name")),
    ("Семёнович", ("person", "sergei-sobyanin", 0.7083, "part_of_name")),
    # Organisations, by any of their forms.
    ("Sberbank", ("organization", "sberbank", 1.0, "exact")),
    ("Сбербанк", ("organization", "sberbank", 1.0, "exact")),
    ("Сбербанка", ("organization", "sberbank", SAME_NAME, "inflected_form")),
    ("Central Bank", ("organization", "central-bank-of-russia", 1.0, "exact")),
    ("Банк России", ("organization", "central-bank-of-russia", 1.0, "exact")),
    # One word of "ЦБ РФ", not the last: 1.0 x 0.875 x 0.85.
    ("ЦБ", ("organization", "central-bank-of-russia", 0.7438, "part_of_name")),
    # A look-alike shares a word only: token-sort similarity of "aleksander kudrin" and
    # "aleksei kudrin" is 26/31, x 0.8 = 0.671, below any full match.
    ("Alexander Kudrin", ("person", "alexei-kudrin", 0.671, "partial_overlap")),
]

# Whole result lists (type, id, score), best first; ties go to the type order, then the id.
NAME_LISTS: list[tuple[dict[str, str], list[tuple[str, str, float]]]] = [
    ({"q": "Набиуллиной"}, [("person", "elvira-nabiullina", SURNAME_ALONE)]),
    ({"q": "с Мишустиным"}, [("person", "mikhail-mishustin", SURNAME_ALONE)]),
    ({"q": "Alexander Kudrin", "types": "person"}, [("person", "alexei-kudrin", 0.671)]),
    ({"q": "Tatiana Gref"}, []),
    ({"q": "S. Kudrin"}, []),
    (
        # "Putin's elite(s)" and "Putin's opponents abroad": a word of two or three, not the
        # last: 0.875 x 0.85 = 0.7438 and (0.75 + 0.25 / 3) x 0.85 = 0.7083.
        {"q": "Путина"},
        [
            ("person", "vladimir-putin", SAME_NAME),
            ("organization", "russian-elite", 0.7438),
            ("organization", "russian-opposition-in-exile", 0.7083),
        ],
    ),
    (
        # The same name in two scripts is the word "Путин" once: the same names as "Путина";
        # the English texts have no Russian word, so no claim.
        {"q": "Путин Putin"},
        [
            ("person", "vladimir-putin", SAME_NAME),
            ("organization", "russian-elite", 0.7438),
            ("organization", "russian-opposition-in-exile", 0.7083),
        ],
    ),
    (
        # Claims with the word: 0.5 + 0.2 + 0.1 x min(1, 20 / words); Gref by his
        # description (21 words): (0.7 + 0.1 x 20/21) x 0.9 = 0.7157.
        {"q": "Sberbank"},
        [
            ("organization", "sberbank", 1.0),
            ("claim", GREF_CEO.id, 0.8),
            ("claim", LIBERALLY_MINDED.id, 0.7571),
            ("claim", FIVE_NAMED.id, 0.7278),
            ("person", "german-gref", 0.7157),
            ("source", SOURCE_ID, 0.7026),
        ],
    ),
    (
        {"q": "Central Bank"},
        [
            ("organization", "central-bank-of-russia", 1.0),
            ("claim", NABIULLINA_CHAIR.id, 0.8),
            ("claim", LIBERALLY_MINDED.id, 0.7571),
            ("claim", FIVE_NAMED.id, 0.7278),
            # Her description (14 words) has the phrase: 0.8 x 0.9 = 0.72, the most a
            # description gives.
            ("person", "elvira-nabiullina", 0.72),
            ("source", SOURCE_ID, 0.7026),
        ],
    ),
    (
        {"q": "Central Bank", "types": "organization,person"},
        [("organization", "central-bank-of-russia", 1.0), ("person", "elvira-nabiullina", 0.72)],
    ),
]

# (query, highlight of the top result: field, text, offset, the marked words).
NAME_HIGHLIGHTS: list[tuple[str, tuple[str, str, int, list[str]]]] = [
    ("Набиуллиной", ("name", "Эльвира Набиуллина", 0, ["Набиуллина"])),
    ("Набиуллиной Эльвиры", ("name", "Эльвира Набиуллина", 0, ["Эльвира", "Набиуллина"])),
    # The one spelling with the word as typed, though a generated romanisation.
    ("Koudrine", ("name", "Alexei Koudrine", 0, ["Koudrine"])),
    # "Nabiullina" as typed, Latin, curated, and first of the curated forms by its text.
    ("E. Nabiullina", ("name", "Elvira Nabiullina", 0, ["Elvira", "Nabiullina"])),
    ("Putin's", ("name", "Putin", 0, ["Putin"])),
    ("Aleksej Kudrin", ("name", "Aleksej Kudrin", 0, ["Aleksej", "Kudrin"])),
    # Both words as typed (the ISO 9 form has "Vladimirovič").
    (
        "Vladimir Vladimirovich",
        ("name", "Vladimir Vladimirovich Putin", 0, ["Vladimir", "Vladimirovich"]),
    ),
    ("Сбербанка", ("name", "Сбербанк", 0, ["Сбербанк"])),
    ("с Мишустиным", ("name", "Михаил Мишустин", 0, ["Мишустин"])),
    # A look-alike: only the word it shares with the name is marked.
    ("Alexander Kudrin", ("name", "Aleksei Kudrin", 0, ["Kudrin"])),
]

# (query, the reason of the top result): which of an entity's spellings explains the hit.
EXPLAINED_BY: list[tuple[str, str]] = [
    # Most words as typed beats a curated form: the MVD French romanisation.
    ("Koudrine", "query is part of the name 'Alexei Koudrine' (transliteration, mvd_310_fr)"),
    ("Sobianine", "query is part of the name 'Serguei Sobianine' (transliteration, mvd_310_fr)"),
    ("Sobianin", "query is part of the name 'Sergei Sobianin' (form, common)"),
    # No spelling has "Кудрина" as typed: the Cyrillic one, in the query's script.
    ("Кудрина", "query is part of the name 'Алексей Кудрин' (form)"),
    # Five Latin curated forms have "Kudrin" as typed: the first by its text.
    ("Kudrin", "query is part of the name 'Aleksei Kudrin' (form, common)"),
    ("Gref", "query is part of the name 'German Gref' (form, bgn_pcgn)"),
    # Five spellings fold to "elvira nabiullina" (1.0 each): a curated form, first by text,
    # over 'Elʹvira Nabiullina' and the transliterations 'El’vira …' and 'Ėlʹvira …'.
    ("Elvira Nabiullina", "query is the name 'Elvira Nabiullina' (form, wikipedia_en)"),
    ("Elvira Nabiulena", "query is close to the name 'Elvira Nabiullina' (form, wikipedia_en)"),
    # A better score beats the script: 0.98 against "Putin" over 0.875 against "Владимир Путин".
    ("Путина", "query is the name in another spelling 'Putin' (form)"),
    # The only three-word spelling that is Latin and curated.
    ("A. L. Kudrin", "query is close to the name 'Aleksey Leonidovich Kudrin' (form, bgn_pcgn)"),
]


def test_search_finds_names_in_any_spelling(client: TestClient, subtests: pytest.Subtests) -> None:
    for q, (kind, entity_id, score, how) in NAME_CASES:
        with subtests.test("top result", q=q):
            items = search(client, q)
            assert items, q
            top = items[0]
            assert (top["type"], top["id"], top["score"], method(top)) == (
                kind,
                entity_id,
                score,
                how,
            ), q

    for params, expected in NAME_LISTS:
        with subtests.test("whole list", **params):
            assert ranked(search(client, **params)) == expected

    for q, (field, text, offset, words) in NAME_HIGHLIGHTS:
        with subtests.test("highlight", q=q):
            highlight = search(client, q)[0]["highlight"]
            assert (highlight["field"], highlight["text"], highlight["offset"]) == (
                field,
                text,
                offset,
            )
            assert marked(highlight) == words

    for q, reason in EXPLAINED_BY:
        with subtests.test("explained by", q=q):
            top = search(client, q)[0]
            assert top["matched_by"][0].rsplit(": ", 1)[0] == reason

    with subtests.test("a whole name hit"):
        assert search(client, "Эльвиры Набиуллиной") == [
            {
                "type": "person",
                "id": "elvira-nabiullina",
                "label": "Elvira Nabiullina",
                "score": SAME_NAME,
                "matched_by": [
                    "query is an inflected form of the name 'Эльвира Набиуллина' (form): "
                    "inflected_form"
                ],
                "highlight": {
                    "field": "name",
                    "text": "Эльвира Набиуллина",
                    "offset": 0,
                    "matches": [[0, 7], [8, 18]],
                },
            }
        ]

    with subtests.test("a look-alike stays below a full match"):
        look_alike = search(client, "Alexander Kudrin", types="person")[0]
        assert look_alike["score"] <= 0.8
        assert look_alike["matched_by"] == [
            "query shares part of the name 'Aleksei Kudrin' (form, common): partial_overlap"
        ]


# -- words of claims and sources --------------------------------------------------------------


def claims_with_word(word: str) -> list[str]:
    """Ids of the seeded claims whose quote or statement has `word` (any case, possessive
    or not), computed from the seed files."""
    pattern = re.compile(rf"\b{re.escape(word)}(?:'s)?\b", re.IGNORECASE)
    return [
        c.id for c in expected_claims() if pattern.search(c.quote) or pattern.search(c.statement)
    ]


# The seeded claims with the word "or", best first: 0.5 + 0.2 + 0.1 x min(1, 20 / words).
OR_CLAIMS = [
    claim_by_key(key).id
    for key in [
        "putin-might-use-nuclear-weapons",
        "putin-will-resume-military-aggression",
        "elite-sees-no-alternative-to-putin",
        "opposition-ignores-elite-or-lobbies-for-sanctions",
        "elite-opponents-should-get-guarantees",
    ]
]


def test_search_finds_words_in_claims_and_sources(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    with subtests.test("a phrase: the claim that is mostly it comes first"):
        items = search(client, "most effective managers")
        # The quote has 17 words and the statement 9: 0.5 + 0.2 + 0.1 x 20/26 = 0.7769. The
        # long quote naming the five (72 words with its statement) scores 0.7278; the whole
        # essay 0.7026.
        assert ranked(items) == [
            ("claim", EFFECTIVE_MANAGERS.id, 0.7769),
            ("claim", FIVE_NAMED.id, 0.7278),
            ("source", SOURCE_ID, 0.7026),
        ]
        assert items[0] == {
            "type": "claim",
            "id": EFFECTIVE_MANAGERS.id,
            "label": EFFECTIVE_MANAGERS.quote,
            "score": 0.7769,
            "matched_by": ["has every word of the query", "as a phrase"],
            "highlight": {
                "field": "quote",
                "text": EFFECTIVE_MANAGERS.quote,
                "offset": 0,
                "matches": [[16, 20], [21, 30], [31, 39]],
            },
        }
        assert marked(items[0]["highlight"]) == ["most", "effective", "managers"]

    with subtests.test("a long quote: a 240-character snippet ending with the quote"):
        hit = search(client, "most effective managers")[1]
        quote = FIVE_NAMED.quote
        assert len(quote) == 349
        assert hit["label"] == quote[:119] + "…"
        highlight = hit["highlight"]
        # The first match is at 252; the snippet starts 80 before it, but no later than
        # 349 - 240 = 109.
        assert highlight["field"] == "quote"
        assert highlight["offset"] == 109
        assert highlight["text"] == quote[109:]
        assert highlight["matches"] == [[143, 147], [148, 157], [158, 166]]
        assert marked(highlight) == ["most", "effective", "managers"]

    with subtests.test("types=source: the snippet is centred on the phrase"):
        items = search(client, "most effective managers", types="source")
        assert ranked(items) == [("source", SOURCE_ID, 0.7026)]
        assert items[0]["label"] == "The West Must Drive a Wedge Between Putin and Russia's Elites"
        assert items[0]["matched_by"] == ["has every word of the query", "as a phrase"]
        highlight = items[0]["highlight"]
        text = canonical_text()
        # "most" first stands alone at 711; the phrase starts at 1167, and the snippet 80
        # characters (a third of 240) before it.
        phrase = text.index("most effective managers")
        assert (phrase, text.index("most")) == (1167, 711)
        assert highlight["field"] == "text"
        assert highlight["offset"] == phrase - 80
        assert highlight["text"] == text[phrase - 80 : phrase + 160]
        assert highlight["matches"] == [[80, 84], [85, 94], [95, 103]]
        assert marked(highlight) == ["most", "effective", "managers"]

    with subtests.test("types=claim,person: a surname alone ranks above its claims"):
        # A claim scores at most 0.8, below the surname alone (0.875).
        expected = [
            ("person", "sergei-sobyanin", SURNAME_ALONE),
            ("claim", SOBYANIN_MAYOR.id, 0.8),
            ("claim", PRESERVE_REGIME.id, 0.8),
            ("claim", LOYALTY.id, 0.8),
            ("claim", EFFECTIVE_MANAGERS.id, 0.7769),
            ("claim", FIVE_NAMED.id, 0.7278),
        ]
        assert ranked(search(client, "Sobyanin", types="claim,person")) == expected
        # The order of the types does not matter, a repeated or padded one neither.
        assert ranked(search(client, "Sobyanin", types=" person , claim,claim")) == expected
        assert sorted(i for _, i, _ in expected if i.startswith("clm_")) == sorted(
            claims_with_word("Sobyanin")
        )

    with subtests.test("types=claim: every claim with the word, none without"):
        items = search(client, "Putin", types="claim", limit=100)
        assert sorted(i["id"] for i in items) == sorted(claims_with_word("Putin"))
        assert len(items) == 29
        for item in items:
            assert "Putin" in marked(item["highlight"]), item

    with subtests.test("words in the record's order earn 0.2"):
        in_order = [KUDRIN_MINISTER.id, LIBERALLY_MINDED.id, FIVE_NAMED.id]
        assert ranked(search(client, "finance minister Alexei Kudrin", types="claim")) == [
            ("claim", in_order[0], 0.8),
            ("claim", in_order[1], 0.7571),
            ("claim", in_order[2], 0.7278),
        ]
        assert ranked(search(client, "Kudrin finance minister", types="claim")) == [
            ("claim", in_order[0], 0.6),
            ("claim", in_order[1], 0.5571),
            ("claim", in_order[2], 0.5278),
        ]

    with subtests.test("an operator word is a word"):
        assert sorted(OR_CLAIMS) == sorted(claims_with_word("or"))
        assert [i["id"] for i in search(client, "or", types="claim")] == OR_CLAIMS

    for q in ["эффективные менеджеры", "война", "санкции"]:
        with subtests.test("Russian words the English essay does not have", q=q):
            assert search(client, q) == []


# -- pages ------------------------------------------------------------------------------------


def test_search_pages_with_cursors(client: TestClient, subtests: pytest.Subtests) -> None:
    whole = client.get("/v1/search", params={"q": "Putin", "limit": 100}).json()
    assert whole["next_cursor"] is None
    items = whole["items"]
    # Putin himself, the 29 claims with the word, the essay, and the two organisations with
    # "Putin's" in a name ("Putin's elite": 0.875 x 0.85 = 0.7438; "Putin's opponents
    # abroad": 0.8333 x 0.85 = 0.7083), which now beat their descriptions (0.6829, 0.6967).
    assert len(items) == 33
    assert [i["type"] for i in items] == (
        ["person"] + ["claim"] * 23 + ["organization"] + ["claim"] * 6 + ["organization", "source"]
    )
    assert ranked(items)[:2] == [
        ("person", "vladimir-putin", 1.0),
        ("claim", claim_by_key("putin-called-the-dictator").id, 0.8),
    ]
    assert [(i["type"], i["id"], i["score"], i["matched_by"]) for i in items[-2:]] == [
        (
            "organization",
            "russian-opposition-in-exile",
            0.7083,
            [
                'query is part of the name "Putin\'s opponents abroad" (form): part_of_name',
                "description has every word of the query",
            ],
        ),
        ("source", SOURCE_ID, 0.7026, ["has every word of the query"]),
    ]
    assert ranked(items)[23:26] == [
        ("claim", items[23]["id"], 0.7455),
        ("organization", "russian-elite", 0.7438),
        ("claim", items[25]["id"], 0.74),
    ]
    order = ["person", "organization", "claim", "source"]
    keys = [(-i["score"], order.index(i["type"]), i["id"]) for i in items]
    assert keys == sorted(keys)

    with subtests.test("walking pages of 2"):
        walked: list[dict[str, Any]] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"q": "Putin", "limit": 2}
            if cursor is not None:
                params["cursor"] = cursor
            response = client.get("/v1/search", params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            pages += 1
            walked += body["items"]
            cursor = body["next_cursor"]
            if cursor is None:
                assert "link" not in response.headers
                assert len(body["items"]) == 1
                break
            assert len(body["items"]) == 2
            assert response.headers["link"].startswith("<http://testserver/v1/search?")
            assert pages < 30
        assert pages == 17
        assert walked == items
        assert len({(i["type"], i["id"]) for i in walked}) == 33

    first = client.get("/v1/search", params={"q": "Putin", "limit": 2}).json()
    cursor = first["next_cursor"]
    assert isinstance(cursor, str)

    with subtests.test("the same types in another order keep the cursor"):
        same = client.get(
            "/v1/search",
            params={
                "q": "Putin",
                "limit": 2,
                "cursor": cursor,
                "types": "source,claim,organization,person",
            },
        )
        assert ranked(same.json()["items"]) == ranked(items[2:4])

    for label, params in [
        ("another q", {"q": "Kudrin"}),
        ("another q, same words in another case", {"q": "putin"}),
        ("other types", {"q": "Putin", "types": "claim"}),
    ]:
        with subtests.test("a cursor reused with " + label):
            assert_problem(
                client.get("/v1/search", params={**params, "limit": 2, "cursor": cursor}),
                400,
                "/v1/search",
                "other filters",
                slug="invalid-cursor",
            )

    with subtests.test("a cursor we did not issue"):
        assert_problem(
            client.get("/v1/search", params={"q": "Putin", "cursor": "garbage"}),
            400,
            "/v1/search",
            "cursor",
            slug="invalid-cursor",
        )


# -- bad and odd input ------------------------------------------------------------------------

# (params, status, ids of a 200 answer in order, or words the 422 detail mentions).
BAD_INPUT: list[tuple[dict[str, str], int, list[str]]] = [
    ({}, 422, ["query.q", "Field required"]),
    ({"q": ""}, 422, ["query.q", "at least 1 character"]),
    ({"q": "   "}, 422, ["q is blank: give a word or a name."]),
    ({"q": "\t\n"}, 422, ["q is blank: give a word or a name."]),
    ({"q": "a" * 201}, 422, ["query.q", "at most 200 characters"]),
    ({"q": "a" * 200}, 200, []),
    ({"q": "Gref", "types": "bogus"}, 422, ["types must be", "'bogus'"]),
    ({"q": "Gref", "types": "person,bogus"}, 422, ["types must be", "'person,bogus'"]),
    ({"q": "Gref", "types": "Person"}, 422, ["types must be", "'Person'"]),
    ({"q": "Gref", "types": ""}, 422, ["types must be", "''"]),
    ({"q": "Gref", "types": ","}, 422, ["types must be", "','"]),
    ({"q": "Gref", "limit": "0"}, 422, ["query.limit", "greater than or equal to 1"]),
    ({"q": "Gref", "limit": "101"}, 422, ["query.limit", "less than or equal to 100"]),
    ({"q": "Gref", "limit": "ten"}, 422, ["query.limit", "valid integer"]),
    # FTS5 and tsquery syntax is plain text: no word, or words no record has.
    ({"q": '"'}, 200, []),
    ({"q": '"abc'}, 200, []),
    ({"q": "*"}, 200, []),
    ({"q": "NEAR(a b)"}, 200, []),
    ({"q": "-x"}, 200, []),
    ({"q": "^x"}, 200, []),
    ({"q": "col:value"}, 200, []),
    ({"q": "terms : putin"}, 200, []),
    ({"q": "entity_type : claim"}, 200, []),
    ({"q": "("}, 200, []),
    ({"q": "))"}, 200, []),
    ({"q": "!!!"}, 200, []),
    # An operator is a word like any other: "or" is in these five claims and in the essay
    # (test_search_finds_words_in_claims_and_sources checks them against the seed).
    ({"q": "OR"}, 200, [*OR_CLAIMS, SOURCE_ID]),
    # Lone lowercase letters are left out: "a OR b" is the word "or" alone.
    ({"q": "a OR b"}, 200, [*OR_CLAIMS, SOURCE_ID]),
    ({"q": "NEAR"}, 200, []),
    # A star is not a wildcard: "Mishustin*" is the word "Mishustin".
    ({"q": "Mishustin*", "types": "person"}, 200, ["mikhail-mishustin"]),
    # SQL is text too.
    ({"q": "'; DROP TABLE person; --"}, 200, []),
    # Two-digit numbers: parse_query currently also leaves out a lone digit (not a lowercase
    # letter), so "1' OR '1'='1" would be the word "or" alone; that is not pinned here.
    ({"q": "11' OR '11'='11"}, 200, []),
    ({"q": "Robert'); DROP TABLE search_doc;--"}, 200, []),
    # Mixed scripts: a mixed word is romanised whole; one name in two scripts is one word
    # (the first, "Путин"), so the same as "Путина": Putin and the two "Putin's" names.
    ({"q": "Набиullina"}, 200, ["elvira-nabiullina"]),
    ({"q": "Путин Putin"}, 200, ["vladimir-putin", "russian-elite", "russian-opposition-in-exile"]),
    # Emoji are not words.
    ({"q": "😀"}, 200, []),
    ({"q": "😀 Mishustin 🇷🇺", "types": "person"}, 200, ["mikhail-mishustin"]),
    # A NUL is refused before any parameter is read; other control characters as in names.
    ({"q": "\x00"}, 422, ["NUL"]),
    ({"q": "Putin\x00"}, 422, ["NUL"]),
    ({"q": "\x01"}, 422, ["q is not valid: control character U+0001 is not allowed."]),
    ({"q": "Mishus\x1ftin"}, 422, ["q is not valid: control character U+001F is not allowed."]),
    ({"q": "Putin\x7f"}, 422, ["q is not valid: control character U+007F is not allowed."]),
    ({"q": "Pu\ttin"}, 422, ["q is not valid: must be a single line."]),
    ({"q": "Putin\nGref"}, 422, ["q is not valid: must be a single line."]),
    ({"q": "Putin\r"}, 422, ["q is not valid: must be a single line."]),
    # Combining characters stay in their word: alone they are no word; "e\u0301" is a lone
    # lowercase letter; after a word they are dropped with its other diacritics.
    ({"q": "\u0301"}, 200, []),
    ({"q": "e\u0301"}, 200, []),
    ({"q": "Nabiullina\u0301", "types": "person"}, 200, ["elvira-nabiullina"]),
    ({"q": "Набиуллина\u0301"}, 200, ["elvira-nabiullina"]),
    ({"q": "Й"}, 200, []),
]


def test_search_bad_input_is_422_or_an_answer(
    client: TestClient, subtests: pytest.Subtests
) -> None:
    for params, status, expected in BAD_INPUT:
        with subtests.test(**{k: repr(v)[:40] for k, v in params.items()}):
            response = client.get("/v1/search", params=params)
            if status == 200:
                assert response.status_code == 200, response.text[:400]
                assert [i["id"] for i in response.json()["items"]] == expected
            else:
                body = assert_problem(
                    response, status, "/v1/search", *expected, slug="validation-error"
                )
                assert body["errors"]

    for nfd, nfc in [
        ("Mis\u030custin", "Mišustin"),
        ("Sergej Soba\u0302nin", "Sergej Sobânin"),
        ("И\u0306", "Й"),
        ("Собя\u0301нин", "Собянин"),
    ]:
        with subtests.test("decomposed (NFD) letters find what composed ones do", q=nfd):
            assert search(client, nfd) == search(client, nfc)
    with subtests.test("NFD letters: what they find"):
        assert ranked(search(client, "Sergej Soba\u0302nin")) == [
            ("person", "sergei-sobyanin", 1.0)
        ]
        assert search(client, "Mis\u030custin")[0]["matched_by"] == [
            "query is part of the name 'Mihail Mišustin' (form, iso9): part_of_name"
        ]
        assert search(client, "И\u0306") == []


# -- match --------------------------------------------------------------------------------------


def one(**query: Any) -> dict[str, Any]:
    """A match body with the single query `q1`."""
    return {"queries": {"q1": query}}


Q1 = ["body", "queries", "q1"]
# (what is wrong, query parameters, body, the one error's loc).
BAD_MATCHES: list[tuple[str, dict[str, Any], dict[str, Any], list[Any]]] = [
    ("no queries", {}, {"queries": {}}, ["body", "queries"]),
    (
        "51 queries",
        {},
        {"queries": {f"q{i}": {"name": "Gref"} for i in range(51)}},
        ["body", "queries"],
    ),
    ("no body", {}, {}, ["body", "queries"]),
    ("queries as a list", {}, {"queries": [{"name": "Gref"}]}, ["body", "queries"]),
    ("missing name", {}, one(organization="Sberbank"), [*Q1, "name"]),
    ("unknown field", {}, one(name="Gref", nationality="ru"), [*Q1, "nationality"]),
    ("unknown top-level field", {}, {**one(name="Gref"), "x": 1}, ["body", "x"]),
    ("threshold 1.5", {"threshold": 1.5}, one(name="Gref"), ["query", "threshold"]),
    ("threshold -0.1", {"threshold": -0.1}, one(name="Gref"), ["query", "threshold"]),
    ("limit 0", {"limit": 0}, one(name="Gref"), ["query", "limit"]),
    ("limit 51", {"limit": 51}, one(name="Gref"), ["query", "limit"]),
    ("name of 301 characters", {}, one(name="a" * 301), [*Q1, "name"]),
    ("empty name", {}, one(name=""), [*Q1, "name"]),
    ("blank name", {}, one(name="   "), [*Q1, "name"]),
    ("NUL in a name", {}, one(name="Gr\x00ef"), [*Q1, "name"]),
    ("control character", {}, one(name="Gr\x01ef"), [*Q1, "name"]),
    ("blank organisation", {}, one(name="Gref", organization=" "), [*Q1, "organization"]),
    ("unknown type", {}, one(name="Gref", type="vessel"), [*Q1, "type"]),
    ("impossible birth date", {}, one(name="Gref", birth_date="1964-13-01"), [*Q1, "birth_date"]),
    (
        "impossible month and day",
        {},
        one(name="Elvira Nabiullina", birth_date="1963-13-40"),
        [*Q1, "birth_date"],
    ),
]


def test_match(client: TestClient, subtests: pytest.Subtests) -> None:
    with subtests.test("an inflected name with the organisation of her role"):
        body = match(
            client, {"q1": {"name": "Набиуллиной Эльвиры", "organization": "Central Bank"}}
        )
        assert body["threshold"] == 0.9
        assert body["responses"]["q1"]["query"] == {
            "name": "Набиуллиной Эльвиры",
            "type": "person",
            "organization": "Central Bank",
            "birth_date": None,
        }
        # 0.98 for the name, + 0.2 x (1.0 - 0.5) for "Central Bank", capped at 1.0.
        assert body["responses"]["q1"]["results"] == [
            {
                "type": "person",
                "id": "elvira-nabiullina",
                "name": "Elvira Nabiullina",
                "score": 1.0,
                "match": True,
                "features": {"name": SAME_NAME, "organization": 1.0},
                "explanation": "query is an inflected form of the name 'Эльвира Набиуллина' "
                "(form): inflected_form",
            }
        ]

    with subtests.test("a stored spelling"):
        results = match(client, {"q2": {"name": "Sergei Sobianin"}})["responses"]["q2"]["results"]
        assert results == [
            {
                "type": "person",
                "id": "sergei-sobyanin",
                "name": "Sergei Sobyanin",
                "score": 1.0,
                "match": True,
                "features": {"name": 1.0},
                "explanation": "query is the name 'Sergei Sobianin' (form, common): exact",
            }
        ]

    with subtests.test("the threshold decides `match`"):
        for threshold, expected in [(None, False), (0.9, False), (0.671, True), (0.5, True)]:
            params = {} if threshold is None else {"threshold": threshold}
            body = match(client, {"q3": {"name": "Alexander Kudrin"}}, **params)
            assert body["threshold"] == (0.9 if threshold is None else threshold)
            # The whole list: a person sharing no word with "Alexander Kudrin" is no candidate.
            assert body["responses"]["q3"]["results"] == [
                {
                    "type": "person",
                    "id": "alexei-kudrin",
                    "name": "Alexei Kudrin",
                    "score": 0.671,
                    "match": expected,
                    "features": {"name": 0.671},
                    "explanation": "query shares part of the name 'Aleksei Kudrin' (form, common): "
                    "partial_overlap",
                }
            ], threshold
        both = match(client, {"a": {"name": "Путин"}, "b": {"name": "Putin"}}, threshold=1)
        assert [
            (r["results"][0]["id"], r["results"][0]["score"], r["results"][0]["match"])
            for r in both["responses"].values()
        ] == [("vladimir-putin", SAME_NAME, False), ("vladimir-putin", 1.0, True)]
        assert [len(r["results"]) for r in both["responses"].values()] == [1, 1]

    with subtests.test("an organisation"):
        results = match(client, {"q4": {"name": "Сбербанк", "type": "organization"}})["responses"][
            "q4"
        ]["results"]
        # The whole list: "Банк России" shares no word with "Сбербанк" and is no candidate.
        assert results == [
            {
                "type": "organization",
                "id": "sberbank",
                "name": "Sberbank",
                "score": 1.0,
                "match": True,
                "features": {"name": 1.0},
                "explanation": "query is the name 'Сбербанк' (form): exact",
            }
        ]
        # Organisations are not persons: a person query does not find the bank, nor anyone.
        persons = match(client, {"q": {"name": "Сбербанк"}})["responses"]["q"]["results"]
        assert persons == []

    with subtests.test("several queries keep their names, in order"):
        body = match(
            client,
            {
                "zeta": {"name": "Herman Gref", "birth_date": "1964-02-08"},
                "alpha": {"name": "Сбербанк", "type": "organization"},
                "Ключ": {"name": "Грефа", "organization": "Sberbank"},
                "q 4": {"name": "Nobody Atall"},
            },
        )
        assert list(body["responses"]) == ["zeta", "alpha", "Ключ", "q 4"]
        lists = {k: v["results"] for k, v in body["responses"].items()}
        # Gref's recorded birth date: 1.0 + 0.05, clamped to 1.0.
        assert [(r["id"], r["score"], r["features"]) for r in lists["zeta"]] == [
            ("german-gref", 1.0, {"name": 1.0, "birth_date": 1.0})
        ]
        assert body["responses"]["zeta"]["query"]["birth_date"] == "1964-02-08"
        assert [(r["id"], r["score"]) for r in lists["alpha"]] == [("sberbank", 1.0)]
        # 0.875 + 0.2 x (1.0 - 0.5) = 0.975.
        assert [(r["id"], r["score"], r["match"], r["features"]) for r in lists["Ключ"]] == [
            ("german-gref", 0.975, True, {"name": SURNAME_ALONE, "organization": 1.0})
        ]
        assert lists["q 4"] == []

    with subtests.test("the organisation moves the score by up to 0.1 either way"):
        cases = [
            # Her roles name the Central Bank only, and none of its names shares a word with
            # "Sberbank" ("bank" is not "sberbank") or "Gazprom": 0.0, so
            # 1.0 + 0.2 x (0.0 - 0.5) = 0.9.
            ("Elvira Nabiullina", "Sberbank", 0.9, 0.0),
            ("Elvira Nabiullina", "Gazprom", 0.9, 0.0),
            ("Elvira Nabiullina", "Банк России", 1.0, 1.0),
            # Bondarev holds no role at an organisation: nothing to compare, no change.
            ("Boris Bondarev", "Sberbank", 1.0, None),
        ]
        for name, org, score, org_feature in cases:
            top = match(client, {"q": {"name": name, "organization": org}})["responses"]["q"][
                "results"
            ][0]
            assert (top["score"], top["features"]) == (
                score,
                {"name": 1.0, "organization": org_feature},
            ), (name, org)

    with subtests.test("limit"):
        # A patronymic two persons share, alone: 1.0 x (0.75 + 0.25 x 1/3) x 0.85; the tie
        # goes to the smaller id.
        query = {"q": {"name": "Владимирович"}}
        results = match(client, query)["responses"]["q"]["results"]
        assert [(r["id"], r["score"], r["match"]) for r in results] == [
            ("mikhail-mishustin", 0.7083, False),
            ("vladimir-putin", 0.7083, False),
        ]
        results = match(client, query, limit=1)["responses"]["q"]["results"]
        assert [(r["id"], r["score"]) for r in results] == [("mikhail-mishustin", 0.7083)]

    with subtests.test("the curated form explains a name, not the display name"):
        results = match(client, {"q": {"name": "Elvira Nabiullina"}})["responses"]["q"]["results"]
        assert results == [
            {
                "type": "person",
                "id": "elvira-nabiullina",
                "name": "Elvira Nabiullina",
                "score": 1.0,
                "match": True,
                "features": {"name": 1.0},
                "explanation": "query is the name 'Elvira Nabiullina' (form, wikipedia_en): exact",
            }
        ]

    with subtests.test("a birth date moves the score"):
        # Hers is 1963-10-29: the same date +0.05 (clamped to 1.0), the same year only -0.05,
        # another year -0.3.
        births = [
            ("1963-10-29", 1.0, 1.0, True),
            ("1963-01-01", 0.5, 0.95, True),
            ("1970-10-29", 0.0, 0.7, False),
        ]
        for birth_date, agreement, score, is_match in births:
            body = match(client, {"q": {"name": "Elvira Nabiullina", "birth_date": birth_date}})
            assert body["responses"]["q"]["query"]["birth_date"] == birth_date
            assert [
                (r["id"], r["score"], r["match"], r["features"])
                for r in body["responses"]["q"]["results"]
            ] == [
                (
                    "elvira-nabiullina",
                    score,
                    is_match,
                    {"name": 1.0, "birth_date": agreement},
                )
            ], birth_date
        # Under the default threshold 0.9 another year is no match, at 0.7 it is.
        body = match(
            client, {"q": {"name": "Elvira Nabiullina", "birth_date": "1970-10-29"}}, threshold=0.7
        )
        assert body["responses"]["q"]["results"][0]["match"] is True
        # A surname alone and the same date: 0.875 + 0.05; a look-alike and the same date:
        # 0.671 + 0.05; a look-alike born another year: 0.671 - 0.3.
        for name, birth_date, score in [
            ("Kudrin", "1960-10-12", 0.925),
            ("Alexander Kudrin", "1960-10-12", 0.721),
            ("Alexander Kudrin", "1961-10-12", 0.371),
        ]:
            top = match(client, {"q": {"name": name, "birth_date": birth_date}})["responses"]["q"][
                "results"
            ][0]
            assert (top["id"], top["score"]) == ("alexei-kudrin", score), (name, birth_date)

    with subtests.test("no birth date recorded: null, no change"):
        for birth_date in ["1970-01-01", "1963-10-29"]:
            results = match(client, {"q": {"name": "Boris Bondarev", "birth_date": birth_date}})[
                "responses"
            ]["q"]["results"]
            assert [(r["id"], r["score"], r["features"]) for r in results] == [
                ("boris-bondarev", 1.0, {"name": 1.0, "birth_date": None})
            ]
        # Organisations have no birth date.
        results = match(
            client, {"q": {"name": "Sberbank", "type": "organization", "birth_date": "1970-10-29"}}
        )["responses"]["q"]["results"]
        assert [(r["id"], r["score"], r["features"]) for r in results] == [
            ("sberbank", 1.0, {"name": 1.0, "birth_date": None})
        ]

    with subtests.test("query parsing as in search"):
        for name, candidates in [
            ("с Мишустиным", [("mikhail-mishustin", SURNAME_ALONE)]),
            ("Путин Putin", [("vladimir-putin", SAME_NAME)]),
            ("Mis\u030custin", [("mikhail-mishustin", SURNAME_ALONE)]),
        ]:
            results = match(client, {"q": {"name": name}})["responses"]["q"]["results"]
            assert [(r["id"], r["score"]) for r in results] == candidates, name

    with subtests.test("fifty queries are allowed"):
        fifty = {f"q{i}": {"name": "Gref"} for i in range(50)}
        body = match(client, fifty)
        assert list(body["responses"]) == list(fifty)

    for label, params, body, loc in BAD_MATCHES:
        with subtests.test("refused: " + label):
            problem = assert_problem(
                client.post("/v1/match", params=params, json=body),
                422,
                "/v1/match",
                slug="validation-error",
            )
            assert [e["loc"] for e in problem["errors"]] == [loc]

    # A query's name is the client's own handle on its answer: one line of 1..100 characters.
    bad_names = {
        "empty": ("", ""),
        "NUL": ("q\x00", "q\x00"),
        "newline": ("q\n1", "q\n1"),
        "control character": ("q\x01", "q\x01"),
        "101 characters": ("k" * 101, "k" * 100 + "…"),
        "200,000 characters": ("k" * 200_000, "k" * 100 + "…"),
    }
    for label, (name, shown) in bad_names.items():
        with subtests.test("refused query name: " + label):
            problem = assert_problem(
                client.post(
                    "/v1/match", json={"queries": {"ok": {"name": "Gref"}, name: {"name": "Gref"}}}
                ),
                422,
                "/v1/match",
                slug="validation-error",
            )
            assert [e["loc"] for e in problem["errors"]] == [["body", "queries", shown, "[key]"]]
            assert len(problem["detail"]) < 400
    with subtests.test("refused query name: a lone surrogate"):
        raw = b'{"queries": {"q\\ud800": {"name": "Gref"}}}'
        problem = assert_problem(
            client.post("/v1/match", content=raw, headers={"content-type": "application/json"}),
            422,
            "/v1/match",
            slug="validation-error",
        )
        assert [e["loc"][:2] for e in problem["errors"]] == [["body", "queries"]]
        assert [e["type"] for e in problem["errors"]] == ["string_unicode"]
    with subtests.test("query names of 100 characters, in any script, are echoed"):
        names = ["k" * 100, "Набиуллина?", "q 1"]
        body = match(client, {n: {"name": "Gref"} for n in names})
        assert list(body["responses"]) == names

    with subtests.test("names the longest allowed, or with no word, answer nothing"):
        for name in ["a" * 300, "!!!", "😀"]:
            assert match(client, {"q": {"name": name}})["responses"]["q"]["results"] == []


# -- the index follows the writes ---------------------------------------------------------------

LAVROV = {
    "id": "sergei-lavrov",
    "name": "Sergei Lavrov",
    "names": [
        {
            "name": "Сергей Лавров",
            "lang": "ru",
            "script": "Cyrl",
            "kind": "original",
            "provenance": "curator: reference knowledge",
        },
        {
            "name": "Sergey Lavrov",
            "lang": "ru-Latn",
            "script": "Latn",
            "kind": "transliteration",
            "scheme": "bgn_pcgn",
            "provenance": "curator: reference knowledge (BGN/PCGN romanization)",
        },
    ],
}
ZAKHAROVA_NAMES = [
    {
        "name": "Мария Захарова",
        "lang": "ru",
        "script": "Cyrl",
        "kind": "original",
        "provenance": "curator: reference knowledge",
    }
]
REALIZE = "they almost certainly realize"
UNDERSTANDS = "The author believes Kudrin understands where Putin is leading Russia."


def test_search_follows_writes(client: TestClient, keys: Keys, subtests: pytest.Subtests) -> None:
    for q in ["Лаврова", "Sergei Lavrov", "Захаровой", "understands", "понимают"]:
        assert search(client, q) == [], q

    person = created(client.post("/v1/persons", json=LAVROV, headers=keys[CURATOR]), "/v1/persons")
    with subtests.test("a new person is found by every spelling at once"):
        assert ranked(search(client, "Лаврова")) == [("person", "sergei-lavrov", SURNAME_ALONE)]
        assert ranked(search(client, "Сергея Лаврова")) == [("person", "sergei-lavrov", SAME_NAME)]
        assert ranked(search(client, "Sergei Lavrov")) == [("person", "sergei-lavrov", 1.0)]
        # A generated romanisation (ISO 9 / GOST 7.79) of the Cyrillic form.
        assert ranked(search(client, "Sergej Lavrov")) == [("person", "sergei-lavrov", 1.0)]
        results = match(client, {"q": {"name": "Лаврова Сергея"}})["responses"]["q"]["results"]
        # Sobyanin shares "Сергея" only: the best token-sort of "lavrova sergeia" against his
        # spellings is 20/39, against "sergei semenovic sobanin" (GOST 7.79), x 0.8 = 0.4103.
        assert [(r["id"], r["score"], r["match"]) for r in results] == [
            ("sergei-lavrov", SAME_NAME, True),
            ("sergei-sobyanin", 0.4103, False),
        ]

    renamed = client.patch(
        "/v1/persons/sergei-lavrov",
        json={"name": "Maria Zakharova", "names": ZAKHAROVA_NAMES},
        headers=with_etag(keys, etag(client, "/v1/persons/sergei-lavrov")),
    )
    assert renamed.status_code == 200, renamed.text
    assert person["version"] + 1 == renamed.json()["version"]
    with subtests.test("renamed: the old spellings are gone, the new ones found"):
        for q in ["Лаврова", "Sergei Lavrov", "Sergey Lavrov", "Sergej Lavrov"]:
            assert search(client, q) == [], q
        assert ranked(search(client, "Захаровой")) == [("person", "sergei-lavrov", SURNAME_ALONE)]
        assert ranked(search(client, "Maria Zakharova")) == [("person", "sergei-lavrov", 1.0)]
        assert search(client, "Марии Захаровой")[0]["label"] == "Maria Zakharova"

    gone = client.delete(
        "/v1/persons/sergei-lavrov", headers=with_etag(keys, renamed.headers["etag"])
    )
    assert gone.status_code == 204, gone.text
    with subtests.test("deleted: not found"):
        assert search(client, "Захаровой") == []
        assert search(client, "Maria Zakharova") == []
        results = match(client, {"q": {"name": "Maria Zakharova"}})["responses"]["q"]["results"]
        assert results == []

    text = canonical_text()
    start = text.index(REALIZE)
    claim = created(
        client.post(
            "/v1/claims",
            json={
                "source_id": SOURCE_ID,
                "quote": REALIZE,
                "start": start,
                "end": start + len(REALIZE),
                "subjects": [{"type": "person", "id": "alexei-kudrin"}],
                "attributed_to": {"type": "person", "id": "boris-bondarev"},
                "kind": "belief_attribution",
                "statement": UNDERSTANDS,
                "modality": "hedged",
                "hedge": "almost certainly",
                "stance": "mixed",
            },
            headers=keys[CURATOR],
        ),
        "/v1/claims",
    )
    cid = claim["id"]
    with subtests.test("a new claim is found by a word of its statement"):
        items = search(client, "understands")
        # 4 + 10 words: 0.5 + 0.2 + 0.1 x min(1, 20/14) = 0.8.
        assert ranked(items) == [("claim", cid, 0.8)]
        assert items[0]["label"] == REALIZE
        assert items[0]["highlight"]["field"] == "statement"
        assert marked(items[0]["highlight"]) == ["understands"]

    russian = "Автор считает, что Кудрин понимает, куда Путин ведёт Россию."
    edited = client.patch(
        f"/v1/claims/{cid}",
        json={"statement": russian},
        headers=with_etag(keys, etag(client, f"/v1/claims/{cid}")),
    )
    assert edited.status_code == 200, edited.text
    with subtests.test("an edited statement: the old word is gone, Russian words found"):
        assert search(client, "understands") == []
        # Another form of the verb and of the name: both reduce to their dictionary forms.
        # Not in the statement's order: 0.5 + 0.1.
        items = search(client, "понимают Кудрина", types="claim")
        assert ranked(items) == [("claim", cid, 0.6)]
        assert items[0]["matched_by"] == ["has every word of the query"]
        highlight = items[0]["highlight"]
        assert (highlight["field"], highlight["text"], highlight["offset"]) == (
            "statement",
            russian,
            0,
        )
        assert marked(highlight) == ["Кудрин", "понимает"]
        assert highlight["matches"][1][0] == russian.index("понимает")

    gone = client.delete(f"/v1/claims/{cid}", headers=with_etag(keys, edited.headers["etag"]))
    assert gone.status_code == 204, gone.text
    with subtests.test("deleted: the claim is not found"):
        assert search(client, "понимают") == []
        assert search(client, "understands") == []


def test_query_words_are_read_once(client: TestClient) -> None:
    """A digit is a word (only a lone lowercase letter is dropped); a name repeated in another
    case or script counts once; claims and sources are highlighted by the words kept."""
    assert search(client, "1' OR '1'='1") == []
    assert search(client, "1") == []
    kudrin = search(client, "Kudrin Кудрина", types="person")
    assert ranked(kudrin) == [("person", "alexei-kudrin", SURNAME_ALONE)]
    assert marked(kudrin[0]["highlight"]) == ["Kudrin"]  # the word kept, as typed
    putin = search(client, "Путина Путин", types="person")
    assert ranked(putin) == [("person", "vladimir-putin", SAME_NAME)]
    # "a" is left out, so the source's snippet centres on the phrase, not on an "a".
    (source,) = search(client, "a most effective managers", types="source")
    assert (source["highlight"]["field"], source["highlight"]["offset"]) == ("text", 1087)
    assert marked(source["highlight"]) == ["most", "effective", "managers"]
    # The organisation and birth-date adjustments add up before the one clamp to [0, 1]:
    # 1.0 + 0.05 (same birth date) - 0.1 (Sberbank names none of her organisations).
    result = match(
        client,
        {
            "q": {
                "name": "Elvira Nabiullina",
                "birth_date": "1963-10-29",
                "organization": "Sberbank",
            }
        },
    )["responses"]["q"]["results"][0]
    assert (result["id"], result["score"], result["features"]) == (
        "elvira-nabiullina",
        0.95,
        {"name": 1.0, "birth_date": 1.0, "organization": 0.0},
    )
