//! The shard pool: one pinned glommio executor per core.
//!
//! A job submitted to a shard is built *on* that shard (the closure runs there) and lives there
//! for its whole life, so its futures need not be `Send` and nothing on its hot path is shared
//! with another shard. Cross-thread traffic is limited to submitting jobs and returning results,
//! both through runtime-agnostic `futures` channels, so tokio, glommio or a plain thread can
//! submit work.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use futures::StreamExt;
use futures::channel::{mpsc, oneshot};
use glommio::sync::Gate;
use glommio::{ExecutorJoinHandle, LocalExecutorBuilder, Placement};

/// A unit of work sent to a shard: builds a future on the shard and runs it there.
type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// How the pool is laid out.
#[derive(Debug, Clone)]
pub struct ShardConfig {
    /// Number of shards (executor threads).
    pub shards: usize,
    /// Pin shard `i` to CPU `i % cpus`. Off, the OS schedules the threads freely.
    pub pin: bool,
    /// Handle of the control-plane tokio runtime. Each shard enters it at start so that
    /// tokio-based clients (reqwest, the registry client) can be awaited from a shard while their
    /// I/O is driven by the control-plane thread.
    pub control_plane: Option<tokio::runtime::Handle>,
    /// Bytes of io_uring registered buffers per shard; small, since the data plane does its
    /// I/O through librdkafka, and under the 8 MiB memlock limit of unprivileged users.
    pub io_memory: usize,
}

impl ShardConfig {
    /// One pinned shard per available core.
    pub fn per_core() -> Self {
        Self {
            shards: available_cores(),
            ..Self::default()
        }
    }
}

impl Default for ShardConfig {
    fn default() -> Self {
        Self {
            shards: 1,
            pin: true,
            control_plane: None,
            io_memory: default_io_memory(),
        }
    }
}

/// 1 MiB: keeps shards × 3 × io_memory under an 8 MiB memlock limit for two shards.
const fn default_io_memory() -> usize {
    1 << 20
}

/// Cores this process may run on (at least 1).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Errors starting or using the pool.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("shard pool needs at least one shard")]
    NoShards,
    #[error("shard {shard} does not exist (the pool has {shards})")]
    NoSuchShard { shard: usize, shards: usize },
    /// glommio's error is not `Sync`, so its message is kept as text.
    #[error("could not start shard {shard}: {message}")]
    Start { shard: usize, message: String },
    #[error("shard {shard} has stopped")]
    Stopped { shard: usize },
    #[error("job on shard {shard} ended without a result (it panicked or was dropped)")]
    Lost { shard: usize },
}

struct Shard {
    jobs: mpsc::UnboundedSender<Job>,
    thread: Option<ExecutorJoinHandle<()>>,
}

/// A running pool of shards. Dropping it stops the shards once their jobs finish.
pub struct ShardPool {
    shards: Vec<Shard>,
}

impl fmt::Debug for ShardPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardPool")
            .field("shards", &self.shards.len())
            .finish()
    }
}

impl ShardPool {
    /// Starts `config.shards` executor threads.
    pub fn start(config: &ShardConfig) -> Result<Self, ShardError> {
        if config.shards == 0 {
            return Err(ShardError::NoShards);
        }
        let cpus = available_cores();
        let mut shards = Vec::with_capacity(config.shards);
        for id in 0..config.shards {
            let placement = if config.pin {
                Placement::Fixed(id % cpus)
            } else {
                Placement::Unbound
            };
            let (tx, mut rx) = mpsc::unbounded::<Job>();
            let control = config.control_plane.clone();
            let thread = LocalExecutorBuilder::new(placement)
                .name(&format!("wharf-shard-{id}"))
                .io_memory(config.io_memory)
                .spawn(move || async move {
                    let _control = control.as_ref().map(|h| h.enter());
                    // A shard runs many tasks: a schema registry miss must not block it.
                    converters::avro::set_thread_nonblocking(true);
                    let running = Gate::new();
                    while let Some(job) = rx.next().await {
                        match running.spawn(job()) {
                            Ok(task) => {
                                task.detach();
                            }
                            Err(error) => {
                                tracing::error!(message = "Shard refused a job.", %error);
                            }
                        };
                    }
                    // The pool is shutting down: let the jobs already started finish.
                    if let Err(error) = running.close().await {
                        tracing::error!(message = "Shard could not drain its jobs.", %error);
                    }
                })
                .map_err(|error| ShardError::Start {
                    shard: id,
                    message: error.to_string(),
                })?;
            shards.push(Shard {
                jobs: tx,
                thread: Some(thread),
            });
        }
        Ok(Self { shards })
    }

