"""The JSON API under ``/api/v1``, documented by OpenAPI at ``/openapi.json``.

Authentication is a bearer token (``Authorization: Bearer kyd_…``) made on the account
page; only its SHA-256 is stored. A token has scopes and an expiry, both chosen when it is
made: ``read`` (「閲覧のみ」) reads, ``read write`` (「閲覧と操作」) also creates, updates
and applies triggers — every operation that changes something requires ``write`` and
declares it in its security requirement (``bearer: [write]``); a token without it gets 403
``insufficient_scope``. A token lasts 30, 90 or 365 days; after that it gets 401
``token_expired`` and the person makes a new one on the account page. A revoked token, or
the token of a disabled person, gets 401 ``unauthorized``; a new password leaves tokens
working (see ``web.routes.account``).

Every case is read with its own lifecycle: citizen proposals (Art. 10) and the city's
calls for partners (Art. 9) alike. Every change goes through the engine, and every error
of an API route is answered in one place (``AnsweringRoute``, with the statuses of
``web.errors``): 409 with the current version when someone changed the case first, 422
naming the missing inputs or unmet conditions, 403 for a role that may not act, 404 for
a case that does not exist or may not be seen.
Every error body has one shape (``web.errors.ErrorOut``), declared for every operation in
the OpenAPI document together with the bearer scheme.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlmodel import Session

from db.models import ApiToken, Proposal
from db.session import write
from db.types import MAX_ID
from states import Lifecycle, lifecycle_of
from states.roles import CITY_ROLES
from web.deps import ClockDep, Forbidden, LoginRequired, SessionDep, visible_case
from web.errors import ErrorOut, api_error, error_json
from web.i18n import fmt_time
from web.messages import MESSAGES
from workflow.accounts import digest as token_hash
from workflow import calls, engine, proposals, round_entry
from workflow.actors import Actor, load_actor
from workflow.calendar.clock import japan_today
from workflow.engine.authorization import ACCEPTING
from workflow.errors import InvalidInput, KyodoError, NotAllowed
from workflow.queries import cases as queries
from workflow.queries import public
from workflow.queries.worklists import QUEUE_ROLES, Cursor, parse_field, parse_state, queue, waiting_states
from workflow.rules.calls import score_table
from workflow.rules.content import MAX_TEXT, MAX_TITLE, MAX_YEN

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="the case's number")]
# Transitions the API does not offer: a file comes with its bytes, through the upload form
# (the API would only have its description), and the system's steps are its own jobs'.
NOT_THROUGH_API = frozenset({"attachments", "system"})
# Words of a choice or a name (a contract form, a field's name, a trigger).
MAX_WORD = 60


# --- errors: the one place where the API answers an error (the mapping is web.errors')


def error_response(exc: KyodoError | LoginRequired | Forbidden) -> JSONResponse:
    if isinstance(exc, TokenExpired):
        # RFC 6750: an expired token is an invalid one, said in the challenge too.
        return error_json(401, "token_expired", *exc.message, *MESSAGES["api_token_expired_hint"],
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                       'error_description="The token has expired"'})
    if isinstance(exc, InsufficientScope):
        return error_json(403, "insufficient_scope", exc.message_ja, exc.message_en,
                          *MESSAGES["api_insufficient_scope_hint"],
                          headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{WRITE}"'})
    if isinstance(exc, LoginRequired):
        return error_json(401, "unauthorized", *MESSAGES["error_unauthorized"],
                          headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, Forbidden):
        return error_json(403, "forbidden", exc.message_ja, exc.message_en)
    return api_error(exc)


class AnsweringRoute(APIRoute):
    """A route of the API: an error of the engine or of the caller's credentials is answered as JSON here."""

    def get_route_handler(self) -> Callable:
        handle = super().get_route_handler()

        async def answer(request: Request):
            try:
                return await handle(request)
            except (KyodoError, LoginRequired, Forbidden) as exc:
                return error_response(exc)

        return answer


router = APIRouter(prefix="/api/v1", tags=["kyodo"], route_class=AnsweringRoute)


# --- authentication

# What a token may do (ApiToken.scopes, space-separated): every token reads; ``write`` also changes.
READ, WRITE = "read", "write"

bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="an API token made on the account page: `Authorization: Bearer kyd_…`. "
                                "Its scopes are chosen when it is made: `read` (「閲覧のみ」) or `read write` "
                                "(「閲覧と操作」). An operation that changes something requires `write` (its "
                                "security requirement says `bearer: [write]`); without it the answer is 403 "
                                "`insufficient_scope`. Every token expires 30, 90 or 365 days after it is made "
                                "(chosen then too); an expired token gets 401 `token_expired` — make a new one "
                                "on the account page. Disabling the person makes all their tokens useless "
                                "(401); a new password does not revoke them.")


