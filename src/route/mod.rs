//! Dispatch routing (派单): after the classifier has named a matter's category and topic,
//! pick the handling unit(s) from the dispatch catalogue (`config/routing.toml`).
//!
//! - [`catalogue_file`] parses and validates the catalogue against units and taxonomy;
//! - [`table`] holds it, indexed by topic and category ([`RoutingTable`]);
//! - [`decide`] makes the decision of domain brief §3 ([`RoutingTable::route`]).
//!
//! Pure: no I/O. The caller reads the file and swaps tables on reload.

pub mod catalogue;
pub mod catalogue_file;
pub mod decide;
mod place;
pub mod table;

pub use catalogue::{Assignee, LegacyLine, LineMode, Matter, Rule};
pub use decide::{Route, RouteBasis, RouteInput};
pub use table::RoutingTable;

#[cfg(test)]
mod fixtures;
