//! KnowledgeService: units maintain their entries, the centre approves them, agents
//! search them. The database is the record; each replica keeps a search index of the
//! published entries in RAM ([`KnowledgeState`]), rebuilt after a publish or retire here
//! and by the refresher whenever the store's stamp shows a change made elsewhere.

mod convert;
mod refresh;
mod state;

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::ProtoEnum;
use super::{App, invalid};
use crate::domain::access::Principal;
use crate::domain::validate;
use crate::knowledge::entry::local_day;
use crate::knowledge::index::SearchQuery;
use crate::knowledge::lifecycle::{self, KbCommand};
use crate::knowledge::{Entry, EntryStatus};
use crate::proto::{self, knowledge_service_server::KnowledgeService};
use crate::store::EntryFilter;

pub use convert::hit_to_proto;
pub use refresh::{DEFAULT_INTERVAL as DEFAULT_REFRESH_INTERVAL, spawn as spawn_refresher};
pub use state::{DEFAULT_REVIEW_EVERY_DAYS, KnowledgeState};

pub struct KnowledgeApi(pub Arc<App>);

const DEFAULT_SEARCH_LIMIT: u32 = 5;
const MAX_SEARCH_LIMIT: u32 = 50;
/// ListEntries pages.
const PAGES: super::paging::PageLimits = super::paging::PageLimits {
    default: 100,
    max: 500,
};
const MAX_QUERY_CHARS: usize = 500;

impl App {
    /// Applies a knowledge command to the stored entry (checking the caller's version)
    /// and persists it; rebuilds this replica's index when what answers callers changed.
    async fn change_entry(
        &self,
        entry_id: i64,
        expected_version: i64,
        principal: &Principal,
        actor: &proto::Actor,
        command: KbCommand,
    ) -> Result<Entry, Status> {
        // A unit token acts only for its own unit, so it edits only its own entries.
        let actor = super::caller::actor(principal, "actor", Some(actor))?;
        if entry_id <= 0 {
            return Err(invalid("entry_id", "must be an entry id"));
        }
        if expected_version <= 0 {
            return Err(invalid(
                "expected_version",
                "is required: send the version you last read",
            ));
        }
        let before = self.store.get_entry(entry_id).await?;
        if before.version != expected_version {
            return Err(crate::store::StoreError::EntryVersionConflict {
                id: entry_id,
                expected: expected_version,
                current: before.version,
            }
            .into());
        }
        let rules = self.rules.load();
        let name = command.name();
        let change = lifecycle::apply(Some(&before), command, &actor, &rules.units, super::now())?;
        self.store
            .save_entry(before.version, &change.entry, &change.version)
            .await?;
        tracing::info!(entry = entry_id, command = name, status = %change.entry.status, unit = %actor.unit, "knowledge entry changed");
        if change.entry.published_version != before.published_version {
            self.knowledge.rebuild(self.store.as_ref()).await;
        }
        Ok(change.entry)
    }
}

fn entry_response(entry: &Entry) -> Response<proto::EntryResponse> {
    Response::new(proto::EntryResponse {
        entry: Some(convert::entry(entry)),
    })
}

fn command_parts(request: &proto::EntryCommand) -> Result<(&proto::Actor, String), Status> {
    let actor = request
        .actor
        .as_ref()
        .ok_or_else(|| invalid("actor", "is required"))?;
    Ok((actor, request.note.clone()))
}

#[tonic::async_trait]
impl KnowledgeService for KnowledgeApi {
    async fn create_entry(
        &self,
        request: Request<proto::CreateEntryRequest>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        let app = &self.0;
        let actor = super::caller::actor(&principal, "actor", request.actor.as_ref())?;
        let content = convert::content(request.content.as_ref())?;
        let rules = app.rules.load();
        let change = lifecycle::apply(
            None,
            KbCommand::Create { content },
            &actor,
            &rules.units,
            super::now(),
        )?;
        let entry = app
            .store
            .create_entry(&change.entry, &change.version)
            .await?;
        tracing::info!(entry = entry.id, unit = %actor.unit, "knowledge entry created");
        Ok(entry_response(&entry))
    }

    async fn update_entry(
        &self,
        request: Request<proto::UpdateEntryRequest>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        let content = convert::content(request.content.as_ref())?;
        let actor = request
            .actor
            .as_ref()
            .ok_or_else(|| invalid("actor", "is required"))?;
        let command = KbCommand::Update {
            content,
            note: request.note.clone(),
        };
        let entry = self
            .0
            .change_entry(
                request.entry_id,
                request.expected_version,
                &principal,
                actor,
                command,
            )
            .await?;
        Ok(entry_response(&entry))
    }

