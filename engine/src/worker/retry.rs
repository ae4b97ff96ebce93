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
    // The clock is read only once a retry is needed: this wraps every record's conversion.
    let mut start: Option<Instant> = None;
    let mut delay = FIRST_DELAY;
    loop {
        match op() {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry(error) => {
                let start = *start.get_or_insert_with(Instant::now);
                let out_of_time = policy
                    .retry_timeout
                    .is_some_and(|limit| start.elapsed() + delay > limit);
                if out_of_time || stop.is_set() {
                    return Err(error);
                }
                tracing::warn!(message = "Retrying after a retriable error.", retry_in = ?delay);
                glommio::timer::sleep(delay).await;
                delay = (delay * 2).min(policy.retry_delay_max.max(FIRST_DELAY));
            }
        }
    }
}
