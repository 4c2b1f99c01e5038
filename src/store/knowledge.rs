//! The knowledge base's tables: an entry row per entry (latest content and status) and an
//! append-only version row per change, written together in one transaction, guarded by
//! the version the caller read.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::sql::{from_millis, millis};
use super::{EntryFilter, StoreError, StoreResult};
use crate::domain::Actor;
use crate::knowledge::{Content, Entry, EntryId, EntryStatus, LiveEntry, Version};

const SELECT_ENTRY: &str = "SELECT id, version, status, published_version, reviewed_at, \
     created_at, updated_at, body FROM knowledge_entries";

fn content(json: &str) -> StoreResult<Content> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("knowledge content: {e}")))
}

fn content_json(content: &Content) -> StoreResult<String> {
    serde_json::to_string(content).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn status(code: &str) -> StoreResult<EntryStatus> {
    code.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown entry status `{code}`")))
}

fn entry_from_row(row: &AnyRow) -> StoreResult<Entry> {
    Ok(Entry {
        id: row.try_get("id")?,
        version: row.try_get("version")?,
        status: status(&row.try_get::<String, _>("status")?)?,
        content: content(&row.try_get::<String, _>("body")?)?,
        published_version: row.try_get("published_version")?,
        reviewed_at: row
            .try_get::<Option<i64>, _>("reviewed_at")?
            .map(from_millis)
            .transpose()?,
        created_at: from_millis(row.try_get("created_at")?)?,
        updated_at: from_millis(row.try_get("updated_at")?)?,
    })
}

async fn insert_version(
    conn: &mut sqlx::AnyConnection,
    id: EntryId,
    version: &Version,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO knowledge_versions (entry_id, version, action, status, actor_unit, \
         actor_person, at, note, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(version.version)
    .bind(version.action.clone())
    .bind(version.status.code())
    .bind(version.actor.unit.clone())
    .bind(version.actor.person.clone())
    .bind(millis(version.at))
    .bind(version.note.clone())
    .bind(content_json(&version.content)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a new entry (its id is assigned here) with its first version.
pub async fn create(pool: &AnyPool, entry: &Entry, version: &Version) -> StoreResult<Entry> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "INSERT INTO knowledge_entries (version, status, owner_unit, category, region, \
         published_version, reviewed_at, created_at, updated_at, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(entry.version)
    .bind(entry.status.code())
    .bind(entry.content.owner_unit.clone())
    .bind(entry.content.category.clone())
    .bind(entry.content.region.clone())
    .bind(entry.published_version)
    .bind(entry.reviewed_at.map(millis))
    .bind(millis(entry.created_at))
    .bind(millis(entry.updated_at))
    .bind(content_json(&entry.content)?)
    .fetch_one(&mut *tx)
    .await?;
    let id: EntryId = row.try_get("id")?;
    insert_version(&mut tx, id, version).await?;
    tx.commit().await?;
    Ok(Entry {
        id,
        ..entry.clone()
    })
}

/// Writes the entry after a change and appends its version, only if the stored version is
/// still `expected`.
pub async fn save(
    pool: &AnyPool,
    expected: i64,
    entry: &Entry,
    version: &Version,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE knowledge_entries SET version = $1, status = $2, category = $3, region = $4, \
         published_version = $5, reviewed_at = $6, updated_at = $7, body = $8 \
         WHERE id = $9 AND version = $10",
    )
    .bind(entry.version)
    .bind(entry.status.code())
    .bind(entry.content.category.clone())
    .bind(entry.content.region.clone())
    .bind(entry.published_version)
    .bind(entry.reviewed_at.map(millis))
    .bind(millis(entry.updated_at))
    .bind(content_json(&entry.content)?)
    .bind(entry.id)
    .bind(expected)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        tx.rollback().await?;
        let current = sqlx::query("SELECT version FROM knowledge_entries WHERE id = $1")
            .bind(entry.id)
            .fetch_optional(pool)
            .await?;
        return Err(match current {
            None => StoreError::EntryNotFound(entry.id),
            Some(row) => StoreError::EntryVersionConflict {
                id: entry.id,
                expected,
                current: row.try_get("version")?,
            },
        });
    }
    insert_version(&mut tx, entry.id, version).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(pool: &AnyPool, id: EntryId) -> StoreResult<Entry> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_ENTRY} WHERE id = $1")))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::EntryNotFound(id))?;
    entry_from_row(&row)
}

pub async fn history(pool: &AnyPool, id: EntryId) -> StoreResult<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT entry_id, version, action, status, actor_unit, actor_person, at, note, content \
         FROM knowledge_versions WHERE entry_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Version {
                entry_id: row.try_get("entry_id")?,
                version: row.try_get("version")?,
                action: row.try_get("action")?,
                status: status(&row.try_get::<String, _>("status")?)?,
                content: content(&row.try_get::<String, _>("content")?)?,
                actor: Actor {
                    unit: row.try_get("actor_unit")?,
                    person: row.try_get("actor_person")?,
                },
                at: from_millis(row.try_get("at")?)?,
                note: row.try_get("note")?,
            })
        })
        .collect()
}

const SELECT_LIVE: &str = "SELECT e.id, e.published_version, e.reviewed_at, v.content \
     FROM knowledge_entries e JOIN knowledge_versions v \
     ON v.entry_id = e.id AND v.version = e.published_version \
     WHERE e.published_version IS NOT NULL";

fn live_from_row(row: &AnyRow) -> StoreResult<LiveEntry> {
    Ok(LiveEntry {
        id: row.try_get("id")?,
        version: row.try_get("published_version")?,
        content: content(&row.try_get::<String, _>("content")?)?,
        reviewed_at: row
            .try_get::<Option<i64>, _>("reviewed_at")?
            .map(from_millis)
            .transpose()?,
    })
}

/// Every published entry with its published content, by id.
pub async fn live(pool: &AnyPool) -> StoreResult<Vec<LiveEntry>> {
    let rows = sqlx::query(AssertSqlSafe(format!("{SELECT_LIVE} ORDER BY e.id")))
        .fetch_all(pool)
        .await?;
    rows.iter().map(live_from_row).collect()
}

/// One entry's published content, `None` if it has none (draft, or retired).
pub async fn live_one(pool: &AnyPool, id: EntryId) -> StoreResult<Option<LiveEntry>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_LIVE} AND e.id = $1")))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(live_from_row).transpose()
}

pub async fn list(pool: &AnyPool, filter: &EntryFilter) -> StoreResult<Vec<Entry>> {
    let mut c = super::conditions::Conditions::default();
    c.and_some("owner_unit =", filter.owner_unit.as_deref())
        .and_in("status", filter.statuses.iter().map(|s| s.code()))
        .and_some("id >", filter.after_id);
    let limit = c.param(i64::from(filter.limit));
    let sql = format!(
        "{SELECT_ENTRY} WHERE 1 = 1{} ORDER BY id LIMIT {limit}",
        c.sql()
    );
    let rows = c.query(sql).fetch_all(pool).await?;
    rows.iter().map(entry_from_row).collect()
}

/// A number that grows with every change to any entry (the sum of their versions), so a
/// replica can tell cheaply whether its search index is behind.
pub async fn stamp(pool: &AnyPool) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS stamp FROM knowledge_entries",
    )
    .fetch_one(pool)
    .await?;
    Ok(row.try_get("stamp")?)
}
