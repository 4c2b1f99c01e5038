//! Who may do what: the roles API tokens carry, which RPC each role may call, which tickets
//! a unit may see and act on, and who sees a confidential requester's contact. Pure
//! decisions; the gRPC edge (`crate::auth`, the handlers) asks and enforces.

use std::fmt;

use super::error::DomainError;
use super::event::Actor;
use super::pii::{mask_middle, mask_phone};
use super::ticket::{Requester, Ticket, TicketId, UnitId};

/// What a token lets its holder be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Call-centre agents: intake (受理), merges, emergency transfers and callbacks (回访).
    Agent,
    /// A handling unit's back office: only tickets on its own desk (lead or co-handling).
    Unit(UnitId),
    /// The 12345 centre: dispatch review, supervision, rules, reports.
    Centre,
    /// Everything, diagnostics included.
    Admin,
}

/// The kinds of role, without a role's unit: what the matrix is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleKind {
    Agent,
    Unit,
    Centre,
    Admin,
}

impl RoleKind {
    pub fn code(self) -> &'static str {
        match self {
            RoleKind::Agent => "agent",
            RoleKind::Unit => "unit",
            RoleKind::Centre => "centre",
            RoleKind::Admin => "admin",
        }
    }
}

impl Role {
    /// `agent`, `unit:<id>`, `centre` or `admin`. The unit id is only checked for shape
    /// here; the caller checks it against the unit catalogue.
    pub fn parse(text: &str) -> Result<Role, DomainError> {
        let field = "role";
        match text {
            "agent" => Ok(Role::Agent),
            "centre" | "center" => Ok(Role::Centre),
            "admin" => Ok(Role::Admin),
            other => match other.strip_prefix("unit:") {
                Some(unit) if !unit.trim().is_empty() && unit.trim() == unit => {
                    Ok(Role::Unit(unit.to_string()))
                }
                Some(_) => Err(DomainError::invalid(field, "`unit:` must name a unit id")),
                None => Err(DomainError::invalid(
                    field,
                    "must be agent, unit:<unit id>, centre or admin",
                )),
            },
        }
    }

    /// From the stored pair (role kind, unit).
    pub fn from_parts(kind: &str, unit: Option<&str>) -> Option<Role> {
        match (kind, unit) {
            ("agent", None) => Some(Role::Agent),
            ("centre", None) => Some(Role::Centre),
            ("admin", None) => Some(Role::Admin),
            ("unit", Some(unit)) if !unit.is_empty() => Some(Role::Unit(unit.to_string())),
            _ => None,
        }
    }

    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Agent => RoleKind::Agent,
            Role::Unit(_) => RoleKind::Unit,
            Role::Centre => RoleKind::Centre,
            Role::Admin => RoleKind::Admin,
        }
    }

    pub fn unit(&self) -> Option<&str> {
        match self {
            Role::Unit(unit) => Some(unit),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Unit(unit) => write!(f, "unit:{unit}"),
            other => f.write_str(other.kind().code()),
        }
    }
}

/// An authenticated caller: the name recorded on the events it causes (`token:desk-1`)
/// and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// The principal of a token, named after it.
    pub fn token(name: &str, role: Role) -> Principal {
        Principal {
            name: format!("token:{name}"),
            role,
        }
    }

    /// Every caller of a daemon started with `--auth none`: an admin nobody vouched for.
    pub fn unauthenticated() -> Principal {
        Principal {
            name: "auth:none".into(),
            role: Role::Admin,
        }
    }
}

use RoleKind::{Admin as D, Agent as A, Centre as C, Unit as U};

