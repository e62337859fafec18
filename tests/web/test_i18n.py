"""Every word a page asks for exists in Japanese and in English."""

from __future__ import annotations

import re
from pathlib import Path

from db.models.proposals import CONTENT_FIELDS
from states import all_versions
from web.messages import MESSAGES
from web.i18n import fmt_date, fmt_time

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
# Keys built from a prefix and a value from states/ or the schema.
DYNAMIC = {
    "pf_": [*CONTENT_FIELDS, *(f"{f}_help" for f in CONTENT_FIELDS if f != "confidential_fields")],
    "go_": ["review", "decision", "contract"],
    "side_": ["partner", "city"],
    "outcome_": ["adopted", "not_adopted"],
    "notice_status_": ["pending", "queued", "sending", "sent", "failed", "cancelled"],
    "changed_": ["period_end", "amount_yen", "terms"],
    "note_": ["coordination", "revision_request", "resubmission", "department_opinion", "returned_by_approver",
              "progress", "withdrawal", "completion", "cancellation"],
    "person_": ["login", "name", "email", "password", "password_confirm", "login_help", "password_help"],
}


def test_every_message_a_template_uses_exists_in_both_languages():
    used = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""_\(\s*["']([a-z0-9_]+)["']""", path.read_text()))
    for prefix, names in DYNAMIC.items():
        used.discard(prefix)
        used |= {prefix + n for n in names}
    missing = sorted(k for k in used if k not in MESSAGES)
    assert not missing
    assert all(ja and en for ja, en in MESSAGES.values())


def test_dates_are_era_dates_in_japanese_and_japan_time():
    from datetime import date, datetime, timezone

    assert fmt_date("ja", date(2026, 4, 6)) == "令和8年4月6日"
    assert fmt_date("en", date(2026, 4, 6)) == "6 April 2026"
    # 16:30 UTC is already the next day in Tokyo.
    assert fmt_time("ja", datetime(2026, 4, 6, 16, 30, tzinfo=timezone.utc)) == "令和8年4月7日 01:30"


def test_every_note_a_lifecycle_keeps_has_a_heading_in_both_languages():
    # A case page lists its notes under a heading per kind; a kind without one broke the page.
    kinds = {t.note[0] for lc in all_versions() for t in lc.transitions if t.note}
    missing = sorted(k for k in kinds if not all(MESSAGES.get(f"note_{k}", ("", ""))))
    assert missing == []
