//! Background work of the daemon, started by [`server::start`](crate::server::start) and
//! stopped with it.

pub mod deadline_scanner;
pub mod health_probe;
pub mod linkage_sender;
