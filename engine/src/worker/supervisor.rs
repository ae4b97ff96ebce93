//! Restarts failed tasks with exponential backoff — what Kafka Connect users script by hand
//! around `POST /connectors/{c}/tasks/{t}/restart`.
//!
//! A task whose run ends with an error is marked failed (its trace visible through
//! [`TaskStats::failure`]), then started again after the backoff, unless restarts are disabled,
//! the error is a config or fatal error (restarting cannot fix it), or the worker is stopping. The
//! backoff wait ends at once when the task is stopped.

use std::future::Future;
use std::time::Duration;

use super::{StopSignal, TaskId, TaskStats};
use crate::config::{Config, ConfigKey, ConfigType, Validator};
use crate::connector::{ErrorClass, TaskError};

pub const RESTART_ENABLE: &str = "wharf.task.restart.enable";
pub const RESTART_BACKOFF_INITIAL_MS: &str = "wharf.task.restart.backoff.initial.ms";
pub const RESTART_BACKOFF_MAX_MS: &str = "wharf.task.restart.backoff.max.ms";

/// The restart keys a connector config may set.
pub fn keys() -> Vec<ConfigKey> {
    vec![
        ConfigKey::optional(RESTART_ENABLE, ConfigType::Boolean, "true", "Restart a failed task automatically, with exponential backoff.").group("Restarts"),
        ConfigKey::optional(RESTART_BACKOFF_INITIAL_MS, ConfigType::Long, "1000", "Wait before the first automatic restart of a failed task.")
            .group("Restarts")
            .validate(Validator::Range { min: 0, max: 86_400_000 }),
        ConfigKey::optional(RESTART_BACKOFF_MAX_MS, ConfigType::Long, "60000", "Longest wait between automatic restarts; the wait doubles after each failure up to this.")
            .group("Restarts")
            .validate(Validator::Range { min: 0, max: 86_400_000 }),
    ]
}

/// When to restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    pub enabled: bool,
    pub initial: Duration,
    pub max: Duration,
}

impl RestartPolicy {
    pub fn from_config(config: &Config) -> Self {
        let ms = |key: &str, default: i64| {
            Duration::from_millis(config.long(key).unwrap_or(default).unsigned_abs())
        };
        Self {
            enabled: config.bool(RESTART_ENABLE).unwrap_or(true),
            initial: ms(RESTART_BACKOFF_INITIAL_MS, 1000),
            max: ms(RESTART_BACKOFF_MAX_MS, 60_000),
        }
    }
}

/// Runs `attempt` until it succeeds or must not be retried; see the module docs.
pub async fn supervise<F, Fut>(
    id: TaskId,
    stats: &TaskStats,
    stop: &StopSignal,
    policy: RestartPolicy,
    mut attempt: F,
) -> Result<(), TaskError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), TaskError>>,
{
    let mut backoff = policy.initial;
    loop {
        let error = match attempt().await {
            Ok(()) => {
                stats.set_failure(None);
                tracing::info!(message = "Task finished.", task = %id);
                return Ok(());
            }
            Err(error) => error,
        };
        stats.set_failure(Some(trace(&error)));
        tracing::error!(message = "Task failed.", task = %id, %error, class = ?error.class);
        // A config error or a fatal one (a record too large for Kafka, refused authorization)
        // fails the same way again: report it once instead of restarting forever.
        let hopeless = matches!(error.class, ErrorClass::Config | ErrorClass::Fatal);
        if !policy.enabled || hopeless || stop.is_set() {
            return Err(error);
        }
        tracing::warn!(message = "Restarting failed task after backoff.", task = %id, backoff = ?backoff);
        let waited = stop.sleep(backoff).await;
        if !waited {
            return Err(error);
        }
        stats.restarted();
        backoff = (backoff * 2).min(policy.max.max(policy.initial));
    }
}

/// The error and its causes, one per line, as a status `trace`.
pub fn trace(error: &TaskError) -> String {
    let mut text = format!("{:?}: {error}", error.class);
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str("\nCaused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
