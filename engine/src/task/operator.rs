//! One operator for retry, tolerance and dead letters, used by the sink and the source loop alike
//! (Kafka Connect's `RetryWithToleranceOperator`).
//!
//! A stage (key / value converter, transform chain) runs on one record. Its error's class decides
//! what happens, never its message:
//! - [`ErrorClass::Retriable`] (a schema registry that does not answer, a broker that moves): the
//!   same call is retried with backoff within `errors.retry.timeout`. When that runs out, the task
//!   fails with the last error, still retriable, so the supervisor restarts it later. Such a
//!   record is **never** dead-lettered or skipped: nothing is wrong with it, and the restart
//!   resumes at it, since offsets move only past records that were delivered, deliberately
//!   dropped or dead-lettered.
//! - [`ErrorClass::BadData`]: `errors.tolerance=none` fails the task at this record; `all` logs it
//!   (`errors.log.enable`), writes it to the dead letter queue if there is one, and skips it.
//! - [`ErrorClass::Config`] / [`ErrorClass::Fatal`]: the task fails, and is not restarted.

use std::fmt::Debug;

use super::dlq::DeadLetterQueue;
use super::errors::{ErrorPolicy, Failure, Stage};
use super::retry::{Attempt, with_retry};
use super::{StopSignal, TaskId};
use crate::record::RawRecord;
use connect_api::{ErrorClass, TaskError};
use transforms::TransformError;

/// Kafka Connect's exception class names, shown in `__connect.errors.exception.class.name`.
pub const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";
pub const RETRIABLE_EXCEPTION: &str = "org.apache.kafka.connect.errors.RetriableException";
pub const CONFIG_EXCEPTION: &str = "org.apache.kafka.common.config.ConfigException";
pub const CONNECT_EXCEPTION: &str = "org.apache.kafka.connect.errors.ConnectException";

/// An error of one stage, classified where it was made.
#[derive(Debug)]
pub struct StageError {
    pub class: ErrorClass,
    /// The Java exception class Kafka Connect would name for it.
    pub error_type: &'static str,
    pub error: Box<dyn std::error::Error + Send + Sync>,
    /// Not a failure: the stage waits for a remote call (a schema registry miss) that it started
    /// without blocking the shard; the operator awaits it and runs the stage again.
    pub pending: Option<converters::Pending>,
}

impl From<converters::Error> for StageError {
    fn from(error: converters::Error) -> Self {
        let class = error.class();
        let error_type = match class {
            ErrorClass::BadData => DATA_EXCEPTION,
            ErrorClass::Retriable => RETRIABLE_EXCEPTION,
            ErrorClass::Config => CONFIG_EXCEPTION,
            _ => CONNECT_EXCEPTION,
        };
        Self {
            class,
            error_type,
            pending: error.pending().cloned(),
            error: Box::new(error),
        }
    }
}

impl From<TransformError> for StageError {
    fn from(error: TransformError) -> Self {
        let (class, error_type) = if error.is_data() {
            (ErrorClass::BadData, DATA_EXCEPTION)
        } else {
            (ErrorClass::Config, CONFIG_EXCEPTION)
        };
        Self {
            class,
            error_type,
            error: Box::new(error),
            pending: None,
        }
    }
}

/// A record the operator tolerated: the caller skips it after [`RecordErrors::skip`].
#[derive(Debug, Clone)]
pub struct Rejection {
    pub stage: Stage,
    /// The failing component: converter class or transform alias.
    pub class_name: String,
    pub error_type: &'static str,
    /// The error, as the DLQ's `exception.message` header carries it.
    pub error: String,
    /// The full message with task and record, for logs.
    pub message: String,
}

/// A stage's outcome.
#[derive(Debug)]
pub enum Handled<T> {
    Done(T),
    /// Bad data under `errors.tolerance=all`.
    Tolerated(Rejection),
}

/// The record-error operator of one task.
#[derive(Debug, Clone)]
pub struct RecordErrors {
    pub id: TaskId,
    pub policy: ErrorPolicy,
    pub stop: StopSignal,
    /// Kept out of the logged messages and the DLQ's context headers.
    pub secrets: std::sync::Arc<crate::keys::secrets::Secrets>,
}

impl RecordErrors {
    /// Runs `op`, retrying retriable failures; see the module docs. `component` names the
    /// converter class or transform alias, `record` says which record (for messages).
    pub async fn execute<T>(
        &self,
        stage: Stage,
        component: &str,
        record: impl Fn() -> String,
        mut op: impl FnMut() -> Result<T, StageError>,
    ) -> Result<Handled<T>, TaskError> {
        let failure = loop {
            let mut pending = None;
            let result = with_retry(&self.policy, &self.stop, || match op() {
                Ok(value) => Attempt::Done(value),
                Err(mut e) if e.pending.is_some() => {
                    pending = e.pending.take();
                    Attempt::Fail(e)
                }
                Err(e) if e.class == ErrorClass::Retriable => Attempt::Retry(e),
                Err(e) => Attempt::Fail(e),
            })
            .await;
            match (result, pending) {
                (Ok(value), _) => return Ok(Handled::Done(value)),
                (Err(_), Some(pending)) => {
                    // The shard runs its other tasks meanwhile; a stop ends the wait.
                    if self.stop.or(pending.ready()).await.is_none() {
                        return Err(TaskError::new(
                            ErrorClass::Retriable,
                            format!(
                                "{}: stopped while {} waited for the schema registry",
                                self.id,
                                record()
                            ),
                        ));
                    }
                }
                (Err(failure), None) => break failure,
            }
        };
        let message = format!(
            "{}: {} ({component}) failed for {}: {}",
            self.id,
            stage.name(),
            record(),
            failure.error
        );
        if failure.class == ErrorClass::BadData && self.policy.tolerate_all {
            return Ok(Handled::Tolerated(Rejection {
                stage,
                class_name: component.to_owned(),
                error_type: failure.error_type,
                error: failure.error.to_string(),
                message,
            }));
        }
        let message = if failure.class == ErrorClass::Retriable {
            format!(
                "{message} (still failing when errors.retry.timeout ran out; the record is kept \
                 and the task will resume at it)"
            )
        } else {
            message
        };
        Err(TaskError::with_boxed_source(
            failure.class,
            message,
            failure.error,
        ))
    }

