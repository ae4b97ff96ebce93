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

/// A fresh empty directory for one test's files.
pub fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The `wharf` binary of this build (`cargo test --workspace` builds it next to the test
/// executables), or `WHARF_BIN`.
pub fn wharf_bin() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("WHARF_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/wharf
    let bin = exe
        .parent()
        .and_then(std::path::Path::parent)
        .map(|dir| dir.join("wharf"))
        .expect("target dir");
    assert!(
        bin.exists(),
        "{} not found: build it with `cargo build -p engine` or set WHARF_BIN",
        bin.display()
    );
    bin
}

/// Waits until `check` returns true, polling every 50 ms; panics with `what` after `limit`.
pub fn wait_until(what: &str, limit: std::time::Duration, mut check: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A child process that is killed when the guard drops, so a failing test leaves none behind.
#[derive(Debug)]
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends the engine's logs to the test output (`RUST_LOG` filters; default warn).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}
