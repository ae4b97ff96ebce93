//! Calling the async registry client from the synchronous converter API.
//!
//! Only cache misses get here: a schema id seen for the first time, a Connect schema written
//! for the first time. The call is spawned onto one small tokio runtime shared by every Avro
//! converter of the process (one worker thread, created at the first miss), and the calling
//! thread waits on a channel for the answer. That works the same from a plain thread, from a
//! glommio shard (no tokio context at all) and from inside a tokio runtime, where
//! `Runtime::block_on` would panic: the caller only blocks on a std channel, the I/O runs on the
//! registry runtime's thread. All calls go through that one runtime, so the client's connection
//! pool always lives on the runtime that drives it.
//!
//! A thread that must not block at all — a shard running many tasks — marks itself with
//! [`set_thread_nonblocking`]. There a miss starts the call and returns [`Error::Pending`] at
//! once; the caller awaits [`crate::error::Pending::ready`] (the shard runs its other tasks
//! meanwhile) and calls the converter again, which then takes the kept answer.

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use futures::FutureExt;

use registry_client::{RegisteredSchema, RegistryClient, RegistryError, Schema};

use crate::error::{Error, Pending, RegistryFailure};

/// The shared runtime, or why it could not be built.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("wharf-schema-registry")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the schema registry runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Runs `future` on the registry runtime and waits for its output.
pub(crate) fn block_on<T, F>(future: F) -> Result<T, String>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .map_err(|_| "the schema registry runtime stopped before answering".to_owned())
}

thread_local! {
    static NONBLOCKING: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one that must never wait for the registry: converters called on
/// it answer a cache miss with [`Error::Pending`] instead of blocking.
pub fn set_thread_nonblocking(on: bool) {
    NONBLOCKING.with(|n| n.set(on));
}

fn nonblocking() -> bool {
    NONBLOCKING.with(Cell::get)
}

/// A call started without waiting: running, or its answer kept for the next call.
enum Slot {
    Running(futures::future::Shared<futures::channel::oneshot::Receiver<()>>),
    Done(Result<Box<dyn Any + Send>, Error>),
}

type Inflight = Arc<Mutex<HashMap<Arc<str>, Slot>>>;

/// The registry calls the converter makes.
#[derive(Clone)]
pub(crate) struct SchemaRegistry {
    client: RegistryClient,
    inflight: Inflight,
}

impl std::fmt::Debug for SchemaRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaRegistry")
            .field("client", &self.client)
            .finish()
    }
}

impl SchemaRegistry {
    pub(crate) fn new(client: RegistryClient) -> Self {
        Self {
            client,
            inflight: Arc::default(),
        }
    }

    pub(crate) fn client(&self) -> &RegistryClient {
        &self.client
    }

    fn call<T, F, Fut>(&self, context: impl FnOnce() -> String, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(RegistryClient) -> Fut,
        Fut: Future<Output = Result<T, RegistryError>> + Send + 'static,
    {
        if nonblocking() {
            return self.start(context().into(), call(self.client.clone()));
        }
        let future = call(self.client.clone());
        match block_on(future) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(RegistryFailure::new(context(), e).into()),
            Err(runtime) => Err(RegistryFailure::new(
                context(),
                RegistryError::Client { message: runtime },
            )
            .into()),
        }
    }

    /// The kept answer of the call named `key`, or the call started (or still running) and
    /// [`Error::Pending`].
    fn start<T, Fut>(&self, key: Arc<str>, future: Fut) -> Result<T, Error>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T, RegistryError>> + Send + 'static,
    {
        let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
        match inflight.remove(&key) {
            Some(Slot::Done(result)) => {
                return result.and_then(|answer| {
                    answer.downcast::<T>().map(|t| *t).map_err(|_| {
                        RegistryFailure::new(
                            key.to_string(),
                            RegistryError::Client {
                                message: "a kept registry answer has another type".to_owned(),
                            },
                        )
                        .into()
                    })
                });
            }
            Some(Slot::Running(done)) => {
                inflight.insert(Arc::clone(&key), Slot::Running(done.clone()));
                return Err(Pending::new(key, done).into());
            }
            None => {}
        }
        let runtime = match runtime() {
            Ok(r) => r,
            Err(message) => {
                return Err(RegistryFailure::new(
                    key.to_string(),
                    RegistryError::Client { message },
                )
                .into());
            }
        };
        let (tx, rx) = futures::channel::oneshot::channel();
        let done = rx.shared();
        inflight.insert(Arc::clone(&key), Slot::Running(done.clone()));
        drop(inflight);
        let (slots, name) = (Arc::clone(&self.inflight), Arc::clone(&key));
        runtime.spawn(async move {
            let answer = match future.await {
                Ok(value) => Ok(Box::new(value) as Box<dyn Any + Send>),
                Err(e) => Err(RegistryFailure::new(name.to_string(), e).into()),
            };
            slots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name, Slot::Done(answer));
            let _ = tx.send(());
        });
        Err(Pending::new(key, done).into())
    }

    /// The schema text registered under `id`.
    pub(crate) fn schema_by_id(&self, id: u32, topic: &str) -> Result<Arc<Schema>, Error> {
        self.call(
            || format!("fetching schema id {id} for topic {topic}"),
            move |c| async move { c.schema_by_id(id).await },
        )
    }

    /// Registers `text` under `subject`; its id.
    pub(crate) fn register(&self, subject: &str, text: &str) -> Result<u32, Error> {
        let (s, schema) = (subject.to_owned(), Schema::avro(text));
        self.call(
            || format!("registering the Avro schema under subject {subject}"),
            move |c| async move { c.register(&s, &schema).await },
        )
    }

    /// The id of `text` under `subject`, without registering it.
    pub(crate) fn lookup_id(&self, subject: &str, text: &str) -> Result<u32, Error> {
        let (s, schema) = (subject.to_owned(), Schema::avro(text));
        self.call(
            || format!("looking up the Avro schema under subject {subject}"),
            move |c| async move { c.lookup_id(&s, &schema).await },
        )
    }

    /// The version of `text` under `subject`, `None` if it is not registered there.
    pub(crate) fn version(&self, subject: &str, text: &str) -> Result<Option<i32>, Error> {
        let (s, schema) = (subject.to_owned(), Schema::avro(text));
        let found = self.call(
            || format!("looking up the version of the schema under subject {subject}"),
            move |c| async move {
                match c.lookup(&s, &schema).await {
                    Ok(found) => Ok(Some(found.version)),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Err(e),
                }
            },
        )?;
        Ok(found)
    }

    /// The latest schema registered under `subject`.
    pub(crate) fn latest(&self, subject: &str) -> Result<RegisteredSchema, Error> {
        let s = subject.to_owned();
        self.call(
            || format!("fetching the latest schema of subject {subject}"),
            move |c| async move { c.latest(&s).await },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_on_a_plain_thread() {
        assert_eq!(block_on(async { 1 + 1 }), Ok(2));
        let timed = block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            "slept"
        });
        assert_eq!(timed, Ok("slept"));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn answers_inside_a_current_thread_runtime() {
        // Runtime::block_on here would panic; the bridge only waits on a channel.
        assert_eq!(block_on(async { 7 }), Ok(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_inside_a_multi_thread_runtime() {
        assert_eq!(block_on(async { 8 }), Ok(8));
    }

    #[test]
    fn many_threads_at_once() {
        let handles: Vec<_> = (0..8)
            .map(|i| std::thread::spawn(move || block_on(async move { i * 2 })))
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), Ok(i * 2));
        }
    }
}
