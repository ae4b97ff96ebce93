//! The sink runtime against the real broker: a task's `SinkTaskContext` requests (seek on open,
//! pause / resume, commit requests) and `pre_commit`, and offset commits that stay correct while
//! the consumer group moves partitions between two workers.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{Config, ConfigDef, Properties};
use connect_api::{SinkRecord, SinkTask, SinkTaskContext, TaskError, TopicPartition};
use engine::kafka::{self, TopicSpec};
use engine::modes::standalone::Standalone;
use engine::runtime::{ShardConfig, ShardPool};
use engine::task::errors::ErrorPolicy;
use engine::task::sink_task::{self, SinkTaskSetup, Subscription};
use engine::task::{StopSignal, TaskEnv, TaskId, TaskStats};
use integration_tests::{bootstrap, props, temp_dir, unique, wait_until};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

const LIMIT: Duration = Duration::from_secs(90);
/// Records per partition in the context test, and the last offset.
const PER_PARTITION: usize = 3000;
const LAST: i64 = 2999;

fn create_topic(topic: &str, partitions: i32) {
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: topic,
            partitions,
            replication_factor: 1,
            configs: Vec::new(),
        },
    ))
    .unwrap();
}

/// `per_partition` records into each partition; the value names partition and index.
fn fill(topic: &str, partitions: i32, per_partition: usize) {
    fill_range(topic, partitions, 0..per_partition);
}

