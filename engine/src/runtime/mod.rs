//! The data plane's execution model.
//!
//! wharf runs one glommio executor per core ("shard", see [`shards`]). A task is placed on one
//! shard and stays there for its whole life: its futures are not `Send`; per record it touches
//! only what is its own (its converters and their caches, its transform chain, its clients);
//! what it shares with other shards (the worker's offset store, its counters that the REST API
//! reads) is touched per commit or only read; and it talks to Kafka through rdkafka clients
//! created on that same shard and driven by [`GlommioRuntime`]. The control plane (REST API, admin calls, schema
//! registry misses) runs on one small tokio runtime whose handle each shard enters at start.

pub mod glommio_rt;
pub mod shards;

pub use glommio_rt::GlommioRuntime;
pub use shards::{ShardConfig, ShardError, ShardPool, available_cores};
