//! A client for the Confluent Schema Registry REST API v1
//! (`application/vnd.schemaregistry.v1+json`), as used by Kafka Connect's Avro, JSON Schema and
//! Protobuf converters. It works against Confluent's registry and registries that speak its API
//! (Apicurio Registry's `/apis/ccompat/v7`, Karapace, Redpanda).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use registry_client::{RegistryClient, Schema};
//!
//! let client = RegistryClient::from_props([
//!     ("schema.registry.url", "http://registry-a:8081,http://registry-b:8081"),
//!     ("basic.auth.credentials.source", "USER_INFO"),
//!     ("basic.auth.user.info", "user:secret"),
//! ])?;
//! let id = client.register("orders-value", &Schema::avro(r#""string""#)).await?;
//! let schema = client.schema_by_id(id).await?;
//! # Ok(()) }
//! ```
//!
//! # Design
//!
//! - **Calls** ([`RegistryClient`]): register, look up under a subject, schema by id, subjects,
//!   versions, one version or the latest, compatibility check, global and subject config,
//!   delete subject or version. Bodies carry `schemaType` (left out for Avro, the registry's
//!   default) and `references`. Subjects are percent-encoded path segments, so `a/b` stays one
//!   subject.
//! - **Errors** ([`RegistryError`]): the registry's `error_code` picks the variant (40401 subject,
//!   40402 version, 40403 schema not found, 409 incompatible, 42201 invalid schema, 42202
//!   invalid version, 42203 invalid level; HTTP 401/403, 429, 5xx, other 4xx by status). Each
//!   keeps the server's message and names the URL and the subject, version or id, and says
//!   whether a retry can help ([`RegistryError::is_retriable`]): transport failures, timeouts,
//!   5xx and 429 can, other answers cannot.
//! - **Caches**: id → schema and (subject, schema) → id, each a bounded LRU
//!   (`schema.registry.cache.capacity`, 0 disables). Both map immutable facts — an id never
//!   changes meaning, a registered schema keeps its id — so entries never expire; deleting a
//!   subject or version drops that subject's ids. Latest versions and configs are not cached.
//!   Concurrent misses for one key make one request (single-flight): a burst of records with a
//!   new schema id costs one round trip, not one per record.
//! - **Retries and failover** ([`RetryPolicy`]): each attempt walks the URLs of
//!   `schema.registry.url`, starting at the one that answered last and moving on after a
//!   connection error, timeout or 5xx; attempts are separated by exponential backoff with ±20 %
//!   jitter. 429 is retried on the same URL after the backoff; other 4xx are returned at once.
//!   Every request has a timeout (`schema.registry.request.timeout.ms`), connecting included.
//! - **Auth**: HTTP basic from `basic.auth.user.info` (`basic.auth.credentials.source=USER_INFO`)
//!   or from credentials embedded in each URL (source `URL`, the default), or a static
//!   `bearer.auth.token`. Credentials are taken out of the URLs so errors and logs never show
//!   them. TLS is rustls through reqwest's `rustls` feature, which uses aws-lc-rs unless the
//!   process installed another rustls provider first, so building a client never panics.
//! - **Runtime**: futures are `Send` and need a tokio reactor and timer. A glommio shard calls
//!   the client after entering the control-plane tokio runtime's handle; the I/O then runs on
//!   that runtime's thread. Caches sit behind short `std::sync::Mutex` sections that are never
//!   held across an `.await`. Converters keep their own per-shard decoded-schema caches on top,
//!   so the hot path does not touch these locks at all.
//!
//! # Why not `schema_registry_converter`'s client
//!
//! `schema_registry_converter` 6.0 (a workspace dependency) is a good fit where a ready-made
//! Avro/JSON/Protobuf encoder and decoder in the Confluent wire format is wanted and its
//! behaviour on failure does not matter — quick tools, benchmarks comparing against it. Its
//! registry client does not give wharf what the runtime needs:
//!
//! - errors are one `SRCError` struct with a text and a `retriable` flag; the registry's
//!   `error_code` is only reachable by downcasting the source. Only 502 and 503 count as
//!   retriable (500, 504 and 429 do not), and its decoders keep non-retriable errors cached
//!   until `remove_errors_from_cache` is called, so one 500 poisons a schema id. The runtime
//!   decides retry vs dead-letter queue vs fail from the error type;
//! - several URLs are tried in order on *any* error (a 404 is asked of every registry) and each
//!   call starts again at the first URL; it does no retries itself (its docs say so), so no
//!   backoff or jitter either;
//! - its caches (in the encoders and decoders) are unbounded `DashMap`s, and it has no calls for
//!   compatibility checks, config or deletes, which wharf's REST validation needs.
//!
//! This crate therefore makes its own reqwest calls. It runs on the same tokio reactor that
//! `schema_registry_converter` would, so the shard integration is the same.
//!
//! # Configuration keys
//!
//! See [`config`]: `schema.registry.url`, `basic.auth.credentials.source`,
//! `basic.auth.user.info`, `bearer.auth.credentials.source`, `bearer.auth.token`,
//! `schema.registry.cache.capacity`, `schema.registry.request.timeout.ms`,
//! `schema.registry.retries`, `schema.registry.retry.backoff.ms`,
//! `schema.registry.retry.backoff.max.ms`.

mod cache;
mod client;
pub mod config;
mod error;
mod retry;
mod transport;
mod types;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

pub use client::{ClientBuildError, RegistryClient};
pub use config::{Auth, ConfigError, Endpoint, FieldError, RegistryConfig};
pub use error::RegistryError;
pub use retry::RetryPolicy;
pub use transport::CONTENT_TYPE_V1;
pub use types::{
    CompatibilityLevel, RegisteredSchema, Schema, SchemaReference, SchemaType, Version,
};
