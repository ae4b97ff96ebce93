//! A source record that fails under `errors.tolerance=none` is never counted as handled: the
//! task fails at it, every restart fails at it again, no offset past it is committed, and once
//! the cause is fixed every record arrives. Against the real broker and registry.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::time::Duration;

use connect_api::config::Properties;
use engine::modes::standalone::Standalone;
use integration_tests::{bootstrap, props, temp_dir, unique, wait_until};
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// Every value in partition 0 of `topic` now (empty when the topic does not exist).
fn values(topic: &str) -> Vec<String> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let Ok((low, high)) = consumer.fetch_watermarks(topic, 0, Duration::from_secs(5)) else {
        return Vec::new();
    };
    if high <= low {
        return Vec::new();
    }
    let mut tpl = rdkafka::TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, rdkafka::Offset::Offset(low))
        .expect("offset");
    consumer.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut next = low;
    while next < high {
        assert!(std::time::Instant::now() < deadline, "reading {topic}");
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            next = m.offset() + 1;
            out.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
        }
    }
    out
}

fn worker(dir: &Path, max_message_bytes: &str) -> Properties {
    props(&[
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
        ("offset.flush.interval.ms", "100"),
        ("producer.message.max.bytes", max_message_bytes),
        ("producer.batch.size", max_message_bytes),
    ])
}

