//! Sign-in rate limits, per account and per client address. Kept in memory: they reset when
//! the server restarts and are not shared between several servers (enough for one server;
//! several behind a balancer would need them in the database).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per account within [`WINDOW`].
pub(crate) const PER_ACCOUNT: usize = 5;
/// Failed sign-ins allowed per client address within [`WINDOW`].
pub(crate) const PER_ADDRESS: usize = 20;
/// The window over which failures count.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Recent failed sign-ins by key (`account:<email>`, `address:<ip>`).
#[derive(Default)]
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// Whether another attempt for this account from this address may be checked now.
    pub(crate) fn allows(&self, account: &str, address: &str) -> bool {
        let mut failures = self.lock();
        let now = Instant::now();
        let mut recent = |key: String| -> usize {
            let list = failures.entry(key).or_default();
            while list
                .front()
                .is_some_and(|at| now.duration_since(*at) > WINDOW)
            {
                list.pop_front();
            }
            list.len()
        };
        recent(format!("account:{account}")) < PER_ACCOUNT
            && recent(format!("address:{address}")) < PER_ADDRESS
    }

    /// Records a failed attempt.
    pub(crate) fn failed(&self, account: &str, address: &str) {
        let mut failures = self.lock();
        let now = Instant::now();
        for key in [format!("account:{account}"), format!("address:{address}")] {
            failures.entry(key).or_default().push_back(now);
        }
        // Forget keys whose failures are all old, so memory stays bounded by recent traffic.
        failures.retain(|_, list| {
            list.back()
                .is_some_and(|at| now.duration_since(*at) <= WINDOW)
        });
    }

    /// Clears an account's failures after it signed in.
    pub(crate) fn succeeded(&self, account: &str) {
        self.lock().remove(&format!("account:{account}"));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_after_its_failures_from_any_address() {
        let limiter = SignInLimiter::default();
        for i in 0..PER_ACCOUNT {
            assert!(limiter.allows("ann@example.com", &format!("10.0.0.{i}")));
            limiter.failed("ann@example.com", &format!("10.0.0.{i}"));
        }
        assert!(!limiter.allows("ann@example.com", "10.0.0.99"));
        assert!(limiter.allows("bo@example.com", "10.0.0.99"));
    }

    #[test]
    fn an_address_is_limited_across_accounts() {
        let limiter = SignInLimiter::default();
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("user{i}@example.com"), "10.0.0.1");
        }
        assert!(!limiter.allows("new@example.com", "10.0.0.1"));
        assert!(limiter.allows("new@example.com", "10.0.0.2"));
    }

    #[test]
    fn success_clears_the_accounts_failures() {
        let limiter = SignInLimiter::default();
        for _ in 0..PER_ACCOUNT {
            limiter.failed("ann@example.com", "10.0.0.1");
        }
        limiter.succeeded("ann@example.com");
        assert!(limiter.allows("ann@example.com", "10.0.0.2"));
    }
}