    /// Number of shards.
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// Always false: a pool has at least one shard.
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// Runs `make()` on shard `shard` and returns a future of the result, awaitable anywhere.
    pub fn spawn_on<M, Fut, T>(
        &self,
        shard: usize,
        make: M,
    ) -> Result<impl Future<Output = Result<T, ShardError>> + Send + use<M, Fut, T>, ShardError>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let target = self.shards.get(shard).ok_or(ShardError::NoSuchShard {
            shard,
            shards: self.shards.len(),
        })?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            Box::pin(async move {
                let _ = done.send(make().await);
            })
        });
        target
            .jobs
            .unbounded_send(job)
            .map_err(|_| ShardError::Stopped { shard })?;
        Ok(async move { result.await.map_err(|_| ShardError::Lost { shard }) })
    }

    /// Like [`spawn_on`](Self::spawn_on), blocking the calling thread for the result. For
    /// binaries and tests; never call it from a shard.
    pub fn run_on<M, Fut, T>(&self, shard: usize, make: M) -> Result<T, ShardError>
    where
        M: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        futures::executor::block_on(self.spawn_on(shard, make)?)
    }

    /// Stops accepting jobs, waits for running jobs to finish and joins the shard threads.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        for shard in &self.shards {
            shard.jobs.close_channel();
        }
        for (id, shard) in self.shards.iter_mut().enumerate() {
            if let Some(thread) = shard.thread.take()
                && thread.join().is_err()
            {
                tracing::error!(message = "Shard thread panicked.", shard = id);
            }
        }
    }
}

impl Drop for ShardPool {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn pool(shards: usize) -> ShardPool {
        ShardPool::start(&ShardConfig {
            shards,
            pin: false,
            ..ShardConfig::default()
        })
        .expect("pool starts")
    }

    #[test]
    fn jobs_run_on_the_shard_they_were_sent_to() {
        let pool = pool(2);
        let names: Vec<String> = (0..2)
            .map(|i| {
                pool.run_on(i, || async {
                    std::thread::current().name().unwrap_or_default().to_owned()
                })
                .expect("job runs")
            })
            .collect();
        // glommio appends its executor id to the thread name.
        assert!(names[0].starts_with("wharf-shard-0-"), "{names:?}");
        assert!(names[1].starts_with("wharf-shard-1-"), "{names:?}");
    }

    #[test]
    fn jobs_may_hold_non_send_state() {
        let pool = pool(1);
        let n = pool
            .run_on(0, || async {
                let shared = Rc::new(20);
                let twice = Rc::clone(&shared);
                glommio::yield_if_needed().await;
                *shared + *twice
            })
            .expect("job runs");
        assert_eq!(n, 40);
    }

    #[test]
    fn unknown_shard_is_an_error() {
        let pool = pool(1);
        let err = pool.run_on(3, || async {}).expect_err("no shard 3");
        assert!(matches!(
            err,
            ShardError::NoSuchShard {
                shard: 3,
                shards: 1
            }
        ));
    }

    #[test]
    fn zero_shards_is_rejected() {
        let err = ShardPool::start(&ShardConfig {
            shards: 0,
            ..ShardConfig::default()
        })
        .expect_err("zero shards");
        assert!(matches!(err, ShardError::NoShards));
    }
}
