//! Giving leases back early: a daemon that stops frees the leases its pulls granted, so
//! pullers on another replica get those tickets at once instead of after the lease time.

use sqlx::AnyPool;

use super::sql::millis;
use super::{Lease, StoreResult};

/// Matching owner and expiry makes the release exact: a lease cleared by a transition, or
/// granted anew after it expired, is not this one and stays as it is.
const RELEASE: &str = "UPDATE tickets SET lease_owner = NULL, lease_until = NULL \
     WHERE id = $1 AND lease_owner = $2 AND lease_until = $3";

pub async fn release(writer: &AnyPool, leases: &[Lease]) -> StoreResult<u64> {
    if leases.is_empty() {
        return Ok(0);
    }
    let mut tx = writer.begin().await?;
    let mut freed = 0;
    for lease in leases {
        freed += sqlx::query(RELEASE)
            .bind(lease.ticket_id)
            .bind(lease.worker.clone())
            .bind(millis(lease.until))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    Ok(freed)
}