class TokenExpired(LoginRequired):
    """A token past its expiry: 401 ``token_expired``, saying when and how to make a new one."""

    def __init__(self, expires_at: datetime):
        super().__init__()
        ja, en = MESSAGES["api_token_expired"]
        self.message = (ja.format(when=fmt_time("ja", expires_at)), en.format(when=fmt_time("en", expires_at)))


class InsufficientScope(Forbidden):
    """A token that may only read, used on an operation that changes something: 403 ``insufficient_scope``."""

    def __init__(self) -> None:
        super().__init__(*MESSAGES["api_insufficient_scope"])


def api_actor(security_scopes: SecurityScopes, request: Request, db: SessionDep, clock: ClockDep,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Actor:
    """The person behind a live token, with the scopes the operation requires (``security_scopes``)."""
    if credentials is None:
        raise LoginRequired()
    digest = token_hash(credentials.credentials.strip())
    token = db.execute(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked.is_(False))).scalar()
    if token is None:
        db.rollback()
        raise LoginRequired()
    try:
        actor = load_actor(db, token.user_id)
    except Exception:  # noqa: BLE001 - an inactive user's token is no token
        db.rollback()
        raise LoginRequired() from None
    now = clock.now()
    # Checked after the person: a disabled person's token is refused as no token, not as an
    # expired one that a new token would replace.
    if token.expires_at <= now:
        db.rollback()
        raise TokenExpired(token.expires_at)
    granted = set(token.scopes.split())
    stale = token.last_used_at is None or token.last_used_at < now - timedelta(minutes=5)
    db.rollback()
    if stale:  # recorded at most every few minutes: a read should not always cost a write
        with write(db):
            db.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    if not set(security_scopes.scopes) <= granted:
        raise InsufficientScope()
    return actor


# Reading needs a live token, whatever its scopes; changing anything needs one with ``write``
# (declared in the OpenAPI document as the operation's security requirement).
ApiUser = Annotated[Actor, Depends(api_actor)]
ApiWriter = Annotated[Actor, Security(api_actor, scopes=[WRITE])]


# --- models

def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation declares, each with the one error body."""
    said = {400: "the body could not be read (not JSON in UTF-8)",
            401: "no valid token (`unauthorized`), or it has expired (`token_expired`)",
            403: "your role may not do this (`forbidden`), or, for an operation that changes something, "
                 "the token may only read (`insufficient_scope`)", 404: "no such case, or not yours to see",
            409: "changed since you read it, or not possible in its state", 413: "the body is too large",
            422: "the request or its inputs are not valid (named in `field`)",
            500: "an unexpected error; `reference` is in the server's log"}
    return {s: {"model": ErrorOut, "description": said[s]} for s in statuses}


PUBLIC_ERRORS = _errors(422, 500)
ERRORS = _errors(401, 403, 404, 422, 500)
WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 413, 422, 500)


class ProposalFields(BaseModel):
    title: str | None = Field(None, max_length=MAX_TITLE)
    purpose: str | None = Field(None, max_length=MAX_TEXT)
    content: str | None = Field(None, max_length=MAX_TEXT)
    field: int | None = Field(None, ge=1, le=12, description="1–12, the city's fields of collaboration")
    proposed_roles: str | None = Field(None, max_length=MAX_TEXT)
    estimated_cost_yen: int | None = Field(None, ge=0, le=MAX_YEN)
    desired_contract_form: str | None = Field(None, max_length=MAX_WORD,
                                              description="entrustment, subsidy or contribution")
    confidential_fields: list[Annotated[str, Field(max_length=MAX_WORD)]] | None = Field(
        None, max_length=10, description="Article 13: content, proposed_roles, estimated_cost_yen")


class RoundChoice(BaseModel):
    """Where a group's proposal applies: a round (募集) accepting applications, and one of its themes."""

    round_id: int | None = Field(None, ge=1, le=MAX_ID, description="a round accepting applications today (募集); "
                                 "a proposal in a round can be submitted only within its window. None: no round")
    theme_id: int | None = Field(None, ge=1, le=MAX_ID, description="one of that round's themes (テーマ提示型)")


class ProposalCreate(ProposalFields, RoundChoice):
    organisation_id: int = Field(..., ge=1, le=MAX_ID)


