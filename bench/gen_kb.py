"""Generate a large synthetic knowledge base straight into a database, for search benchmarks.

    python bench/gen_kb.py sqlite:////tmp/kb.db --persons 10000 --claims 1000000
    python bench/gen_kb.py postgresql://postgres@127.0.0.1:5432/kb --persons 500 --claims 20000

The database is migrated (`app.services.migrations.upgrade`) and the essay seed loaded first,
then persons, organisations, sources and claims are bulk-inserted with plain SQL (executemany
on SQLite, COPY on PostgreSQL), not through the HTTP API: a million claims through the API
would take hours. The search rows are what the app itself writes for the same data:
`search_index.variants_of` for name variants, `terms.index_text` for documents (a sample of
rows is checked against the real function while generating).

What it makes, deterministically for a given --seed:
- persons with Russian names (given name, patronymic, surname, feminine forms for women), a
  Latin display name (iuliia Wikipedia), name forms (Cyrillic, Cyrillic with patronymic,
  Latin, Latin with patronymic) and a short English description;
- organisations (ministries, city administrations, companies, media, central bank branches,
  informal groups) with a Cyrillic and an English name;
- sources of about 50 generated sentences each, English or Russian, naming persons in varied
  forms (full name, surname only, initials, patronymic, other romanisations, Russian cases);
- one claim per sentence, quoting it exactly, with an English paraphrase as its statement and
  one subject (person, or organisation). Person popularity is Zipf-like (exponent 0.8).

Each person also gets one or two roles (positions or memberships) at generated organisations,
which /v1/match reads when a query names an organisation; claims that name an organisation
about a person usually name one of theirs.

The rest of a whole knowledge base, as the app's own writes would leave it:
- mentions: what `detection.detect` finds in each source's text (the seed's sources too, with
  the whole lexicon), computed by bench/gen_mentions.py from the words gen_kb placed; every
  MENTION_VERIFY_EVERY-th source (and the first three) is checked against `detect` itself and
  the run stops on a difference;
- 36 API keys (30 annotate, 6 curate) and --annotations annotations (default 20% of claims)
  made with them over 300 days (bench/gen_annotations.py): on claims (the more quoted the
  person, the more annotated), persons, organisations, sources (some with a text selector)
  and roles; 30% are replies in threads of 2-6; tags from a vocabulary of 200 (Zipf); 15%
  assessments; ~6.6% edited, 3% hidden by a curator, 2% deleted by their creator, each write with
  its annotation_version row;
- the change log: one row per write (the import's creates with origin cli, at 1,000 writes a
  second from 2026-01-01; the keys; every annotation write with origin api and its key), each
  but a delete with the record its version stores (change.document, bench/gen_records.py).
The copies the read paths index are written with the rows (claim_subject's subject_id,
source_id and quote_start) or derived from them after the load, before the indexes are built,
with the app's own SQL (claim_tally: app/services/curation/denormalised.py; annotation_about
and annotation_tally: app/services/annotations/about.py).

On SQLite the FTS5 triggers are dropped during the load and the FTS tables rebuilt afterwards
(the triggers are then recreated from the very SQL the migration stored). On PostgreSQL the
secondary indexes are dropped during the COPY and recreated from their stored definitions,
foreign keys are not checked during the load (session_replication_role = replica; the data is
consistent by construction), every sequence of a loaded table is set past its column's
highest value (change.seq is written explicitly) and the tables are VACUUM ANALYZEd at the
end, as autovacuum would.
SQLite is left un-ANALYZEd, as the app leaves it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import string
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import iuliia

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

import gen_records  # noqa: E402
from gen_annotations import (  # noqa: E402
    ANNOTATION_COLS,
    CHANGE_COLS,
    KEY_COLS,
    TAG_COLS,
    VERSION_COLS,
    AnnotationPlan,
)
from gen_mentions import Detector, WordSpan, as_rows, piece_words  # noqa: E402

from app.services.annotations.about import REBUILD_SQL as ABOUT_SQL  # noqa: E402
from app.services.curation.denormalised import TALLY_SQL  # noqa: E402
from app.services.search import terms  # noqa: E402
from app.services.search.detection import detect  # noqa: E402
from app.services.search.index import variants_of  # noqa: E402
from app.services.search.lexicon import Lexicon  # noqa: E402
from app.services.search.terms import name_key  # noqa: E402

PROVENANCE = "generated: bench/gen_kb.py"
# Every row carries the same timestamps: the content, not the clock, is what is generated.
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SENTENCES_PER_SOURCE = 50
SENTENCES_PER_PARAGRAPH = 5
FLUSH_SOURCES = 200  # sources (with their claims) buffered per database round
VERIFY_EVERY = 997  # every n-th claim's terms are checked against terms.index_text
MENTION_VERIFY_EVERY = 200  # every n-th source's mentions are checked against detection.detect
ANNOTATION_SHARE = 0.2  # default annotations per claim
# The change log of the import: the CLI writes about this many records a second.
CLI_WRITES_PER_SECOND = 1_000
ZIPF_EXPONENT = 0.8
ANNOTATION_SKEW = 1.25  # annotation weight of a person: quoting weight ** this (1 / rank)

# --------------------------------------------------------------------------------------------
# Vocabulary


def _words(text: str) -> list[str]:
    return text.split()


# Male given names with their patronymics (masculine form).
MALE_NAMES = _words("""
Александр:Александрович Алексей:Алексеевич Анатолий:Анатольевич Андрей:Андреевич
Антон:Антонович Аркадий:Аркадьевич Артём:Артёмович Борис:Борисович Вадим:Вадимович
Валерий:Валерьевич Василий:Васильевич Виктор:Викторович Виталий:Витальевич
Владимир:Владимирович Владислав:Владиславович Вячеслав:Вячеславович Геннадий:Геннадьевич
Георгий:Георгиевич Герман:Германович Глеб:Глебович Григорий:Григорьевич Денис:Денисович
Дмитрий:Дмитриевич Евгений:Евгеньевич Егор:Егорович Иван:Иванович Игорь:Игоревич
Кирилл:Кириллович Константин:Константинович Леонид:Леонидович Максим:Максимович
Матвей:Матвеевич Михаил:Михайлович Никита:Никитич Николай:Николаевич Олег:Олегович
Павел:Павлович Пётр:Петрович Роман:Романович Руслан:Русланович Семён:Семёнович
Сергей:Сергеевич Станислав:Станиславович Степан:Степанович Тимур:Тимурович Фёдор:Фёдорович
Эдуард:Эдуардович Юрий:Юрьевич Ярослав:Ярославович
""")

FEMALE_NAMES = _words("""
Александра Алина Алла Анастасия Анна Валентина Валерия Вера Виктория Галина Дарья Диана
Евгения Екатерина Елена Елизавета Жанна Зоя Инна Ирина Карина Кира Кристина Ксения Лариса
Людмила Маргарита Марина Мария Надежда Наталья Нина Оксана Ольга Полина Светлана Софья
Тамара Татьяна Ульяна Эльвира Юлия Яна
""")

SURNAME_STEMS = _words("""
Абрам Аксен Андрон Анис Арсен Бар Басман Бел Берез Бобр Богдан Бондар Борис Бор Брод Вавил
Варлам Вед Верб Вин Влас Волод Ворон Гавр Голуб Горб Горд Гром Гур Давыд Дан Дем Денис Дорон
Дроб Дуб Ерем Ермол Ефим Жар Забол Зар Звер Зим Злат Зуб Иван Игнат Изот Калин Камен Капуст
Карп Клим Комар Кондрат Котел Крас Крут Крыл Купр Лавр Ларион Лебед Лед Лис Логин Лукьян
Любим Макар Максим Мал Мамон Марин Медвед Мирон Митр Мор Мороз Муром Назар Нест Никит Никон
Нос Обол Овчин Озер Окун Орл Осип Остр Павл Панкрат Пахом Петр Пим Плат Полян Поп Прокоп Прох
Рад Разум Родион Ром Рудн Рыб Рябин Савел Сав Сазон Сафрон Свет Север Селезн Семен Сидор Сим
Смирн Сокол Солов Спирид Старост Степан Столяр Стрел Сур Тарас Тверд Тимоф Тит Тих Трофим Тур
Угл Устин Фад Федот Фил Фом Фрол Харитон Холод Хром Цар Чер Черн Шал Шил Шум Щегл Юд Юр Якун
Ярем Ясен Авер Агап Алфер Амвр Анфим Аргун Батур Безбород Бердн Блин Болот Брусил Булат Бурл
Вельям Вершин Весел Воед Вохм Глад Голов Город Гостин Гребен Гриб Добр Долгор Дружин Дуван
Евдоким Елизар Жилин Завьял Зот Зыр Кирил Кисел Колесн Кудр Курган Лапт Левон Лобан Мартын
Мещер Молчан Нарыш Оглобл Перм Пестр Радищ Ростов
""")
SURNAME_SUFFIXES = ("ов", "ин", "ский")

# Roles: English, Russian nominative, genitive.
ROLES = [
    ("governor", "губернатор", "губернатора"),
    ("mayor", "мэр", "мэра"),
    ("minister", "министр", "министра"),
    ("deputy", "депутат", "депутата"),
    ("senator", "сенатор", "сенатора"),
    ("entrepreneur", "предприниматель", "предпринимателя"),
    ("economist", "экономист", "экономиста"),
    ("prosecutor", "прокурор", "прокурора"),
    ("general", "генерал", "генерала"),
    ("banker", "банкир", "банкира"),
    ("journalist", "журналист", "журналиста"),
    ("official", "чиновник", "чиновника"),
]

# Topics: English, Russian genitive. Each is in about 1/30 of all claims.
TOPICS = [
    ("the budget", "бюджета"),
    ("sanctions", "санкций"),
    ("inflation", "инфляции"),
    ("pensions", "пенсий"),
    ("the oil industry", "нефтяной отрасли"),
    ("corruption", "коррупции"),
    ("elections", "выборов"),
    ("the army", "армии"),
    ("taxes", "налогов"),
    ("the key rate", "ключевой ставки"),
    ("housing", "жилья"),
    ("healthcare", "здравоохранения"),
    ("education", "образования"),
    ("roads", "дорог"),
    ("the gas pipeline", "газопровода"),
    ("privatisation", "приватизации"),
    ("the grain harvest", "урожая зерна"),
    ("the ruble", "рубля"),
    ("exports", "экспорта"),
    ("mobilisation", "мобилизации"),
    ("censorship", "цензуры"),
    ("the heating season", "отопительного сезона"),
    ("public transport", "общественного транспорта"),
    ("the defence order", "оборонного заказа"),
    ("mortgages", "ипотеки"),
    ("wages", "зарплат"),
    ("the coal mines", "угольных шахт"),
    ("tourism", "туризма"),
    ("fisheries", "рыболовства"),
    ("the space programme", "космической программы"),
]

MINISTRIES = [
    ("Finance", "финансов"),
    ("Energy", "энергетики"),
    ("Economic Development", "экономического развития"),
    ("Health", "здравоохранения"),
    ("Education", "образования"),
    ("Transport", "транспорта"),
    ("Agriculture", "сельского хозяйства"),
    ("Industry and Trade", "промышленности и торговли"),
    ("Justice", "юстиции"),
    ("Culture", "культуры"),
    ("Natural Resources", "природных ресурсов"),
    ("Labour", "труда"),
    ("Sport", "спорта"),
    ("Digital Development", "цифрового развития"),
    ("Construction", "строительства"),
]
BRAND_SUFFIXES = ["нефть", "газ", "банк", "строй", "пром", "транс", "энерго", "агро", "металл"]

TOWN_PREFIXES = _words("""
Ново Старо Красно Бело Черно Верхне Нижне Северо Южно Светло Тихо Быстро Долго Широко Глубоко
Высоко Зелено Солнечно Ясно Мало Велико Добро Кругло Сухо Тепло Медно Сосново Каменно Лесо Озёрно
""")
TOWN_ROOTS = _words("""
бор дол яр вод зар луч мир свет степ холм брод дуб клён лип ель ключ берег мост рыб сол
желез гор луг поль ясн вишн лес озёр камен рек тал снеж мох рос кедр сад град бел руд
""")
TOWN_SUFFIXES = ["ск", "инск", "овск", "горск"]

VILLAGE_ONSETS = list("бвгдзклмнпрстфхш") + ["ж", "ч", "бр", "гр", "кр", "пр", "тр", "ст"]
VILLAGE_VOWELS = list("аеиоу")
VILLAGE_ENDINGS = ["ово", "ево", "ино", "овка", "евка", "ное"]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
LATIN_SCHEMES = [
    ("bgn_pcgn", iuliia.BGN_PCGN),
    ("icao_doc_9303", iuliia.ICAO_DOC_9303),
    ("gost_52535", iuliia.GOST_52535),
    ("mvd_310_fr", iuliia.MVD_310_FR),
    ("telegram", iuliia.TELEGRAM),
]

# Claim templates: kind, whether the subject says it (attributed to them, else to
# "the author"), whether the subject is the organisation, English quote, Russian quote
# ({a} is the feminine ending, "" for men), English statement.
# Slots -- English: P (person), Pposs, P2, ROLE, T (topic), TOWN, V (village), ORG, N, YEAR,
# DAY; Russian: Pn/Pg/Pa/Pi (cases), P2i, ROLEg, Tg, TOWNg, TOWNp, V, ORGn, ORGg, N, YEAR;
# statement: S, Sposs, S2 (display names), T, TOWN, V, ORG, N, YEAR.
# Every slot sits between non-word characters, so a sentence's terms are its pieces' terms.
TEMPLATES: list[tuple[str, bool, bool, str, str, str]] = [
    (
        "assertion",
        True,
        False,
        "{ROLE} {P} said on {DAY} that spending on {T} in {TOWN} would grow by {N} percent "
        "next year.",
        "По словам {ROLEg} {Pg}, расходы в сфере {Tg} в {TOWNp} вырастут на {N} процентов "
        "в следующем году.",
        "{S} said spending on {T} in {TOWN} would grow by {N} percent next year.",
    ),
    (
        "characterization",
        False,
        False,
        "Critics accused {P} of mishandling {T} in the village of {V}.",
        "Критики обвинили {Pa} в провале политики в сфере {Tg} в селе {V}.",
        "{S} is accused by critics of mishandling {T} in the village of {V}.",
    ),
    (
        "prediction",
        True,
        False,
        "{P} predicted that {T} would stabilise by {YEAR}.",
        "{Pn} предсказал{a}, что ситуация в сфере {Tg} стабилизируется к {YEAR} году.",
        "{S} predicts that {T} will stabilise by {YEAR}.",
    ),
    (
        "belief_attribution",
        False,
        False,
        "{P} believes that decisions on {T} should be left to the regions.",
        "{Pn} считает, что вопросы {Tg} должны решать регионы.",
        "{S} believes decisions on {T} should be left to the regions.",
    ),
    (
        "characterization",
        False,
        False,
        "{P} is widely seen as close to the leadership of {ORG}.",
        "{Pn} считается человеком, близким к руководству {ORGg}.",
        "{S} is seen as close to the leadership of {ORG}.",
    ),
    (
        "role_statement",
        False,
        False,
        "{P} was appointed head of {ORG} in {YEAR}.",
        "В {YEAR} году {Pn} был{a} назначен{a} руководителем {ORGg}.",
        "{S} was appointed head of {ORG} in {YEAR}.",
    ),
    (
        "prescription",
        True,
        False,
        "{P} argued that the government must cut red tape around {T}.",
        "{Pn} заявил{a}, что правительство должно сократить бюрократию в сфере {Tg}.",
        "{S} says the government must cut red tape around {T}.",
    ),
    (
        "assertion",
        False,
        False,
        "Officials in {TOWN} said {P} had promised {N} million rubles for {T}.",
        "Чиновники {TOWNg} сообщили, что {Pn} пообещал{a} выделить {N} миллионов рублей "
        "на нужды города.",
        "{S} promised {N} million rubles for {T} in {TOWN}.",
    ),
    (
        "characterization",
        False,
        False,
        "The meeting between {P} and {P2} was devoted to {T}.",
        "Встреча {Pg} с {P2i} была посвящена вопросам {Tg}.",
        "{S} met {S2} to discuss {T}.",
    ),
    (
        "assertion",
        False,
        True,
        "{ORG} will review {T} before the end of the year, the office of {P} said.",
        "{ORGn} рассмотрит вопрос {Tg} до конца года, сообщили в пресс-службе {Pg}.",
        "{ORG} will review {T} before the end of the year.",
    ),
    (
        "characterization",
        False,
        False,
        "{Pposs} statement on {T} was criticised by the opposition in {TOWN}.",
        "Заявление {Pg} о ситуации в сфере {Tg} раскритиковала оппозиция {TOWNg}.",
        "The opposition in {TOWN} criticised {Sposs} statement on {T}.",
    ),
    (
        "prediction",
        False,
        False,
        "{P} may be preparing to leave {ORG}, sources in {TOWN} suggested.",
        "{Pn}, возможно, готовится уйти из {ORGg}, сообщают источники в {TOWNp}.",
        "{S} may be preparing to leave {ORG}.",
    ),
    (
        "assertion",
        False,
        False,
        "{P} could not be reached for comment on {T}.",
        "С {Pi} не удалось связаться, чтобы получить комментарий о ситуации в сфере {Tg}.",
        "{S} could not be reached for comment on {T}.",
    ),
]
MODALITY_CHOICES = ["asserted"] * 6 + ["hedged"] * 2 + ["speculative"] + ["reported"] * 3
STANCES = ["favourable", "unfavourable", "unfavourable", "neutral", "neutral", "mixed"]
ROLE_TITLES = [
    ("Head", "position"),
    ("Deputy Head", "position"),
    ("Chief Executive Officer", "position"),
    ("Adviser", "position"),
    ("Press Secretary", "position"),
    ("Member of the Board", "membership"),
    ("Member", "membership"),
]
ROLE_STATUSES = ["current", "current", "former", "unknown"]

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def slugify(text: str, suffix: str) -> str:
    base = _SLUG_JUNK.sub("-", text.lower()).strip("-")[:80] or "x"
    slug = f"{base}-{suffix}"
    assert _SLUG.match(slug), slug
    return slug


def opaque_id(prefix: str, i: int, seed: int, chars: int = 12) -> str:
    """`prefix` + base32 characters: an odd multiplier mod 2**(5 * chars) is a bijection, so
    the ids are unique without a lookup and look random."""
    x = (i * 0x9E3779B97F4A7C15 + seed * 0x5851F42D4C957F2D) % (1 << (5 * chars))
    return prefix + "".join(_B32[(x >> (5 * k)) & 31] for k in range(chars - 1, -1, -1))


def claim_id(i: int, seed: int) -> str:
    return opaque_id("clm_", i, seed)


# --------------------------------------------------------------------------------------------
# Russian inflection (nominative, genitive, dative, accusative, instrumental)

NOM, GEN, DAT, ACC, INS = range(5)


def male_given_cases(nom: str) -> tuple[str, ...]:
    irregular = {"Пётр": "Петр", "Павел": "Павл"}
    if nom in irregular:
        s = irregular[nom]
        return nom, s + "а", s + "у", s + "а", s + "ом"
    if nom.endswith(("й", "ь")):
        s = nom[:-1]
        return nom, s + "я", s + "ю", s + "я", s + "ем"
    if nom.endswith("а"):
        s = nom[:-1]
        return nom, s + "ы", s + "е", s + "у", s + "ой"
    return nom, nom + "а", nom + "у", nom + "а", nom + "ом"


def female_given_cases(nom: str) -> tuple[str, ...]:
    s = nom[:-1]
    if nom.endswith("ия"):
        return nom, s + "и", s + "и", s + "ю", s + "ей"
    if nom.endswith("я"):
        return nom, s + "и", s + "е", s + "ю", s + "ей"
    gen = s + ("и" if s[-1] in "гкхжшчщ" else "ы")
    return nom, gen, s + "е", s + "у", s + ("ей" if s[-1] in "жшчщц" else "ой")


def surname_cases(nom: str, female: bool) -> tuple[str, ...]:
    if nom.endswith("ский"):
        s = nom[:-2]
        if female:
            return s + "ая", s + "ой", s + "ой", s + "ую", s + "ой"
        return nom, s + "ого", s + "ому", s + "ого", s + "им"
    if female:
        return nom + "а", nom + "ой", nom + "ой", nom + "у", nom + "ой"
    return nom, nom + "а", nom + "у", nom + "а", nom + "ым"


def patronymic_cases(masculine: str, female: bool) -> tuple[str, ...]:
    if not female:
        return masculine, masculine + "а", masculine + "у", masculine + "а", masculine + "ем"
    nom = "Никитична" if masculine == "Никитич" else masculine[:-2] + "на"
    s = nom[:-1]
    return nom, s + "ы", s + "е", s + "у", s + "ой"


# --------------------------------------------------------------------------------------------
# Entities


@dataclass
class PersonGen:
    id: str
    female: bool
    display: str  # Latin, iuliia Wikipedia
    surname_latin: str
    patronymic_latin: str
    initial_latin: str
    cyr_full: str  # nominative given + surname
    cyr_patronymic: str
    # Russian case forms: kind -> five cases. Kinds: full, surname, patronymic, initials.
    ru: dict[str, tuple[str, ...]]
    alt_latin: list[str]  # other romanisations of the full name
    description: str
    forms: list[tuple[str, str, str, str, str | None]] = field(default_factory=list)
    orgs: list[OrgGen] = field(default_factory=list)  # where they hold or held a role
    birth_date: dt.date | None = None


@dataclass
class OrgGen:
    id: str
    kind: str
    display: str
    ru_nom: str
    ru_gen: str
    description: str


@dataclass
class Town:
    latin: str
    nom: str
    gen: str
    prep: str


def make_towns() -> list[Town]:
    out: dict[str, Town] = {}
    for prefix in TOWN_PREFIXES:
        for root in TOWN_ROOTS:
            for suffix in TOWN_SUFFIXES:
                nom = prefix + root + suffix
                if nom not in out:
                    out[nom] = Town(iuliia.WIKIPEDIA.translate(nom), nom, nom + "а", nom + "е")
    return list(out.values())


def make_villages(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(Latin, Cyrillic) names of villages: each is in only a few claims."""
    out: dict[str, str] = {}
    guard = 0
    while len(out) < count and guard < count * 20:
        guard += 1
        syllables = rng.randint(2, 3)
        stem = "".join(
            rng.choice(VILLAGE_ONSETS) + rng.choice(VILLAGE_VOWELS) for _ in range(syllables)
        )
        stem += rng.choice("лмнрвк")
        nom = (stem + rng.choice(VILLAGE_ENDINGS)).capitalize()
        if nom not in out:
            out[nom] = iuliia.WIKIPEDIA.translate(nom)
    return [(latin, nom) for nom, latin in out.items()]


