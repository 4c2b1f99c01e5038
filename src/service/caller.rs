//! The authenticated caller inside handlers: its [`Principal`] (put on the request by the
//! auth layer, `crate::auth`), the tickets it may see, the actor it may act as, and the
//! requester's contact as it may see it.

use tonic::{Request, Status};

use super::App;
use super::convert;
use crate::domain::access::{self, Principal};
use crate::domain::{self, Ticket, TicketId};
use crate::proto;
use crate::store::StoreError;

/// The caller of a request. Every request that reaches a handler has passed the auth
/// layer, which puts a principal on it; one without is refused, never served anonymously.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("no credentials"))
}

/// The actor of a command as the caller may name it: a unit token acts only for its own
/// unit (an empty `actor.unit` is filled in), then both parts must be present.
pub fn actor(
    principal: &Principal,
    field: &str,
    given: Option<&proto::Actor>,
) -> Result<domain::Actor, Status> {
    let mut given = given.cloned();
    if let Some(actor) = given.as_mut() {
        let raw = domain::Actor {
            unit: std::mem::take(&mut actor.unit),
            person: String::new(),
        };
        actor.unit = access::acting_as(&principal.role, raw)?.unit;
    }
    convert::actor(field, given.as_ref())
}

/// The ticket as the caller may see it: a confidential requester's contact is masked for
/// those who are not to see it.
pub fn shown(principal: &Principal, ticket: &Ticket) -> proto::Ticket {
    let mut shown = convert::ticket(ticket);
    if !access::sees_contact(&principal.role, ticket) {
        let masked = access::masked(&ticket.intake.requester);
        shown.requester = Some(proto::Requester {
            name: masked.name,
            phone: masked.phone,
            id_number: masked.id_number,
            confidential: masked.confidential,
        });
    }
    shown
}

impl App {
    /// The ticket `id` if the caller may see it. A unit is refused another unit's ticket
    /// and a missing one alike (PERMISSION_DENIED, same message); others get NOT_FOUND for
    /// a missing ticket.
    pub async fn visible_ticket(
        &self,
        principal: &Principal,
        id: TicketId,
    ) -> Result<Ticket, Status> {
        let found = match self.current_ticket(id).await {
            Ok(ticket) => Some(ticket),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        access::ticket_scope(&principal.role, id, found.as_ref())?;
        found.ok_or_else(|| StoreError::NotFound(id).into())
    }

    /// The ticket as stored now, remembered: a command at its version that follows (see
    /// [`App::run`]) is decided without reading it again.
    pub async fn current_ticket(&self, id: TicketId) -> Result<Ticket, StoreError> {
        let ticket = self.store.get_ticket(id).await?;
        self.recent.remember(&ticket);
        Ok(ticket)
    }
}
