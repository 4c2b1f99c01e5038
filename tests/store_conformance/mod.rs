//! The storage contract ([`Store`]) as executable cases, run unchanged against every
//! backend: `tests/store_sqlite.rs` and `tests/store_postgres.rs` each expand
//! [`conformance_tests!`] into one `#[tokio::test]` per case, on a fresh database.
//!
//! Tickets are built through the real domain (`intake::open`, `lifecycle::apply`) with the
//! shipped units catalogue, never assembled by hand, and every instant is passed explicitly
//! (counted from [`t0`]), so the expected values below are computed by hand, not re-derived.

mod audit;
mod calls;
mod create;
mod deadlines;
mod durability;
pub mod fixtures;
mod group_commit;
mod idempotency;
mod import;
mod knowledge;
mod linkage;
mod monthly;
mod overdue;
mod pulls;
mod rates;
mod search;
mod tokens;
mod transition_batch;
mod versions;

pub use audit::*;
pub use calls::*;
pub use create::*;
pub use deadlines::*;
pub use durability::*;
pub use group_commit::*;
pub use idempotency::*;
pub use import::*;
pub use knowledge::*;
pub use linkage::*;
pub use monthly::*;
pub use overdue::*;
pub use pulls::*;
pub use rates::*;
pub use search::*;
pub use tokens::*;
pub use transition_batch::*;
pub use versions::*;

use prelude::*;

/// Everything the cases use, imported once.
mod prelude {
    pub use std::any::Any;
    pub use std::collections::{BTreeSet, HashSet};
    pub use std::future::Future;
    pub use std::sync::atomic::{AtomicU64, Ordering};
    pub use std::sync::{Arc, OnceLock};
    pub use std::time::Duration as StdDuration;

    pub use chrono::{Duration, NaiveDate, TimeZone, Utc};
    pub use hotline::config::built_in_units;
    pub use hotline::domain::deadline::{DeadlineKind, missed_deadline};
    pub use hotline::domain::intake::{self, Opened};
    pub use hotline::domain::lifecycle::{self, Command, Context, Transition};
    pub use hotline::domain::rates::RateCounts;
    pub use hotline::domain::warning::{Alert, WarningLevel};
    pub use hotline::domain::{
        Actor, Channel, Disposition, EmergencyLine, Event, ExclusionReason, ExplainReason, Intake,
        LegalChannel, Policy, PolicyDomain, RequestType, Requester, Satisfaction, State, Ticket,
        TicketId, Timestamp, UnitCatalog, Urgency, Utility,
    };
    pub use hotline::store::{
        ImportedTicket, LinkageStore, NewTicket, Overdue, RateGrouping, RatePeriod, RateQuery,
        RateRow, RecordedAlert, RepeatRequester, Store, StoreError, TicketFilter, TicketVolume,
        UnitDeadlineCounts, UnitIncidents,
    };
}