class ProposalUpdate(ProposalFields, RoundChoice):
    selection_criteria: str | None = Field(None, max_length=MAX_TEXT, description="a call for partners only")
    closing_on: date | None = Field(None, description="a call for partners only")
    version: int = Field(..., ge=0, le=MAX_ID, description="the version you last saw; 409 if it changed since")


class CallCreate(ProposalFields):
    title: str = Field(..., min_length=1, max_length=MAX_TITLE)
    selection_criteria: str = Field(..., max_length=MAX_TEXT,
                                    description="what the call weighs besides the Article 9(2) criteria")
    closing_on: date = Field(..., description="the last day applications are accepted")


class InputOut(BaseModel):
    name: str
    label_ja: str
    label_en: str
    kind: str
    required: bool
    choices: list[str] = []


class TransitionOut(BaseModel):
    trigger: str
    label_ja: str
    label_en: str
    dest: str
    article: str
    confirm: bool = Field(False, description="cannot be undone: ask the person to confirm first")
    inputs: list[InputOut]


class ReasonOut(BaseModel):
    condition: str
    message_ja: str
    message_en: str


class BlockedOut(BaseModel):
    trigger: str
    label_ja: str
    label_en: str
    reasons: list[ReasonOut]


class ApplicationOut(BaseModel):
    id: int
    organisation_id: int
    organisation: str
    summary: str
    proposed_amount_yen: int | None
    withdrawn: bool
    selected: bool
    reviewed_by_you: bool | None = Field(None, description="for a reviewer of the call")
    scores: dict[str, Any] | None = Field(None, description="city staff only: rank, means and every review")


class ProposalOut(BaseModel):
    id: int
    lifecycle: str
    lifecycle_label_ja: str
    lifecycle_label_en: str
    lifecycle_version: int = Field(description="the version of the lifecycle the case runs under")
    lifecycle_amendment_ja: str = Field(description="the amendment or standard that version implements")
    lifecycle_amendment_en: str
    state: str
    state_label_ja: str
    state_label_en: str
    version: int
    revision: int
    organisation_id: int | None
    department_id: int | None
    title: str
    purpose: str
    content: str
    field: int | None
    proposed_roles: str
    estimated_cost_yen: int | None
    desired_contract_form: str | None
    confidential_fields: list[str]
    selection_criteria: str = Field("", description="a call for partners: what the selection weighs")
    closing_on: date | None = Field(None, description="a call for partners: the last day to apply")
    round_id: int | None = Field(None, description="the round (募集) the proposal applies to, if any")
    theme_id: int | None = Field(None, description="the round's theme it applies to, if any")
    submitted_at: datetime | None
    decided_at: datetime | None
    possible_transitions: list[TransitionOut] = Field(description="what you may do now, from the lifecycle")
    blocked_transitions: list[BlockedOut] = Field(
        description="what your role could do here once its conditions hold, and why not yet")
    applications: list[ApplicationOut] | None = Field(
        None, description="a call's applications, as far as you may see them (city staff, its reviewers, "
                          "an applicant its own)")


class TransitionIn(BaseModel):
    trigger: str = Field(..., max_length=MAX_WORD)
    inputs: dict[str, Any] = Field(default_factory=dict, max_length=50,
                                   description="the trigger's inputs by name (see possible_transitions)")
    version: int = Field(..., ge=0, le=MAX_ID, description="the version you last saw")


class OutcomeOut(BaseModel):
    proposal_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    role: str
    facts: dict[str, Any]


class QueueItemOut(BaseModel):
    id: int
    title: str
    lifecycle: str
    state: str
    field: int | None
    department_id: int | None
    due_on: date
    overdue: bool


class QueueOut(BaseModel):
    role: str
    total: int | None = Field(None, description="only with with_total=true: counting a long queue is slow")
    items: list[QueueItemOut]
    next_cursor: str | None


# --- reading a case

def _transition_out(lc, t) -> TransitionOut:
    specs = [(lc.input(n), True) for n in t.inputs] + [(lc.input(n), False) for n in t.optional_inputs]
    return TransitionOut(trigger=t.trigger, label_ja=t.label_ja, label_en=t.label_en, dest=t.dest,
                         article=t.article, confirm=t.confirm,
                         inputs=[InputOut(name=s.name, label_ja=s.label_ja, label_en=s.label_en, kind=s.kind,
                                          required=req, choices=list(s.choices)) for s, req in specs])