def make_surnames() -> list[str]:
    seen: dict[str, None] = {}
    for stem in SURNAME_STEMS:
        for suffix in SURNAME_SUFFIXES:
            seen[stem + suffix] = None
    return list(seen)


def make_persons(rng: random.Random, count: int, towns: Sequence[Town]) -> list[PersonGen]:
    surnames = make_surnames()
    males = [entry.split(":") for entry in MALE_NAMES]
    out = []
    for i in range(count):
        female = rng.random() < 0.3
        surname = rng.choice(surnames)
        father_patronymic = rng.choice(males)[1]
        if female:
            given = female_given_cases(rng.choice(FEMALE_NAMES))
        else:
            given = male_given_cases(rng.choice(males)[0])
        sur = surname_cases(surname, female)
        patr = patronymic_cases(father_patronymic, female)
        ru = {
            "full": tuple(f"{g} {s}" for g, s in zip(given, sur, strict=True)),
            "surname": sur,
            "patronymic": tuple(f"{g} {p} {s}" for g, p, s in zip(given, patr, sur, strict=True)),
            "initials": tuple(f"{given[0][0]}. {s}" for s in sur),
        }
        cyr_full, cyr_patronymic = ru["full"][NOM], ru["patronymic"][NOM]
        display = iuliia.WIKIPEDIA.translate(cyr_full)
        patronymic_latin = iuliia.WIKIPEDIA.translate(cyr_patronymic)
        surname_latin = iuliia.WIKIPEDIA.translate(sur[NOM])
        alt = sorted({schema.translate(cyr_full) for _, schema in LATIN_SCHEMES} - {display})
        role = rng.choice(ROLES)[0]
        town = rng.choice(towns)
        since = rng.randint(1995, 2024)
        description = f"Russian {role} from {town.latin}, in public life since {since}."
        birth = None
        if rng.random() < 0.7:
            birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(50 * 365))
        person = PersonGen(
            id=slugify(display, str(i + 1)),
            female=female,
            display=display,
            surname_latin=surname_latin,
            patronymic_latin=patronymic_latin,
            initial_latin=f"{display[0]}. {surname_latin}",
            cyr_full=cyr_full,
            cyr_patronymic=cyr_patronymic,
            ru=ru,
            alt_latin=alt or [display],
            description=description,
            birth_date=birth,
        )
        # (name, lang, script, kind, scheme), in ordinal order.
        person.forms = [
            (cyr_full, "ru", "Cyrl", "original", None),
            (cyr_patronymic, "ru", "Cyrl", "patronymic", None),
            (display, "ru-Latn", "Latn", "transliteration", "wikipedia"),
            (
                iuliia.BGN_PCGN.translate(cyr_patronymic),
                "ru-Latn",
                "Latn",
                "patronymic",
                "bgn_pcgn",
            ),
        ]
        out.append(person)
    return out


