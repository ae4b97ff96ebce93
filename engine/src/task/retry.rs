//! `errors.retry.timeout` / `errors.retry.delay.max.ms`: retrying an operation that failed for a
//! reason that may pass (a schema registry that is down, a broker that is moving), with
//! exponential backoff, on the task's shard.

use std::time::{Duration, Instant};

use super::StopSignal;
use super::errors::ErrorPolicy;

/// The first retry waits this long; each further one twice as long, up to the policy's maximum.
const FIRST_DELAY: Duration = Duration::from_millis(300);

/// One try's outcome.
#[derive(Debug)]
pub enum Attempt<T, E> {
    Done(T),
    /// Failed, may succeed later.
    Retry(E),
    /// Failed for good.
    Fail(E),
}

/// Runs `op` until it is done, fails for good, the retry timeout passes, or the task stops.
pub async fn with_retry<T, E>(
    policy: &ErrorPolicy,
    stop: &StopSignal,
    mut op: impl FnMut() -> Attempt<T, E>,
) -> Result<T, E> {
    let mut backoff = Backoff::new(policy);
    loop {
        match op() {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry(error) => match backoff.next_delay() {
                Some(delay) if !stop.is_set() => {
                    tracing::warn!(message = "Retrying after a retriable error.", retry_in = ?delay);
                    if !stop.sleep(delay).await {
                        return Err(error);
                    }
                }
                _ => return Err(error),
            },
        }
    }
}

/// The waits between tries of one operation: exponential from [`FIRST_DELAY`] up to
/// `errors.retry.delay.max.ms`, for as long as `errors.retry.timeout` allows.
#[derive(Debug)]
pub struct Backoff<'a> {
    policy: &'a ErrorPolicy,
    // The clock is read only once a retry is needed: this wraps every record's conversion.
    start: Option<Instant>,
    delay: Duration,
}

impl<'a> Backoff<'a> {
    pub fn new(policy: &'a ErrorPolicy) -> Self {
        Self {
            policy,
            start: None,
            delay: FIRST_DELAY,
        }
    }

    /// How long to wait before the next try; `None` when the retry timeout has run out.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let start = *self.start.get_or_insert_with(Instant::now);
        let delay = self.delay;
        let out_of_time = self
            .policy
            .retry_timeout
            .is_some_and(|limit| start.elapsed() + delay > limit);
        if out_of_time {
            return None;
        }
        self.delay = (delay * 2).min(self.policy.retry_delay_max.max(FIRST_DELAY));
        Some(delay)
    }
}
