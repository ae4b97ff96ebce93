//! The wharf worker: a Kafka Connect compatible runtime built on one pinned glommio executor per
//! core.
//!
//! - [`runtime`]: shards and the glue that lets rdkafka run on them.
//! - [`kafka`]: producer/consumer/admin clients as the data plane uses them.
//! - [`smoke`]: a self-checking produce → consume pipeline used by `wharf smoke`.

pub mod connectors;
pub mod docs;
pub mod herder;
pub mod kafka;
pub mod loadgen;
pub mod logging;
pub mod offsets;
pub mod record;
pub mod rest;
pub mod runtime;
pub mod smoke;
pub mod worker;