def _applications(db: Session, lc: Lifecycle, row, actor: Actor) -> list[ApplicationOut] | None:
    """None for a lifecycle that takes no applications."""
    if not any(ACCEPTING in s.tags for s in lc.states):
        return None
    table = score_table(db, row.id)
    staff = bool(actor.roles & {*CITY_ROLES, "admin"})
    reviewer = "reviewer" in actor.roles
    out = []
    for a in table:
        own = a.organisation_id in actor.organisation_ids
        if not (staff or reviewer or own):
            continue  # who else applied is not an applicant's business
        out.append(ApplicationOut(
            id=a.application_id, organisation_id=a.organisation_id, organisation=a.organisation_name,
            summary=a.summary, proposed_amount_yen=a.proposed_amount_yen, withdrawn=a.withdrawn,
            selected=a.selected,
            reviewed_by_you=any(r.reviewer_id == actor.user_id for r in a.reviews) if reviewer else None,
            scores=a.as_dict() if staff else None))
    return out


def _out(db: Session, pid: int, actor: Actor, request: Request, clock) -> ProposalOut:
    row = visible_case(db, actor, pid)
    lc = lifecycle_of(row)
    p = db.get(Proposal, pid)
    st = lc.state(row.state)
    offers = [o for o in queries.offers(db, lc, row, actor, clock=clock, settings=request.app.state.settings)
              if o.transition.page not in NOT_THROUGH_API]
    result = ProposalOut(
        id=p.id, lifecycle=lc.name, lifecycle_label_ja=lc.label_ja, lifecycle_label_en=lc.label_en,
        lifecycle_version=lc.version, lifecycle_amendment_ja=lc.amendment_ja, lifecycle_amendment_en=lc.amendment_en,
        state=p.state,
        state_label_ja=st.label_ja, state_label_en=st.label_en, version=p.version, revision=p.revision,
        organisation_id=p.organisation_id, department_id=p.department_id, title=p.title, purpose=p.purpose,
        content=p.content, field=p.field, proposed_roles=p.proposed_roles, estimated_cost_yen=p.estimated_cost_yen,
        desired_contract_form=p.desired_contract_form, confidential_fields=list(p.confidential_fields or []),
        selection_criteria=p.selection_criteria or "", closing_on=p.closing_on, round_id=p.round_id,
        theme_id=p.theme_id, submitted_at=p.submitted_at,
        decided_at=p.decided_at,
        possible_transitions=[_transition_out(lc, o.transition) for o in offers if o.ready],
        blocked_transitions=[
            BlockedOut(trigger=o.transition.trigger, label_ja=o.transition.label_ja, label_en=o.transition.label_en,
                       reasons=[ReasonOut(condition=n, message_ja=ja, message_en=en) for n, ja, en in o.unmet])
            for o in offers if not o.ready],
        applications=_applications(db, lc, row, actor))
    db.rollback()
    return result


# --- endpoints

@router.post("/proposals", status_code=201, response_model=ProposalOut, responses=WRITE_ERRORS,
             summary="提案の下書きを作成 / create a draft proposal")
def create_proposal(body: ProposalCreate, request: Request, db: SessionDep, actor: ApiWriter, clock: ClockDep):
    content = body.model_dump(exclude={"organisation_id"}, exclude_none=True)
    pid = proposals.create(db, actor, body.organisation_id, content, clock=clock)
    return _out(db, pid, actor, request, clock)


@router.post("/calls", status_code=201, response_model=ProposalOut, responses=WRITE_ERRORS,
             summary="公募の下書きを作成（所管課）/ create a draft call for partners (department staff)")
def create_call(body: CallCreate, request: Request, db: SessionDep, actor: ApiWriter, clock: ClockDep):
    content = body.model_dump(exclude={"selection_criteria", "closing_on"}, exclude_none=True)
    out = engine.create(db, calls.LIFECYCLE, actor, {"content": content, "selection_criteria": body.selection_criteria,
                                                     "closing_on": body.closing_on},
                        clock=clock, settings=request.app.state.settings)
    return _out(db, out.proposal_id, actor, request, clock)


@router.get("/proposals/{pid}", response_model=ProposalOut, responses=ERRORS,
            summary="案件（提案・公募）を読む / read a case (a proposal or a call)")
def read_proposal(pid: CaseId, request: Request, db: SessionDep, actor: ApiUser, clock: ClockDep):
    return _out(db, pid, actor, request, clock)


@router.patch("/proposals/{pid}", response_model=ProposalOut, responses=WRITE_ERRORS,
              summary="編集できる状態の案件の内容を更新 / update a case's content where it may be edited")
