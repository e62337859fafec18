"""Which notices a transition leaves in the outbox (filled in with the notices, issue 3)."""

from __future__ import annotations

from workflow.context import Case


def on_transition(case: Case, from_state: str, to_state: str) -> None:
    return None