/// Expands to one `#[tokio::test]` per conformance case. `$run` is the backend file's
/// `async fn run<F, Fut>(case: F)` with `F: FnOnce(Arc<dyn Store>, String) -> Fut`: it
/// gives the case a freshly migrated store and its URL, and cleans up afterwards.
macro_rules! conformance_tests {
    ($run:path) => {
        $crate::store_conformance::conformance_tests!(@store $run;
            create_then_get_round_trips_every_field,
            every_disposition_round_trips,
            transitions_round_trip_every_field,
            create_is_idempotent_on_request_id,
            concurrent_creates_with_one_request_id_make_one_ticket,
            concurrent_creates_with_distinct_request_ids_all_succeed,
            save_transition_checks_the_version_all_or_nothing,
            pull_assigned_leases_pullable_tickets_in_deadline_order,
            concurrent_pulls_never_hand_out_a_ticket_twice,
            released_leases_are_pullable_at_once,
            search_filters_and_keyset_pagination,
            merged_children_lists_duplicates,
            rate_counts_match_a_hand_computed_scenario,
            rates_follow_each_assignment,
            leaving_the_scope_retracts_what_a_ticket_counted,
            list_overdue_names_the_missed_deadline,
            warnings_are_listed_by_level,
            the_scanner_cursor_records_each_warning_once,
            open_tickets_are_counted_per_unit,
            many_concurrent_creates_are_all_stored,
            imports_read_back_as_live_writes,
            many_concurrent_transitions_are_all_stored,
            call_legs_aggregate_idempotently,
            missed_calls_queue_and_clear,
            callback_tasks_follow_the_transitions,
            concurrent_callback_pulls_never_share_a_task,
            knowledge_entries_round_trip_with_their_versions,
            knowledge_saves_check_the_version,
            knowledge_entries_list_by_owner_and_status,
            monthly_reads_count_incidents_volumes_and_repeats_of_the_period,
            tokens_are_stored_listed_and_revoked,
            hand_offs_are_recorded_once_and_settled_by_their_claimer,
            concurrent_hand_off_claims_never_share_one,
            tickets_awaiting_hand_off_are_those_without_one_since_dispatch,
        );
        $crate::store_conformance::conformance_tests!(@url $run;
            reopening_keeps_everything,
            the_scanner_lock_is_held_by_one_store_at_a_time,
            rebuild_equals_incremental,
            the_event_log_cannot_be_rewritten,
            a_bad_row_fails_alone_in_its_batch,
            one_request_id_twice_in_a_batch_makes_one_ticket,
            closing_answers_every_queued_create,
            a_bad_transition_fails_alone_in_its_batch,
            one_batch_writes_a_tickets_transitions_in_turn,
            pulls_queued_together_share_a_transaction_not_tickets,
            stored_columns_follow_every_step,
            a_ticket_saved_before_the_deadline_columns_gets_them_on_its_next_save,
        );
    };
    (@store $run:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $run(|store, _url| $crate::store_conformance::$case(store)).await;
            }
        )+
    };
    (@url $run:path; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                $run(|store, url| $crate::store_conformance::$case(store, url)).await;
            }
        )+
    };
}
pub(crate) use conformance_tests;

// ---------------------------------------------------------------------------------------
// Running a case in isolation
// ---------------------------------------------------------------------------------------

/// A case may not take longer than this (a deadlocked store fails instead of hanging).
pub const CASE_TIMEOUT: StdDuration = StdDuration::from_secs(180);

/// How a case ended. The runner cleans up first, then calls [`Outcome::resume`].
pub enum Outcome {
    Passed,
    Panicked(Box<dyn Any + Send>),
    TimedOut,
}

impl Outcome {
    /// Re-raises the case's panic (or a timeout) on the test's own thread.
    pub fn resume(self) {
        match self {
            Outcome::Passed => {}
            Outcome::Panicked(payload) => std::panic::resume_unwind(payload),
            Outcome::TimedOut => panic!("the case did not finish within {CASE_TIMEOUT:?}"),
        }
    }
}

/// Runs the case on its own task so that a panic is caught, then closes the store.
pub async fn run_isolated(
    store: Arc<dyn Store>,
    case: impl Future<Output = ()> + Send + 'static,
) -> Outcome {
    let task = tokio::spawn(case);
    let abort = task.abort_handle();
    let outcome = match tokio::time::timeout(CASE_TIMEOUT, task).await {
        Ok(Ok(())) => Outcome::Passed,
        Ok(Err(e)) if e.is_panic() => Outcome::Panicked(e.into_panic()),
        Ok(Err(e)) => Outcome::Panicked(Box::new(format!("the case task failed: {e}"))),
        Err(_) => {
            abort.abort();
            Outcome::TimedOut
        }
    };
    if tokio::time::timeout(StdDuration::from_secs(30), store.close())
        .await
        .is_err()
    {
        eprintln!("warning: Store::close did not return within 30 s");
    }
    outcome
}