def make_organizations(rng: random.Random, count: int, towns: Sequence[Town]) -> list[OrgGen]:
    """Organisations of every kind; regions and cities come from the town list."""
    out: list[OrgGen] = []
    used: set[str] = set()
    kinds = (
        ["state_body"] * 25
        + ["city_government"] * 20
        + ["company"] * 30
        + ["media"] * 14
        + ["central_bank"] * 1
        + ["informal_group"] * 10
    )
    guard = 0
    while len(out) < count and guard < count * 50:
        guard += 1
        kind = rng.choice(kinds)
        town = rng.choice(towns)
        stem = town.nom[: -len("ск")]
        region_latin = town.latin + " Oblast"
        if kind == "state_body":
            en_field, ru_field = rng.choice(MINISTRIES)
            display = f"Ministry of {en_field} of {region_latin}"
            ru_nom = f"Министерство {ru_field} {stem}ской области"
            ru_gen = f"Министерства {ru_field} {stem}ской области"
            what = f"regional ministry of {en_field.lower()}"
        elif kind == "city_government":
            display = f"{town.latin} City Administration"
            ru_nom = f"Администрация города {town.nom}"
            ru_gen = f"Администрации города {town.nom}"
            what = "city administration"
        elif kind == "company":
            brand = (stem[:6] + rng.choice(BRAND_SUFFIXES)).capitalize()
            display = iuliia.WIKIPEDIA.translate(brand)
            ru_nom = f"компания «{brand}»"
            ru_gen = f"компании «{brand}»"
            what = "company"
        elif kind == "media":
            display = f"{town.latin} Herald"
            ru_nom = f"газета «{stem}ский вестник»"
            ru_gen = f"газеты «{stem}ский вестник»"
            what = "regional newspaper"
        elif kind == "central_bank":
            display = f"Bank of Russia branch in {town.latin}"
            ru_nom = f"Отделение Банка России в {town.prep}"
            ru_gen = f"Отделения Банка России в {town.prep}"
            what = "branch of the central bank"
        else:
            display = f"the {town.latin} group"
            ru_nom = f"{stem}ская группа"
            ru_gen = f"{stem}ской группы"
            what = "informal group of officials and businessmen"
        if display in used:
            continue
        used.add(display)
        out.append(
            OrgGen(
                id=slugify(display, f"o{len(out) + 1}"),
                kind=kind,
                display=display,
                ru_nom=ru_nom[0].upper() + ru_nom[1:],
                ru_gen=ru_gen,
                description=f"A {what} based in {town.latin}.",
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Sentences: pieces with cached keys


_KEYS: dict[str, list[str]] = {}


def piece_keys(piece: str) -> list[str]:
    got = _KEYS.get(piece)
    if got is None:
        got = _KEYS[piece] = terms.keys(piece)
    return got


def parse_template(template: str) -> list[tuple[str, str | None]]:
    return [(literal, name) for literal, name, _, _ in string.Formatter().parse(template)]


@dataclass
class Template:
    kind: str
    spoken: bool
    org_subject: bool
    en: list[tuple[str, str | None]]
    ru_m: list[tuple[str, str | None]]
    ru_f: list[tuple[str, str | None]]
    statement: list[tuple[str, str | None]]


def build_templates() -> list[Template]:
    return [
        Template(
            kind,
            spoken,
            org_subject,
            parse_template(en),
            parse_template(ru.replace("{a}", "")),
            parse_template(ru.replace("{a}", "а")),
            parse_template(st),
        )
        for kind, spoken, org_subject, en, ru, st in TEMPLATES
    ]


def render(
    pieces: list[tuple[str, str | None]],
    slots: dict[str, str],
    spans: list[WordSpan] | None = None,
) -> tuple[str, list[str]]:
    """The text and keys of a sentence; its words' spans appended to `spans` if given."""
    text: list[str] = []
    keys: list[str] = []
    at = 0
    for literal, name in pieces:
        for piece in (literal, None if name is None else slots[name]):
            if not piece:
                continue
            text.append(piece)
            keys += piece_keys(piece)
            if spans is not None:
                spans += [(at + s, at + e, w) for s, e, w in piece_words(piece)]
            at += len(piece)
    return "".join(text), keys


@dataclass
class Sentence:
    quote: str
    keys: list[str]
    words: list[WordSpan]  # terms.words(quote) as (start, end, surface)
    statement: str
    statement_keys: list[str]
    tpl: Template
    person: PersonGen
    org: OrgGen


class Generator:
    def __init__(self, seed: int, persons: int, orgs: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        rng = self.rng
        self.towns = make_towns()
        self.villages = make_villages(rng, 50_000)
        self.persons = make_persons(rng, persons, self.towns)
        self.orgs = make_organizations(rng, orgs, self.towns)
        self.media = [o for o in self.orgs if o.kind == "media"] or self.orgs
        for person in self.persons:
            person.orgs = rng.sample(self.orgs, k=min(len(self.orgs), rng.choice((1, 1, 2))))
        self.templates = build_templates()
        ranks = list(range(1, persons + 1))
        rng.shuffle(ranks)
        weights = [1.0 / r**ZIPF_EXPONENT for r in ranks]
        self.person_weights = weights
        self.person_cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.person_cum.append(total)

    def pick_person(self) -> PersonGen:
        return self.rng.choices(self.persons, cum_weights=self.person_cum)[0]

    def latin_form(self, p: PersonGen) -> str:
        r = self.rng.random()
        if r < 0.45:
            return p.display
        if r < 0.65:
            return p.surname_latin
        if r < 0.80:
            return self.rng.choice(p.alt_latin)
        if r < 0.90:
            return p.initial_latin
        return p.patronymic_latin

    def ru_form(self, p: PersonGen) -> tuple[str, ...]:
        r = self.rng.random()
        kind = (
            "full"
            if r < 0.6
            else "surname"
            if r < 0.85
            else "patronymic"
            if r < 0.95
            else "initials"
        )
        return p.ru[kind]

    def sentence(self, lang: str) -> Sentence:
        rng = self.rng
        tpl = rng.choice(self.templates)
        person = self.pick_person()
        other = self.pick_person()
        if tpl.org_subject or rng.random() < 0.3:
            org = rng.choice(self.orgs)
        else:
            org = rng.choice(person.orgs)
        topic = rng.choice(TOPICS)
        town = rng.choice(self.towns)
        village = rng.choice(self.villages)
        number, year = str(rng.randint(2, 95)), str(rng.randint(2025, 2035))
        if lang == "en":
            p = self.latin_form(person)
            role = rng.choice(ROLES)[0]
            slots = {
                "P": p,
                "Pposs": p + "'s",
                "P2": self.latin_form(other),
                "ROLE": role[0].upper() + role[1:],
                "T": topic[0],
                "TOWN": town.latin,
                "V": village[0],
                "ORG": org.display,
                "N": number,
                "YEAR": year,
                "DAY": rng.choice(WEEKDAYS),
            }
            pieces = tpl.en
        else:
            cases = self.ru_form(person)
            slots = {
                "Pn": cases[NOM],
                "Pg": cases[GEN],
                "Pa": cases[ACC],
                "Pi": cases[INS],
                "P2i": self.ru_form(other)[INS],
                "ROLEg": rng.choice(ROLES)[2],
                "Tg": topic[1],
                "TOWNg": town.gen,
                "TOWNp": town.prep,
                "V": village[1],
                "ORGn": org.ru_nom,
                "ORGg": org.ru_gen,
                "N": number,
                "YEAR": year,
            }
            pieces = tpl.ru_f if person.female else tpl.ru_m
        spans: list[WordSpan] = []
        quote, quote_keys = render(pieces, slots, spans)
        if not quote[0].isupper():
            quote = quote[0].upper() + quote[1:]
            if spans and spans[0][0] == 0:
                spans[0] = (0, spans[0][1], quote[: spans[0][1]])
        statement, statement_keys = render(
            tpl.statement,
            {
                "S": person.display,
                "Sposs": person.display + "'s",
                "S2": other.display,
                "T": topic[0],
                "TOWN": town.latin,
                "V": village[0],
                "ORG": org.display,
                "N": number,
                "YEAR": year,
            },
        )
        statement = statement[0].upper() + statement[1:]
        return Sentence(quote, quote_keys, spans, statement, statement_keys, tpl, person, org)


# --------------------------------------------------------------------------------------------
# Writers


class Writer:
    """Bulk inserts for one backend; rows are tuples in the order of `columns`."""

    dialect = ""

    def ts(self, value: dt.datetime) -> Any:
        raise NotImplementedError

    def day(self, value: dt.date) -> Any:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a statement, inside the load's transaction."""
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        """Commit the rows, before derived data is rebuilt from them (`finish` follows)."""
        raise NotImplementedError

    def finish(self, log: Callable[[str], None]) -> None:
        raise NotImplementedError

    def size_bytes(self) -> int:
        raise NotImplementedError


class SqliteWriter(Writer):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        import sqlite3

        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.triggers: list[str] = []
        self.fts_tables: list[str] = []

    def ts(self, value: dt.datetime) -> Any:
        # The format SQLAlchemy writes for DateTime on SQLite (naive UTC).
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: dt.date) -> Any:
        return value.isoformat()

    def start(self) -> None:
        c = self.conn
        # A scratch database: no rollback journal and no fsync while loading.
        c.execute("PRAGMA journal_mode=OFF")
        c.execute("PRAGMA synchronous=OFF")
        c.execute("PRAGMA cache_size=-1000000")
        c.execute("PRAGMA temp_store=MEMORY")
        self.triggers = [
            sql
            for (sql,) in c.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('search_doc', 'name_variant') ORDER BY name"
            )
        ]
        # Every FTS5 table over a loaded table (external content) is rebuilt after the load.
        self.fts_tables = [
            name
            for name, sql in c.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%' ORDER BY name"
            )
            if re.search(r"content\s*=\s*'(search_doc|name_variant)'", sql)
        ]
        names = [
            name
            for (name,) in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('search_doc', 'name_variant')"
            )
        ]
        for name in names:
            c.execute(f'DROP TRIGGER "{name}"')
        c.execute("BEGIN")

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.conn.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql))

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def finish(self, log: Callable[[str], None]) -> None:
        c = self.conn
        for fts in self.fts_tables:
            started = time.perf_counter()
            c.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
            log(f"  rebuilt {fts} in {time.perf_counter() - started:.1f} s")
        for sql in self.triggers:
            c.execute(sql)
        c.execute("PRAGMA journal_mode=WAL")
        c.close()

    def size_bytes(self) -> int:
        return sum(
            Path(self.path + suffix).stat().st_size
            for suffix in ("", "-wal")
            if Path(self.path + suffix).exists()
        )


