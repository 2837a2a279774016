//! What the benchmarks share.

use studio_fed::federation::replay::{BoxFuture, ReplayCache, ReplayError};
use time::OffsetDateTime;

/// Accepts every assertion id, so signed responses can be validated repeatedly: the benchmarks
/// measure validation and the gateway, not the replay store.
pub struct AcceptRepeats;

impl ReplayCache for AcceptRepeats {
    fn use_once<'a>(
        &'a self,
        _id: &'a str,
        _expires_at: OffsetDateTime,
        _now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        Box::pin(async { Ok(()) })
    }
}
