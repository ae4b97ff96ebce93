//! Zombie fencing for exactly-once source tasks (KIP-618), the leader's part, as Kafka
//! Connect's `DistributedHerder.fenceZombieSourceTasks` and `Worker.fenceZombies` do it.
//!
//! Every commit of new task configs leaves a connector *pending fencing* (the config topic's
//! state tracks it). Before exactly-once source tasks of a pending connector start anywhere, the
//! leader fences the producers of the previous generation: every transactional id
//! `<group.id>-<connector>-<i>` for `i` below the task count recorded last (`tasks-fencing-<c>`),
//! since task counts change between generations and an old task may hold an id no new task will
//! ever register again. Then it reads the config topic to its end — new task configs meanwhile
//! fail the fencing with 409, as in Kafka Connect — and writes the current task count, which
//! ends the pending state; workers start the tasks once they read that record. No record yet
//! (the connector's first exactly-once start) or one task before and after (the id fences
//! itself when the new task registers it) need no fencing, only the record.
//!
//! Not here: the leader's own transactional producer for the config topic
//! (`connect-cluster-<group.id>`), which fences a zombie leader's config writes.

use std::time::Duration;

use rdkafka::ClientConfig;

use super::config_store::ConfigStore;
use super::log::LogError;
use connect_api::config::Properties;

/// How long the reads of the config topic around a fencing may take.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a fencing did not complete.
#[derive(Debug, thiserror::Error)]
pub enum FenceError {
    #[error("Connector {0} not found")]
    NotFound(String),
    /// Kafka Connect's 409.
    #[error("Fencing failed because new task configurations were generated for the connector {0}")]
    Superseded(String),
    #[error("Failed to fence the zombies of connector {connector}: {reason}")]
    Producers { connector: String, reason: String },
    #[error(transparent)]
    Topic(#[from] LogError),
}

impl FenceError {
    /// The HTTP status Kafka Connect answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound(_) => 404,
            Self::Superseded(_) => 409,
            Self::Producers { .. } | Self::Topic(_) => 500,
        }
    }
}

/// Fences `connector`'s zombies if it is pending fencing, then records its task count.
/// `worker` gives the group id, `producer` the client settings of the connector's producers.
/// Blocking (one InitProducerId per old task, in parallel, and config topic reads and a write).
pub fn fence_zombies(
    config: &ConfigStore,
    worker: &Properties,
    connector: &str,
    producer: &ClientConfig,
) -> Result<(), FenceError> {
    config.read_within(READ_TIMEOUT)?;
    let snap = config.snapshot();
    if !snap.contains(connector) {
        return Err(FenceError::NotFound(connector.to_owned()));
    }
    if !snap.pending_fencing(connector) {
        return Ok(());
    }
    let generation = snap.task_config_generation(connector);
    let task_count = snap.task_count(connector);
    if let Some(previous) = snap.task_count_record(connector)
        && !(previous == 1 && task_count == 1)
    {
        let ids: Vec<String> = (0..usize::try_from(previous).unwrap_or(0))
            .map(|i| crate::task::exactly_once::transactional_id(worker, connector, i))
            .collect();
        crate::task::exactly_once::fence_producers(producer, &ids).map_err(|reason| {
            FenceError::Producers {
                connector: connector.to_owned(),
                reason,
            }
        })?;
        tracing::info!(message = "Fenced the zombies of the connector's previous task generation.", connector = %connector, transactional_ids = ids.len());
    }
    config.read_within(READ_TIMEOUT)?;
    if config.snapshot().task_config_generation(connector) != generation {
        return Err(FenceError::Superseded(connector.to_owned()));
    }
    config.put_task_count_record(connector, task_count)?;
    tracing::info!(message = "Recorded the task count: the connector's exactly-once tasks may start.", connector = %connector, task_count);
    Ok(())
}
