//! The REST API under load, against a worker running real connectors on the real broker: reads
//! answer while a connector's tasks take seconds to stop, and concurrent readers and writers
//! (creating, reconfiguring and deleting connectors beside a running pipeline) all finish.
//!
//! The worker serves the API on the control-plane runtime the `wharf` binary uses, so the
//! figures printed here are those of a real worker.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use connect_api::{SinkRecord, SinkTask, TaskError};
use engine::herder::TargetState;
use engine::modes::standalone::{self, Standalone};
use engine::plugins::{ConnectorPlugin, TaskFactory};
use integration_tests::{bootstrap, props, temp_dir, unique, wait_until};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

/// The measurements would disturb each other: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// How long the slow sink's `flush` takes.
const SLOW_FLUSH: Duration = Duration::from_secs(5);
/// The bound a read must answer within: 100 ms is the goal, this leaves room for a loaded
/// 2-core machine.
const READ_BOUND: Duration = Duration::from_millis(500);
/// A request that takes longer has failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A worker with the REST API on 127.0.0.1, and a client runtime apart from the worker's.
struct Worker {
    standalone: Option<Standalone>,
    control: Option<tokio::runtime::Runtime>,
    stop_rest: Option<tokio::sync::oneshot::Sender<()>>,
    client: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    dir: std::path::PathBuf,
}

impl Worker {
    fn start(flush_interval_ms: &str) -> Self {
        integration_tests::init_logs();
        let dir = temp_dir("rest-load");
        let standalone = Standalone::start(
            &props(&[
                ("bootstrap.servers", &bootstrap()),
                (
                    "key.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
                (
                    "value.converter",
                    "org.apache.kafka.connect.storage.StringConverter",
                ),
                (
                    "offset.storage.file.filename",
                    dir.join("offsets.json").to_str().unwrap(),
                ),
                ("offset.flush.interval.ms", flush_interval_ms),
            ]),
            &[],
        )
        .unwrap();
        let control = standalone::control_runtime().unwrap();
        let listener = control
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_rest, stopped) = tokio::sync::oneshot::channel::<()>();
        control.spawn(engine::rest::serve(
            listener,
            standalone.cluster(),
            engine::logging::LogLevels::detached(),
            async {
                let _ = stopped.await;
            },
        ));
        let client = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        Self {
            standalone: Some(standalone),
            control: Some(control),
            stop_rest: Some(stop_rest),
            client,
            http,
            base,
            dir,
        }
    }

