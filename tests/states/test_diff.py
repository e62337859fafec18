"""`kyodo states diff`: what one version of a lifecycle changes against another.

The diff is read from the two definitions alone, so the amendment of 令和9年4月1日
(``states/citizen_proposal_v2.py``) must come out as exactly what that amendment says —
nothing more (a change the diff invents would hide a real one among noise) and nothing
less (a change it misses is one nobody reviews).
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from typer.testing import CliRunner

from cli.main import app
from states import Notify, get_lifecycle
from states.citizen_proposal_v2 import PRESENTATION, PRESENTATION_DEADLINE
from states.diff import KINDS, diff
from states.registry import VERSIONS

V1 = get_lifecycle("citizen_proposal", 1)
V2 = get_lifecycle("citizen_proposal", 2)


def flat(text: str) -> str:
    """Output with the terminal's line wrapping undone."""
    return re.sub(r"\s+", " ", text)


def summary(changes) -> set[tuple[str, str, str, str]]:
    return {(c.kind, c.name, c.action, c.aspect) for c in changes}


# --- the module


def test_the_amendment_of_2027_is_exactly_what_version_2_changes():
    assert summary(diff(V1, V2)) == {
        ("state", PRESENTATION.name, "added", ""),
        ("transition", "record_presentation", "added", ""),
        ("transition", "finish_review", "changed", "dest"),
        ("transition", "finish_review", "changed", "label"),
        ("transition", "withdraw", "changed", "sources"),
        ("transition", "declare_conflict", "added", ""),
        ("deadline", PRESENTATION_DEADLINE.key, "added", ""),
        ("deadline", "review", "changed", "due"),
    }


def test_each_change_reads_in_japanese_and_english_with_the_definitions_labels():
    by = {(c.kind, c.name, c.aspect): c for c in diff(V1, V2)}
    state = by[("state", PRESENTATION.name, "")]
    assert state.ja == "状態『公開プレゼンテーション』を追加"
    assert state.en == "state public_presentation (Public presentation) added"
    review = by[("deadline", "review", "due")]
    assert review.ja == "期限『審査』：10開庁日 → 15開庁日"
    assert review.en == "deadline review (Review): 10 business days → 15 business days"
    dest = by[("transition", "finish_review", "dest")]
    assert "所管課調整中 → 公開プレゼンテーション" in dest.ja
    assert "in_coordination (Department coordination) → public_presentation (Public presentation)" in dest.en
    withdraw = by[("transition", "withdraw", "sources")]
    assert withdraw.ja == "遷移『提案を取り下げる』：遷移元の状態に『公開プレゼンテーション』を追加"
    assert "+ public_presentation" in withdraw.en
    # The conflict declaration is one loop per state: the one added names its state.
    conflict = by[("transition", "declare_conflict", "")]
    assert conflict.ja == "遷移『利害関係を申し出る』（公開プレゼンテーション）を追加"
    assert conflict.where == (PRESENTATION.name,) and "in public_presentation" in conflict.en
    added = by[("transition", "record_presentation", "")]
    assert "（公開プレゼンテーション → 所管課調整中）を追加" in added.ja
    assert "from public_presentation to in_coordination added" in added.en


def test_a_version_against_itself_has_no_differences():
    for versions in VERSIONS.values():
        for lc in versions:
            assert diff(lc, lc) == []
    # An equal copy (rebuilt index) reads the same.
    assert diff(V1, dataclasses.replace(V1, _index={})) == []


def test_the_order_is_by_kind_then_name_and_the_same_every_time():
    changes = diff(V1, V2)
    assert changes == diff(V1, V2)
    keys = [(KINDS.index(c.kind), c.name) for c in changes]
    assert keys == sorted(keys)


def test_going_back_reverses_every_change():
    forward, backward = diff(V1, V2), diff(V2, V1)
    flip = {"added": "removed", "removed": "added", "changed": "changed"}
    assert {(k, n, flip[a], asp) for k, n, a, asp in summary(forward)} == summary(backward)
    assert "期限『審査』：15開庁日 → 10開庁日" in [c.ja for c in backward]


