//! Who calls: the `Authorization: Bearer` token, checked on every request, and the rate
//! limit per token. Cookies are never read here, so a browser's session cannot be used
//! against the API from another site (no CSRF surface).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use trove_app::TokenHolder;

use super::error::{ApiError, blocking};

/// Requests one token may make per [`RATE_WINDOW`].
pub(crate) const RATE_LIMIT: u32 = 300;

/// The window of the rate limit.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Requests per token in the current window (fixed windows, kept in memory: they reset when
/// the server restarts and are not shared between servers).
#[derive(Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<i64, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts a request of token `id` at `now`; `Err(seconds)` when it is over the limit, with
    /// the seconds until its window ends.
    pub(crate) fn admit(&self, id: i64, now: Instant) -> Result<(), u64> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget finished windows, so memory stays bounded by the tokens in use.
        windows.retain(|_, (start, _)| now.duration_since(*start) < RATE_WINDOW);
        let (start, count) = windows.entry(id).or_insert((now, 0));
        if *count >= RATE_LIMIT {
            let left = RATE_WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

/// The API's own shared parts.
pub(crate) type Limits = Arc<RateLimiter>;

/// The caller of an API request: a live token's holder, within its rate limit.
pub(crate) struct Caller(pub(crate) TokenHolder);

/// The token of an `Authorization: Bearer` header, if one is sent.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<crate::State> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::State,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(parts).map(str::to_owned) else {
            return Err(ApiError::unauthorized());
        };
        let app = state.app.clone();
        let now = crate::session::now();
        let holder = blocking(move || app.token_holder(&token, now).map_err(|e| e.to_string()))
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let Extension(limits) = Extension::<Limits>::from_request_parts(parts, state)
            .await
            .map_err(ApiError::internal)?;
        limits
            .admit(holder.id, Instant::now())
            .map_err(ApiError::rate_limited)?;
        Ok(Self(holder))
    }
}

impl Caller {
    /// Refuses a token without the `read` scope.
    pub(crate) fn reads(&self) -> Result<&TokenHolder, ApiError> {
        if self.0.can_read() {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden("this token has no read scope"))
        }
    }

    /// Refuses a token without the `write` scope.
    pub(crate) fn writes(&self) -> Result<&TokenHolder, ApiError> {
        if self.0.can_write() {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden("this token has no write scope"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_limited_per_window_and_others_are_not() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        for _ in 0..RATE_LIMIT {
            assert!(limiter.admit(1, start).is_ok());
        }
        let wait = limiter
            .admit(1, start + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(wait, 40);
        assert!(limiter.admit(2, start).is_ok(), "another token has its own");
        assert!(
            limiter.admit(1, start + RATE_WINDOW).is_ok(),
            "a new window"
        );
    }
}