fn committed_position(dir: &Path) -> Option<u64> {
    let text = fs::read_to_string(dir.join("offsets.json")).ok()?;
    let at = text.find("\"position\":")? + "\"position\":".len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Line `k` is larger than the producer may send: the task fails there (a record Kafka refuses
/// is not retried forever), a restart through the herder fails on it again, nothing after it is
/// in Kafka and the committed position stays before it; with a producer that takes it, every
/// line arrives.
#[test]
fn a_record_the_producer_refuses_fails_the_task_at_it_and_nothing_past_it_is_committed() {
    integration_tests::init_logs();
    const LINES: usize = 3000;
    // The last line of a batch of 100: the line that carries the batch's file position.
    const K: usize = 1699;
    let dir = temp_dir("source-errors");
    let input = dir.join("in.txt");
    let topic = unique("source-errors");
    let line = |i: usize| {
        if i == K {
            format!("line {i:05} {}", "x".repeat(6000))
        } else {
            format!("line {i:05}")
        }
    };
    let text: String = (0..LINES).map(|i| line(i) + "\n").collect();
    fs::write(&input, &text).unwrap();
    let start_of_k: u64 = (0..K).map(|i| line(i).len() as u64 + 1).sum();
    let name = unique("source");
    let connector = props(&[
        ("name", &name),
        ("connector.class", "FileStreamSource"),
        ("file", input.to_str().unwrap()),
        ("topic", &topic),
        ("batch.size", "100"),
        ("wharf.task.restart.backoff.initial.ms", "100"),
    ]);

    let running =
        Standalone::start(&worker(&dir, "4000"), std::slice::from_ref(&connector)).unwrap();
    let failure = || {
        running
            .tasks()
            .into_iter()
            .find_map(|(_, stats)| stats.failure())
    };
    wait_until(
        "the task to fail at line k",
        Duration::from_secs(60),
        || failure().is_some(),
    );
    let trace = failure().unwrap();
    assert!(
        trace.contains("Fatal"),
        "a record Kafka refuses is fatal: {trace}"
    );
    assert!(trace.to_lowercase().contains("too large"), "{trace}");
    let check_nothing_past_k = || {
        let seen = values(&topic);
        for v in &seen {
            let n: usize = v[5..10].parse().unwrap();
            assert!(n < K, "line {n} reached Kafka although line {K} failed");
        }
        let position = committed_position(&dir).unwrap_or(0);
        assert!(
            position <= start_of_k,
            "committed position {position} is past line {K} (starts at {start_of_k})"
        );
        seen.len()
    };
    let before = check_nothing_past_k();
    // Restarting does not skip it: the task fails on line k again.
    for _ in 0..2 {
        let restarts_before: u64 = running.tasks().iter().map(|(_, s)| s.restarts()).sum();
        running.herder().restart(&name, Some(0), false).unwrap();
        wait_until(
            "the restarted task to fail again",
            Duration::from_secs(60),
            || {
                running.tasks().iter().any(|(_, s)| {
                    s.failure()
                        .is_some_and(|f| f.to_lowercase().contains("too large"))
                }) && running
                    .tasks()
                    .iter()
                    .map(|(_, s)| s.restarts())
                    .sum::<u64>()
                    >= restarts_before
            },
        );
        check_nothing_past_k();
    }
    drop(running.stop());
    println!("line {K} refused: {before} records before it in Kafka, none after");

    // The cause fixed (a producer that takes the line): every line arrives.
    let running = Standalone::start(&worker(&dir, "100000"), &[connector]).unwrap();
    wait_until("every line in Kafka", Duration::from_secs(60), || {
        values(&topic).into_iter().collect::<BTreeSet<_>>().len() == LINES
    });
    for (id, outcome) in running.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    let seen: BTreeSet<String> = values(&topic).into_iter().collect();
    for i in 0..LINES {
        assert!(seen.contains(&line(i)), "line {i} lost");
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// datagen through the Avro converter while the schema registry does not answer: a retriable
/// failure, so the task fails and restarts, and even under `errors.tolerance=all` with a dead
/// letter queue no record is skipped or dead-lettered and no offset is committed. With the
/// registry back (the connector reconfigured to it) every record arrives.
#[test]
fn an_unreachable_registry_loses_no_record_and_dead_letters_none() {
    integration_tests::init_logs();
    const RECORDS: u64 = 500;
    let dir = temp_dir("source-registry-down");
    let topic = unique("registry-down");
    let dlq = unique("registry-down-dlq");
    let name = unique("datagen");
    // Nothing listens on port 9 of the loopback address.
    let down = "http://127.0.0.1:9/apis/ccompat/v7";
    let connector = |registry: &str| {
        props(&[
            ("name", &name),
            ("connector.class", "DatagenConnector"),
            ("kafka.topic", &topic),
            ("quickstart", "users"),
            ("iterations", &RECORDS.to_string()),
            ("random.seed", "3"),
            ("max.interval", "0"),
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", registry),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("wharf.task.restart.backoff.initial.ms", "100"),
            ("wharf.task.restart.backoff.max.ms", "200"),
        ])
    };
    let mut worker = worker(&dir, "1000000");
    worker.remove("value.converter");
    let running = Standalone::start(&worker, &[connector(down)]).unwrap();
    wait_until("two restarts", Duration::from_secs(60), || {
        running
            .tasks()
            .iter()
            .map(|(_, s)| s.restarts())
            .sum::<u64>()
            >= 2
    });
    let trace = running
        .tasks()
        .into_iter()
        .find_map(|(_, s)| s.failure())
        .unwrap_or_default();
    assert!(
        trace.contains("Retriable"),
        "registry outage is retriable: {trace}"
    );
    assert!(
        values(&topic).is_empty(),
        "nothing can be written without the registry"
    );
    assert!(
        values(&dlq).is_empty(),
        "a registry outage never dead-letters a record"
    );
    assert_eq!(
        committed_position(&dir),
        None,
        "no offset may be committed for records that were never sent"
    );
    assert!(
        fs::read_to_string(dir.join("offsets.json")).map_or(true, |t| !t.contains(&name)),
        "no offset committed for {name}"
    );

    running
        .herder()
        .put(
            connector(&integration_tests::registry_url()),
            engine::herder::TargetState::Running,
            true,
        )
        .unwrap();
    wait_until("every record in Kafka", Duration::from_secs(90), || {
        values(&topic).len() >= usize::try_from(RECORDS).unwrap()
    });
    for (id, outcome) in running.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    // Nothing was sent before the registry came back, so the reconfigured task starts from no
    // committed offset and sends each record exactly once.
    assert_eq!(values(&topic).len(), usize::try_from(RECORDS).unwrap());
    assert!(values(&dlq).is_empty(), "nothing dead-lettered");
    fs::remove_dir_all(&dir).unwrap();
}

mod pairing {
    //! `start` and `stop` of a source task are paired on every path.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use async_trait::async_trait;
    use connect_api::config::Properties;
    use connect_api::data::{Schema, SchemaAndValue, Value};
    use connect_api::{
        ErrorClass, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError,
    };
    use engine::kafka;
    use engine::offsets::{FileOffsetStore, JsonMap, OffsetStore};
    use engine::runtime::{ShardConfig, ShardPool};
    use engine::task::errors::ErrorPolicy;
    use engine::task::source_task::{self, SourceTaskSetup};
    use engine::task::{StopSignal, TaskEnv, TaskId, TaskStats};
    use integration_tests::{bootstrap, temp_dir, unique};

    #[derive(Debug, Default)]
    struct Calls {
        started: AtomicUsize,
        stopped: AtomicUsize,
        polls: AtomicUsize,
    }

    /// Emits one batch of three records with offsets, then fails in `commit`.
    struct CommitFails {
        topic: String,
        calls: Arc<Calls>,
    }

    #[async_trait(?Send)]
    impl SourceTask for CommitFails {
        async fn start(
            &mut self,
            _config: &connect_api::Config,
            _context: &SourceTaskContext,
        ) -> Result<(), TaskError> {
            self.calls.started.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }

        async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
            if self.calls.polls.fetch_add(1, Ordering::SeqCst) > 0 {
                glommio::timer::sleep(Duration::from_millis(20)).await;
                return Ok(Some(Vec::new()));
            }
            let mut partition = JsonMap::new();
            partition.insert("p".into(), "0".into());
            let partition = Arc::new(partition);
            Ok(Some(
                (0..3)
                    .map(|i| {
                        let mut offset = JsonMap::new();
                        offset.insert("n".into(), i.into());
                        SourceRecord {
                            source_partition: Arc::clone(&partition),
                            source_offset: offset,
                            topic: Arc::from(self.topic.as_str()),
                            kafka_partition: None,
                            key: Payload::Null,
                            value: Payload::Data(SchemaAndValue::new(
                                Some(Schema::string()),
                                Value::String(format!("r{i}").as_str().into()),
                            )),
                            timestamp: None,
                            headers: Vec::new(),
                        }
                    })
                    .collect(),
            ))
        }

        async fn commit(&mut self) -> Result<(), TaskError> {
            Err(TaskError::new(ErrorClass::Fatal, "commit hook failed"))
        }

        async fn stop(&mut self) -> Result<(), TaskError> {
            self.calls.stopped.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn run_once(config: Properties, calls: &Arc<Calls>) -> (Result<(), TaskError>, String) {
        let task_calls = Arc::clone(calls);
        run_task(config, Duration::ZERO, move |topic| {
            Box::new(CommitFails {
                topic,
                calls: task_calls,
            })
        })
    }

    /// Runs one task made by `make` (given a fresh topic) on a shard until it ends; its result
    /// and the offsets it committed.
    fn run_task(
        config: Properties,
        retry_timeout: Duration,
        make: impl FnOnce(String) -> Box<dyn SourceTask> + Send + 'static,
    ) -> (Result<(), TaskError>, String) {
        let dir = temp_dir("pairing");
        let offsets: Arc<dyn OffsetStore> =
            Arc::new(FileOffsetStore::open(dir.join("offsets.json")).unwrap());
        let string = "org.apache.kafka.connect.storage.StringConverter";
        let mut converter_props = Properties::new();
        converter_props.insert("key.converter".into(), string.into());
        converter_props.insert("value.converter".into(), string.into());
        let run = SourceTaskSetup {
            env: TaskEnv {
                id: TaskId {
                    connector: "pairing".into(),
                    task: 0,
                },
                converters: engine::task::convert::build(&converter_props, &Properties::new())
                    .unwrap(),
                errors: ErrorPolicy {
                    tolerate_all: false,
                    retry_timeout: Some(retry_timeout),
                    retry_delay_max: Duration::from_secs(1),
                    log: false,
                    log_messages: false,
                    dlq_topic: None,
                    dlq_replication_factor: 1,
                    dlq_context_headers: false,
                },
                config,
                spec: Arc::new(connect_api::ConfigDef::default()),
                producer_config: kafka::producer_config(&bootstrap()),
                admin_config: kafka::producer_config(&bootstrap()),
                flush_interval: Duration::ZERO,
                stop: StopSignal::default(),
                stats: Arc::new(TaskStats::default()),
                secrets: Default::default(),
            },
            offsets: Arc::clone(&offsets),
            exactly_once: None,
        };
        let pool = ShardPool::start(&ShardConfig {
            shards: 1,
            ..ShardConfig::default()
        })
        .unwrap();
        let topic = unique("pairing");
        let result = pool
            .run_on(0, move || source_task::run(make(topic), run))
            .unwrap();
        pool.shutdown();
        let stored = format!("{:?}", offsets.offsets("pairing"));
        std::fs::remove_dir_all(&dir).unwrap();
        (result, stored)
    }

    #[test]
    fn a_failing_commit_hook_still_commits_offsets_and_stops_the_task() {
        let calls = Arc::new(Calls::default());
        let (result, stored) = run_once(Properties::new(), &calls);
        assert!(result.unwrap_err().message().contains("commit hook failed"));
        assert_eq!(calls.started.load(Ordering::SeqCst), 1);
        assert_eq!(
            calls.stopped.load(Ordering::SeqCst),
            1,
            "stop after a failed commit"
        );
        assert!(
            stored.contains("\"n\": Number(2)"),
            "offsets committed: {stored}"
        );
    }

    #[test]
    fn a_setup_failure_neither_starts_nor_stops_the_task() {
        let calls = Arc::new(Calls::default());
        let mut config = Properties::new();
        config.insert("transforms".into(), "bad".into());
        config.insert("transforms.bad.type".into(), "NoSuchTransform".into());
        let (result, _) = run_once(config, &calls);
        assert_eq!(result.unwrap_err().class(), ErrorClass::Config);
        assert_eq!(calls.started.load(Ordering::SeqCst), 0);
        assert_eq!(calls.stopped.load(Ordering::SeqCst), 0);
    }

    /// Fails its first two polls as retriable, then emits three records, then is exhausted.
    struct FlakyPoll {
        topic: String,
        calls: Arc<Calls>,
    }

    #[async_trait(?Send)]
    impl SourceTask for FlakyPoll {
        async fn start(
            &mut self,
            _config: &connect_api::Config,
            _context: &SourceTaskContext,
        ) -> Result<(), TaskError> {
            self.calls.started.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }

        async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
            match self.calls.polls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(TaskError::new(ErrorClass::Retriable, "source system busy")),
                2 => {
                    let mut inner = CommitFails {
                        topic: self.topic.clone(),
                        calls: Arc::new(Calls::default()),
                    };
                    inner.poll().await
                }
                _ => Ok(None),
            }
        }

        async fn stop(&mut self) -> Result<(), TaskError> {
            self.calls.stopped.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn a_retriable_poll_is_called_again_without_a_restart() {
        let calls = Arc::new(Calls::default());
        let task_calls = Arc::clone(&calls);
        let (result, stored) = run_task(Properties::new(), Duration::from_secs(10), move |topic| {
            Box::new(FlakyPoll {
                topic,
                calls: task_calls,
            })
        });
        result.expect("the run ends cleanly: the retriable polls were retried in place");
        assert_eq!(calls.polls.load(Ordering::SeqCst), 4);
        assert_eq!(calls.started.load(Ordering::SeqCst), 1, "never restarted");
        assert_eq!(calls.stopped.load(Ordering::SeqCst), 1);
        assert!(
            stored.contains("\"n\": Number(2)"),
            "offsets committed: {stored}"
        );
    }
}
