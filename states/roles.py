"""The people who act on a case, and what each role may see.

A role grants a trigger only within its reach: a proposer acts for its own organisation,
a reviewer on the proposals assigned to them, department staff on their department's cases
(the engine checks that reach; this module only names the roles).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    label_ja: str
    label_en: str
    scoped: bool  # True: the role acts only on cases it is attached to


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role("proposer", "提案団体", "Proposing group", scoped=True),
        Role("secretariat", "市民協働推進課（事務局）", "Collaboration section (secretariat)", scoped=False),
        Role("reviewer", "審査員", "Reviewer", scoped=True),
        Role("department", "所管課", "Department in charge", scoped=True),
        Role("approver", "決裁者", "Approver", scoped=False),
        Role("admin", "システム管理者", "Administrator", scoped=False),
    )
}

CITY_ROLES = ("secretariat", "department", "approver")

# Recipients a transition's notice may name besides those resolved from the case alone
# (``RECIPIENTS`` in ``states/notices.py``): people resolved from the change being
# applied, each mapped to the role its letter addresses them in. ``new_reviewers`` are the
# reviewers the change has just asked (added, or taking over from one replaced): those
# asked before were told then, and a second "please review" would read as a new request.
CHANGE_RECIPIENTS: dict[str, str] = {
    "new_reviewers": "reviewer",
}