/// Which role kinds may call each RPC, by service and method. A unit's calls are further
/// held to its own tickets and its own unit (see [`ticket_scope`], [`unit_scope`],
/// [`acting_as`]).
pub const MATRIX: &[(&str, &str, &[RoleKind])] = &[
    ("IntakeService", "CreateTicket", &[A, D]),
    ("IntakeService", "PreviewClassification", &[A, C, D]),
    ("IntakeService", "GetTicket", &[A, U, C, D]),
    ("IntakeService", "SearchTickets", &[A, U, C, D]),
    ("IntakeService", "MergeDuplicate", &[A, D]),
    ("IntakeService", "TransferEmergency", &[A, D]),
    ("DispatchService", "PullAssigned", &[U, D]),
    ("DispatchService", "WatchAssigned", &[U, D]),
    ("DispatchService", "Sign", &[U, D]),
    ("DispatchService", "Return", &[U, D]),
    ("DispatchService", "Respond", &[U, D]),
    ("DispatchService", "Handle", &[U, D]),
    ("DispatchService", "RequestExtension", &[U, D]),
    ("DispatchService", "Escalate", &[U, D]),
    ("DispatchService", "Reply", &[U, D]),
    // The centre writes notes on tickets too (the domain lets it).
    ("DispatchService", "AddNote", &[U, C, D]),
    ("CenterService", "Dispatch", &[C, D]),
    ("CenterService", "ReviewReturn", &[C, D]),
    ("CenterService", "ReviewReply", &[C, D]),
    ("CenterService", "ReviewExtension", &[C, D]),
    ("CenterService", "Supervise", &[C, D]),
    ("CenterService", "ChaseUp", &[C, D]),
    ("CenterService", "Archive", &[C, D]),
    ("CenterService", "ExcludeFromRates", &[C, D]),
    // The centre owns the rule files (units, classification, catalogue, time limits).
    ("CenterService", "ReloadRules", &[C, D]),
    ("FeedbackService", "RecordCallback", &[A, C, D]),
    ("ReportService", "GetRates", &[U, C, D]),
    ("ReportService", "ListOverdue", &[U, C, D]),
    ("ReportService", "GetSupervisionSummary", &[U, C, D]),
    // The centre ranks units against each other; units see their own rates above.
    ("ReportService", "GetAssessment", &[C, D]),
    // Units write and maintain their own entries (the service holds them to the owner);
    // the centre approves. Everyone who answers callers reads.
    ("KnowledgeService", "CreateEntry", &[U, C, D]),
    ("KnowledgeService", "UpdateEntry", &[U, C, D]),
    ("KnowledgeService", "SubmitEntry", &[U, C, D]),
    ("KnowledgeService", "ApproveEntry", &[C, D]),
    ("KnowledgeService", "RejectEntry", &[C, D]),
    ("KnowledgeService", "RetireEntry", &[U, C, D]),
    ("KnowledgeService", "ConfirmEntry", &[U, C, D]),
    ("KnowledgeService", "GetEntry", &[A, U, C, D]),
    ("KnowledgeService", "ListEntries", &[A, U, C, D]),
    ("KnowledgeService", "SearchEntries", &[A, U, C, D]),
    ("KnowledgeService", "ListStale", &[U, C, D]),
    // Agent consoles report their call legs and work the missed-call queue.
    ("CallService", "ReportCallLegs", &[A, D]),
    ("CallService", "GetCallStats", &[C, D]),
    ("CallService", "ListMissedCalls", &[A, C, D]),
    ("CallService", "RecordMissedCallback", &[A, C, D]),
    // Callback channel adapters (phone desk, SMS gateway, voice survey) run as agents or
    // as the centre.
    ("CallbackService", "PullCallbackTasks", &[A, C, D]),
    ("CallbackService", "ReportCallbackAttempt", &[A, C, D]),
    ("CallbackService", "ListCallbackTasks", &[A, C, D]),
    // Partner centres hand tickets over and ask about them with a centre token of ours.
    ("LinkageService", "AcceptHandOff", &[C, D]),
    ("LinkageService", "GetHandOffProgress", &[C, D]),
    ("LinkageService", "ListHandOffs", &[C, D]),
    ("DiagnosticsService", "Echo", &[D]),
];

/// The package of the API's services in request paths.
const PACKAGE: &str = "hotline.v1";

/// What the matrix says about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDecision {
    Allowed,
    Denied,
    /// Not an RPC of the hotline API (health, reflection, or nothing at all).
    NotInApi,
}

