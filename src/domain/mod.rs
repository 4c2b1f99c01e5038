//! The pure core: ticket data, the life-cycle state machine, deadlines (windows, the
//! working-day calendar, warnings and their configuration file), rates and the unit
//! catalogue. Nothing here performs I/O, awaits, or knows about SQL or protobuf,
//! so every rule is a plain function that unit tests can pin down.

pub mod access;
pub mod assessment;
pub mod calendar;
pub mod calls;
pub mod calls_file;
pub mod command_input;
#[macro_use]
mod vocabulary;

pub mod config_file;
pub mod deadline;
pub mod deadline_file;
pub mod error;
pub mod event;
pub mod intake;
pub mod lifecycle;
pub mod linkage;
pub mod monthly;
pub mod pii;
pub mod policy;
pub mod rates;
pub mod rates_ledger;
pub mod taxonomy;
pub mod ticket;
pub mod unit;
pub mod validate;
pub mod warning;

pub use config_file::ConfigError;
pub use error::DomainError;
pub use event::{Actor, Event};
pub use lifecycle::{Command, Transition};
pub use policy::Policy;
pub use ticket::*;
pub use unit::{Unit, UnitCatalog, UnitKind};
