//! How a worker runs: [`standalone`] (one process, connector configs from files or REST, offsets
//! in a file or a topic).

pub mod standalone;
