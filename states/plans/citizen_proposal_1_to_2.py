"""Running citizen proposals under the amendment of 令和9年4月1日 (version 1 → 2).

Like the ordinance's own supplementary provision (附則第2項: what is already under way
continues "なお従前の例による"), a proposal the review has finished with keeps version 1
to its end: it is past the point where the public presentation would come, and making
it go back would undo coordination or a decision already made. A proposal not yet
reviewed — being written, just received, or under review — moves to version 2: it will
be presented in public, and a review still running gets the longer review period
(a deadline already passed is never moved).
"""

from __future__ import annotations

from states.citizen_proposal import CITIZEN_PROPOSAL
from states.migration_plan import MigrationPlan, Move, stay

_MOVES_ON = {"draft", "submitted", "under_review"}


def _move(state: str) -> Move:
    if state in _MOVES_ON:
        return Move(state, "審査が終わっていないため、改正後の手続（公開プレゼンテーションを含む）で進めます。",
                    "not reviewed yet: it continues under the amended procedure, public presentation included")
    return stay("審査を終えているため、改正前の手続のまま完了します（附則の経過措置）。",
                "the review is over: it finishes under the procedure it started with (transitional provision)")


PLAN = MigrationPlan(
    name="citizen_proposal_1_to_2",
    lifecycle=CITIZEN_PROPOSAL.name,
    from_version=1,
    to_version=2,
    label_ja="令和9年4月1日施行の改正に伴う移行（公開プレゼンテーションの導入）",
    label_en="Moving running proposals to the amendment of 1 April 2027 (public presentation)",
    moves={s.name: _move(s.name) for s in CITIZEN_PROPOSAL.states},
)
