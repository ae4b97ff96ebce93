//! A source connector's own offsets topic (KIP-618's `offsets.storage.topic` on a connector):
//! its tasks write their offsets there — in their transactions, under exactly-once — and read
//! them from there, falling back to the worker's store for partitions it does not hold yet (a
//! connector that moves to a topic of its own keeps its place), as Kafka Connect's
//! `ConnectorOffsetBackingStore` does. What is written to the connector's topic is also written to
//! the worker's store afterwards (best effort, off the task's path), so `GET
//! /connectors/{c}/offsets` and a move back to the worker's topic see it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, mpsc};

use super::{JsonMap, OffsetError, OffsetKey, OffsetStore, TopicOffsetStore};

/// Offsets committed together: `None` removes a partition.
type Updates = Vec<(OffsetKey, Option<JsonMap>)>;

/// See the module docs.
pub struct ConnectorOffsetStore {
    own: Arc<TopicOffsetStore>,
    worker: Arc<dyn OffsetStore>,
    /// To the one thread that copies offsets to the worker's store, in commit order.
    copies: Mutex<Option<mpsc::Sender<Updates>>>,
}

impl std::fmt::Debug for ConnectorOffsetStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorOffsetStore")
            .field("own", &self.own)
            .finish()
    }
}

impl ConnectorOffsetStore {
    pub fn new(own: TopicOffsetStore, worker: Arc<dyn OffsetStore>) -> Self {
        let (tx, rx) = mpsc::channel::<Updates>();
        let target = Arc::clone(&worker);
        let spawned = std::thread::Builder::new()
            .name("wharf-offsets-copy".to_owned())
            .spawn(move || {
                // Ends when the store is dropped.
                for updates in rx {
                    if let Err(e) = target.commit(updates) {
                        tracing::warn!(message = "Cannot copy offsets to the worker's offsets store.", error = %e);
                    }
                }
            });
        let copies = match spawned {
            Ok(_) => Some(tx),
            Err(e) => {
                tracing::warn!(message = "Cannot start the offsets copy; the worker's store will not see this connector's offsets.", error = %e);
                None
            }
        };
        Self {
            own: Arc::new(own),
            worker,
            copies: Mutex::new(copies),
        }
    }

    /// Queues `updates` for the worker's store; a failure there is logged (the connector's
    /// topic, the one read first, has them).
    fn copy_to_worker(&self, updates: Updates) {
        if let Some(tx) = self
            .copies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = tx.send(updates);
        }
    }
}

impl OffsetStore for ConnectorOffsetStore {
    fn offsets(&self, connector: &str) -> BTreeMap<OffsetKey, JsonMap> {
        let mut offsets = self.worker.offsets(connector);
        offsets.extend(self.own.offsets(connector));
        offsets
    }

    fn commit(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) -> Result<(), OffsetError> {
        self.own.commit(updates.clone())?;
        self.copy_to_worker(updates);
        Ok(())
    }

    fn refresh(&self) -> Result<(), OffsetError> {
        self.own.refresh()?;
        self.worker.refresh()
    }

    fn transactional_topic(&self) -> Option<&str> {
        self.own.transactional_topic()
    }

    fn committed_in_transaction(&self, updates: Vec<(OffsetKey, Option<JsonMap>)>) {
        self.own.committed_in_transaction(updates.clone());
        self.copy_to_worker(updates);
    }
}