    async fn submit_entry(
        &self,
        request: Request<proto::EntryCommand>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        self.command(request, |note| KbCommand::Submit { note })
            .await
    }

    async fn approve_entry(
        &self,
        request: Request<proto::EntryCommand>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        self.command(request, |note| KbCommand::Approve { note })
            .await
    }

    async fn reject_entry(
        &self,
        request: Request<proto::EntryCommand>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        self.command(request, |note| KbCommand::Reject { note })
            .await
    }

    async fn retire_entry(
        &self,
        request: Request<proto::EntryCommand>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        self.command(request, |note| KbCommand::Retire { note })
            .await
    }

    async fn confirm_entry(
        &self,
        request: Request<proto::EntryCommand>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        self.command(request, |note| KbCommand::Confirm { note })
            .await
    }

    async fn get_entry(
        &self,
        request: Request<proto::GetEntryRequest>,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        let request = request.into_inner();
        if request.entry_id <= 0 {
            return Err(invalid("entry_id", "must be an entry id"));
        }
        let store = &self.0.store;
        let entry = store.get_entry(request.entry_id).await?;
        let mut reply = convert::entry(&entry);
        if request.include_history {
            reply.history = store
                .entry_history(entry.id)
                .await?
                .iter()
                .map(convert::version)
                .collect();
        }
        Ok(Response::new(proto::EntryResponse { entry: Some(reply) }))
    }

    async fn list_entries(
        &self,
        request: Request<proto::ListEntriesRequest>,
    ) -> Result<Response<proto::ListEntriesResponse>, Status> {
        let request = request.into_inner();
        let super::paging::Page {
            size: limit,
            after_id,
        } = PAGES.page(request.page_size, &request.page_token)?;
        validate::label("owner_unit", &request.owner_unit, false)?;
        validate::list_len("statuses", request.statuses.len(), 4)?;
        let statuses = request
            .statuses
            .iter()
            .map(|s| EntryStatus::from_proto("statuses", *s))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = EntryFilter {
            owner_unit: (!request.owner_unit.is_empty()).then(|| request.owner_unit.clone()),
            statuses,
            after_id,
            limit: limit + 1,
        };
        let mut entries = self.0.store.list_entries(&filter).await?;
        let next_page_token = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.id.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(proto::ListEntriesResponse {
            entries: entries.iter().map(convert::entry).collect(),
            next_page_token,
        }))
    }

    async fn search_entries(
        &self,
        request: Request<proto::SearchEntriesRequest>,
    ) -> Result<Response<proto::SearchEntriesResponse>, Status> {
        let request = request.into_inner();
        validate::text("query", &request.query, MAX_QUERY_CHARS, true)?;
        let limit = match request.limit {
            0 => DEFAULT_SEARCH_LIMIT,
            n if n <= MAX_SEARCH_LIMIT => n,
            n => {
                return Err(invalid(
                    "limit",
                    format!("{n} is over the limit of {MAX_SEARCH_LIMIT}"),
                ));
            }
        };
        let rules = self.0.rules.load();
        validate::region("region", request.region.trim(), &rules.units)?;
        validate::category_and_topic(request.category.trim(), "")?;
        let hits = self.0.knowledge.search(
            &SearchQuery {
                text: &request.query,
                region: request.region.trim(),
                category: request.category.trim(),
                limit: limit as usize,
            },
            local_day(super::now()),
            &rules.units,
        )?;
        Ok(Response::new(proto::SearchEntriesResponse {
            hits: hits.iter().map(hit_to_proto).collect(),
        }))
    }

    async fn list_stale(
        &self,
        request: Request<proto::ListStaleRequest>,
    ) -> Result<Response<proto::ListStaleResponse>, Status> {
        let request = request.into_inner();
        validate::label("owner_unit", &request.owner_unit, false)?;
        let days = self.0.knowledge.review_every_days();
        let now = super::now();
        let entries = self
            .0
            .store
            .live_entries()
            .await?
            .into_iter()
            .filter(|e| request.owner_unit.is_empty() || e.content.owner_unit == request.owner_unit)
            .filter_map(|e| e.staleness(now, days).map(|why| convert::stale(&e, why)))
            .collect();
        Ok(Response::new(proto::ListStaleResponse {
            entries,
            review_every_days: days,
        }))
    }
}

impl KnowledgeApi {
    async fn command(
        &self,
        request: Request<proto::EntryCommand>,
        command: impl FnOnce(String) -> KbCommand,
    ) -> Result<Response<proto::EntryResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        let (actor, note) = command_parts(&request)?;
        let entry = self
            .0
            .change_entry(
                request.entry_id,
                request.expected_version,
                &principal,
                actor,
                command(note),
            )
            .await?;
        Ok(entry_response(&entry))
    }
}
