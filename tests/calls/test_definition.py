"""The Article 9 lifecycle as data: sound, registered, and sharing one implementation stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from states import LIFECYCLES
from states.citizen_proposal import CITIZEN_PROPOSAL
from states.city_call import BEFORE_SELECTION, CITY_CALL
from states.notices import NOTICE_KINDS, RECIPIENTS
from states.stages import IMPLEMENTATION_DEADLINES, IMPLEMENTATION_STATES, IMPLEMENTATION_TRANSITIONS
from states.validate import problems
from workflow.engine.machine import machine_for, mermaid
from workflow.rules.catalogue import problems as engine_problems
from workflow.rules.catalogue import rules_for

TEMPLATES = Path(__file__).parents[2] / "notifications" / "templates"
CALL_KINDS = ("call_review_assigned", "call_selected", "call_not_selected")


def test_the_city_call_is_registered_and_sound():
    assert LIFECYCLES["city_call"] is CITY_CALL
    assert problems(CITY_CALL) == []
    machine_for("city_call")


def test_every_effect_and_condition_the_call_names_is_answered():
    assert engine_problems(CITY_CALL) == []
    named = {c for t in CITY_CALL.transitions for c in t.conditions} | {c.name for c in CITY_CALL.conditions}
    assert sorted(named - set(rules_for("city_call").conditions)) == []


def test_both_lifecycles_share_one_implementation_stage():
    for lc in (CITIZEN_PROPOSAL, CITY_CALL):
        for s in IMPLEMENTATION_STATES:
            assert lc.state(s.name) is s
        for t in IMPLEMENTATION_TRANSITIONS:
            assert t in lc.transitions
        for d in IMPLEMENTATION_DEADLINES:
            assert lc.deadline(d.key) is d
    assert CITY_CALL.transition_from("select", "awaiting_selection").dest == "contracting"
    assert CITIZEN_PROPOSAL.transition_from("adopt", "awaiting_decision").dest == "contracting"


def test_the_citizen_lifecycle_kept_its_states_and_triggers():
    assert [s.name for s in CITIZEN_PROPOSAL.states] == [
        "draft", "submitted", "under_review", "in_coordination", "revision_requested", "awaiting_decision",
        "awaiting_budget", "not_adopted", "withdrawn", "contracting", "in_progress", "evaluating", "closed"]
    # 26 steps; an annual evaluation can also be finished after the project ended (2);
    # saving a revision and adding or removing attachments in its two editable states (6);
    # adding and replacing reviewers during the review (2); declaring a conflict of
    # interest in every state not final once the city has the proposal (9); a round's
    # project adopted for a later year and its budget recorded (2).
    assert len(CITIZEN_PROPOSAL.transitions) == 26 + 2 + 2 * 3 + 2 + 9 + 2
    assert len(CITIZEN_PROPOSAL.deadlines) == 12


def test_the_path_of_a_call():
    drawn = mermaid("city_call")
    for edge in ("draft --> open: open_call", "open --> reviewing: close_applications",
                 "reviewing --> awaiting_selection: refer_for_selection",
                 "awaiting_selection --> contracting: select", "awaiting_selection --> call_cancelled: cancel_call",
                 "evaluating --> closed: publish_final_evaluation"):
        assert edge in drawn
    assert set(CITY_CALL.final_states()) == {"call_cancelled", "closed"}


def test_selection_needs_reasons_and_every_application_reviewed():
    select = CITY_CALL.transitions_for("select")[0]
    assert select.roles == ("approver",)
    assert set(select.inputs) == {"selected_application_id", "reasons"}
    assert "applications_reviewed" in select.conditions
    review = CITY_CALL.transitions_for("review_application")[0]
    assert {"score_technique", "score_expertise", "score_quality", "score_capability"} <= set(review.inputs)
    for t in CITY_CALL.transitions_for("cancel_call"):
        assert "reasons" in t.inputs


def test_applicants_may_withdraw_until_the_selection():
    for state in BEFORE_SELECTION:
        assert CITY_CALL.transition_from("withdraw_application", state) is not None
    for state in ("draft", "contracting", "in_progress"):
        assert CITY_CALL.transition_from("withdraw_application", state) is None


def test_the_applicants_are_told_the_outcome():
    select = CITY_CALL.transitions_for("select")[0]
    assert ("call_selected", "proposer") in [n[:2] for n in select.notify]
    assert ("call_not_selected", "unselected_applicants") in [n[:2] for n in select.notify]
    assert "unselected_applicants" in RECIPIENTS


@pytest.mark.parametrize("kind", CALL_KINDS)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_call_notice_has_its_templates(kind, lang):
    assert kind in NOTICE_KINDS
    for suffix in (".subject.txt", ".txt", ".html"):
        assert (TEMPLATES / lang / f"{kind}{suffix}").is_file()
