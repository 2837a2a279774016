//! Single-use identifiers: SAML assertion IDs and OIDC nonces are accepted
//! once, until they expire.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use time::OffsetDateTime;

/// A boxed future, so that caches can be used as `dyn ReplayCache`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an identifier was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The identifier was seen before and has not expired: a replay.
    #[error("{id:?} was already used: a replayed login is refused")]
    Replayed {
        /// The identifier.
        id: String,
    },
    /// The cache could not be consulted; fail closed.
    #[error("the replay cache is unavailable, so the login is refused: {0}")]
    Unavailable(String),
}

/// A store of identifiers already used, each kept until it expires.
///
/// `use_once` must be atomic: of two concurrent calls with the same id, one
/// succeeds and the other gets [`ReplayError::Replayed`].
pub trait ReplayCache: Send + Sync {
    /// Records `id` as used until `expires_at`, or fails if it is already
    /// recorded and not yet expired at `now`.
    fn use_once<'a>(
        &'a self,
        id: &'a str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), ReplayError>>;
}

/// An in-memory [`ReplayCache`] for a single instance. Expired entries are
/// purged as new ones arrive, so memory stays bounded by the live entries.
#[derive(Debug, Default)]
pub struct InMemoryReplayCache {
    entries: Mutex<HashMap<String, OffsetDateTime>>,
}

impl InMemoryReplayCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many identifiers are held (expired ones may linger until the next purge).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// True when no identifier is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn use_now(&self, id: &str, expires_at: OffsetDateTime, now: OffsetDateTime) -> Result<(), ReplayError> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| ReplayError::Unavailable("the in-memory cache lock is poisoned".into()))?;
        if entries.get(id).is_some_and(|&until| until > now) {
            return Err(ReplayError::Replayed { id: id.to_owned() });
        }
        // Purge when the map has doubled since the last purge, so the cost is amortised.
        if entries.len() >= 1024 && entries.len().is_power_of_two() {
            entries.retain(|_, until| *until > now);
        }
        entries.insert(id.to_owned(), expires_at);
        Ok(())
    }
}

impl ReplayCache for InMemoryReplayCache {
    fn use_once<'a>(
        &'a self,
        id: &'a str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        Box::pin(async move { self.use_now(id, expires_at, now) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

    #[tokio::test]
    async fn an_id_is_accepted_once_until_it_expires() {
        let cache = InMemoryReplayCache::new();
        let until = NOW + Duration::minutes(5);
        cache.use_once("_a1", until, NOW).await.unwrap();
        assert_eq!(
            cache.use_once("_a1", until, NOW + Duration::minutes(4)).await,
            Err(ReplayError::Replayed { id: "_a1".into() })
        );
        cache.use_once("_b2", until, NOW).await.unwrap();
        // After expiry the assertion itself is refused by its time window; the cache may forget it.
        cache
            .use_once("_a1", until + Duration::minutes(5), until)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn expired_entries_are_purged() {
        let cache = InMemoryReplayCache::new();
        for i in 0..1024 {
            cache
                .use_once(&format!("old-{i}"), NOW, NOW - Duration::minutes(1))
                .await
                .unwrap();
        }
        cache.use_once("new", NOW + Duration::minutes(5), NOW).await.unwrap();
        assert_eq!(cache.len(), 1);
    }
}
