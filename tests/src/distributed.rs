//! `wharf distributed` workers as processes, for the tests that drive a cluster over REST.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{ChildGuard, bootstrap, wharf_bin};

/// Blocking HTTP calls to one worker.
#[derive(Debug)]
pub struct Api {
    pub base: String,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Api {
    pub fn new(port: u16) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}"),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the REST client"),
            http: reqwest::Client::new(),
        }
    }

    /// Status and JSON body (`Null` when none); status 0 when the worker does not answer.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.rt.block_on(async {
            match request.send().await {
                Ok(response) => {
                    let code = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    (code, serde_json::from_str(&text).unwrap_or(Value::Null))
                }
                Err(_) => (0, Value::Null),
            }
        })
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None)
    }
}

/// Waits until `check` gives `Ok`, at most `limit`; on timeout fails with what it last saw.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return v,
            Err(seen) => assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}; last seen: {seen}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Creates topic `name` (replication factor 1, with `configs`) if missing, and waits until
/// every partition has a leader that answers for its watermarks: a worker that reads a topic
/// the moment it is created can otherwise meet `NotLeaderForPartition`.
pub fn create_topic(name: &str, partitions: i32, configs: Vec<(&str, &str)>) {
    use rdkafka::consumer::Consumer;
    futures::executor::block_on(engine::kafka::ensure_topic(
        &bootstrap(),
        &engine::kafka::TopicSpec {
            name,
            partitions,
            replication_factor: 1,
            configs,
        },
    ))
    .unwrap_or_else(|e| panic!("creating topic {name}: {e}"));
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("consumer");
    wait_for(
        &format!("leaders for the partitions of {name}"),
        Duration::from_secs(60),
        || {
            for p in 0..partitions {
                consumer
                    .fetch_watermarks(name, p, Duration::from_secs(5))
                    .map_err(|e| format!("partition {p}: {e}"))?;
            }
            Ok(())
        },
    );
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One `wharf distributed` process with its REST API.
#[derive(Debug)]
pub struct Worker {
    pub name: &'static str,
    pub port: u16,
    pub api: Api,
    log: PathBuf,
    pub process: ChildGuard,
}

impl Worker {
    /// Starts worker `name` of `group` on the config, offsets and status `topics`, with its
    /// worker.properties and log in `dir`. The defaults suit a test on one broker (replication
    /// factors 1, no scheduled rebalance delay, String converters); `overrides` replace or add
    /// keys (with `listeners.https.*` among them the listener is `https://`).
    pub fn start(
        name: &'static str,
        dir: &Path,
        group: &str,
        topics: &[String; 3],
        overrides: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let mut props: Vec<(String, String)> = [
            ("bootstrap.servers", bootstrap()),
            ("group.id", group.to_owned()),
            ("config.storage.topic", topics[0].clone()),
            ("offset.storage.topic", topics[1].clone()),
            ("status.storage.topic", topics[2].clone()),
            ("config.storage.replication.factor", "1".to_owned()),
            ("offset.storage.replication.factor", "1".to_owned()),
            ("status.storage.replication.factor", "1".to_owned()),
            ("offset.storage.partitions", "3".to_owned()),
            ("status.storage.partitions", "3".to_owned()),
            // `listeners.https.*` overrides make the listener HTTPS.
            (
                "listeners",
                if overrides
                    .iter()
                    .any(|(k, _)| k.starts_with("listeners.https."))
                {
                    format!("https://127.0.0.1:{port}")
                } else {
                    format!("http://127.0.0.1:{port}")
                },
            ),
            ("scheduled.rebalance.max.delay.ms", "0".to_owned()),
            ("heartbeat.interval.ms", "1000".to_owned()),
            ("session.timeout.ms", "6000".to_owned()),
            ("offset.flush.interval.ms", "1000".to_owned()),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter".to_owned(),
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter".to_owned(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (key, value) in overrides {
            match props.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = (*value).to_owned(),
                None => props.push(((*key).to_owned(), (*value).to_owned())),
            }
        }
        let file = dir.join(format!("worker-{name}.properties"));
        let text: String = props.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        fs::write(&file, text).expect("worker.properties written");
        let log = dir.join(format!("worker-{name}.log"));
        let out = fs::File::create(&log).expect("worker log created");
        let child = Command::new(wharf_bin())
            .arg("distributed")
            .arg(&file)
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(out.try_clone().expect("log handle")))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("wharf distributed starts");
        Self {
            name,
            port,
            api: Api::new(port),
            log,
            process: ChildGuard(child),
        }
    }

    /// Its id in statuses: the advertised REST host and port.
    pub fn id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The last 40 lines of its log.
    pub fn log(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        let pid = self.process.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "kill -TERM {pid} (worker {})", self.name);
    }

    /// Waits at most `limit` for the process to end and asserts it exited 0.
    pub fn wait_clean_exit(&mut self, limit: Duration) {
        let asked = Instant::now();
        let exit = loop {
            if let Some(exit) = self.process.0.try_wait().expect("worker status") {
                break exit;
            }
            assert!(
                asked.elapsed() < limit,
                "worker {} did not stop within {limit:?} of SIGTERM; log:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            exit.success(),
            "worker {}: {exit} after SIGTERM; log:\n{}",
            self.name,
            self.log()
        );
    }
}

/// The config topic read from the start, as a worker's snapshot.
pub fn read_config_topic(topic: &str) -> connect_protocol::config_topic::ClusterConfigState {
    use rdkafka::Message;
    use rdkafka::consumer::Consumer;
    let consumer: rdkafka::consumer::BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", crate::bootstrap())
        .set("group.id", crate::unique("config-reader"))
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let mut state = connect_protocol::config_topic::ClusterConfigState::new();
    loop {
        match consumer.poll(Duration::from_secs(10)) {
            Some(Ok(m)) => {
                let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
                if let Some(key) = key {
                    let _ = state.apply(m.offset(), &key, m.payload());
                }
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) | None => return state,
            Some(Err(e)) => panic!("reading {topic}: {e}"),
        }
    }
}
