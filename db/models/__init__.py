"""Kyodo's tables. Importing this package registers all of them on ``SQLModel.metadata``."""

from db.models.attachments import Attachment  # noqa: F401
from db.models.audit import AuditEvent, DirectoryEvent  # noqa: F401
from db.models.calls import ApplicationReview, CallApplication  # noqa: F401
from db.models.conflicts import ConflictDeclaration  # noqa: F401
from db.models.contracts import Contract, ContractAmendment, ContractPartner, OwnProject  # noqa: F401
from db.models.deadlines import Deadline  # noqa: F401
from db.models.decisions import Decision, DocumentSerial  # noqa: F401
from db.models.evaluations import Evaluation, EvaluationPeriod  # noqa: F401
from db.models.notices import Notice  # noqa: F401
from db.models.people import Department, Membership, Organisation, User, UserRole  # noqa: F401
from db.models.proposals import CaseNote, Proposal, ProposalRevision  # noqa: F401
from db.models.registry import RegistryProject  # noqa: F401
from db.models.reviews import Review, ReviewAssignment  # noqa: F401
from db.models.rounds import (  # noqa: F401
    Consultation,
    PanelMember,
    PanelScore,
    PresentationSlot,
    ProposalRound,
    RoundCriterion,
    RoundTheme,
)
from db.models.security import AccountToken, ApiToken, LoginAttempt, UserSession  # noqa: F401
