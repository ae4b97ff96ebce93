//! Turns per connector name: writes to one connector run one at a time, in the order they
//! arrived, while writes to other connectors and every read go on beside them.
//!
//! A write holds its turn from its state change until the tasks it stopped have ended and the
//! ones it started are spawned, so a delete followed by a create of the same name never runs
//! the new tasks beside the old ones (the same consumer group, static member and offsets).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Where a name's queue stands: the next ticket to hand out and the one whose turn it is.
#[derive(Debug, Default)]
struct Queue {
    next: u64,
    serving: u64,
}

/// The names with a write running or waiting.
#[derive(Debug, Default)]
pub(super) struct Turns {
    queues: Mutex<HashMap<String, Queue>>,
    changed: Condvar,
}

/// A write's turn on one name; the next write of that name goes when it drops.
#[derive(Debug)]
pub(super) struct Turn<'a> {
    turns: &'a Turns,
    name: String,
}

impl Turns {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Queue>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until the writes of `name` that came before have finished. Blocks the thread.
    pub(super) fn take(&self, name: &str) -> Turn<'_> {
        let mut queues = self.lock();
        let queue = queues.entry(name.to_owned()).or_default();
        let ticket = queue.next;
        queue.next += 1;
        while queues.get(name).is_some_and(|q| q.serving != ticket) {
            queues = self.changed.wait(queues).unwrap_or_else(|p| p.into_inner());
        }
        Turn {
            turns: self,
            name: name.to_owned(),
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut queues = self.turns.lock();
        if let Some(queue) = queues.get_mut(&self.name) {
            queue.serving += 1;
            if queue.serving == queue.next {
                queues.remove(&self.name);
            }
        }
        drop(queues);
        self.turns.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn writes_of_one_name_go_in_order_and_others_go_beside_them() {
        let turns = Arc::new(Turns::default());
        let first = turns.take("a");
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for n in 0..3u64 {
            let (mine, order) = (Arc::clone(&turns), Arc::clone(&order));
            threads.push(std::thread::spawn(move || {
                let _turn = mine.take("a");
                order.lock().unwrap().push(n);
            }));
            // The next thread asks only once this one holds its ticket.
            while turns.lock().get("a").map(|q| q.next) != Some(n + 2) {
                std::thread::yield_now();
            }
        }
        // Another name is not held up by "a".
        drop(turns.take("b"));
        std::thread::sleep(Duration::from_millis(20));
        assert!(order.lock().unwrap().is_empty());
        drop(first);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        assert!(turns.lock().is_empty(), "queues are removed once idle");
    }
}