class PostgresWriter(Writer):
    dialect = "postgresql"
    TABLES = (
        "person",
        "organization",
        "role",
        "name_form",
        "name_variant",
        "source",
        "claim",
        "claim_subject",
        "claim_tally",
        "search_doc",
        "mention",
        "api_key",
        "annotation",
        "annotation_tag",
        "annotation_version",
        "annotation_about",
        "annotation_tally",
        "change",
    )

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self.conn = psycopg.connect(conninfo)
        self.indexes: list[tuple[str, str]] = []
        self.size = 0

    def ts(self, value: dt.datetime) -> Any:
        return value

    def day(self, value: dt.date) -> Any:
        return value

    def start(self) -> None:
        c = self.conn
        # Secondary indexes (not those backing a primary key or unique constraint) are dropped
        # for the load and rebuilt from their stored definitions afterwards.
        self.indexes = list(
            c.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
                "  WHERE k.conname = i.indexname) ORDER BY i.indexname",
                [list(self.TABLES)],
            )
        )
        for name, _ in self.indexes:
            c.execute(f'DROP INDEX "{name}"')
        try:
            c.execute("SET session_replication_role = replica")
        except Exception:  # not a superuser: foreign keys are checked, the load is slower
            c.rollback()
            for name, _ in self.indexes:
                c.execute(f'DROP INDEX IF EXISTS "{name}"')

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        with (
            self.conn.cursor() as cur,
            cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql))  # type: ignore[arg-type]

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)  # type: ignore[arg-type]

    def commit(self) -> None:
        c = self.conn
        c.execute("SET session_replication_role = DEFAULT")
        # Rows written with explicit ids (change.seq) leave their sequence behind; move every
        # sequence of a loaded table past its column's highest value, so the app's next
        # insert does not collide.
        for table, column, sequence in c.execute(
            "SELECT c.table_name, c.column_name, "
            "pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) "
            "FROM information_schema.columns c WHERE c.table_schema = 'public' "
            "AND c.table_name = ANY(%s)",
            [list(self.TABLES)],
        ).fetchall():
            if sequence:
                c.execute(
                    f'SELECT setval(%s, GREATEST((SELECT max("{column}") FROM "{table}"), 1))',
                    [sequence],
                )
        c.commit()

    def finish(self, log: Callable[[str], None]) -> None:
        c = self.conn
        c.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in self.indexes:
            started = time.perf_counter()
            c.execute(definition)
            log(f"  index {name} in {time.perf_counter() - started:.1f} s")
        c.commit()
        c.autocommit = True
        started = time.perf_counter()
        for table in self.TABLES:
            c.execute(f'VACUUM (ANALYZE) "{table}"')
        log(f"  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
        row = c.execute("SELECT pg_database_size(current_database())").fetchone()
        self.size = int(row[0]) if row else 0
        c.close()

    def size_bytes(self) -> int:
        return self.size


# --------------------------------------------------------------------------------------------
# The load

PERSON_COLS = ("id", "name", "description", "created_at", "updated_at", "version")
ORG_COLS = ("id", "name", "kind", "description", "created_at", "updated_at", "version")
FORM_COLS = (
    "person_id",
    "organization_id",
    "ordinal",
    "name",
    "name_key",
    "lang",
    "script",
    "kind",
    "scheme",
    "provenance",
)
# The name_variant columns besides the owner are whatever search_index.variants_of returns.
VARIANT_OWNER_COLS = ("person_id", "organization_id")
DOC_COLS = ("entity_type", "entity_id", "terms")
SOURCE_COLS = (
    "id",
    "title",
    "url",
    "publisher_organization_id",
    "published_date",
    "language",
    "genre",
    "rights",
    "text",
    "text_sha256",
    "text_length",
    "original_sha256",
    "derivation",
    "publisher_notes",
    "created_at",
    "updated_at",
    "version",
)
CLAIM_COLS = (
    "id",
    "source_id",
    "quote",
    "quote_start",
    "quote_end",
    "prefix",
    "suffix",
    "attributed_to_person_id",
    "attributed_to_organization_id",
    "attributed_to_label",
    "kind",
    "statement",
    "modality",
    "hedge",
    "stance",
    "rationale",
    "created_at",
    "updated_at",
    "version",
)
# With the copies the read paths index (app/services/curation/denormalised.py).
SUBJECT_COLS = (
    "claim_id",
    "ordinal",
    "person_id",
    "organization_id",
    "subject_id",
    "source_id",
    "quote_start",
)
ROLE_COLS = (
    "id",
    "person_id",
    "organization_id",
    "title",
    "kind",
    "status",
    "start_date",
    "start_date_precision",
    "end_date",
    "end_date_precision",
    "claim_id",
    "created_at",
    "updated_at",
    "version",
)


MENTION_COLS = (
    "source_id",
    "person_id",
    "organization_id",
    "start",
    "end",
    "text",
    "basis",
    "matched_name",
)


def mention_row(source_id: str, f: tuple[str, str, int, int, str, str, str]) -> tuple[Any, ...]:
    """A mention as detection.store writes it."""
    entity_type, entity_id, start, end, text, basis, matched = f
    person = entity_id if entity_type == "person" else None
    org = entity_id if entity_type == "organization" else None
    return (source_id, person, org, start, end, text[:300], basis, matched[:300])


def _cumulate(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _redetect_seed_sources(
    writer: Writer, lexicon: Lexicon, put: Callable[[str, Sequence[str], Any], None]
) -> None:
    """The seed's sources as the app would leave them once the generated persons and
    organisations exist: creating a name refreshes the mentions of every source that has one
    of its words, so their mentions are those detection finds with the whole lexicon."""
    seeded = writer.query("SELECT id, text FROM source WHERE id NOT LIKE 'gen-%' ORDER BY id")
    for source_id, _ in seeded:
        writer.execute(f"DELETE FROM mention WHERE source_id = '{source_id}'")
    put(
        "mention",
        MENTION_COLS,
        [mention_row(i, f) for i, text in seeded for f in as_rows(detect(text, lexicon))],
    )


def _rebuild_denormalised(url: str, log: Callable[[str], None]) -> None:
    """Derive the tallies and the annotations' persons from the loaded rows, with the very SQL
    the app keeps for that (the seed's rows included)."""
    from sqlalchemy import text

    from app.db import make_engine

    started = time.perf_counter()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM claim_tally"))
            connection.execute(text(TALLY_SQL))
            for statement in ABOUT_SQL:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    log(f"  claim tallies and annotations' persons in {time.perf_counter() - started:.1f} s")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _open_writer(url: str) -> Writer:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database, "a SQLite file is needed"
        return SqliteWriter(parsed.database)
    conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresWriter(conninfo)


def table_columns(url: str, table: str) -> set[str]:
    from sqlalchemy import inspect

    from app.db import make_engine

    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def migrate_and_seed(url: str) -> None:
    from sqlmodel import Session

    from app.db import make_engine
    from app.services import migrations
    from app.services.loading.seed import load_seed

    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            load_seed(session, ROOT / "seed")
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def generate(
    url: str,
    *,
    persons: int,
    claims: int,
    sources: int | None = None,
    organizations: int = 500,
    seed: int = 1,
    annotations: int | None = None,
) -> dict[str, Any]:
    """Migrate, seed and fill `url`; return counts and timings."""
    started = time.perf_counter()
    sources = sources or max(1, claims // SENTENCES_PER_SOURCE)
    annotations = round(claims * ANNOTATION_SHARE) if annotations is None else annotations
    migrate_and_seed(url)
    _log(f"migrated and seeded in {time.perf_counter() - started:.1f} s")

    t = time.perf_counter()
    gen = Generator(seed, persons, organizations)
    _log(
        f"vocabulary: {len(gen.persons)} persons, {len(gen.orgs)} organisations, "
        f"{len(gen.towns)} towns, {len(gen.villages)} villages in {time.perf_counter() - t:.1f} s"
    )
    # Persons carry a birth date where the schema has the column (about 70% of them).
    with_birth = "birth_date" in table_columns(url, "person")
    writer = _open_writer(url)
    writer.start()
    now = writer.ts(CREATED)
    counts: dict[str, int] = {}

    def put(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        writer.insert(table, columns, rows)
        counts[table] = counts.get(table, 0) + len(rows)

    # The change log continues after the seed's rows; the import's rows are logged as the CLI
    # would log them, from CREATED on at CLI_WRITES_PER_SECOND.
    seq = int(writer.query("SELECT coalesce(max(seq), 0) FROM change")[0][0])
    cli_writes = 0
    change_rows: list[tuple[Any, ...]] = []

    def logged(entity_type: str, entity_id: str, document: str) -> None:
        """A create by the import, with its stored record (gen_records.py)."""
        nonlocal seq, cli_writes
        seq += 1
        at = CREATED + dt.timedelta(seconds=cli_writes // CLI_WRITES_PER_SECOND)
        cli_writes += 1
        change_rows.append(
            (seq, writer.ts(at), None, "cli", entity_type, entity_id, "create", 1, document)
        )

    def flush_changes() -> None:
        put("change", CHANGE_COLS, change_rows)
        change_rows.clear()

    # Persons and organisations, their names and their search rows.
    t = time.perf_counter()
    person_rows: list[tuple[Any, ...]] = []
    form_rows: list[tuple[Any, ...]] = []
    variant_rows: list[tuple[Any, ...]] = []
    doc_rows: list[tuple[Any, ...]] = []
    variant_fields: tuple[str, ...] = ()
    person_cols = PERSON_COLS + (("birth_date",) if with_birth else ())
    documents: dict[str, list[tuple[str, str]]] = {"person": [], "organization": [], "role": []}
    for p in gen.persons:
        documents["person"].append(
            (
                p.id,
                gen_records.person(
                    p.id,
                    p.display,
                    p.description,
                    p.birth_date if with_birth else None,
                    p.forms,
                    PROVENANCE,
                    CREATED,
                ),
            )
        )
        row: tuple[Any, ...] = (p.id, p.display, p.description, now, now, 1)
        if with_birth:
            row += (writer.day(p.birth_date) if p.birth_date else None,)
        person_rows.append(row)
        for ordinal, (name, lang, script, kind, scheme) in enumerate(p.forms):
            form_rows.append(
                (p.id, None, ordinal, name, name_key(name), lang, script, kind, scheme, PROVENANCE)
            )
        for v in variants_of(p.display, [(f[0], f[4]) for f in p.forms]):
            variant_fields = variant_fields or tuple(v)
            variant_rows.append((p.id, None, *(v[k] for k in variant_fields)))
        doc_rows.append(("person", p.id, terms.index_text(p.description)))
    org_rows = []
    for o in gen.orgs:
        org_rows.append((o.id, o.display, o.kind, o.description, now, now, 1))
        forms = [
            (o.ru_nom, "ru", "Cyrl", "original", None),
            (o.display, "en", "Latn", "alias", None),
        ]
        for ordinal, (name, lang, script, kind, scheme) in enumerate(forms):
            form_rows.append(
                (None, o.id, ordinal, name, name_key(name), lang, script, kind, scheme, PROVENANCE)
            )
        documents["organization"].append(
            (
                o.id,
                gen_records.organization(
                    o.id, o.display, o.kind, o.description, forms, PROVENANCE, CREATED
                ),
            )
        )
        for v in variants_of(o.display, [(f[0], f[4]) for f in forms]):
            variant_fields = variant_fields or tuple(v)
            variant_rows.append((None, o.id, *(v[k] for k in variant_fields)))
        doc_rows.append(("organization", o.id, terms.index_text(o.description)))
    put("person", person_cols, person_rows)
    put("organization", ORG_COLS, org_rows)
    put("name_form", FORM_COLS, form_rows)
    put("name_variant", VARIANT_OWNER_COLS + variant_fields, variant_rows)
    put("search_doc", DOC_COLS, doc_rows)
    role_rows: list[tuple[Any, ...]] = []
    for p in gen.persons:
        for o in p.orgs:
            title, kind = gen.rng.choice(ROLE_TITLES)
            status = gen.rng.choice(ROLE_STATUSES)
            began = dt.date(gen.rng.randint(1995, 2024), 1, 1)
            ended = dt.date(min(2025, began.year + gen.rng.randint(1, 8)), 1, 1)
            role_rows.append(
                (
                    opaque_id("rol_", len(role_rows), seed, chars=10),
                    p.id,
                    o.id,
                    title,
                    kind,
                    status,
                    writer.day(began),
                    "year",
                    writer.day(ended) if status == "former" else None,
                    "year" if status == "former" else None,
                    None,
                    now,
                    now,
                    1,
                )
            )
    put("role", ROLE_COLS, role_rows)
    for r in role_rows:
        documents["role"].append(
            (r[0], gen_records.role(dict(zip(ROLE_COLS, r, strict=True)), CREATED))
        )
    for entity_type, docs in documents.items():
        for entity_id, document in docs:
            logged(entity_type, entity_id, document)
    flush_changes()
    # The names detection knows, read back as the app reads them (seed and generated).
    lexicon = Lexicon()
    for person_id, organization_id, variant in writer.query(
        "SELECT person_id, organization_id, variant FROM name_variant ORDER BY id"
    ):
        if person_id is not None:
            lexicon.add_person(person_id, variant)
        else:
            lexicon.add_organization(organization_id, variant)
    detector = Detector(lexicon)
    plan = AnnotationPlan(seed, annotations)
    source_wanted = plan.want_source(sources)
    person_index = {p.id: i for i, p in enumerate(gen.persons)}
    claims_of: list[list[int]] = [[] for _ in gen.persons]
    _log(
        f"persons and organisations: {len(person_rows) + len(org_rows)} entities, "
        f"{len(variant_rows)} name variants, {len(role_rows)} roles "
        f"in {time.perf_counter() - t:.1f} s"
    )

    # Sources and claims, streamed in batches.
    t = time.perf_counter()
    rng = gen.rng
    base = claims // sources
    extra = claims % sources
    claim_no = 0
    verified = 0
    mentions_verified = 0
    reported = 0
    batch: dict[str, list[Sequence[Any]]] = {
        "source": [],
        "claim": [],
        "sub": [],
        "doc": [],
        "mention": [],
    }

    def flush() -> None:
        put("source", SOURCE_COLS, batch["source"])
        put("claim", CLAIM_COLS, batch["claim"])
        put("claim_subject", SUBJECT_COLS, batch["sub"])
        put("search_doc", DOC_COLS, batch["doc"])
        put("mention", MENTION_COLS, batch["mention"])
        flush_changes()
        for rows in batch.values():
            rows.clear()

    first_day = dt.date(2015, 1, 1)
    for s in range(sources):
        n = base + (1 if s < extra else 0)
        lang = "en" if rng.random() < 0.6 else "ru"
        source_id = f"gen-{s + 1:06d}"
        parts: list[str] = []
        sentence_rows = []
        source_keys: list[str] = []
        source_words: list[WordSpan] = []
        offset = 0
        for k in range(n):
            sen = gen.sentence(lang)
            if k:
                sep = "\n\n" if k % SENTENCES_PER_PARAGRAPH == 0 else " "
                parts.append(sep)
                offset += len(sep)
            parts.append(sen.quote)
            sentence_rows.append((offset, sen))
            source_words += [(offset + a, offset + b, w) for a, b, w in sen.words]
            offset += len(sen.quote)
            source_keys += sen.keys
        text = "".join(parts)
        title_person = sentence_rows[0][1].person
        if lang == "en":
            title = f"{title_person.display}: a week of news from {rng.choice(gen.towns).latin}"
        else:
            title = f"{title_person.cyr_full}: новости недели из {rng.choice(gen.towns).gen}"
        title_keys = piece_keys(title)
        publisher = rng.choice(gen.media)
        source_row = (
            source_id,
            title,
            None,
            publisher.id,
            writer.day(first_day + dt.timedelta(days=rng.randrange(4000))),
            lang,
            "news",
            "full_text",
            text,
            hashlib.sha256(text.encode()).hexdigest(),
            len(text),
            None,
            "[]",
            "[]",
            now,
            now,
            1,
        )
        batch["source"].append(source_row)
        source_values = dict(zip(SOURCE_COLS, source_row, strict=True))
        source_values["derivation"] = source_values["publisher_notes"] = []
        source_document = gen_records.source(source_values, [], CREATED)
        source_terms = " ".join(title_keys + source_keys)
        if s % 101 == 0:
            expected = terms.index_text(title, text)
            assert source_terms == expected, f"source terms differ for {source_id}"
        batch["doc"].append(("source", source_id, source_terms))
        found = detector.detect(text, source_words)
        if s % MENTION_VERIFY_EVERY == 0 or s < 3:
            expected_mentions = as_rows(detect(text, lexicon))
            if found != expected_mentions:
                raise AssertionError(
                    f"mentions differ from detection for {source_id}: "
                    f"only generated {sorted(set(found) - set(expected_mentions))[:5]}, "
                    f"only detected {sorted(set(expected_mentions) - set(found))[:5]}"
                )
            mentions_verified += 1
        batch["mention"] += [mention_row(source_id, f) for f in found]
        for _ in range(source_wanted.get(s, 0)):
            plan.add_source_target(
                source_id, text, [(a, a + len(sen.quote)) for a, sen in sentence_rows]
            )
        logged("source", source_id, source_document)
        for start, sen in sentence_rows:
            quote, qkeys, statement, skeys = sen.quote, sen.keys, sen.statement, sen.statement_keys
            tpl, person, org = sen.tpl, sen.person, sen.org
            end = start + len(quote)
            cid = claim_id(claim_no, seed)
            claim_terms = " ".join(qkeys + skeys)
            if claim_no % VERIFY_EVERY == 0 or claim_no < 200:
                expected = terms.index_text(quote, statement)
                assert claim_terms == expected, f"claim terms differ: {quote!r} / {statement!r}"
                assert text[start:end] == quote
                verified += 1
            claim_no += 1
            claim_row = (
                cid,
                source_id,
                quote,
                start,
                end,
                text[max(0, start - 32) : start],
                text[end : end + 32],
                person.id if tpl.spoken else None,
                None,
                None if tpl.spoken else "the author",
                tpl.kind,
                statement[:2000],
                "speculative" if tpl.kind == "prediction" else rng.choice(MODALITY_CHOICES),
                None,
                rng.choice(STANCES),
                None,
                now,
                now,
                1,
            )
            batch["claim"].append(claim_row)
            subject = (None, org.id) if tpl.org_subject else (person.id, None)
            batch["sub"].append((cid, 0, *subject, subject[0] or subject[1], source_id, start))
            if not tpl.org_subject:
                claims_of[person_index[person.id]].append(claim_no - 1)
            logged(
                "claim",
                cid,
                gen_records.claim(
                    dict(zip(CLAIM_COLS, claim_row, strict=True)), [subject], CREATED
                ),
            )
            batch["doc"].append(("claim", cid, claim_terms))
        if (s + 1) % FLUSH_SOURCES == 0 or s + 1 == sources:
            flush()
            if (s + 1) * 10 // sources > reported or s + 1 == sources:
                reported = (s + 1) * 10 // sources
                elapsed = time.perf_counter() - t
                _log(
                    f"  {s + 1:,}/{sources:,} sources, {claim_no:,}/{claims:,} claims, "
                    f"{claim_no / elapsed:,.0f} claims/s"
                )
    _log(
        f"sources and claims written in {time.perf_counter() - t:.1f} s ({verified} claims' "
        f"terms and {mentions_verified} sources' mentions verified)"
    )
    _redetect_seed_sources(writer, lexicon, put)

    # API keys, then the annotations written with them over the following months.
    t = time.perf_counter()
    plan.make_keys(lambda i: opaque_id("key_", i, seed, chars=10))
    keys_at = CREATED + dt.timedelta(seconds=cli_writes // CLI_WRITES_PER_SECOND + 60)
    key_rows = plan.key_rows(writer.ts(keys_at))
    put("api_key", KEY_COLS, key_rows)
    for k, row in zip(plan.keys, key_rows, strict=True):
        seq += 1
        hint = row[KEY_COLS.index("hint")]
        document = gen_records.api_key(k.id, k.name, k.scopes, hint, keys_at)
        change_rows.append(
            (seq, writer.ts(keys_at), None, "cli", "api_key", k.id, "create", 1, document)
        )
    flush_changes()
    # A claim about a person is annotated more often the more that person is quoted: persons
    # are drawn with their quoting weight ** ANNOTATION_SKEW, then one of their claims.
    claim_cum = _cumulate(
        [
            w**ANNOTATION_SKEW if c else 0.0
            for c, w in zip(claims_of, gen.person_weights, strict=True)
        ]
    )
    person_ids = [p.id for p in gen.persons]

    def pick_claim(r: random.Random) -> str | None:
        if not claim_cum or claim_cum[-1] == 0:
            return None
        owned = claims_of[r.choices(range(len(claims_of)), cum_weights=claim_cum)[0]]
        return claim_id(r.choice(owned), seed)

    def pick_person(r: random.Random) -> str:
        return r.choices(person_ids, cum_weights=gen.person_cum)[0]

    plan.build(pick_claim, pick_person, [o.id for o in gen.orgs], [r[0] for r in role_rows])
    start = keys_at + dt.timedelta(days=1)
    tables, events = plan.rows(start, writer.ts)
    put("annotation", ANNOTATION_COLS, tables["annotation"])
    put("annotation_tag", TAG_COLS, tables["annotation_tag"])
    put("annotation_version", VERSION_COLS, tables["annotation_version"])
    events.sort()
    for at, key_id, annotation_id, op, version, document in events:
        seq += 1
        when = writer.ts(start + dt.timedelta(seconds=at))
        change_rows.append(
            (seq, when, key_id, "api", "annotation", annotation_id, op, version, document)
        )
    flush_changes()
    _log(
        f"{len(plan.keys)} API keys, {len(tables['annotation']):,} annotations, "
        f"{len(events):,} of their writes in {time.perf_counter() - t:.1f} s"
    )
    load_s = time.perf_counter() - started

    t = time.perf_counter()
    writer.commit()
    totals = {table: int(writer.query(f'SELECT count(*) FROM "{table}"')[0][0]) for table in counts}
    _rebuild_denormalised(url, _log)
    writer.finish(_log)
    index_s = time.perf_counter() - t
    size = writer.size_bytes()
    total = time.perf_counter() - started
    _log(f"index build {index_s:.1f} s; total {total:.1f} s; database {size / 2**20:,.0f} MiB")
    _log(f"{'table':<20} {'generated':>12} {'in database':>12}")
    for table, n in counts.items():
        _log(f"{table:<20} {n:>12,} {totals[table]:>12,}")
    return {
        "persons": persons,
        "organizations": len(gen.orgs),
        "sources": sources,
        "claims": claims,
        "seed": seed,
        "annotations": annotations,
        "rows": counts,
        "rows_in_database": totals,
        "load_seconds": round(load_s, 1),
        "index_seconds": round(index_s, 1),
        "total_seconds": round(total, 1),
        "database_bytes": size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Generate a synthetic knowledge base into a fresh database (bulk SQL)."
    )
    parser.add_argument("database_url", help="sqlite:///path.db or postgresql://.../name")
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument(
        "--sources", type=int, default=None, help=f"default: claims / {SENTENCES_PER_SOURCE}"
    )
    parser.add_argument("--organizations", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--annotations",
        type=int,
        default=None,
        help=f"default: {ANNOTATION_SHARE:.0%} of claims",
    )
    parser.add_argument("--stats-json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.persons < 2 or args.claims < 1:
        parser.error("need at least 2 persons and 1 claim")
    stats = generate(
        args.database_url,
        persons=args.persons,
        claims=args.claims,
        sources=args.sources,
        organizations=args.organizations,
        seed=args.seed,
        annotations=args.annotations,
    )
    if args.stats_json:
        args.stats_json.write_text(json.dumps(stats, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
