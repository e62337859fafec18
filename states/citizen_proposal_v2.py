"""The citizen proposal, version 2: the amendment in force from 令和9年4月1日 (1 April 2027).

What the amendment changes, against version 1 (``states/citizen_proposal.py``):

- a **public presentation** (公開プレゼンテーション) between the review and the department's
  coordination: the group presents its proposal in public, the secretariat records how it
  went, and only then does coordination start;
- the **review** deadline is 15 business days instead of 10 (the reviewers also attend
  the presentation).

Everything else is version 1's, taken from it rather than written again, so the two can
only differ where the amendment says. Cases that were running when it took effect move
according to ``states/plans/citizen_proposal_1_to_2.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from states.citizen_proposal import CITIZEN_PROPOSAL
from states.common import conflict_declarations
from states.model import DeadlinePolicy, State, Transition

PRESENTATION = State(
    "public_presentation", "公開プレゼンテーション", "Public presentation",
    "提案団体が公開の場で提案を説明します。事務局が日程を調整し、結果を記録します。",
    "The group presents its proposal in public; the secretariat arranges it and records how it went.",
    waits_on=("secretariat",), deadline="presentation")

PRESENTATION_DEADLINE = DeadlinePolicy(
    "presentation", "公開プレゼンテーションの実施", "Public presentation", waits_on="secretariat", days=15,
    remind_before=(5, 1), article="第10条第2項")


def _states() -> tuple[State, ...]:
    out: list[State] = []
    for st in CITIZEN_PROPOSAL.states:
        out.append(st)
        if st.name == "under_review":
            out.append(PRESENTATION)
    return tuple(out)


def _transitions() -> tuple[Transition, ...]:
    out: list[Transition] = []
    for t in CITIZEN_PROPOSAL.transitions:
        if t.trigger == "finish_review":
            out.append(replace(t, dest=PRESENTATION.name, label_ja="審査を終え公開プレゼンテーションに進める",
                               label_en="Close the review and hold the public presentation"))
            out.append(Transition(
                "record_presentation", (PRESENTATION.name,), "in_coordination", ("secretariat",),
                "公開プレゼンテーションの結果を記録し所管課調整に進める",
                "Record the public presentation and start coordination", "第10条第2項",
                inputs=("note",), effect="record_note", note=("presentation", "note"),
                conditions=("panel_scores_complete",)))
        elif t.trigger == "withdraw":
            out.append(replace(t, sources=t.sources + (PRESENTATION.name,)))
        else:
            out.append(t)
    return tuple(out) + conflict_declarations((PRESENTATION,))


def _deadlines() -> tuple[DeadlinePolicy, ...]:
    out = []
    for d in CITIZEN_PROPOSAL.deadlines:
        out.append(replace(d, days=15) if d.key == "review" else d)
    return tuple(out) + (PRESENTATION_DEADLINE,)


CITIZEN_PROPOSAL_V2 = replace(
    CITIZEN_PROPOSAL,
    version=2,
    effective=date(2027, 4, 1),
    amendment_ja="令和9年4月1日施行の改正（公開プレゼンテーションの導入、審査期間の延長）",
    amendment_en="Amendment in force from 1 April 2027 (public presentation; longer review)",
    states=_states(),
    transitions=_transitions(),
    deadlines=_deadlines(),
    _index={},
)
