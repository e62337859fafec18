"""The JSON API under ``/api/v1``, documented by OpenAPI at ``/openapi.json``.

Authentication is a bearer token (``Authorization: Bearer kyd_…``) made on the account
page; only its SHA-256 is stored. Every change goes through the engine, so the API
answers as the pages do: 409 with the current version when someone changed the case
first, 422 naming the missing inputs, 403 for a role that may not act.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlmodel import Session

from db.models import ApiToken, Proposal
from db.session import begin_write
from states import get_lifecycle
from web.deps import ClockDep, LoginRequired, SessionDep, visible_case
from web.reports import public_ids, reports
from web.security import token_hash
from web.worklists import QUEUE_ROLES, Cursor, queue
from workflow import engine, proposals
from workflow.queries import cases as queries
from workflow.actors import Actor, load_actor

router = APIRouter(prefix="/api/v1", tags=["kyodo"])
LC = get_lifecycle("citizen_proposal")


# --- authentication

def api_actor(request: Request, db: SessionDep, clock: ClockDep,
              authorization: Annotated[str | None, Header()] = None) -> Actor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise LoginRequired()
    digest = token_hash(authorization.split(" ", 1)[1].strip())
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
    stale = token.last_used_at is None or token.last_used_at < now - timedelta(minutes=5)
    db.rollback()
    if stale:  # recorded at most every few minutes: a read should not always cost a write
        begin_write(db)
        db.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.commit()
    return actor


ApiUser = Annotated[Actor, Depends(api_actor)]


# --- models

class ErrorOut(BaseModel):
    error: str
    message_ja: str
    message_en: str
    hint_ja: str = ""
    hint_en: str = ""
    current_version: int | None = None
    missing: list[str] | None = None


ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}}


class ProposalFields(BaseModel):
    title: str | None = Field(None, max_length=200)
    purpose: str | None = None
    content: str | None = None
    field: int | None = Field(None, ge=1, le=12, description="1–12, the city's fields of collaboration")
    proposed_roles: str | None = None
    estimated_cost_yen: int | None = Field(None, ge=0)
    desired_contract_form: str | None = Field(None, description="entrustment, subsidy or contribution")
    confidential_fields: list[str] | None = Field(None, description="Article 13: content, proposed_roles, "
                                                                    "estimated_cost_yen")


class ProposalCreate(ProposalFields):
    organisation_id: int


class ProposalUpdate(ProposalFields):
    version: int = Field(..., description="the version you last saw; 409 if it changed since")


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
    inputs: list[InputOut]


class ProposalOut(BaseModel):
    id: int
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
    submitted_at: datetime | None
    decided_at: datetime | None
    possible_transitions: list[TransitionOut] = Field(description="what you may do now, from the lifecycle")


class TransitionIn(BaseModel):
    trigger: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    version: int = Field(..., description="the version you last saw")


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


def _transitions(db: Session, row, actor: Actor) -> list[TransitionOut]:
    out = []
    for t in queries.possible_triggers(db, LC, row, actor):
        specs = [(LC.input(n), True) for n in t.inputs] + [(LC.input(n), False) for n in t.optional_inputs]
        out.append(TransitionOut(trigger=t.trigger, label_ja=t.label_ja, label_en=t.label_en, dest=t.dest,
                                 article=t.article, inputs=[InputOut(name=s.name, label_ja=s.label_ja,
                                                                     label_en=s.label_en, kind=s.kind,
                                                                     required=req, choices=list(s.choices))
                                                            for s, req in specs]))
    return out


def _out(db: Session, pid: int, actor: Actor) -> ProposalOut:
    row = visible_case(db, actor, pid)
    p = db.get(Proposal, pid)
    st = LC.state(row.state)
    result = ProposalOut(
        id=p.id, state=p.state, state_label_ja=st.label_ja, state_label_en=st.label_en, version=p.version,
        revision=p.revision, organisation_id=p.organisation_id, department_id=p.department_id, title=p.title,
        purpose=p.purpose, content=p.content, field=p.field, proposed_roles=p.proposed_roles,
        estimated_cost_yen=p.estimated_cost_yen, desired_contract_form=p.desired_contract_form,
        confidential_fields=list(p.confidential_fields or []), submitted_at=p.submitted_at,
        decided_at=p.decided_at, possible_transitions=_transitions(db, row, actor))
    db.rollback()
    return result


# --- endpoints

@router.post("/proposals", status_code=201, response_model=ProposalOut, responses=ERRORS,
             summary="提案の下書きを作成 / create a draft proposal")
def create_proposal(body: ProposalCreate, db: SessionDep, actor: ApiUser, clock: ClockDep):
    content = body.model_dump(exclude={"organisation_id"}, exclude_none=True)
    pid = proposals.create(db, actor, body.organisation_id, content, clock=clock)
    return _out(db, pid, actor)


@router.get("/proposals/{pid}", response_model=ProposalOut, responses=ERRORS,
            summary="提案を読む / read a proposal")
def read_proposal(pid: int, db: SessionDep, actor: ApiUser):
    return _out(db, pid, actor)


@router.patch("/proposals/{pid}", response_model=ProposalOut, responses={**ERRORS, 409: {"model": ErrorOut}},
              summary="下書き（または修正依頼中の提案）を更新 / update a draft")
def update_proposal(pid: int, body: ProposalUpdate, db: SessionDep, actor: ApiUser, clock: ClockDep):
    visible_case(db, actor, pid)
    db.rollback()
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    proposals.save_revision(db, actor, pid, changes, expected_version=body.version, clock=clock)
    return _out(db, pid, actor)


@router.post("/proposals/{pid}/transitions", response_model=OutcomeOut,
             responses={**ERRORS, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
             summary="操作を実行 / apply a trigger")
def apply_transition(pid: int, body: TransitionIn, request: Request, db: SessionDep, actor: ApiUser,
                     clock: ClockDep):
    visible_case(db, actor, pid)
    db.rollback()
    out = engine.apply(db, pid, body.trigger, actor, body.inputs, expected_version=body.version, clock=clock,
                       settings=request.app.state.settings)
    return OutcomeOut(proposal_id=out.proposal_id, trigger=out.trigger, from_state=out.from_state,
                      to_state=out.to_state, version=out.version, role=out.role,
                      facts={k: (v.isoformat() if isinstance(v, date) else v) for k, v in out.facts.items()})


@router.get("/queue", response_model=QueueOut, responses=ERRORS,
            summary="対応待ちの一覧（期限順）/ what waits for me, due date first")
def my_queue(db: SessionDep, actor: ApiUser, clock: ClockDep, role: str | None = None,
             cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
             with_total: bool = False):
    mine = [r for r in QUEUE_ROLES if r in actor.roles]
    if not mine:
        return JSONResponse({"error": "forbidden", "message_ja": "対応待ちの一覧がある役割ではありません。",
                             "message_en": "your roles have no queue"}, status_code=403)
    role = role if role in mine else mine[0]
    page = queue(db, actor, role, LC, after=Cursor.decode(cursor), limit=limit, count=with_total)
    from workflow.calendar.clock import japan_today

    today = japan_today(clock)
    return QueueOut(role=role, total=page.total, next_cursor=page.next.encode() if page.next else None,
                    items=[QueueItemOut(id=i.id, title=i.title, state=i.state, field=i.field,
                                        department_id=i.department_id, due_on=i.due, overdue=i.due < today)
                           for i in page.items])


@router.get("/public/projects", summary="公開されている協働事業（5項目の報告）/ public project reports")
def public_projects(db: SessionDep, after: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100):
    ids = public_ids(db, after=after, limit=limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    return {"projects": [r.to_json() for r in reports(db, ids)], "next_after": ids[-1] if more and ids else None}
