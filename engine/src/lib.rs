//! The wharf worker: a Kafka Connect compatible runtime built on one pinned glommio executor per
//! core. [`main`] is the `wharf` command line, given the [`plugins`] it runs.
//!
//! # Layers
//!
//! The folders are the layers, top to bottom. A module may use modules of its own layer and of
//! the layers below, never of one above (`engine/tests/layers.rs` fails when one does):
//!
//! 1. **commands** — `cli` (the command line), [`docs`] (`wharf docs`), [`loadgen`], [`smoke`].
//! 2. **[`modes`]** — how a worker runs: standalone (distributed mode goes here too).
//! 3. **[`rest`]** — Kafka Connect's REST API over a herder.
//! 4. **[`herder`]** — the control plane: connector config validation, task planning, starting
//!    and stopping tasks, target states.
//! 5. **[`plugins`]** — what a worker can run: connectors, transforms, predicates, converters.
//! 6. **[`connectors`]** — the built-in connectors, written against `connect-api` only.
//! 7. **[`task`]** — the task runtime: the source and sink drivers on their shard, record errors,
//!    retries, the dead letter queue, conversion.
//! 8. **clients and runtime** — [`kafka`] (clients as the data plane uses them), [`offsets`],
//!    [`record`] (records as they come out of Kafka), [`runtime`] (shards), [`keys`] (the keys
//!    of `worker.properties` and of connector configs), [`logging`].
//!
//! Below the engine: `connect-api` (what a connector implements), `transforms`, `converters`,
//! `registry-client` (the schema registry).

mod cli;
pub mod connectors;
pub mod docs;
pub mod herder;
pub mod kafka;
pub mod keys;
pub mod loadgen;
pub mod logging;
pub mod modes;
pub mod offsets;
pub mod plugins;
pub mod record;
pub mod rest;
pub mod runtime;
pub mod smoke;
pub mod task;

pub use cli::main;