def update_proposal(pid: CaseId, body: ProposalUpdate, request: Request, db: SessionDep, actor: ApiWriter,
                    clock: ClockDep):
    visible_case(db, actor, pid)
    db.rollback()
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    proposals.save_revision(db, actor, pid, changes, expected_version=body.version, clock=clock)
    return _out(db, pid, actor, request, clock)


@router.post("/proposals/{pid}/transitions", response_model=OutcomeOut, responses=WRITE_ERRORS,
             summary="操作を実行 / apply a trigger")
def apply_transition(pid: CaseId, body: TransitionIn, request: Request, db: SessionDep, actor: ApiWriter,
                     clock: ClockDep):
    row = visible_case(db, actor, pid)
    db.rollback()
    lc = lifecycle_of(row)
    t = lc.transition_from(body.trigger, row.state)
    if t is not None and t.page in NOT_THROUGH_API:
        label = lc.trigger_label(body.trigger) or (body.trigger, body.trigger)
        raise NotAllowed(f"「{label[0]}」は API からは行えません。", f"{label[1]} is not done through the API")
    try:
        out = engine.apply(db, pid, body.trigger, actor, body.inputs, expected_version=body.version, clock=clock,
                           settings=request.app.state.settings)
    except KyodoError as exc:
        # A submission after its round closed is kept in the round's trail (the engine rolled it back).
        raise round_entry.refused(db, exc, pid, actor, clock) from None
    return OutcomeOut(proposal_id=out.proposal_id, trigger=out.trigger, from_state=out.from_state,
                      to_state=out.to_state, version=out.version, role=out.role,
                      facts={k: (v.isoformat() if isinstance(v, date) else v) for k, v in out.facts.items()})


@router.get("/queue", response_model=QueueOut, responses=ERRORS,
            summary="対応待ちの一覧（期限順）/ what waits for me, due date first")
def my_queue(db: SessionDep, actor: ApiUser, clock: ClockDep,
             role: Annotated[str | None, Query(max_length=MAX_WORD, description="one of your roles")] = None,
             state: Annotated[str | None, Query(max_length=2 * MAX_WORD,
                                                description="lifecycle:state, or a state name")] = None,
             field: Annotated[str | None, Query(max_length=MAX_WORD, description="1–12")] = None,
             cursor: Annotated[str | None, Query(max_length=MAX_WORD,
                                                 description="next_cursor of the page before")] = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50, with_total: bool = False):
    mine = [r for r in QUEUE_ROLES if r in actor.roles]
    if not mine:
        raise Forbidden("対応待ちの一覧がある役割ではありません。", "your roles have no queue")
    if role and role not in mine:
        ja, en = MESSAGES["unknown_queue_role"]
        raise InvalidInput("role", ja.format(role=role[:40]), en.format(role=role[:40]))
    role = role or mine[0]
    page = queue(db, actor, role, field=parse_field(field), states=parse_state(state, waiting_states(role)),
                 after=Cursor.decode(cursor), limit=limit, count=with_total)
    today = japan_today(clock)
    return QueueOut(role=role, total=page.total, next_cursor=page.next.encode() if page.next else None,
                    items=[QueueItemOut(id=i.id, title=i.title, lifecycle=i.lifecycle, state=i.state, field=i.field,
                                        department_id=i.department_id, due_on=i.due, overdue=i.due < today)
                           for i in page.items])


Page = Annotated[int | None, Query(ge=1, le=MAX_ID, description="the last id of the previous page")]


def _public_page(db, view: str, after: int | None, limit: int, today: date) -> tuple[list[int], int | None]:
    """One page of the cases public in ``view`` on ``today``, and the ``after`` of the next page (None at the end)."""
    ids = public.public_ids(db, view=view, after=after, limit=limit + 1, today=today)
    more = len(ids) > limit
    ids = ids[:limit]
    return ids, ids[-1] if more and ids else None


@router.get("/public/projects", responses=PUBLIC_ERRORS,
            summary="公開されている協働事業（5項目の報告）/ public project reports")
def public_projects(db: SessionDep, clock: ClockDep, after: Page = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100):
    today = japan_today(clock)
    ids, next_after = _public_page(db, public.PROJECT, after, limit, today)
    return {"projects": [r.to_json() for r in public.reports(db, ids, today)], "next_after": next_after}


@router.get("/public/calls", responses=PUBLIC_ERRORS,
            summary="公開されている公募（第9条）/ public calls for partners")
def public_calls(db: SessionDep, clock: ClockDep, after: Page = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100):
    today = japan_today(clock)
    ids, next_after = _public_page(db, public.CALL, after, limit, today)
    return {"calls": [c.to_json() for c in public.calls(db, ids, today)], "next_after": next_after}
