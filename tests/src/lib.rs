//! Shared helpers for the integration tests. The tests talk to a real broker and registry:
//! `scripts/stack up` starts both, or export `KAFKA_BOOTSTRAP` / `SCHEMA_REGISTRY_URL` to use
//! others.

pub mod distributed;
pub mod exactly_once;
pub mod java;

use std::time::{SystemTime, UNIX_EPOCH};

/// A config from `(key, value)` pairs.
pub fn props(pairs: &[(&str, &str)]) -> connect_api::config::Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

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

/// The `wharf` binary of this build, or `WHARF_BIN`.
///
/// `cargo test` builds no binary of another package, so the first call builds `engine`'s `wharf`
/// with the same cargo, target folder and profile as the running test (a no-op when it is
/// current) and every later call reuses it: a fresh clone needs no build step before the tests.
pub fn wharf_bin() -> std::path::PathBuf {
    static BIN: std::sync::OnceLock<Result<std::path::PathBuf, String>> =
        std::sync::OnceLock::new();
    if let Ok(path) = std::env::var("WHARF_BIN") {
        return path.into();
    }
    match BIN.get_or_init(build_wharf) {
        Ok(path) => path.clone(),
        Err(why) => panic!("{why}"),
    }
}

fn build_wharf() -> Result<std::path::PathBuf, String> {
    build_bin("engine", "wharf")
        .map_err(|why| format!("{why}; set WHARF_BIN to use a built wharf binary"))
}

/// Binary `bin` of workspace package `package` (an example connector's worker, say), built the
/// way [`wharf_bin`] builds `wharf`: with the same cargo, target folder and profile as the running
/// test, once per test process.
pub fn example_bin(package: &str, bin: &str) -> std::path::PathBuf {
    type Built = std::collections::BTreeMap<(String, String), std::path::PathBuf>;
    static BUILT: std::sync::Mutex<Built> =
        std::sync::Mutex::new(std::collections::BTreeMap::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = (package.to_owned(), bin.to_owned());
    if let Some(path) = built.get(&key) {
        return path.clone();
    }
    let path = build_bin(package, bin).unwrap_or_else(|why| panic!("{why}"));
    built.insert(key, path.clone());
    path
}

fn build_bin(package: &str, bin: &str) -> Result<std::path::PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("test executable path: {e}"))?;
    // <target>/<profile>/deps/<test> → <target>/<profile>
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .ok_or_else(|| format!("{} is not in a cargo target folder", exe.display()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| format!("{} has no parent", profile_dir.display()))?;
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| if n == "debug" { "dev" } else { n })
        .unwrap_or("dev")
        .to_owned();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let status = std::process::Command::new(&cargo)
        .args([
            "build",
            "--locked",
            "-p",
            package,
            "--bin",
            bin,
            "--profile",
        ])
        .arg(&profile)
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", std::path::Path::new(&cargo).display()))?;
    if !status.success() {
        return Err(format!("building {bin} of {package} failed ({status})"));
    }
    let path = profile_dir.join(bin);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} not found after building it", path.display()))
    }
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

/// A record's key and value, each possibly null.
pub type KeyValue<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// Produces `(key, value)` records to `topic` partition 0 with a plain blocking producer, and
/// waits until the broker has them all.
pub fn produce_all(topic: &str, records: &[KeyValue<'_>]) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("producer");
    for (key, value) in records {
        let mut record = BaseRecord::<[u8], [u8]>::to(topic).partition(0);
        record.key = *key;
        record.payload = *value;
        producer.send(record).map_err(|(e, _)| e).expect("queued");
    }
    producer
        .flush(std::time::Duration::from_secs(30))
        .expect("all records acknowledged");
}

/// One consumed record: key, value and headers (name → UTF-8 value).
pub type Consumed = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, String)>);

/// Reads `count` records of `topic` from the beginning (all partitions), or panics after `limit`.
pub fn consume_n(topic: &str, count: usize, limit: std::time::Duration) -> Vec<Consumed> {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Headers;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("topic.metadata.refresh.interval.ms", "1000")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    while out.len() < count {
        assert!(
            start.elapsed() < limit,
            "read {} of {count} records from {topic} in {limit:?}",
            out.len()
        );
        let Some(Ok(m)) = consumer.poll(std::time::Duration::from_millis(200)) else {
            continue;
        };
        let headers = m
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        let value = h.value.map(|v| String::from_utf8_lossy(v).into_owned());
                        (h.key.to_owned(), value.unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push((
            m.key().map(<[u8]>::to_vec),
            m.payload().map(<[u8]>::to_vec),
            headers,
        ));
    }
    out
}
