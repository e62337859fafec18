"""Every lifecycle Kyodo knows, by its stable name, in every version still declared.

A case records the lifecycle and the version it runs under (``Proposal.lifecycle``,
``Proposal.lifecycle_version``), and everything that reads its rules asks for that
version (``lifecycle_of``). A new case starts on the version in effect on the day it is
created (``in_effect``). ``LIFECYCLES`` names each lifecycle by its newest version, for
what is not about one case: labels, lists, the forms of a new case's first page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from states.citizen_proposal import CITIZEN_PROPOSAL
from states.citizen_proposal_v2 import CITIZEN_PROPOSAL_V2
from states.city_call import CITY_CALL
from states.model import Lifecycle

_DECLARED = (CITIZEN_PROPOSAL, CITIZEN_PROPOSAL_V2, CITY_CALL)

VERSIONS: dict[str, tuple[Lifecycle, ...]] = {
    name: tuple(sorted((lc for lc in _DECLARED if lc.name == name), key=lambda lc: lc.version))
    for name in dict.fromkeys(lc.name for lc in _DECLARED)
}

BY_VERSION: dict[tuple[str, int], Lifecycle] = {(lc.name, lc.version): lc for lc in _DECLARED}
LIFECYCLES: dict[str, Lifecycle] = {name: versions[-1] for name, versions in VERSIONS.items()}


def get_lifecycle(name: str, version: int | None = None) -> Lifecycle:
    """The lifecycle ``name`` at ``version`` (None: the newest declared)."""
    try:
        return LIFECYCLES[name] if version is None else BY_VERSION[(name, version)]
    except KeyError:
        known = ", ".join(f"{lc.name}@{lc.version}" for lc in _DECLARED)
        raise KeyError(f"unknown lifecycle {name!r} version {version}; known: {known}") from None


def lifecycle_of(case: Any) -> Lifecycle:
    """The definition a case runs under: any row or object with ``lifecycle`` and ``lifecycle_version``."""
    return get_lifecycle(case.lifecycle, case.lifecycle_version)


def in_effect(name: str, day: date) -> Lifecycle:
    """The version a case created on ``day`` (Japan date) starts on: the newest already in effect."""
    versions = [lc for lc in VERSIONS.get(name, ()) if lc.effective <= day]
    if not versions:
        get_lifecycle(name)  # an unknown name says so
        return VERSIONS[name][0]
    return versions[-1]


def all_versions() -> tuple[Lifecycle, ...]:
    return tuple(lc for versions in VERSIONS.values() for lc in versions)


# For what describes a state or a deadline without being about one case's rules (public
# pages, lists, the compliance board): the newest version that declares it. The engine
# never uses these; it reads the case's own version.

def describe_state(name: str, state: str):
    for lc in reversed(VERSIONS[name]):
        if lc.has_state(state):
            return lc.state(state)
    raise KeyError(f"no version of {name!r} has a state {state!r}")


def describe_deadline(name: str, key: str):
    for lc in reversed(VERSIONS[name]):
        if key in lc._index["deadlines"]:
            return lc.deadline(key)
    raise KeyError(f"no version of {name!r} has a deadline {key!r}")


def every_state(name: str) -> tuple:
    """Every state any version of ``name`` declares, once each (the newest's definition), in the newest's order."""
    seen: dict[str, Any] = {}
    for lc in reversed(VERSIONS[name]):
        for st in lc.states:
            seen.setdefault(st.name, st)
    return tuple(seen.values())
