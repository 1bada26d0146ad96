"""The typed list filters (app.pagination.Filters) and the cursor fingerprint made from them.

Cursors issued before the filters were typed carry a fingerprint of the dict of the filters
given (None left out, enums as their values); the pinned values below are those fingerprints,
so a cursor a client holds from then is still accepted for the same request."""

from __future__ import annotations

from app.models.annotation import TargetType
from app.models.common import Modality, RoleStatus
from app.pagination import _fingerprint
from app.services.annotations.reads import AnnotationFilters
from app.services.catalog.claims import ClaimFilters
from app.services.catalog.persons import PersonFilters
from app.services.search.ranking import _SearchFilters


def test_given_filters_are_those_away_from_their_default() -> None:
    assert PersonFilters().given() == {}
    assert PersonFilters(q="", role_status=RoleStatus.current).given() == {
        "q": "",
        "role_status": "current",
    }
    assert AnnotationFilters(flagged=False, include_deleted=True).given() == {
        "include_deleted": True
    }


def test_fingerprints_are_those_of_the_untyped_filters() -> None:
    assert (
        _fingerprint("claims", ClaimFilters(subject="alexei-kudrin", modality=Modality.hedged))
        == "5b7aeef7ceed2db3"
    )
    assert _fingerprint("persons", PersonFilters()) == "0ca7387b0b4cab7e"
    assert (
        _fingerprint("annotations", AnnotationFilters(flagged=True, target_type=TargetType.claim))
        == "9a98f8833694a0e3"
    )
    assert (
        _fingerprint("search", _SearchFilters(q="Кудрин", types=("organization", "person")))
        == "f757c5cf65651471"
    )


def test_other_filters_give_another_fingerprint() -> None:
    kudrin = ClaimFilters(subject="alexei-kudrin")
    assert _fingerprint("claims", kudrin) != _fingerprint(
        "claims", ClaimFilters(subject="elvira-nabiullina")
    )
    assert _fingerprint("claims", kudrin) != _fingerprint("claims", ClaimFilters(source="x"))
    assert _fingerprint("claims", kudrin) != _fingerprint("persons", kudrin)
