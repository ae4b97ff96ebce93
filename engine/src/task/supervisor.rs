//! Restarts failed tasks with exponential backoff — what Kafka Connect users script by hand
//! around `POST /connectors/{c}/tasks/{t}/restart`.
//!
//! A task whose run ends with an error is marked failed (its trace visible through
//! [`TaskStats::failure`]), then started again after the backoff, unless restarts are disabled,
//! the error is a config or fatal error (restarting cannot fix it), or the worker is stopping. The
//! backoff wait ends at once when the task is stopped.

use std::borrow::Cow;

use crate::keys::secrets::Secrets;
use std::future::Future;
use std::time::Duration;

use super::{StopSignal, TaskId, TaskStats};
use connect_api::config::{Config, ConfigKey, ConfigType, FieldError, Importance, Validator};
use connect_api::{ErrorClass, TaskError};

pub const RESTART_ENABLE: &str = "wharf.task.restart.enable";
pub const RESTART_BACKOFF_INITIAL_MS: &str = "wharf.task.restart.backoff.initial.ms";
pub const RESTART_BACKOFF_MAX_MS: &str = "wharf.task.restart.backoff.max.ms";

/// First wait before a restart: a second, long enough for a leader election or a reset
/// connection to pass, short enough that a transient failure costs little.
const fn default_backoff_initial_ms() -> &'static str {
    "1000"
}

/// Longest wait between restarts: a minute, long enough that a task failing at once on every
/// start does not spin, short enough that a transient outage ends with a prompt recovery.
const fn default_backoff_max_ms() -> &'static str {
    "60000"
}

/// A day: a longer backoff is no longer an automatic restart.
const MAX_BACKOFF_MS: i64 = 86_400_000;

/// The restart keys a connector config may set (wharf's own; Kafka Connect restarts a failed
/// task only when asked over REST).
pub fn keys() -> Vec<ConfigKey> {
    let backoff = Validator::Range {
        min: 0,
        max: MAX_BACKOFF_MS,
    };
    vec![
        ConfigKey::optional(
            RESTART_ENABLE,
            ConfigType::Boolean,
            "true",
            "Restart a failed task automatically, with exponential backoff. Config errors and fatal errors are never restarted.",
        )
        .importance(Importance::Low)
        .group("Restarts")
        .order(1),
        ConfigKey::optional(
            RESTART_BACKOFF_INITIAL_MS,
            ConfigType::Long,
            default_backoff_initial_ms(),
            "Wait in milliseconds before the first automatic restart of a failed task.",
        )
        .importance(Importance::Low)
        .group("Restarts")
        .order(2)
        .validate(backoff),
        ConfigKey::optional(
            RESTART_BACKOFF_MAX_MS,
            ConfigType::Long,
            default_backoff_max_ms(),
            "Longest wait in milliseconds between automatic restarts; the wait doubles after each failure up to this.",
        )
        .importance(Importance::Low)
        .group("Restarts")
        .order(3)
        .validate(backoff),
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
    /// Reads a config that [`keys`] validated and filled in; a key that is absent or does not
    /// parse is an error naming it, never a silent default.
    pub fn from_config(config: &Config) -> Result<Self, Vec<FieldError>> {
        let enabled = config.get_bool(RESTART_ENABLE);
        let ms =
            |key: &str| {
                config.get_long(key).and_then(|ms| {
                    u64::try_from(ms).map(Duration::from_millis).map_err(|_| FieldError {
                    key: key.to_owned(),
                    message: format!(
                        "Invalid value {ms} for configuration {key}: Value must be at least 0"
                    ),
                })
                })
            };
        match (
            enabled,
            ms(RESTART_BACKOFF_INITIAL_MS),
            ms(RESTART_BACKOFF_MAX_MS),
        ) {
            (Ok(enabled), Ok(initial), Ok(max)) => Ok(Self {
                enabled,
                initial,
                max,
            }),
            (enabled, initial, max) => Err([enabled.err(), initial.err(), max.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// Runs `attempt` until it succeeds or must not be retried; see the module docs.
///
/// A failure's trace and log line go through `secrets` first: an error may quote a config value
/// that came from a secret.
pub async fn supervise<F, Fut>(
    id: TaskId,
    stats: &TaskStats,
    stop: &StopSignal,
    policy: RestartPolicy,
    secrets: &Secrets,
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
            Err(error) => redacted(error, secrets),
        };
        stats.set_failure(Some(trace(&error)));
        tracing::error!(message = "Task failed.", task = %id, %error, class = ?error.class());
        // A config error or a fatal one (a record too large for Kafka, refused authorization)
        // fails the same way again: report it once instead of restarting forever.
        let hopeless = matches!(error.class(), ErrorClass::Config | ErrorClass::Fatal);
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

/// `error` with every secret in its message and causes replaced: what the task returns goes to
/// logs and to the status topic.
fn redacted(error: TaskError, secrets: &Secrets) -> TaskError {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let message = secrets.redact(error.message());
    let cause = secrets.redact(&causes.join("\nCaused by: ")).into_owned();
    if matches!(message, Cow::Borrowed(_)) && causes.join("\nCaused by: ") == cause {
        return error;
    }
    let message = message.into_owned();
    if causes.is_empty() {
        TaskError::new(error.class(), message)
    } else {
        TaskError::with_boxed_source(error.class(), message, cause.into())
    }
}

/// The error and its causes, one per line, as a status `trace`.
pub fn trace(error: &TaskError) -> String {
    let mut text = format!("{:?}: {error}", error.class());
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str("\nCaused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
