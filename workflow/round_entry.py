"""Applying in a round (募集): which round and theme a group may name, and when it may submit.

A proposal may be made in a round and, for a theme round (テーマ提示型), for one of the
themes a department offers. The group names them in the proposal editor while the round
is accepting applications; a proposal outside any round is received as before, whenever
it comes (Art. 10(1)). The round's window is read on the Japan date of the engine's
clock and includes its last day whole. A round may ask for a prior consultation (事前相談)
first: one held for that round, or one held with no round named, counts.

The engine refuses a submission outside the window and rolls the attempt back with
everything else; ``refused`` is what an edge (a page, the API) calls with the refusal,
so that a late attempt is kept in the round's trail in a transaction of its own and the
person reads the closing date in words (「令和9年5月31日まで」).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlmodel import Session

from db.models import Consultation, Proposal, ProposalRound, RoundTheme
from db.session import write
from workflow.actors import Actor
from workflow.calendar.clock import Clock, SystemClock, japan_today
from workflow.calendar.japan import english_date, era_date
from workflow.directory import record
from workflow.errors import ConditionNotMet, InvalidInput, KyodoError
from workflow.rounds import open_round_rows

# The conditions of the submit transition (states/common.py) this module answers for.
WINDOW = "round_window_open"
CONSULTATION = "round_consultation_held"
# The trail's words for a late attempt: subject "round", like every change of a round.
SUBJECT = "round"
LATE_REFUSED = "late_submission_refused"
# A theme round (テーマ提示型) receives proposals for its themes only; a round of both
# kinds also receives free ones (the kinds of ``ProposalRound.kind``).
THEME_ONLY_KIND = "theme"


# --- reading rounds


def get_round(session: Session, round_id: int | None) -> ProposalRound | None:
    return session.get(ProposalRound, round_id) if round_id is not None else None


def accepting(r: ProposalRound, today: date) -> bool:
    """Published, and ``today`` (a Japan date) within its window, both ends included."""
    return r.published_at is not None and r.opens_on <= today <= r.closes_on


def themes_of(session: Session, round_ids: list[int]) -> dict[int, list[RoundTheme]]:
    found: dict[int, list[RoundTheme]] = {i: [] for i in round_ids}
    if round_ids:
        for t in session.execute(select(RoundTheme).where(RoundTheme.round_id.in_(round_ids))
                                 .order_by(RoundTheme.round_id, RoundTheme.id)).scalars():
            found[t.round_id].append(t)
    return found


@dataclass(frozen=True)
class Choice:
    """A round a group may name in its proposal, with its themes."""

    round: ProposalRound
    themes: tuple[RoundTheme, ...]
    open_now: bool


def choices(session: Session, today: date, keep_round_id: int | None = None) -> list[Choice]:
    """The rounds open today, and the one the proposal already names even if it has closed
    (so that saving other fields does not drop it)."""
    rounds = open_round_rows(session, today)
    kept = get_round(session, keep_round_id)
    if kept is not None and all(r.id != kept.id for r in rounds):
        rounds.append(kept)
    themes = themes_of(session, [r.id for r in rounds])
    return [Choice(r, tuple(themes[r.id]), accepting(r, today)) for r in rounds]


def round_title(r: ProposalRound) -> tuple[str, str]:
    return r.title_ja, r.title_en or r.title_ja


def window_words(r: ProposalRound) -> tuple[str, str]:
    """「令和9年4月1日から令和9年5月31日まで」, "from 1 April 2027 to 31 May 2027"."""
    return (f"{era_date(r.opens_on)}から{era_date(r.closes_on)}まで",
            f"from {english_date(r.opens_on)} to {english_date(r.closes_on)}")


def outside_window(r: ProposalRound, today: date) -> tuple[str, str]:
    """Why a proposal of round ``r`` cannot be submitted on ``today``, with the dates in words."""
    if r.published_at is None or today < r.opens_on:
        return (f"募集「{r.title_ja}」の受付はまだ始まっていません（募集期間：{window_words(r)[0]}）。受付開始日以降に提出してください。",
                f"The round “{round_title(r)[1]}” is not accepting applications yet (window: {window_words(r)[1]}); "
                f"submit from its first day.")
    return (f"募集期間（{era_date(r.closes_on)}まで）を過ぎているため提出できません。",
            f"The application period ended on {english_date(r.closes_on)}; the proposal can no longer be submitted.")


def consultation_needed(r: ProposalRound) -> tuple[str, str]:
    return (f"募集「{r.title_ja}」に応募するには、提出の前に市民協働推進課との事前相談が必要です。団体のページから事前相談を申し込んでください。",
            f"The round “{round_title(r)[1]}” requires a prior consultation with the secretariat before you submit; "
            f"request one from your group's page.")


# --- a proposal's round and theme


def check_choice(session: Session, round_id: int | None, theme_id: int | None, today: date, *,
                 kept_round_id: int | None = None) -> None:
    """Refuse a round and theme a group may not name now, saying why by field.

    A round newly named must be accepting applications today; the round the proposal
    already names stays named after it closes (its submission is refused, not its draft).
    """
    if round_id is None:
        if theme_id is not None:
            raise InvalidInput("theme_id", "テーマを選ぶときは、そのテーマを提示している募集も選んでください。",
                               "choose the round that offers the theme as well")
        return
    r = get_round(session, round_id)
    if r is None or r.published_at is None:
        raise InvalidInput("round_id", f"募集 {round_id} は公表されていません。", f"no published round {round_id}")
    if round_id != kept_round_id and not accepting(r, today):
        ja, en = window_words(r)
        raise InvalidInput("round_id", f"募集「{r.title_ja}」は受付期間外のため選べません（募集期間：{ja}）。",
                           f"the round “{round_title(r)[1]}” is not accepting applications (window: {en})")
    if theme_id is not None:
        theme = session.get(RoundTheme, theme_id)
        if theme is None or theme.round_id != round_id:
            raise InvalidInput("theme_id", f"選んだテーマは募集「{r.title_ja}」のテーマではありません。",
                               f"the theme chosen is not a theme of the round “{round_title(r)[1]}”")
    elif r.kind == THEME_ONLY_KIND:
        raise InvalidInput("theme_id", f"募集「{r.title_ja}」はテーマ提示型です。応募するテーマを選んでください。",
                           f"the round “{round_title(r)[1]}” receives proposals for its themes: choose one")


# --- prior consultation


def consultation_held(session: Session, organisation_id: int | None, round_id: int, today: date) -> bool:
    """The group had a consultation held on or before ``today``, for this round or for none."""
    if organisation_id is None:
        return False
    return bool(session.execute(select(exists().where(
        Consultation.organisation_id == organisation_id, Consultation.held_on.is_not(None),
        Consultation.held_on <= today,
        (Consultation.round_id == round_id) | Consultation.round_id.is_(None)))).scalar())


# --- a refused submission, at the edge


def _late(exc: KyodoError) -> bool:
    return isinstance(exc, ConditionNotMet) and WINDOW in exc.failed


def refused(session: Session, exc: KyodoError, proposal_id: int, actor: Actor, clock: Clock | None = None) -> KyodoError:
    """What an edge shows for ``exc``, a refusal of a change to case ``proposal_id``.

    A submission refused because the round's window has passed is kept in the round's
    trail (who tried, for which group), in a transaction of its own since the engine
    rolled the attempt back; the refusal then names the closing date. Any other refusal
    is returned as it is. Call it after the engine's transaction has ended.
    """
    if not _late(exc):
        return exc
    clock = clock or SystemClock()
    today = japan_today(clock)
    with write(session):
        row = session.execute(select(Proposal.round_id, Proposal.organisation_id)
                              .where(Proposal.id == proposal_id)).first()
        r = get_round(session, row.round_id) if row is not None else None
        if r is None or accepting(r, today):
            return exc  # moved meanwhile (the round changed, the clock crossed midnight): nothing late to keep
        if today > r.closes_on:
            record(session, SUBJECT, r.id, LATE_REFUSED, actor_id=actor.user_id, clock=clock,
                   details={"proposal_id": proposal_id, "organisation_id": row.organisation_id})
        ja, en = outside_window(r, today)
    out = ConditionNotMet([(WINDOW, ja, en)])
    out.failed = list(exc.failed)
    out.message_ja, out.message_en = ja, en
    return out