def test_notices_inputs_conditions_and_deadline_parties_are_compared():
    submit = V1.transitions_for("submit")[0]
    receipt = V1.deadline("receipt")
    changed = dataclasses.replace(
        V1, _index={},
        transitions=tuple(dataclasses.replace(t, notify=t.notify + (Notify("receipt", "department"),))
                          if t is submit else t for t in V1.transitions),
        deadlines=tuple(dataclasses.replace(d, waits_on="department") if d is receipt else d for d in V1.deadlines),
        inputs=V1.inputs[1:],
        conditions=tuple(dataclasses.replace(c, label_ja="新しい表示名") if i == 0 else c
                         for i, c in enumerate(V1.conditions)),
    )
    by = {(c.kind, c.action, c.aspect): c for c in diff(V1, changed)}
    notice = by[("notice", "added", "")]
    assert notice.ja == "遷移『提案する』に通知『提案の受付』（宛先：所管課）を追加"
    assert notice.en == "transition submit (Submit the proposal): notice receipt to department added"
    waits = by[("deadline", "changed", "waits_on")]
    assert waits.ja == "期限『受付処理（審査員・所管課の決定）』：対応する役割 市民協働推進課（事務局） → 所管課"
    removed = by[("input", "removed", "")]
    assert removed.name == V1.inputs[0].name and removed.ja == f"入力項目『{V1.inputs[0].label_ja}』を削除"
    label = by[("condition", "changed", "label")]
    assert label.name == V1.conditions[0].name and "→ 『新しい表示名』" in label.ja
    assert len(diff(V1, changed)) == 4


# --- the command


def run(*args: str):
    return CliRunner().invoke(app, ["states", *args], env={"COLUMNS": "250"})


def test_kyodo_states_diff_prints_every_change_under_a_header_naming_both_versions():
    result = run("diff", "citizen_proposal@1", "citizen_proposal@2")
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "citizen_proposal@1 → citizen_proposal@2" in out
    assert "版1（平成25年4月1日施行）：制定時の条例" in out
    assert "版2（令和9年4月1日施行）：" + V2.amendment_ja in out
    assert V2.amendment_en in out and "2027-04-01" in out
    assert "8件の違いがあります。" in out
    lines = result.output.splitlines()
    for change in diff(V1, V2):
        # Japanese first, the English on the next line.
        i = lines.index(f"- {change.ja}")
        assert lines[i + 1].strip() == change.en


def test_a_name_alone_is_the_newest_version():
    assert run("diff", "citizen_proposal@1", "citizen_proposal").output == \
        run("diff", "citizen_proposal@1", "citizen_proposal@2").output


def test_two_equal_versions_have_no_differences():
    result = run("diff", "citizen_proposal@2", "citizen_proposal")
    assert result.exit_code == 0, result.output
    assert "違いはありません。" in result.output and "no differences" in result.output


@pytest.mark.parametrize("old, new, words", [
    ("no_such_lifecycle@1", "citizen_proposal@2", ("ライフサイクル「no_such_lifecycle」はありません", "unknown lifecycle")),
    ("citizen_proposal@1", "citizen_proposal@9", ("版9はありません", "has no version 9", "citizen_proposal@2")),
    ("citizen_proposal@", "citizen_proposal@2", ("版が読めません", "give it as a number")),
    ("citizen_proposal@two", "citizen_proposal@2", ("版が読めません", "give it as a number")),
    ("@1", "citizen_proposal@2", ("ライフサイクル名がありません", "names no lifecycle")),
    ("citizen_proposal@1", "city_call@1", ("別々のライフサイクル", "different lifecycles")),
])
def test_a_bad_reference_is_a_bilingual_message_and_exit_1(old, new, words):
    result = run("diff", old, new)
    assert result.exit_code == 1, result.output
    out = flat(result.output)
    assert "エラー:" in out and "error:" in out
    assert all(w in out for w in words), out
    assert "Traceback" not in out
    assert isinstance(result.exception, SystemExit)  # the command's own exit, not an error escaping it


def test_kyodo_states_diagram_draws_any_version():
    v1 = run("diagram", "citizen_proposal@1").output
    v2 = run("diagram", "citizen_proposal@2").output
    assert f" as {PRESENTATION.name}" in v2 and f" as {PRESENTATION.name}" not in v1
    assert run("diagram", "citizen_proposal").output == v2
    bad = run("diagram", "citizen_proposal@7")
    assert bad.exit_code == 1 and "版7はありません" in flat(bad.output)


def test_kyodo_states_check_checks_every_version_and_every_plan():
    result = run("check")
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert f"✓ {V1.label_ja} (citizen_proposal) 版1 / version 1 (平成25年4月1日施行" in out
    assert f"✓ {V2.label_ja} (citizen_proposal) 版2 / version 2 (令和9年4月1日施行" in out
    assert "(citizen_proposal_1_to_2)" in out and "✗" not in out


def test_kyodo_states_check_refuses_a_broken_plan(monkeypatch):
    import cli.lifecycle
    from states.plans import PLANS

    plan = PLANS["citizen_proposal_1_to_2"]
    broken = dataclasses.replace(plan, moves={k: v for k, v in plan.moves.items() if k != V1.initial})
    monkeypatch.setattr(cli.lifecycle, "PLANS", {plan.name: broken})
    result = run("check")
    assert result.exit_code == 1
    out = flat(result.output)
    assert "✗ 移行計画 / plan" in out and f"says nothing of state '{V1.initial}'" in out
