"""`kyodo states check` refuses a definition that names what nothing answers.

A definition in ``states/`` names effects, notices and the content they state, the page
that offers a transition, the conditions it checks, what a public state shows and where a
group may still edit. Each broken copy below breaks exactly one of these, in each
lifecycle; the command must exit 1 and name the problem, and the checks it runs
(``states.validate.problems`` for the graph, ``workflow.rules.catalogue.problems`` for
what the engine and the pages can carry out) must say the same when called directly.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

import pytest
from typer.testing import CliRunner

import cli.lifecycle
from cli.main import app
from states import LIFECYCLES, Condition, Lifecycle, Notify
from states.notices import NOTICE_KINDS, NoticeKind
from states.validate import problems as graph_problems
from workflow.rules import catalogue

NAMES = sorted(LIFECYCLES)


def rebuilt(lc: Lifecycle, **changes) -> Lifecycle:
    """A copy of ``lc`` with some fields replaced; its index is rebuilt from the new fields."""
    return dataclasses.replace(lc, _index={}, **changes)


def with_first_transition(lc: Lifecycle, where: Callable, **changes) -> Lifecycle:
    """``lc`` with the first transition matching ``where`` changed."""
    target = next(t for t in lc.transitions if where(t))
    transitions = tuple(dataclasses.replace(t, **changes) if t is target else t for t in lc.transitions)
    return rebuilt(lc, transitions=transitions)


def with_state(lc: Lifecycle, name: str, **changes) -> Lifecycle:
    states = tuple(dataclasses.replace(s, **changes) if s.name == name else s for s in lc.states)
    return rebuilt(lc, states=states)


# --- one broken copy per thing a definition may name wrongly


def unknown_effect(lc: Lifecycle, monkeypatch) -> Lifecycle:
    return with_first_transition(lc, lambda t: t.effect, effect="no_such_effect")


def unknown_notice_kind(lc: Lifecycle, monkeypatch) -> Lifecycle:
    return with_first_transition(lc, lambda t: t.notify, notify=(Notify("no_such_notice", "proposer"),))


def unknown_notice_content(lc: Lifecycle, monkeypatch) -> Lifecycle:
    # What a notice states is declared with its kind: a kind that states a part nobody answers.
    monkeypatch.setitem(NOTICE_KINDS, "test_notice", NoticeKind("試験", "Test", ("no_such_part",)))
    return with_first_transition(lc, lambda t: t.notify, notify=(Notify("test_notice", "proposer"),))


def unknown_page(lc: Lifecycle, monkeypatch) -> Lifecycle:
    return with_first_transition(lc, lambda t: True, page="no_such_page")


def condition_without_predicate(lc: Lifecycle, monkeypatch) -> Lifecycle:
    lc = rebuilt(lc, conditions=lc.conditions + (Condition("no_such_rule", "存在しない条件", "a rule nobody wrote"),))
    return with_first_transition(lc, lambda t: not t.is_loop, conditions=("no_such_rule",))


def unknown_public_view(lc: Lifecycle, monkeypatch) -> Lifecycle:
    return with_state(lc, lc.public_states()[0], public_view="no_such_view")


def editable_without_revision(lc: Lifecycle, monkeypatch) -> Lifecycle:
    # A state that becomes editable without a transition to save a revision from it.
    name = next(s.name for s in lc.states if not s.final and not s.editable_by)
    return with_state(lc, name, editable_by=("proposer",))


def review_without_replacement(lc: Lifecycle, monkeypatch) -> Lifecycle:
    # A review whose reviewers cannot be replaced: one who falls ill holds it up for good.
    return rebuilt(lc, transitions=tuple(t for t in lc.transitions if t.effect != "hand_over_review"))


def review_without_more_reviewers(lc: Lifecycle, monkeypatch) -> Lifecycle:
    return rebuilt(lc, transitions=tuple(t for t in lc.transitions if t.effect != "assign_more_reviewers"))


# (how to break it, words the problem must contain, which check finds it)
BROKEN = {
    "unknown effect": (unknown_effect, ("unknown effect", "no_such_effect"), catalogue.problems),
    "unknown notice kind": (unknown_notice_kind, ("unknown notice", "no_such_notice"), graph_problems),
    "unknown notice content": (unknown_notice_content, ("unknown content", "no_such_part"), catalogue.problems),
    "unknown form page": (unknown_page, ("unknown page", "no_such_page"), catalogue.problems),
    "condition without predicate": (condition_without_predicate, ("no_such_rule", "no predicate"),
                                    catalogue.problems),
    "unknown public view": (unknown_public_view, ("unknown view", "no_such_view"), catalogue.problems),
    "editable without save_revision": (editable_without_revision, ("editable", "no way to save a revision"),
                                       catalogue.problems),
    "review without replacement": (review_without_replacement, ("waits on reviewers", "hand_over_review"),
                                   catalogue.problems),
    "review without more reviewers": (review_without_more_reviewers, ("waits on reviewers", "assign_more_reviewers"),
                                      catalogue.problems),
}


def mentions(found: list[str], words) -> bool:
    return any(all(w in p for w in words) for p in found)


def run_check():
    return CliRunner().invoke(app, ["states", "check"])


def flat(text: str) -> str:
    """Output with the terminal's line wrapping undone."""
    return re.sub(r"\s+", " ", text)


