//! The `api_tokens` table: who may call the daemon. Only a secret's SHA-256 is stored;
//! revoking keeps the row, so the events a token caused still name a known token.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::sql::{from_millis, millis};
use super::{ApiToken, NewToken, StoreError, StoreResult};
use crate::domain::Timestamp;
use crate::domain::access::Role;

const SELECT_TOKEN: &str =
    "SELECT id, name, role, unit, secret_hash, hint, created_at, revoked_at FROM api_tokens";

fn token_from_row(row: &AnyRow) -> StoreResult<ApiToken> {
    let kind: String = row.try_get("role")?;
    let unit: Option<String> = row.try_get("unit")?;
    let role = Role::from_parts(&kind, unit.as_deref()).ok_or_else(|| {
        StoreError::Corrupt(format!("api token role `{kind}` with unit {unit:?}"))
    })?;
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role,
        secret_hash: row.try_get("secret_hash")?,
        hint: row.try_get("hint")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        revoked_at: revoked_at.map(from_millis).transpose()?,
    })
}

pub(super) async fn create(pool: &AnyPool, token: &NewToken<'_>) -> StoreResult<ApiToken> {
    let inserted = sqlx::query(
        "INSERT INTO api_tokens (name, role, unit, secret_hash, hint, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.name.to_string())
    .bind(token.role.kind().code())
    .bind(token.role.unit().map(String::from))
    .bind(token.secret_hash.to_string())
    .bind(token.hint.to_string())
    .bind(millis(token.created_at))
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            return Err(StoreError::TokenNameTaken(token.name.to_string()));
        }
        Err(e) => return Err(e.into()),
    }
    by_name(pool, token.name)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("token `{}` vanished", token.name)))
}

async fn by_name(pool: &AnyPool, name: &str) -> StoreResult<Option<ApiToken>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_TOKEN} WHERE name = $1"
    )))
    .bind(name.to_string())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(token_from_row).transpose()
}

pub(super) async fn list(pool: &AnyPool) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_TOKEN} ORDER BY id")))
        .fetch_all(pool)
        .await?;
    rows.iter().map(token_from_row).collect()
}

/// Revokes the token named `key`, or else the one whose id `key` is. Revoking twice keeps
/// the first instant.
pub(super) async fn revoke(
    pool: &AnyPool,
    key: &str,
    at: Timestamp,
) -> StoreResult<Option<ApiToken>> {
    let found = match by_name(pool, key).await? {
        Some(token) => Some(token),
        None => match key.parse::<i64>() {
            Ok(id) => {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT_TOKEN} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(token_from_row).transpose()?
            }
            Err(_) => None,
        },
    };
    let Some(token) = found else {
        return Ok(None);
    };
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(millis(at))
        .bind(token.id)
        .execute(pool)
        .await?;
    by_name(pool, &token.name).await
}
