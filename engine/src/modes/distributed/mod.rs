//! Distributed mode: workers that coordinate only through Kafka, as Kafka Connect's
//! `connect-distributed.sh` workers do — one `connect` consumer group and three compacted
//! topics (configs, offsets, status), in Kafka Connect's formats (`connect-protocol`).
//!
//! - [`member`]: this worker's membership of the group (JoinGroup / SyncGroup / Heartbeat /
//!   LeaveGroup through the group coordinator), the leader's assignment round.
//! - [`log`]: a compacted topic read to its end and written to (Kafka Connect's `KafkaBasedLog`).
//! - [`config_store`] / [`status_store`]: the config and status topics on top of it.
//! - [`session`]: signed internal requests (KIP-507): the session key's lifecycle, signing and
//!   checking requests.
//! - [`fencing`]: the leader's zombie fencing before exactly-once source tasks start (KIP-618).
//! - [`internal`]: a follower's requests to the leader (task configs, fencing).
//! - [`cluster`]: the REST API's [`Cluster`](crate::herder::Cluster) for a distributed worker.
//! - [`worker`]: a distributed worker made of them ([`worker::DistributedWorker`]): the topics,
//!   the shards, the membership and the control thread that starts and stops tasks.

pub mod cluster;
pub mod config_store;
pub mod fencing;
mod internal;
pub mod log;
pub mod member;
pub mod session;
pub mod status_store;
pub mod worker;