    /// Logs a tolerated record (as `errors.log.*` say) and writes it to the dead letter queue;
    /// only when this returned Ok may the record's offset move on.
    pub async fn skip(
        &self,
        dlq: &mut DeadLetterQueue,
        raw: Option<&RawRecord>,
        logged: &dyn Debug,
        why: &Rejection,
    ) -> Result<(), TaskError> {
        if self.policy.log {
            let error = self.secrets.redact(&why.message);
            if self.policy.log_messages {
                tracing::error!(message = "Skipping record (errors.tolerance=all).", %error, record = ?logged);
            } else {
                tracing::error!(message = "Skipping record (errors.tolerance=all).", %error);
            }
        }
        let Some(raw) = raw else {
            return Ok(());
        };
        let failure = Failure {
            connector: &self.id.connector,
            task: self.id.task,
            stage: why.stage,
            class_name: &why.class_name,
            error_type: why.error_type,
            message: self.secrets.redact(&why.error).into_owned(),
        };
        dlq.send(raw, &failure).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn policy(tolerate_all: bool, retry_ms: u64) -> RecordErrors {
        RecordErrors {
            id: TaskId {
                connector: "c".into(),
                task: 0,
            },
            policy: ErrorPolicy {
                tolerate_all,
                retry_timeout: Some(Duration::from_millis(retry_ms)),
                retry_delay_max: Duration::from_millis(300),
                log: false,
                log_messages: false,
                dlq_topic: None,
                dlq_replication_factor: 1,
                dlq_context_headers: false,
            },
            stop: StopSignal::default(),
            secrets: Default::default(),
        }
    }

    fn failing(class: ErrorClass) -> StageError {
        StageError {
            class,
            error_type: DATA_EXCEPTION,
            error: "boom".into(),
            pending: None,
        }
    }

    fn run<T, F>(f: impl FnOnce() -> F + Send + 'static) -> T
    where
        T: Send + 'static,
        F: std::future::Future<Output = T> + 'static,
    {
        glommio::LocalExecutorBuilder::default()
            .spawn(f)
            .expect("executor")
            .join()
            .expect("join")
    }

    #[test]
    fn bad_data_is_tolerated_only_under_all() {
        let all = policy(true, 0);
        let none = policy(false, 0);
        let (tolerated, failed) = run(move || async move {
            let t = all
                .execute(
                    Stage::ValueConverter,
                    "X",
                    || "r".into(),
                    || Err::<(), _>(failing(ErrorClass::BadData)),
                )
                .await;
            let f = none
                .execute(
                    Stage::ValueConverter,
                    "X",
                    || "r".into(),
                    || Err::<(), _>(failing(ErrorClass::BadData)),
                )
                .await;
            (
                matches!(t, Ok(Handled::Tolerated(_))),
                f.err().map(|e| e.class()),
            )
        });
        assert!(tolerated);
        assert_eq!(failed, Some(ErrorClass::BadData));
    }

    #[test]
    fn a_retriable_error_is_retried_then_fails_the_task_even_under_all() {
        let ops = policy(true, 700);
        let (calls, outcome) = run(move || async move {
            let mut calls = 0;
            let outcome = ops
                .execute(
                    Stage::ValueConverter,
                    "X",
                    || "r".into(),
                    || {
                        calls += 1;
                        Err::<(), _>(failing(ErrorClass::Retriable))
                    },
                )
                .await;
            (
                calls,
                outcome.err().map(|e| (e.class(), e.message().to_owned())),
            )
        });
        assert!(calls >= 2, "retried {calls} times");
        let (class, message) = outcome.expect("must fail, never be tolerated");
        assert_eq!(class, ErrorClass::Retriable);
        assert!(message.contains("errors.retry.timeout"), "{message}");
    }

    #[test]
    fn a_retriable_error_that_passes_is_done() {
        let ops = policy(false, 5_000);
        let done = run(move || async move {
            let mut calls = 0;
            let r = ops
                .execute(
                    Stage::KeyConverter,
                    "X",
                    || "r".into(),
                    || {
                        calls += 1;
                        if calls < 2 {
                            Err(failing(ErrorClass::Retriable))
                        } else {
                            Ok(calls)
                        }
                    },
                )
                .await;
            matches!(r, Ok(Handled::Done(2)))
        });
        assert!(done);
    }
}
