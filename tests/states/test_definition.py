"""The lifecycle definitions are whole, and the validator notices when one is not."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from cli.main import app
from states import LIFECYCLES, Lifecycle, Notify, State, Transition
from states.citizen_proposal import BEFORE_DECISION, CITIZEN_PROPOSAL
from states.validate import problems
from workflow.rules.catalogue import rules_for

LC = CITIZEN_PROPOSAL


def rebuilt(lc: Lifecycle, **changes) -> Lifecycle:
    """A copy of ``lc`` with some fields replaced (the index is rebuilt from scratch)."""
    return dataclasses.replace(lc, _index={}, **changes)


def replace_transition(lc: Lifecycle, trigger: str, **changes) -> Lifecycle:
    transitions = tuple(
        dataclasses.replace(t, **changes) if t.trigger == trigger else t for t in lc.transitions
    )
    return rebuilt(lc, transitions=transitions)


def replace_state(lc: Lifecycle, name: str, **changes) -> Lifecycle:
    states = tuple(dataclasses.replace(s, **changes) if s.name == name else s for s in lc.states)
    return rebuilt(lc, states=states)


def mentions(found: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in found)


# --- The real definitions


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_lifecycle_is_sound(name):
    assert problems(LIFECYCLES[name]) == []


def test_the_citizen_proposal_lifecycle_is_registered_in_both_versions():
    from states import VERSIONS, get_lifecycle
    from states.citizen_proposal_v2 import CITIZEN_PROPOSAL_V2

    assert get_lifecycle("citizen_proposal", 1) is CITIZEN_PROPOSAL
    assert VERSIONS["citizen_proposal"] == (CITIZEN_PROPOSAL, CITIZEN_PROPOSAL_V2)
    assert LIFECYCLES["citizen_proposal"] is CITIZEN_PROPOSAL_V2  # labels and lists read the newest


def test_unchanged_copy_is_still_sound():
    # The helpers below build broken copies; an unbroken copy must stay clean, so every
    # problem found in the tests that follow comes from the one thing they broke.
    assert problems(rebuilt(LC)) == []


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_condition_has_a_predicate(name):
    lc = LIFECYCLES[name]
    named = {c for t in lc.transitions for c in t.conditions} | {c.name for c in lc.conditions}
    assert named, "the lifecycle names no condition at all"
    assert sorted(named - set(rules_for(name).conditions)) == []


def test_withdrawal_is_possible_before_the_decision_and_not_after():
    before = ("draft",) + BEFORE_DECISION
    for state in before:
        t = LC.transition_from("withdraw", state)
        assert t is not None, f"cannot withdraw from {state}"
        assert t.dest == "withdrawn"
        assert t.roles == ("proposer",)
    after = [s.name for s in LC.states if s.name not in before]
    assert set(after) >= {"contracting", "in_progress", "evaluating", "closed", "not_adopted", "withdrawn"}
    for state in after:
        assert LC.transition_from("withdraw", state) is None, f"withdrawal possible from {state}"


def test_final_states_are_the_three_endings():
    assert set(LC.final_states()) == {"not_adopted", "withdrawn", "closed"}
    for state in LC.final_states():
        assert LC.available_from(state) == []


def test_decisions_need_reasons_and_contracts_need_every_article_12_term():
    from states.common import CONTRACT_TERMS

    for trigger in ("adopt", "reject"):
        assert "reasons" in LC.transitions_for(trigger)[0].inputs
    assert set(CONTRACT_TERMS) <= set(LC.transitions_for("conclude_contract")[0].inputs)
    assert "exemption_reason" in LC.transitions_for("exempt_contract")[0].inputs


# --- The validator catches broken definitions


def test_unreachable_state_is_a_problem():
    lonely = State("limbo", "宙ぶらりん", "Limbo", final=True)
    found = problems(rebuilt(LC, states=LC.states + (lonely,)))
    assert mentions(found, "limbo", "cannot be reached")


def test_state_reachable_only_through_a_removed_transition_is_a_problem():
    # Without refer_for_decision, awaiting_decision and everything after it are cut off.
    lc = rebuilt(LC, transitions=tuple(t for t in LC.transitions if t.trigger != "refer_for_decision"))
    found = problems(lc)
    assert mentions(found, "awaiting_decision", "cannot be reached")
    assert mentions(found, "closed", "cannot be reached")


def test_non_final_state_without_a_way_out_is_a_problem():
    # A dead end: a waiting state whose only transitions loop back to itself.
    dead_end = State("stuck", "停滞", "Stuck", waits_on=("department",), deadline="coordination")
    into = Transition("park", ("in_coordination",), "stuck", ("department",), "保留", "Park")
    loop = Transition("poke", ("stuck",), "stuck", ("department",), "つつく", "Poke")
    found = problems(rebuilt(LC, states=LC.states + (dead_end,), transitions=LC.transitions + (into, loop)))
    assert mentions(found, "stuck", "no way out")


def test_unknown_role_is_a_problem():
    found = problems(replace_transition(LC, "adopt", roles=("mayor",)))
    assert mentions(found, "adopt", "unknown role", "mayor")


def test_transition_allowed_to_nobody_is_a_problem():
    found = problems(replace_transition(LC, "adopt", roles=()))
    assert mentions(found, "adopt", "no role")


def test_state_waiting_on_an_unknown_role_is_a_problem():
    found = problems(replace_state(LC, "submitted", waits_on=("janitor",)))
    assert mentions(found, "submitted", "unknown role", "janitor")


def test_undeclared_input_is_a_problem():
    found = problems(replace_transition(LC, "adopt", inputs=("reasons", "mood")))
    assert mentions(found, "adopt", "undeclared input", "mood")


def test_undeclared_optional_input_is_a_problem():
    found = problems(replace_transition(LC, "withdraw", optional_inputs=("regret",)))
    assert mentions(found, "withdraw", "undeclared input", "regret")


def test_undeclared_condition_is_a_problem():
    found = problems(replace_transition(LC, "adopt", conditions=("moon_is_full",)))
    assert mentions(found, "adopt", "undeclared condition", "moon_is_full")


def test_undeclared_deadline_is_a_problem():
    found = problems(replace_transition(LC, "submit", opens=("tomorrow",)))
    assert mentions(found, "submit", "undeclared deadline", "tomorrow")


def test_waiting_state_without_a_deadline_is_a_problem():
    found = problems(replace_state(LC, "awaiting_decision", deadline=None))
    assert mentions(found, "awaiting_decision", "no deadline")


def test_state_naming_an_undeclared_deadline_is_a_problem():
    found = problems(replace_state(LC, "awaiting_decision", deadline="someday"))
    assert mentions(found, "awaiting_decision", "undeclared deadline", "someday")


def test_transition_to_an_unknown_state_is_a_problem():
    found = problems(replace_transition(LC, "reject", dest="oblivion"))
    assert mentions(found, "reject", "unknown state", "oblivion")


def test_leaving_a_final_state_is_a_problem():
    reopen = Transition("reopen", ("closed",), "in_progress", ("secretariat",), "再開", "Reopen")
    found = problems(rebuilt(LC, transitions=LC.transitions + (reopen,)))
    assert mentions(found, "reopen", "final state", "closed")


def test_unknown_notice_is_a_problem():
    found = problems(replace_transition(LC, "submit", notify=(Notify("postcard", "proposer"),)))
    assert mentions(found, "submit", "unknown notice", "postcard")


def test_unknown_initial_state_is_a_problem():
    found = problems(rebuilt(LC, initial="nowhere"))
    assert mentions(found, "initial state", "nowhere")


def test_duplicate_state_is_a_problem():
    found = problems(rebuilt(LC, states=LC.states + (LC.state("draft"),)))
    assert mentions(found, "declared twice")


def test_lifecycle_without_final_state_is_a_problem():
    a = State("a", "甲", "A")
    b = State("b", "乙", "B")
    lc = Lifecycle("tiny", "小", "Tiny", "a", (a, b), (
        Transition("go", ("a",), "b", ("secretariat",), "進む", "Go"),
        Transition("back", ("b",), "a", ("secretariat",), "戻る", "Back"),
    ))
    found = problems(lc)
    assert mentions(found, "no final state")


def test_a_small_hand_built_lifecycle_is_sound():
    a = State("a", "甲", "A", waits_on=("secretariat",), deadline="d")
    done = State("done", "完了", "Done", final=True)
    from states import DeadlinePolicy

    lc = Lifecycle("tiny", "小", "Tiny", "a", (a, done),
                   (Transition("finish", ("a",), "done", ("secretariat",), "終える", "Finish"),),
                   deadlines=(DeadlinePolicy("d", "期限", "Deadline", waits_on="secretariat"),))
    assert problems(lc) == []


# --- The command line


def test_kyodo_states_check_passes():
    result = CliRunner().invoke(app, ["states", "check"])
    assert result.exit_code == 0, result.output
    assert "citizen_proposal" in result.output
    assert "OK" in result.output


def test_kyodo_states_diagram_draws_every_state():
    result = CliRunner().invoke(app, ["states", "diagram"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for s in LC.states:
        assert f" as {s.name}" in result.output, s.name
        assert s.label_ja in result.output
    assert f"[*] --> {LC.initial}" in result.output
    for final in LC.final_states():
        assert f"{final} --> [*]" in result.output
    assert "awaiting_decision --> contracting: adopt" in result.output


def test_kyodo_states_diagram_refuses_an_unknown_lifecycle():
    result = CliRunner().invoke(app, ["states", "diagram", "no_such_thing"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


# --- cases that cannot get stuck


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_a_conflict_of_interest_can_be_declared_wherever_the_city_acts(name):
    """Everyone who reviews, coordinates or decides may declare one in every state not final
    (a citizen's draft excepted: the city does not have it yet), and it cannot be undone."""
    lc = LIFECYCLES[name]
    declaring = {s for t in lc.transitions if t.effect == "record_conflict" for s in t.sources}
    expected = {s.name for s in lc.states if not s.final}
    if lc.creation.roles == ("proposer",):
        expected.discard(lc.initial)
    assert declaring == expected
    for t in lc.transitions:
        if t.effect == "record_conflict":
            assert t.is_loop and t.confirm and t.inputs == ("conflict_reason",)
            assert {"reviewer", "department", "approver"} <= set(t.roles) and "proposer" not in t.roles


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_reviewers_can_be_added_and_replaced_while_the_review_runs(name):
    lc = LIFECYCLES[name]
    [reviewing] = [s.name for s in lc.states if "reviewer" in s.waits_on]
    loops = {t.effect: t for t in lc.available_from(reviewing) if t.is_loop}
    for effect in ("assign_more_reviewers", "hand_over_review"):
        t = loops[effect]
        assert "secretariat" in t.roles
        # The newcomer is asked as the first reviewers were, with the same due date; those
        # already asked are not asked again.
        [start] = [x for x in lc.transitions if x.effect == "assign_reviewers"]
        assert [(n.kind, n.due) for n in t.notify] == [(n.kind, n.due) for n in start.notify]
        assert {n.to for n in t.notify} == {"new_reviewers"} and {n.to for n in start.notify} == {"reviewer"}
    assert set(loops["hand_over_review"].inputs) == {"leaving_reviewer_id", "incoming_reviewer_id",
                                                     "replacement_reason"}
