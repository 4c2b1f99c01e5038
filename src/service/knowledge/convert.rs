//! Knowledge entries between protobuf and the domain.

use chrono::NaiveDate;
use tonic::Status;

use crate::knowledge::entry::Staleness;
use crate::knowledge::index::Hit;
use crate::knowledge::{Content, Entry, LiveEntry, Version};
use crate::proto;
use crate::service::convert::{ProtoEnum, timestamp};
use crate::service::invalid;

fn date(field: &str, value: &str) -> Result<Option<NaiveDate>, Status> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| invalid(field, "must be a date YYYY-MM-DD"))
}

fn day(value: Option<NaiveDate>) -> String {
    value.map(|d| d.to_string()).unwrap_or_default()
}

pub fn content(content: Option<&proto::EntryContent>) -> Result<Content, Status> {
    let c = content.ok_or_else(|| invalid("content", "is required"))?;
    Ok(Content {
        question: c.question.clone(),
        answer: c.answer.clone(),
        keywords: c.keywords.clone(),
        category: c.category.clone(),
        topic: c.topic.clone(),
        region: c.region.clone(),
        owner_unit: c.owner_unit.clone(),
        valid_from: date("content.valid_from", &c.valid_from)?,
        valid_until: date("content.valid_until", &c.valid_until)?,
    })
}

pub fn content_to_proto(c: &Content) -> proto::EntryContent {
    proto::EntryContent {
        question: c.question.clone(),
        answer: c.answer.clone(),
        keywords: c.keywords.clone(),
        category: c.category.clone(),
        topic: c.topic.clone(),
        region: c.region.clone(),
        owner_unit: c.owner_unit.clone(),
        valid_from: day(c.valid_from),
        valid_until: day(c.valid_until),
    }
}

pub fn entry(e: &Entry) -> proto::Entry {
    proto::Entry {
        id: e.id,
        version: e.version,
        status: e.status.to_proto(),
        content: Some(content_to_proto(&e.content)),
        published_version: e.published_version.unwrap_or_default(),
        reviewed_at: e.reviewed_at.map(timestamp),
        created_at: Some(timestamp(e.created_at)),
        updated_at: Some(timestamp(e.updated_at)),
        history: Vec::new(),
    }
}

pub fn version(v: &Version) -> proto::EntryVersion {
    proto::EntryVersion {
        version: v.version,
        action: v.action.clone(),
        status: v.status.to_proto(),
        content: Some(content_to_proto(&v.content)),
        actor: Some(proto::Actor {
            unit: v.actor.unit.clone(),
            person: v.actor.person.clone(),
        }),
        at: Some(timestamp(v.at)),
        note: v.note.clone(),
    }
}

pub fn hit_to_proto(hit: &Hit) -> proto::EntryHit {
    let c = &hit.entry.content;
    proto::EntryHit {
        entry_id: hit.entry.id,
        version: hit.entry.version,
        question: c.question.clone(),
        answer: c.answer.clone(),
        score: hit.score,
        snippet: hit.snippet.clone(),
        category: c.category.clone(),
        region: c.region.clone(),
        owner_unit: c.owner_unit.clone(),
    }
}

pub fn stale(e: &LiveEntry, why: Staleness) -> proto::StaleEntry {
    proto::StaleEntry {
        entry_id: e.id,
        version: e.version,
        question: e.content.question.clone(),
        owner_unit: e.content.owner_unit.clone(),
        reason: why.code().to_string(),
        reviewed_at: e.reviewed_at.map(timestamp),
        valid_until: day(e.content.valid_until),
    }
}
