//! Shared helpers for the integration tests. The tests talk to a real broker and registry:
//! `scripts/stack up` starts both, or export `KAFKA_BOOTSTRAP` / `SCHEMA_REGISTRY_URL` to use
//! others.

use std::time::{SystemTime, UNIX_EPOCH};

/// The broker to test against.
pub fn bootstrap() -> String {
    std::env::var("KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// The Confluent-compatible schema registry to test against.
pub fn registry_url() -> String {
    std::env::var("SCHEMA_REGISTRY_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:8081/apis/ccompat/v7".to_owned())
}

/// A name no other test run has used: `<prefix>-<pid>-<nanos>`.
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}
