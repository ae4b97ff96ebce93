//! The keys users write, with Kafka Connect's names, defaults and docs: `worker.properties`
//! ([`worker`]) and the keys every connector config has ([`connector`]); which of them hold
//! secrets ([`secrets`]). Specs only: the layers
//! above parse and act on them.

pub mod connector;
pub mod distributed;
pub mod secrets;
pub mod worker;
