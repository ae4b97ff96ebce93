//! Exponential backoff with jitter between attempts.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often and how patiently a failed request is tried again.
///
/// Attempt `n` (0-based) that failed is followed by a pause of `initial × 2ⁿ`, capped at `max`,
/// scaled by a random factor in [0.8, 1.2) (Kafka's `ExponentialBackoff` jitter) and capped at
/// `max` again, so clients that failed together do not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 tries once.
    pub retries: u32,
    /// Pause after the first failed attempt.
    pub initial_backoff: Duration,
    /// Longest pause.
    pub max_backoff: Duration,
}

/// Spread of the random factor around 1.
const JITTER: f64 = 0.2;

impl RetryPolicy {
    /// The pause after failed attempt `attempt` (0-based), with fresh jitter.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.backoff_with(attempt, unit_random())
    }

    /// The pause after failed attempt `attempt` for a given `unit` in [0, 1) drawn by the caller.
    pub(crate) fn backoff_with(&self, attempt: u32, unit: f64) -> Duration {
        let max = self.max_backoff.as_secs_f64();
        // 2^63 already exceeds any Duration; larger exponents would only overflow.
        let exponential = self.initial_backoff.as_secs_f64() * 2f64.powi(attempt.min(63) as i32);
        let factor = 1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0);
        Duration::from_secs_f64((exponential.min(max) * factor).min(max))
    }
}

/// A number in [0, 1). Jitter needs spread, not quality: `RandomState` is seeded from the OS per
/// thread and varies its keys per instance, and the counter varies the input.
fn unit_random() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let bits = RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed));
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        retries: 5,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(1000),
    };

    #[test]
    fn doubles_per_attempt_until_the_cap() {
        let mid = |attempt| POLICY.backoff_with(attempt, 0.5);
        assert_eq!(mid(0), Duration::from_millis(100));
        assert_eq!(mid(1), Duration::from_millis(200));
        assert_eq!(mid(2), Duration::from_millis(400));
        assert_eq!(mid(3), Duration::from_millis(800));
        assert_eq!(mid(4), Duration::from_millis(1000));
        assert_eq!(mid(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_under_the_cap() {
        assert_eq!(POLICY.backoff_with(1, 0.0), Duration::from_millis(160));
        let high = POLICY.backoff_with(1, 0.999_999);
        assert!(high > Duration::from_millis(239) && high <= Duration::from_millis(240));
        assert_eq!(POLICY.backoff_with(10, 0.999), Duration::from_millis(1000));
        assert_eq!(POLICY.backoff_with(10, 0.0), Duration::from_millis(800));
    }

    #[test]
    fn random_factor_spreads_and_stays_in_range() {
        let draws: Vec<Duration> = (0..200).map(|_| POLICY.backoff(0)).collect();
        assert!(
            draws
                .iter()
                .all(|d| *d >= Duration::from_millis(80) && *d < Duration::from_millis(120))
        );
        let first = draws[0];
        assert!(draws.iter().any(|d| *d != first), "jitter never varied");
    }

    #[test]
    fn zero_backoff_means_no_pause() {
        let none = RetryPolicy {
            retries: 3,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        };
        assert_eq!(none.backoff(7), Duration::ZERO);
    }
}
