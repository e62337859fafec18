"""The kinds of notice Kyodo sends, and who receives each one from which transition.

Templates live in ``notifications/templates/<lang>/<kind>.*``; a test checks that every
kind named here has its templates in both languages.
"""

from __future__ import annotations

NOTICE_KINDS: dict[str, tuple[str, str]] = {
    "receipt": ("提案の受付", "Proposal received"),
    "revision_requested": ("提案書の修正のお願い", "Revision requested"),
    "review_assigned": ("審査のお願い", "Review assigned"),
    "decision": ("提案の採否の決定通知（第10条第2項）", "Decision notice (Article 10(2))"),
    "contract_concluded": ("協働契約の締結", "Contract concluded"),
    "own_project_received": ("自主事業の届出の受理", "Own-project notice received"),
    "evaluation_requested": ("相互評価のお願い", "Evaluation requested"),
    "evaluation_published": ("評価の公表", "Evaluation published"),
    "reminder": ("期限のお知らせ", "Deadline reminder"),
    "reviewer_digest": ("審査待ち案件のお知らせ（日次）", "Daily review queue digest"),
    # The city's call for partners (Article 9): the reviewers are asked to score every
    # application; the selected applicant and every other applicant are told the outcome.
    "call_review_assigned": ("公募の選定審査のお願い", "Call for partners: review assigned"),
    "call_selected": ("協働事業の相手方の選定通知（第9条）", "Selection notice (Article 9)"),
    "call_not_selected": ("協働事業の相手方の選定結果通知（第9条）", "Selection result notice (Article 9)"),
}

# Recipients are roles, resolved per case: the proposing group's contacts, the assigned
# reviewers, the department's staff, the secretariat, the department head.
# Each applicant of a call not selected (or every applicant, when no one is) is addressed
# as its own organisation.
RECIPIENTS = ("proposer", "reviewer", "department", "secretariat", "approver", "department_head",
              "unselected_applicants")
