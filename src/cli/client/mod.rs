//! The client commands: talk gRPC to a running `hotline serve`, so a ticket can be walked
//! through the whole loop from the shell. One file per command group; shared pieces:
//! [`args`] (flags), [`connection`] (daemon and errors), [`transition`] (state commands),
//! [`output`], [`json`], [`vocabulary`], [`ticket_view`], [`mask`] and [`beijing`].

mod args;
mod assignments;
pub(in crate::cli) mod beijing;
mod callback;
mod calls;
mod centre;
pub(in crate::cli) mod connection;
mod health;
mod json;
mod kb;
mod linkage;
mod mask;
mod monthly;
pub(in crate::cli) mod output;
mod report;
mod ticket;
mod ticket_create;
mod ticket_view;
mod transition;
mod unit;
mod vocabulary;

pub use callback::CallbackCommand;
pub use calls::CallsCommand;
pub use centre::CentreCommand;
pub use health::HealthCommand;
pub use kb::KbCommand;
pub use linkage::LinkageCommand;
pub use report::ReportCommand;
pub use ticket::TicketCommand;
pub use unit::UnitCommand;

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        crate::cli::Cli::command().debug_assert();
    }

    #[test]
    fn outcome_flags_exclude_each_other() {
        use clap::Parser;
        let parsed = crate::cli::Cli::try_parse_from([
            "hotline",
            "ticket",
            "create",
            "--type",
            "complaint",
            "--domain",
            "public_services",
            "--description",
            "路灯不亮",
            "--queue",
            "--answer",
            "x",
        ]);
        assert!(parsed.is_err());
    }
}