    fn herder(&self) -> &engine::herder::Herder {
        self.standalone.as_ref().unwrap().herder()
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.client
            .block_on(call(&self.http, &self.base, method, path, body))
            .unwrap()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop_rest.take() {
            let _ = stop.send(());
        }
        if let Some(control) = self.control.take() {
            control.shutdown_timeout(Duration::from_secs(5));
        }
        if let Some(standalone) = self.standalone.take() {
            standalone.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request; the error says what failed (timeout, connection).
async fn call(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http.request(method.clone(), format!("{base}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, value))
}

/// p50, p99 and max of `samples`.
fn percentiles(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).copied().unwrap_or_default()
    };
    (at(0.5), at(0.99), at(1.0))
}

fn report(label: &str, samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    let (p50, p99, max) = percentiles(samples);
    println!(
        "{label}: {} requests, p50 {p50:.1?}, p99 {p99:.1?}, max {max:.1?}",
        samples.len()
    );
    (p50, p99, max)
}

fn produce(topic: &str, records: usize) {
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    for i in 0..records {
        let value = format!("record-{i}");
        producer
            .send(BaseRecord::<[u8], [u8]>::to(topic).payload(value.as_bytes()))
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// A sink whose `flush` takes [`SLOW_FLUSH`], as one writing to a slow target: stopping it
/// takes that long.
#[derive(Default)]
struct SlowFlushSink;

#[async_trait(?Send)]
impl SinkTask for SlowFlushSink {
    async fn start(&mut self, _config: &connect_api::Config) -> Result<(), TaskError> {
        Ok(())
    }

    async fn put(&mut self, _records: &[SinkRecord]) -> Result<(), TaskError> {
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        glommio::timer::sleep(SLOW_FLUSH).await;
        Ok(())
    }
}

fn file_sink(name: &str, topic: &str, file: &std::path::Path) -> Value {
    json!({
        "name": name,
        "connector.class": "FileStreamSink",
        "topics": topic,
        "file": file.to_str().unwrap(),
    })
}

/// A connector whose sink takes 5 s to flush is reconfigured over REST; while its tasks stop,
/// reads of every connector's status and the metrics, and another connector's create and
/// delete, answer at once.
#[test]
fn reads_answer_while_a_slow_sink_is_reconfigured() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // No periodic commit: the only flush is the one on the way out.
    let worker = Worker::start("600000");
    let topic = unique("rest-slow");
    produce(&topic, 100);
    let name = unique("slow-sink");
    let config = file_sink(&name, &topic, &worker.dir.join("slow.txt"));
    // The slow task: the file sink's config and connector, with a task that flushes slowly.
    let mut validated = worker
        .herder()
        .validate(&serde_json::from_value(config.clone()).unwrap())
        .unwrap();
    validated.plugin = ConnectorPlugin {
        task: TaskFactory::Sink(|| Box::new(SlowFlushSink)),
        ..validated.plugin
    };
    worker
        .herder()
        .put_validated(validated, TargetState::Running, false)
        .unwrap();
    wait_until(
        "the slow sink consumed records",
        Duration::from_secs(60),
        || {
            worker
                .herder()
                .task_stats()
                .iter()
                .any(|(id, _, s)| id.connector == name && s.records() > 0)
        },
    );

    let (http, base) = (worker.http.clone(), worker.base.clone());
    let reconfigure = {
        let (http, base, name) = (http.clone(), base.clone(), name.clone());
        let mut config = config.clone();
        config["tasks.max"] = json!("1");
        worker.client.spawn(async move {
            let started = Instant::now();
            let answer = call(
                &http,
                &base,
                "PUT",
                &format!("/connectors/{name}/config"),
                Some(config),
            )
            .await;
            (answer, started.elapsed())
        })
    };
    // Reads while the slow task stops.
    let other = unique("other-sink");
    let other_config = file_sink(&other, &topic, &worker.dir.join("other.txt"));
    let (mut reads, mut writes) = worker.client.block_on(async {
        let mut reads = Vec::new();
        let mut writes = Vec::new();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let until = Instant::now() + SLOW_FLUSH - Duration::from_millis(1000);
        while Instant::now() < until {
            for path in [
                "/connectors?expand=status".to_owned(),
                "/metrics".to_owned(),
                format!("/connectors/{name}/status"),
            ] {
                let started = Instant::now();
                let (code, _) = call(&http, &base, "GET", &path, None).await.unwrap();
                reads.push(started.elapsed());
                assert_eq!(code, 200, "GET {path}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Another connector's writes do not wait for this one's tasks either.
        let started = Instant::now();
        let body = json!({"name": other, "config": other_config});
        let (code, answer) = call(&http, &base, "POST", "/connectors", Some(body))
            .await
            .unwrap();
        assert_eq!(code, 201, "{answer}");
        writes.push(started.elapsed());
        let started = Instant::now();
        let (code, _) = call(
            &http,
            &base,
            "DELETE",
            &format!("/connectors/{other}"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(code, 204);
        writes.push(started.elapsed());
        (reads, writes)
    });
    let (answer, took) = worker.client.block_on(reconfigure).unwrap();
    let (code, info) = answer.unwrap();
    assert_eq!(code, 200, "{info}");
    println!(
        "PUT /connectors/{{slow}}/config took {took:.2?} (its task flushes for {SLOW_FLUSH:?})"
    );
    let (_, p99, max) = report("reads while a task stops", &mut reads);
    report("other connector's create, delete", &mut writes);
    assert!(reads.len() >= 10, "{} reads", reads.len());
    assert!(max < READ_BOUND, "slowest read {max:?}, p99 {p99:?}");
    assert!(writes.iter().all(|w| *w < READ_BOUND * 4), "{writes:?}");
    // The reconfigured connector runs its new task.
    wait_until("the new task running", Duration::from_secs(30), || {
        let (_, status) = worker.call("GET", &format!("/connectors/{name}/status"), None);
        status["tasks"][0]["state"] == "RUNNING"
    });
}

/// Per-request outcomes of one client thread.
#[derive(Default)]
struct Samples {
    reads: Vec<Duration>,
    writes: Vec<Duration>,
    deletes: Vec<Duration>,
    failures: Vec<String>,
}

const READERS: usize = 20;
const WRITERS: usize = 5;
const LOAD_FOR: Duration = Duration::from_secs(20);
/// Bounds each client's requests, whatever the speed.
const MAX_ROUNDS: usize = 2000;

/// 20 readers (`GET /connectors?expand=status`, `/metrics`) and 5 writers (create, reconfigure,
/// delete) for 20 s beside a running datagen → Kafka → file pipeline: every request finishes,
/// and writes stay under a second at p99. Two things made writes slow before: librdkafka's
/// consumer close (it waits for a join in flight) ran on the shard thread, and a busy task never
/// yielded its shard; now the close runs on a blocking thread and task loops yield per batch.
#[test]
fn every_request_finishes_under_load() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let worker = Worker::start("500");
    let topic = unique("rest-load");
    let pipeline = unique("pipeline");
    let (code, answer) = worker.call(
        "POST",
        "/connectors",
        Some(json!({"name": format!("{pipeline}-source"), "config": {
            "connector.class": "DatagenConnector",
            "kafka.topic": topic,
            "quickstart": "pageviews",
            "iterations": "-1",
            "max.interval": "0",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
        }})),
    );
    assert_eq!(code, 201, "{answer}");
    let output = worker.dir.join("pipeline.txt");
    let (code, answer) = worker.call(
        "POST",
        "/connectors",
        Some(json!({"name": format!("{pipeline}-sink"), "config": file_sink(&format!("{pipeline}-sink"), &topic, &output)})),
    );
    assert_eq!(code, 201, "{answer}");
    let sink_records = || {
        worker
            .herder()
            .task_stats()
            .iter()
            .filter(|(id, _, _)| id.connector == format!("{pipeline}-sink"))
            .map(|(_, _, s)| s.records())
            .sum::<u64>()
    };
    wait_until("the pipeline moving", Duration::from_secs(60), || {
        sink_records() > 0
    });
    std::thread::sleep(Duration::from_secs(2));
    let rate = |window: Duration| {
        let before = sink_records();
        std::thread::sleep(window);
        (sink_records() - before) as f64 / window.as_secs_f64()
    };
    let idle_rate = rate(Duration::from_secs(5));

    let samples = Arc::new(Mutex::new(Samples::default()));
    let deadline = Instant::now() + LOAD_FOR;
    let load_started = sink_records();
    let started = Instant::now();
    let clients: Vec<_> = (0..READERS + WRITERS)
        .map(|n| {
            let (http, base, samples) = (
                worker.http.clone(),
                worker.base.clone(),
                Arc::clone(&samples),
            );
            let (topic, dir) = (topic.clone(), worker.dir.clone());
            worker.client.spawn(async move {
                let mut mine = Samples::default();
                for round in 0..MAX_ROUNDS {
                    if Instant::now() >= deadline {
                        break;
                    }
                    if n < READERS {
                        let path = if round % 2 == 0 {
                            "/connectors?expand=status"
                        } else {
                            "/metrics"
                        };
                        let t = Instant::now();
                        match call(&http, &base, "GET", path, None).await {
                            Ok((200, _)) => mine.reads.push(t.elapsed()),
                            Ok((code, body)) => {
                                mine.failures.push(format!("GET {path}: {code} {body}"))
                            }
                            Err(e) => mine.failures.push(e),
                        }
                        continue;
                    }
                    let name = format!("{}-w{n}-{round}", unique("load"));
                    let config = if round % 2 == 0 {
                        file_sink(&name, &topic, &dir.join(format!("{name}.txt")))
                    } else {
                        json!({"name": name, "connector.class": "DatagenConnector",
                               "kafka.topic": format!("{topic}-w"), "quickstart": "pageviews",
                               "iterations": "-1", "records.per.second": "100",
                               "value.converter": "org.apache.kafka.connect.json.JsonConverter"})
                    };
                    let mut reconfigured = config.clone();
                    reconfigured["tasks.max"] = json!("1");
                    for (method, path, body, expect) in [
                        (
                            "POST",
                            "/connectors".to_owned(),
                            Some(json!({"name": name, "config": config})),
                            201,
                        ),
                        (
                            "PUT",
                            format!("/connectors/{name}/config"),
                            Some(reconfigured),
                            200,
                        ),
                        ("DELETE", format!("/connectors/{name}"), None, 204),
                    ] {
                        let t = Instant::now();
                        match call(&http, &base, method, &path, body).await {
                            Ok((code, _)) if code == expect => {
                                let took = t.elapsed();
                                mine.writes.push(took);
                                if method == "DELETE" {
                                    mine.deletes.push(took);
                                }
                            }
                            Ok((code, body)) => mine
                                .failures
                                .push(format!("{method} {path}: {code} {body}")),
                            Err(e) => mine.failures.push(e),
                        }
                    }
                }
                let mut all = samples.lock().unwrap();
                all.reads.append(&mut mine.reads);
                all.writes.append(&mut mine.writes);
                all.deletes.append(&mut mine.deletes);
                all.failures.append(&mut mine.failures);
            })
        })
        .collect();
    worker.client.block_on(async {
        for client in clients {
            client.await.unwrap();
        }
    });
    let elapsed = started.elapsed();
    let load_rate = (sink_records() - load_started) as f64 / elapsed.as_secs_f64();
    let mut samples = std::mem::take(&mut *samples.lock().unwrap());
    println!(
        "load: {READERS} readers + {WRITERS} writers for {elapsed:.1?}; pipeline {load_rate:.0} records/s under load, {idle_rate:.0} idle ({:.0} %)",
        100.0 * load_rate / idle_rate.max(1.0)
    );
    report("reads", &mut samples.reads);
    let (_, write_p99, _) = report("writes (create, reconfigure, delete)", &mut samples.writes);
    report("deletes", &mut samples.deletes);
    assert!(
        samples.failures.is_empty(),
        "{} failed: {:?}",
        samples.failures.len(),
        &samples.failures[..samples.failures.len().min(10)]
    );
    assert!(
        samples.writes.len() >= WRITERS * 3,
        "{} writes",
        samples.writes.len()
    );
    assert!(
        write_p99 < Duration::from_secs(1),
        "p99 of writes {write_p99:?}"
    );
    let (_, left) = worker.call("GET", "/connectors", None);
    assert_eq!(left.as_array().map(Vec::len), Some(2), "{left}");
}
