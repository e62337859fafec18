"""A proposal in a round, on its case page: after the close the page says until when the round
accepted proposals (in 和暦), and a submission sent anyway (a page left open) is refused with
that date and kept in the round's trail; groups and the secretariat find the consultation pages
from their menus."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from db.models import DirectoryEvent, Proposal
from states import get_lifecycle
from tests.workflow.test_round_entry import make_round
from workflow.calendar.clock import JST

SUBMIT = get_lifecycle("citizen_proposal", 1).transitions_for("submit")[0].trigger
LATE = "募集期間（令和8年5月29日まで）を過ぎているため提出できません。"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_after_the_close_the_case_page_names_the_date_and_a_late_submission_is_kept(web, world, as_):
    rid = make_round(world)
    pid = world.new_proposal(round_id=rid)
    group = as_("proposer")
    world.s.rollback()
    version = world.s.get(Proposal, pid).version
    assert LATE not in _text(group.get(f"/proposals/{pid}").text)

    world.clock.set(datetime(2026, 5, 30, 9, tzinfo=JST))
    assert LATE in _text(group.get(f"/proposals/{pid}").text)
    refused = group.post(f"/proposals/{pid}/actions", {"trigger": SUBMIT, "version": str(version)})
    assert refused.status_code == 422 and LATE in _text(refused.text)
    world.s.rollback()
    [event] = world.s.execute(select(DirectoryEvent).where(
        DirectoryEvent.subject == "round", DirectoryEvent.subject_id == rid,
        DirectoryEvent.action == "late_submission_refused")).scalars().all()
    assert event.details == {"proposal_id": pid, "organisation_id": world.org}
    assert world.s.get(Proposal, pid).state == get_lifecycle("citizen_proposal", 1).initial


def test_the_consultation_pages_are_in_reach(web, world, as_):
    assert 'href="/consultations"' in as_("proposer").get("/portal").text
    assert 'href="/secretariat/consultations"' in as_("secretariat").get("/secretariat").text
