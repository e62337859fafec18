"""Every lifecycle Kyodo knows, by its stable name."""

from __future__ import annotations

from states.citizen_proposal import CITIZEN_PROPOSAL
from states.city_call import CITY_CALL
from states.model import Lifecycle

LIFECYCLES: dict[str, Lifecycle] = {lc.name: lc for lc in (CITIZEN_PROPOSAL, CITY_CALL)}


def get_lifecycle(name: str) -> Lifecycle:
    try:
        return LIFECYCLES[name]
    except KeyError:
        raise KeyError(f"unknown lifecycle {name!r}; known: {', '.join(LIFECYCLES)}") from None