# --- the real definitions


def test_kyodo_states_check_passes_on_the_real_definitions():
    result = run_check()
    assert result.exit_code == 0, result.output
    for name in NAMES:
        assert name in result.output
    assert "✗" not in result.output


@pytest.mark.parametrize("name", NAMES)
def test_the_catalogue_answers_every_name_of_the_real_definitions(name):
    assert catalogue.problems(LIFECYCLES[name]) == []
    assert graph_problems(LIFECYCLES[name]) == []


@pytest.mark.parametrize("name", NAMES)
def test_an_unchanged_copy_is_still_sound(name, monkeypatch):
    # Every problem found below comes from the one thing its copy broke.
    copy = rebuilt(LIFECYCLES[name])
    assert catalogue.problems(copy) == [] and graph_problems(copy) == []
    monkeypatch.setattr(cli.lifecycle, "LIFECYCLES", {**LIFECYCLES, name: copy})
    assert run_check().exit_code == 0


# --- broken copies


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_checks_find_the_broken_name(broken, name, monkeypatch):
    breaks, words, finder = BROKEN[broken]
    lc = breaks(LIFECYCLES[name], monkeypatch)
    found = finder(lc)
    assert mentions(found, words), f"{broken}: {found}"
    assert len(catalogue.problems(lc) + graph_problems(lc)) >= 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_kyodo_states_check_rejects_the_broken_definition(broken, name, monkeypatch):
    breaks, words, _finder = BROKEN[broken]
    lc = breaks(LIFECYCLES[name], monkeypatch)
    # Only the command sees the broken copy: the engine's machines stay built from the real ones.
    monkeypatch.setattr(cli.lifecycle, "LIFECYCLES", {**LIFECYCLES, name: lc})
    result = run_check()
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    assert f"✗ {lc.label_ja} ({name})" in out, out
    assert all(w in out for w in words), f"{broken} not named: {out}"
    assert "Traceback" not in out
    # The other lifecycle is still reported sound.
    for other in NAMES:
        if other != name:
            assert f"✓ {LIFECYCLES[other].label_ja} ({other})" in out


def test_a_lifecycle_missing_from_the_catalogue_is_refused(monkeypatch):
    lc = rebuilt(LIFECYCLES[NAMES[0]], name="no_such_lifecycle")
    assert mentions(catalogue.problems(lc), ("no_such_lifecycle", "no entry"))
    monkeypatch.setattr(cli.lifecycle, "LIFECYCLES", {**LIFECYCLES, lc.name: lc})
    result = run_check()
    assert result.exit_code == 1
    assert "no_such_lifecycle" in flat(result.output)
