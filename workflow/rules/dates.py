"""Dates a deadline can be due on that the case row does not hold, by the name a policy gives
(``DeadlinePolicy.date_field``): read when the deadline opens."""

from __future__ import annotations

from workflow.rules.budgets import project_year_start
from workflow.rules.contracts import contract_end

DATE_FACTS = {"period_end": contract_end, "project_year_start": project_year_start}
