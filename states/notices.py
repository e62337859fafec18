"""The kinds of notice Kyodo sends, and who receives each one from which transition.

Templates live in ``notifications/templates/<lang>/<kind>.*``; a test checks that every
kind named here has its templates in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class NoticeKind:
    """A kind of notice: its names, and the parts of the case its letter states.

    ``content`` names parts gathered at the moment of the change (``workflow/rules/
    notice_content.py`` answers each name; ``kyodo states check`` refuses an unknown one):
    the due date a transition's ``Notify.due`` names, the decision with its reasons, the
    contract, the evaluation asked for …
    """

    label_ja: str
    label_en: str
    content: tuple[str, ...] = ()

    def __iter__(self):  # (ja, en), as labels are read everywhere
        return iter((self.label_ja, self.label_en))


NOTICE_KINDS: dict[str, NoticeKind] = {
    "receipt": NoticeKind("提案の受付", "Proposal received", ("submitted", "due")),
    "revision_requested": NoticeKind("提案書の修正のお願い", "Revision requested", ("revision_request", "due")),
    "review_assigned": NoticeKind("審査のお願い", "Review assigned", ("due",)),
    "decision": NoticeKind("提案の採否の決定通知（第10条第2項）", "Decision notice (Article 10(2))", ("decision",)),
    "contract_concluded": NoticeKind("協働契約の締結", "Contract concluded", ("contract",)),
    "own_project_received": NoticeKind("自主事業の届出の受理", "Own-project notice received", ("own_project",)),
    "evaluation_requested": NoticeKind("相互評価のお願い", "Evaluation requested", ("evaluation_period", "evaluation_side", "due")),
    "evaluation_published": NoticeKind("評価の公表", "Evaluation published", ("evaluation_period", "public_page")),
    # Written by the reminder scan and the daily digest, not by a transition.
    "reminder": NoticeKind("期限のお知らせ", "Deadline reminder"),
    "reviewer_digest": NoticeKind("審査待ち案件のお知らせ（日次）", "Daily review queue digest"),
    # Written by the reminder scan too: a group whose proposal in a round (募集) is still
    # a draft is told, a few days before the round closes, that it must submit by then.
    "round_closing": NoticeKind("募集の締切が近づいています", "A round closes soon"),
    # Written by the secretariat's scheduling of a round's public presentation
    # (workflow/panels.py): the group is told when and where it presents.
    "presentation_scheduled": NoticeKind("公開プレゼンテーションの日程のお知らせ", "Public presentation scheduled"),
    # The city's call for partners (Article 9): the reviewers are asked to score every
    # application; the selected applicant and every other applicant are told the outcome.
    "call_review_assigned": NoticeKind("公募の選定審査のお願い", "Call for partners: review assigned",
                                       ("due", "call_applications")),
    "call_selected": NoticeKind("協働事業の相手方の選定通知（第9条）", "Selection notice (Article 9)",
                                ("decision",)),
    "call_not_selected": NoticeKind("協働事業の相手方の選定結果通知（第9条）", "Selection result notice (Article 9)",
                                    ("decision", "selected_partner")),
    # Written by the directory, not by a transition: a one-time link to set a password,
    # for a new account (invitation) or one whose password is forgotten (reset).
    "account_invitation": NoticeKind("アカウントの開設（パスワードの設定）", "Account invitation (set your password)"),
    "password_reset": NoticeKind("パスワードの再設定", "Password reset"),
}

# Recipients are roles, resolved per case: the proposing group's contacts, the assigned
# reviewers, the department's staff, the secretariat, the department head.
# Each applicant of a call not selected (or every applicant, when no one is) is addressed
# as its own organisation.
RECIPIENTS = ("proposer", "reviewer", "department", "secretariat", "approver", "department_head",
              "unselected_applicants")
