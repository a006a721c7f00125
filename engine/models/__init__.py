"""SQLAlchemy models; importing this package registers every table on Base.metadata."""
from engine.models.audit import AuditEvent
from engine.models.base import Base
from engine.models.cases import Case, CaseNumber, IPRight, IPType, NumberCounter, Party, PartyKind, PartyRole
from engine.models.org import Role, Unit, User, UserRole
from engine.models.workflow import HumanTask, WorkflowDefinition, WorkflowInstance

__all__ = [
    "AuditEvent", "Base", "Case", "CaseNumber", "HumanTask", "IPRight", "IPType", "NumberCounter",
    "Party", "PartyKind", "PartyRole", "Role", "Unit", "User", "UserRole", "WorkflowDefinition",
    "WorkflowInstance",
]
from engine.models.mediation import (  # noqa: E402
    Mediation, MediationAssignment, MediatorAbsence, MediatorProfile, MediatorRelationship, RecusalRequest,
)

__all__ += [
    "Mediation", "MediationAssignment", "MediatorAbsence", "MediatorProfile", "MediatorRelationship",
    "RecusalRequest",
]
from engine.models.transfers import EvidenceFile, TransferPackage  # noqa: E402

__all__ += ["EvidenceFile", "TransferPackage"]
from engine.models.clocks import CaseClock, ClockEvent, ClockExtension, ClockPause, Holiday  # noqa: E402
from engine.models.supervision import (  # noqa: E402
    JobRun, Notification, SchedulerLease, SupervisionOrder, SupervisionReply,
)

__all__ += [
    "CaseClock", "ClockEvent", "ClockExtension", "ClockPause", "Holiday", "JobRun", "Notification",
    "SchedulerLease", "SupervisionOrder", "SupervisionReply",
]
from engine.models.logins import LoginAttempt  # noqa: E402

__all__ += ["LoginAttempt"]
