//! A bounded least-recently-used map, and single-flight: concurrent misses for one key share one
//! request.
//!
//! Both live behind `std::sync::Mutex`es held only for map operations, never across an `.await`,
//! so the client's futures stay `Send` and a shard never blocks on another shard's request.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::OnceCell;

use crate::error::RegistryError;

/// Locks a mutex; a panic elsewhere while holding it cannot leave these maps half-updated (every
/// critical section is a single map operation), so a poisoned lock is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A map that forgets its least recently used entry when full. Capacity 0 disables it.
pub(crate) struct Lru<K, V> {
    capacity: usize,
    /// Bumped on every insert and hit; an entry's tick says when it was last used.
    tick: u64,
    entries: HashMap<K, (V, u64)>,
    /// Ticks in use order, so the oldest is found in O(log n).
    order: BTreeMap<u64, K>,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Lru {
            capacity,
            tick: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let (value, used) = self.entries.get_mut(key)?;
        if let Some(k) = self.order.remove(used) {
            self.order.insert(self.tick, k);
        }
        *used = self.tick;
        Some(value.clone())
    }

    pub(crate) fn insert(&mut self, key: K, value: V) {
        if self.capacity == 0 {
            return;
        }
        self.tick += 1;
        if let Some((_, used)) = self.entries.get(&key) {
            self.order.remove(used);
        } else if self.entries.len() >= self.capacity
            && let Some((_, oldest)) = self.order.pop_first()
        {
            self.entries.remove(&oldest);
        }
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (value, self.tick));
    }

    /// Drops every entry for which `keep` is false.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.entries.retain(|k, _| keep(k));
        let entries = &self.entries;
        self.order.retain(|_, k| entries.contains_key(k));
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<K, V> fmt::Debug for Lru<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lru")
            .field("capacity", &self.capacity)
            .field("len", &self.entries.len())
            .finish()
    }
}

type Call<V> = Arc<OnceCell<Result<V, RegistryError>>>;

/// Runs at most one load per key at a time; callers arriving while it runs get its result,
/// errors included. The entry goes away when the load finishes, so the next miss (e.g. after an
/// error) loads again. If every waiter is cancelled mid-load, the next caller takes over.
pub(crate) struct SingleFlight<K, V> {
    calls: Mutex<HashMap<K, Call<V>>>,
}

impl<K: Hash + Eq + Clone, V: Clone> SingleFlight<K, V> {
    pub(crate) fn new() -> Self {
        SingleFlight {
            calls: Mutex::new(HashMap::new()),
        }
    }

    /// The result of `load` for `key`, shared with every concurrent caller for the same key.
    /// `load` should store a success in the value cache itself, so no caller arriving after this
    /// load ends misses both the cache and the shared result.
    pub(crate) async fn run<F, Fut>(&self, key: K, load: F) -> Result<V, RegistryError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, RegistryError>>,
    {
        let call = lock(&self.calls).entry(key.clone()).or_default().clone();
        let result = call.get_or_init(load).await.clone();
        let mut calls = lock(&self.calls);
        if calls.get(&key).is_some_and(|c| Arc::ptr_eq(c, &call)) {
            calls.remove(&key);
        }
        result
    }

    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        lock(&self.calls).len()
    }
}

impl<K, V> fmt::Debug for SingleFlight<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleFlight")
            .field("in_flight", &lock(&self.calls).len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        assert_eq!(lru.get(&"a"), Some(1)); // "b" is now the oldest
        lru.insert("c", 3);
        assert_eq!(lru.get(&"b"), None);
        assert_eq!((lru.get(&"a"), lru.get(&"c")), (Some(1), Some(3)));
        assert_eq!(lru.len(), 2);
    }

    #[test]
    fn replacing_a_key_does_not_evict() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        lru.insert("a", 10);
        assert_eq!(
            (lru.get(&"a"), lru.get(&"b"), lru.len()),
            (Some(10), Some(2), 2)
        );
        lru.insert("c", 3); // "a" was used before "b"'s last get
        assert_eq!((lru.get(&"a"), lru.get(&"b")), (None, Some(2)));
    }

    #[test]
    fn capacity_zero_caches_nothing_and_retain_drops() {
        let mut off = Lru::new(0);
        off.insert(1, 1);
        assert_eq!((off.get(&1), off.len()), (None, 0));

        let mut lru = Lru::new(10);
        for i in 0..10 {
            lru.insert(i, i);
        }
        lru.retain(|k| k % 2 == 0);
        assert_eq!(lru.len(), 5);
        assert_eq!(lru.order.len(), 5);
        for i in 10..15 {
            lru.insert(i, i); // fills up again without evicting the kept ones
        }
        assert_eq!(lru.get(&0), Some(0));
        lru.insert(99, 99); // evicts 2, the oldest untouched
        assert_eq!((lru.get(&2), lru.get(&4)), (None, Some(4)));
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_load() {
        let flight = Arc::new(SingleFlight::<u32, u32>::new());
        let loads = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (flight, loads) = (flight.clone(), loads.clone());
                tokio::spawn(async move {
                    flight
                        .run(7, || async {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(70)
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 70);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(flight.in_flight(), 0);
    }

    #[tokio::test]
    async fn errors_are_shared_then_forgotten() {
        let flight = Arc::new(SingleFlight::<u32, u32>::new());
        let loads = Arc::new(AtomicUsize::new(0));
        let failing = |flight: Arc<SingleFlight<u32, u32>>, loads: Arc<AtomicUsize>| async move {
            flight
                .run(1, || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(RegistryError::Client {
                        message: "boom".into(),
                    })
                })
                .await
        };
        let (a, b) = tokio::join!(
            failing(flight.clone(), loads.clone()),
            failing(flight.clone(), loads.clone())
        );
        assert!(a.is_err() && b.is_err());
        assert_eq!(loads.load(Ordering::SeqCst), 1);

        let again = flight.run(1, || async { Ok(5) }).await;
        assert_eq!(again.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_cancelled_leader_hands_over() {
        let flight = SingleFlight::<u32, u32>::new();
        let slow = flight.run(3, std::future::pending::<Result<u32, RegistryError>>);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), slow)
                .await
                .is_err()
        );
        assert_eq!(flight.run(3, || async { Ok(33) }).await.unwrap(), 33);
    }
}
