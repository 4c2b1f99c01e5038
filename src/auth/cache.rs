//! The daemon's copy of the live tokens, by digest, so a call is authenticated without a
//! database round trip. Read again every [`AuthConfig::refresh`](super::AuthConfig), on
//! ReloadRules and SIGHUP, and on an unknown token (at most once a second, so a caller
//! trying random tokens cannot turn each try into a query): a new token works at once,
//! a revoked one is refused within the refresh interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use subtle::ConstantTimeEq as _;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::secret;
use crate::domain::access::Principal;
use crate::store::{Store, StoreResult};

/// Unknown tokens read the table again at most this often.
const MISS_REFRESH_GAP: Duration = Duration::from_secs(1);

type Table = HashMap<[u8; 32], Principal>;

pub struct TokenCache {
    store: Arc<dyn Store>,
    live: ArcSwap<Table>,
    /// When the table was last read for an unknown token; also makes those reads single.
    last_miss_refresh: Mutex<Option<Instant>>,
}

impl TokenCache {
    /// A cache filled from the store once.
    pub async fn load(store: Arc<dyn Store>) -> StoreResult<Arc<TokenCache>> {
        let cache = Arc::new(TokenCache {
            store,
            live: ArcSwap::from_pointee(Table::new()),
            last_miss_refresh: Mutex::new(None),
        });
        cache.refresh().await?;
        Ok(cache)
    }

    /// Reads the live (unrevoked) tokens again; answers how many there are.
    pub async fn refresh(&self) -> StoreResult<usize> {
        let mut table = Table::new();
        for token in self.store.list_tokens().await? {
            if token.revoked_at.is_some() {
                continue;
            }
            match secret::parse_digest(&token.secret_hash) {
                Some(digest) => {
                    table.insert(digest, Principal::token(&token.name, token.role));
                }
                None => {
                    tracing::warn!(token = %token.name, "a stored token digest is malformed; the token is ignored")
                }
            }
        }
        let count = table.len();
        self.live.store(Arc::new(table));
        Ok(count)
    }

    /// The principal of a presented secret, if it is a live token.
    pub async fn authenticate(&self, presented: &str) -> Option<Principal> {
        let digest = secret::digest(presented);
        if let Some(principal) = self.lookup(&digest) {
            return Some(principal);
        }
        // Perhaps made since the last refresh: read the table again, unless that was done
        // a moment ago. Callers that waited here look again at what the reader found.
        {
            let mut last = self.last_miss_refresh.lock().await;
            if last.is_none_or(|at| at.elapsed() >= MISS_REFRESH_GAP) {
                *last = Some(Instant::now());
                if let Err(error) = self.refresh().await {
                    tracing::warn!(%error, "the token table could not be read again");
                }
            }
        }
        self.lookup(&digest)
    }

    /// Found by digest, then compared in constant time, so the comparison's duration
    /// says nothing about how much of a digest matched.
    fn lookup(&self, digest: &[u8; 32]) -> Option<Principal> {
        let table = self.live.load();
        let (stored, principal) = table.get_key_value(digest)?;
        bool::from(stored.ct_eq(digest)).then(|| principal.clone())
    }

    /// How many live tokens the cache holds.
    pub fn len(&self) -> usize {
        self.live.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads the table again every `every` until `stop`. A failed read keeps the tokens
    /// known so far (the database may be restarting).
    pub fn spawn_refresh(
        self: &Arc<Self>,
        every: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                if let Err(error) = cache.refresh().await {
                    tracing::warn!(%error, "the token table could not be read; keeping the tokens known");
                }
            }
        })
    }
}