/// Whether `role` may call the RPC at `path` (`/hotline.v1.IntakeService/CreateTicket`).
pub fn may_call(role: &Role, path: &str) -> CallDecision {
    let Some((service, method)) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .and_then(|(s, m)| Some((s.strip_prefix(PACKAGE)?.strip_prefix('.')?, m)))
    else {
        return CallDecision::NotInApi;
    };
    match MATRIX
        .iter()
        .find(|(s, m, _)| *s == service && *m == method)
    {
        Some((_, _, kinds)) if kinds.contains(&role.kind()) => CallDecision::Allowed,
        Some(_) => CallDecision::Denied,
        None => CallDecision::NotInApi,
    }
}

/// Why a unit may not touch a ticket. The same words whether the ticket exists or not, so
/// a unit cannot probe for other units' tickets.
fn not_on_desk(id: TicketId, unit: &str) -> DomainError {
    DomainError::NotPermitted(format!("ticket {id} is not on the desk of unit `{unit}`"))
}

/// Whether `role` may read or act on the ticket `id`, given what the store found
/// (`None`: no such ticket). A unit sees only tickets it leads or co-handles; for it a
/// missing ticket is refused exactly like another unit's. Other roles see every ticket;
/// for them a missing one is `Ok(None)` (the caller answers NOT_FOUND).
pub fn ticket_scope<'t>(
    role: &Role,
    id: TicketId,
    found: Option<&'t Ticket>,
) -> Result<Option<&'t Ticket>, DomainError> {
    match (role, found) {
        (Role::Unit(unit), Some(ticket)) if ticket.involves_unit(unit) => Ok(Some(ticket)),
        (Role::Unit(unit), _) => Err(not_on_desk(id, unit)),
        (_, found) => Ok(found),
    }
}

/// The unit a unit-filtered call (pulls, watches, reports) is about: a unit token is held
/// to its own unit (an empty `requested` means it); other roles get what they asked
/// (`None` for empty: all units).
pub fn unit_scope(
    role: &Role,
    field: &str,
    requested: &str,
) -> Result<Option<String>, DomainError> {
    match role {
        Role::Unit(own) if requested.is_empty() || requested == own => Ok(Some(own.clone())),
        Role::Unit(own) => Err(DomainError::NotPermitted(format!(
            "{field}: a token of unit `{own}` may only ask about its own unit"
        ))),
        _ if requested.is_empty() => Ok(None),
        _ => Ok(Some(requested.to_string())),
    }
}

/// The actor a command is recorded under. A unit token acts only for its own unit (an
/// empty `actor.unit` is filled in); other roles name the unit they act for, and the
/// life-cycle's authority rules decide whether that unit may issue the command.
pub fn acting_as(role: &Role, mut actor: Actor) -> Result<Actor, DomainError> {
    if let Role::Unit(own) = role {
        if actor.unit.is_empty() {
            actor.unit = own.clone();
        } else if actor.unit != *own {
            return Err(DomainError::NotPermitted(format!(
                "actor.unit: a token of unit `{own}` may only act for its own unit"
            )));
        }
    }
    Ok(actor)
}

/// Whether `role` sees the requester's contact (name, phone, ID number) on this ticket:
/// everyone unless the requester asked for confidentiality (保密); then only the centre,
/// admins and the units handling it.
pub fn sees_contact(role: &Role, ticket: &Ticket) -> bool {
    if !ticket.intake.requester.confidential {
        return true;
    }
    match role {
        Role::Centre | Role::Admin => true,
        Role::Unit(unit) => ticket.involves_unit(unit),
        Role::Agent => false,
    }
}

/// The requester with name, phone and ID number masked: the name keeps its first
/// character, phone and ID number their first three and last two.
pub fn masked(requester: &Requester) -> Requester {
    Requester {
        name: mask_middle(&requester.name, 1, 0),
        phone: mask_phone(&requester.phone),
        id_number: mask_middle(&requester.id_number, 3, 2),
        confidential: requester.confidential,
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
