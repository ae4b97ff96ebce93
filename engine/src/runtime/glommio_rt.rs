//! Drives rdkafka's async API from inside a glommio shard.
//!
//! rdkafka needs an [`AsyncRuntime`] for two things: the `StreamConsumer`'s wake-up loop (spawned
//! once per consumer) and the `FutureProducer`'s queue-full retry delay. Its trait demands `Send`
//! futures, while glommio's timers and tasks are thread-local. [`GlommioRuntime`] bridges the two:
//! every future it hands out is created on the current shard and is only ever polled or dropped
//! there, because rdkafka awaits them inside the task that asked for them.
//!
//! Invariant: `GlommioRuntime` may only be used from a thread running a glommio executor. Both
//! the producer and the consumer must therefore be *created* on the shard that uses them.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::Duration;

use glommio::timer::Timer;
use rdkafka::util::AsyncRuntime;

/// rdkafka [`AsyncRuntime`] backed by the glommio executor of the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct GlommioRuntime;

impl AsyncRuntime for GlommioRuntime {
    type Delay = ShardBound<Delay>;

    fn spawn<T>(task: T)
    where
        T: Future<Output = ()> + Send + 'static,
    {
        glommio::spawn_local(task).detach();
    }

    fn delay_for(duration: Duration) -> Self::Delay {
        ShardBound::new(Delay(Timer::new(duration)))
    }
}

/// A glommio timer that resolves to `()`, as rdkafka's `Delay` must.
#[derive(Debug)]
pub struct Delay(Timer);

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

/// Wraps a thread-local future so it can satisfy a `Send` bound.
///
/// The wrapper records the thread that created it. Polling it anywhere else is a bug in the
/// caller and panics with a message saying so; dropping it elsewhere leaks the inner future
/// rather than touching another thread's executor state.
#[derive(Debug)]
pub struct ShardBound<F> {
    inner: ManuallyDrop<F>,
    owner: ThreadId,
}

impl<F> ShardBound<F> {
    /// Binds `inner` to the current thread.
    pub fn new(inner: F) -> Self {
        Self {
            inner: ManuallyDrop::new(inner),
            owner: thread::current().id(),
        }
    }

    fn on_owner(&self) -> bool {
        thread::current().id() == self.owner
    }
}

// SAFETY: the inner value is only polled or dropped on the thread that created it; `poll`
// panics and `drop` leaks when called from any other thread, so no thread-local state of the
// inner future is ever touched from a foreign thread.
unsafe impl<F> Send for ShardBound<F> {}

impl<F: Future + Unpin> Future for ShardBound<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        assert!(
            self.on_owner(),
            "a shard-bound future was polled off its shard: rdkafka clients must be created on the \
             shard that uses them"
        );
        Pin::new(&mut *self.inner).poll(cx)
    }
}

impl<F> Drop for ShardBound<F> {
    fn drop(&mut self) {
        if self.on_owner() {
            // SAFETY: dropped exactly once, here, on the owning thread.
            unsafe { ManuallyDrop::drop(&mut self.inner) }
        } else {
            tracing::error!(
                message = "Leaking a shard-bound future dropped off its shard.",
                owner = ?self.owner
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glommio::LocalExecutorBuilder;
    use std::time::Instant;

    #[test]
    fn delay_waits_on_the_shard_timer() {
        let elapsed = LocalExecutorBuilder::default()
            .spawn(|| async {
                let start = Instant::now();
                GlommioRuntime::delay_for(Duration::from_millis(20)).await;
                start.elapsed()
            })
            .expect("executor starts")
            .join()
            .expect("executor finishes");
        assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
    }

    #[test]
    fn spawned_task_runs_to_completion() {
        let value = LocalExecutorBuilder::default()
            .spawn(|| async {
                let (tx, rx) = futures::channel::oneshot::channel();
                GlommioRuntime::spawn(async move {
                    GlommioRuntime::delay_for(Duration::from_millis(1)).await;
                    let _ = tx.send(42_u32);
                });
                rx.await.expect("task sends")
            })
            .expect("executor starts")
            .join()
            .expect("executor finishes");
        assert_eq!(value, 42);
    }

    #[test]
    fn dropping_off_shard_leaks_instead_of_touching_the_executor() {
        let bound = ShardBound::new(String::from("owned by this thread"));
        std::thread::spawn(move || drop(bound))
            .join()
            .expect("foreign drop does not panic");
    }
}
