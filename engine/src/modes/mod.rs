//! How a worker runs: [`standalone`] (one process, connector configs from files or REST, offsets
//! in a file or a topic) and [`distributed`] (a group of workers coordinating through Kafka).

pub mod distributed;
pub mod standalone;