/// Records `indexes` into each partition.
fn fill_range(topic: &str, partitions: i32, indexes: std::ops::Range<usize>) {
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "5")
        .create()
        .unwrap();
    for i in indexes {
        for p in 0..partitions {
            let value = format!("p{p}-{i}");
            loop {
                let record = BaseRecord::<[u8], [u8]>::to(topic)
                    .partition(p)
                    .payload(value.as_bytes());
                match producer.send(record) {
                    Ok(()) => break,
                    Err((e, _)) => {
                        assert!(
                            matches!(
                                e.rdkafka_error_code(),
                                Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                            ),
                            "{e}"
                        );
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// The committed offsets of `group` on partitions `0..partitions` of `topic`.
fn committed(group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .unwrap();
    (0..partitions)
        .map(
            |p| match committed.find_partition(topic, p).unwrap().offset() {
                Offset::Offset(o) => o,
                _ => -1,
            },
        )
        .collect()
}

/// Members of `group` once it is stable (0 while it rebalances).
fn stable_members(group: &str) -> usize {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let Ok(list) = consumer.fetch_group_list(Some(group), Duration::from_secs(5)) else {
        return 0;
    };
    list.groups()
        .iter()
        .filter(|g| g.state() == "Stable")
        .map(|g| g.members().len())
        .sum()
}

/// What the test task saw, in order.
#[derive(Debug, Default)]
struct Log {
    opened: Vec<TopicPartition>,
    /// (partition, offset) per record put.
    put: Vec<(i32, i64)>,
    /// Index into `put` at which partition 1 was paused, resp. resumed.
    paused_at: Option<usize>,
    resumed_at: Option<usize>,
    pre_commits: usize,
}

/// Seeks partition 0 to offset 50 and pauses partition 1 when they open; resumes partition 1
/// once partition 0 is done and asks for a commit then.
struct ScriptedTask {
    topic: String,
    log: Arc<Mutex<Log>>,
    context: Option<SinkTaskContext>,
    stop: StopSignal,
}

impl ScriptedTask {
    fn context(&self) -> &SinkTaskContext {
        self.context.as_ref().expect("initialized")
    }
}

#[async_trait(?Send)]
impl SinkTask for ScriptedTask {
    fn initialize(&mut self, context: SinkTaskContext) {
        self.context = Some(context);
    }

    async fn start(&mut self, _config: &Config) -> Result<(), TaskError> {
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<(), TaskError> {
        let p0 = TopicPartition::new(self.topic.as_str(), 0);
        let p1 = TopicPartition::new(self.topic.as_str(), 1);
        if partitions.contains(&p0) {
            self.context().offset(p0, 50);
        }
        let mut log = self.log.lock().unwrap();
        if partitions.contains(&p1) {
            log.paused_at = Some(log.put.len());
            self.context().pause(&[p1]);
        }
        log.opened.extend_from_slice(partitions);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError> {
        let p1 = TopicPartition::new(self.topic.as_str(), 1);
        let mut log = self.log.lock().unwrap();
        assert!(
            log.paused_at.is_none()
                || log.resumed_at.is_some()
                || self.context().paused() == [p1.clone()],
            "the context reports the pause"
        );
        for r in records {
            // The value was read by StringConverter and must match its position.
            let expected = format!("p{}-{}", r.partition, r.offset);
            assert_eq!(
                r.value.value,
                connect_api::data::Value::String(expected.as_str().into()),
                "value at {}-{}",
                r.partition,
                r.offset
            );
            log.put.push((r.partition, r.offset));
        }
        let p0_done = log.put.iter().any(|&(p, o)| p == 0 && o == LAST);
        if p0_done && log.paused_at.is_some() && log.resumed_at.is_none() {
            log.resumed_at = Some(log.put.len());
            self.context().resume(&[p1]);
            self.context().request_commit();
        }
        let p1_done = log.put.iter().any(|&(p, o)| p == 1 && o == LAST);
        if p0_done && p1_done {
            self.stop.set();
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        Ok(())
    }

    async fn pre_commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, TaskError> {
        self.log.lock().unwrap().pre_commits += 1;
        Ok(offsets.clone())
    }
}

#[test]
fn a_task_seeks_on_open_pauses_and_resumes_partitions() {
    integration_tests::init_logs();
    let topic = unique("ctx");
    create_topic(&topic, 2);
    fill(&topic, 2, PER_PARTITION);
    let group = unique("connect-ctx");
    let stop = StopSignal::default();
    let log = Arc::new(Mutex::new(Log::default()));
    let string = "org.apache.kafka.connect.storage.StringConverter";
    let converters = engine::task::convert::build(
        &props(&[("key.converter", string), ("value.converter", string)]),
        &Properties::new(),
    )
    .unwrap();
    let run = SinkTaskSetup {
        env: TaskEnv {
            id: TaskId {
                connector: "ctx".to_owned(),
                task: 0,
            },
            converters,
            errors: ErrorPolicy {
                tolerate_all: false,
                retry_timeout: Some(Duration::ZERO),
                retry_delay_max: Duration::from_secs(1),
                log: false,
                log_messages: false,
                dlq_topic: None,
                dlq_replication_factor: 1,
                dlq_context_headers: false,
            },
            producer_config: kafka::producer_config(&bootstrap()),
            admin_config: kafka::producer_config(&bootstrap()),
            config: Properties::new(),
            spec: Arc::new(ConfigDef::default()),
            flush_interval: Duration::from_secs(3600),
            stop: stop.clone(),
            stats: Arc::new(TaskStats::default()),
            secrets: Default::default(),
        },
        consumer_config: {
            // Small fetches, so that partition 1 is read in many batches and the pause shows.
            let mut c = kafka::consumer_config(&bootstrap(), &group);
            c.set("max.partition.fetch.bytes", "2048")
                .set("queued.max.messages.kbytes", "16");
            c
        },
        subscription: Subscription::Topics(vec![topic.clone()]),
    };
    let pool = ShardPool::start(&ShardConfig {
        shards: 1,
        ..ShardConfig::default()
    })
    .unwrap();
    let watchdog = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !stop.is_set() && start.elapsed() < LIMIT {
                std::thread::sleep(Duration::from_millis(50));
            }
            stop.set();
        })
    };
    let (task_topic, task_log, task_stop) = (topic.clone(), Arc::clone(&log), stop.clone());
    let result = pool
        .run_on(0, move || {
            let task = ScriptedTask {
                topic: task_topic,
                log: task_log,
                context: None,
                stop: task_stop,
            };
            sink_task::run(Box::new(task), run)
        })
        .unwrap();
    watchdog.join().unwrap();
    pool.shutdown();
    result.unwrap();

    let log = log.lock().unwrap();
    assert_eq!(
        log.opened,
        vec![
            TopicPartition::new(topic.as_str(), 0),
            TopicPartition::new(topic.as_str(), 1)
        ]
    );
    let of = |p: i32| -> Vec<i64> {
        log.put
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, o)| *o)
            .collect()
    };
    // The seek on open: partition 0 starts at 50, nothing before it is put.
    assert_eq!(of(0), (50..=LAST).collect::<Vec<_>>());
    // Partition 1 complete and in order: records fetched while it was paused were put again
    // after the resume, once.
    assert_eq!(of(1), (0..=LAST).collect::<Vec<_>>());
    let (paused, resumed) = (log.paused_at.unwrap(), log.resumed_at.unwrap());
    let between = &log.put[paused..resumed];
    assert!(
        !between.is_empty() && between.iter().all(|(p, _)| *p == 0),
        "only partition 0 records between pause and resume: {between:?}"
    );
    assert!(
        of(1).len() > between.len().min(1) && log.put[resumed..].iter().any(|(p, _)| *p == 1),
        "partition 1 continues after the resume"
    );
    assert!(
        log.pre_commits >= 2,
        "request_commit and stop each pre-commit: {}",
        log.pre_commits
    );
    assert_eq!(committed(&group, &topic, 2), vec![LAST + 1, LAST + 1]);
}

/// Two workers run the same sink connector (one consumer group) over four partitions; the second
/// joins mid-stream and the first leaves mid-stream. Every record must reach one of the files,
/// and at the end the group's committed offsets must be the partitions' ends.
#[test]
fn commits_stay_correct_while_partitions_move_between_workers() {
    integration_tests::init_logs();
    const PARTITIONS: i32 = 4;
    const PER_PARTITION: usize = 50_000;
    let topic = unique("rebalance");
    create_topic(&topic, PARTITIONS);
    let dir = temp_dir("rebalance");
    let name = unique("rebalance-sink");
    let worker = |n: u32| {
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
                dir.join(format!("offsets-{n}.json")).to_str().unwrap(),
            ),
            ("offset.flush.interval.ms", "300"),
            ("wharf.shards", "1"),
            // Two live copies of the same task share the group here, so each worker's static
            // member ids get their own prefix (one shared id would fence the other copy).
            ("consumer.group.instance.id", &format!("w{n}")),
        ])
    };
    let out = |n: u32| dir.join(format!("out-{n}.txt"));
    let sink = |n: u32| {
        props(&[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("file", out(n).to_str().unwrap()),
            ("topics", &topic),
        ])
    };
    let lines = |n: u32| {
        std::fs::read_to_string(out(n))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    let total = PER_PARTITION * usize::try_from(PARTITIONS).unwrap();

    // Input arrives in three waves: before the first worker starts, after the second joined,
    // and after the first left, so that both rebalances happen with records in flight.
    let wave = PER_PARTITION / 3;
    fill_range(&topic, PARTITIONS, 0..wave);
    let first = Standalone::start(&worker(1), &[sink(1)]).unwrap();
    wait_until("the first worker writes", LIMIT, || lines(1) > 0);
    let second = Standalone::start(&worker(2), &[sink(2)]).unwrap();
    let group = format!("connect-{name}");
    wait_until("both workers are in the group", LIMIT, || {
        stable_members(&group) == 2
    });
    fill_range(&topic, PARTITIONS, wave..2 * wave);
    wait_until("the second worker gets partitions", LIMIT, || lines(2) > 0);
    for (id, result) in first.stop() {
        result.unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    fill_range(&topic, PARTITIONS, 2 * wave..PER_PARTITION);
    wait_until("every record is written", LIMIT, || {
        committed(&group, &topic, PARTITIONS) == vec![i64::try_from(PER_PARTITION).unwrap(); 4]
    });
    // The consumer's statistics report the lag of the partitions the task owns.
    wait_until("the second worker reports no lag", LIMIT, || {
        second.tasks()[0].1.consumer_lag() == Some(0)
    });
    for (id, result) in second.stop() {
        result.unwrap_or_else(|e| panic!("{id}: {e}"));
    }

    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in [1, 2] {
        for line in std::fs::read_to_string(out(n)).unwrap().lines() {
            *seen.entry(line.to_owned()).or_default() += 1;
        }
    }
    for p in 0..PARTITIONS {
        for i in 0..PER_PARTITION {
            let line = format!("p{p}-{i}");
            assert!(seen.contains_key(&line), "{line} was lost");
        }
    }
    assert_eq!(seen.len(), total, "only input lines were written");
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    // A revocation commits everything put before the partitions move, and a clean stop commits
    // the rest: nothing is delivered twice.
    assert_eq!(duplicates, 0, "records delivered twice");
    eprintln!("rebalance: {total} records, {duplicates} delivered twice");
}

/// Without transforms, one-line JSON objects and arrays reach the file sink as the bytes that
/// were consumed (the spacing shows it); other JSON values and every value behind a transform are
/// decoded and written as the sink renders them.
#[test]
fn json_objects_pass_through_undecoded_unless_a_transform_needs_them() {
    integration_tests::init_logs();
    let topic = unique("passthrough");
    let input: [&[u8]; 4] = [
        br#"{"a": 1,  "b": [true]}"#,
        br#""text""#,
        b"[1, 2.5]",
        b"{oops",
    ];
    let records: Vec<integration_tests::KeyValue<'_>> =
        input.iter().map(|v| (None, Some(*v))).collect();
    integration_tests::produce_all(&topic, &records);
    let dir = temp_dir("passthrough");
    let worker = props(&[
        ("bootstrap.servers", &bootstrap()),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.json.JsonConverter",
        ),
        ("value.converter.schemas.enable", "false"),
        (
            "offset.storage.file.filename",
            dir.join("offsets.json").to_str().unwrap(),
        ),
        ("offset.flush.interval.ms", "200"),
    ]);
    let plain = dir.join("plain.txt");
    let transformed = dir.join("transformed.txt");
    let sink = |name: &str, file: &std::path::Path, extra: &[(&str, &str)]| {
        let mut p = props(&[
            ("name", &unique(name)),
            ("connector.class", "FileStreamSink"),
            ("file", file.to_str().unwrap()),
            ("topics", &topic),
            ("errors.tolerance", "all"),
        ]);
        p.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        p
    };
    let worker = Standalone::start(
        &worker,
        &[
            sink("plain", &plain, &[]),
            // A transform that keeps every record still needs the decoded value.
            sink(
                "transformed",
                &transformed,
                &[
                    ("transforms", "keep"),
                    (
                        "transforms.keep.type",
                        "org.apache.kafka.connect.transforms.Filter",
                    ),
                    ("transforms.keep.predicate", "never"),
                    ("predicates", "never"),
                    (
                        "predicates.never.type",
                        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                    ),
                    ("predicates.never.pattern", "no-such-topic"),
                ],
            ),
        ],
    )
    .unwrap();
    let lines = |f: &std::path::Path| {
        std::fs::read_to_string(f)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    wait_until("both sinks wrote three lines", LIMIT, || {
        lines(&plain).len() == 3 && lines(&transformed).len() == 3
    });
    for (id, result) in worker.stop() {
        result.unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    assert_eq!(
        lines(&plain),
        [r#"{"a": 1,  "b": [true]}"#, "text", "[1, 2.5]"]
    );
    assert_eq!(
        lines(&transformed),
        [r#"{"a":1,"b":[true]}"#, "text", "[1,2.5]"]
    );
}
