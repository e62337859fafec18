"""Every migration plan Kyodo ships, by name (``kyodo states migrate NAME``)."""

from __future__ import annotations

from states.migration_plan import MigrationPlan
from states.plans.citizen_proposal_1_to_2 import PLAN as CITIZEN_PROPOSAL_1_TO_2

PLANS: dict[str, MigrationPlan] = {p.name: p for p in (CITIZEN_PROPOSAL_1_TO_2,)}
