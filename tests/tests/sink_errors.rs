//! Sink-side error handling against the real broker: bad records go to the dead letter queue with
//! Kafka Connect's context headers under `errors.tolerance=all`, and fail the task under `none`.

use std::fs;
use std::time::Duration;

use connect_api::config::Properties;
use engine::modes::standalone::Standalone;
use integration_tests::{bootstrap, consume_n, produce_all, props, temp_dir, unique, wait_until};

fn worker(dir: &std::path::Path) -> Properties {
    props(&[
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
        ("offset.flush.interval.ms", "500"),
    ])
}

/// 100 records, every 10th of them not JSON.
fn input() -> Vec<(String, Vec<u8>)> {
    (0..100)
        .map(|i| {
            let value = if i % 10 == 3 {
                format!("{{not json {i}").into_bytes()
            } else {
                format!("{{\"n\":{i},\"name\":\"r{i}\"}}").into_bytes()
            };
            (format!("k{i}"), value)
        })
        .collect()
}

#[test]
fn poison_records_go_to_the_dlq_with_context_headers() {
    integration_tests::init_logs();
    let dir = temp_dir("dlq");
    let (topic, dlq) = (unique("dlq-in"), unique("dlq-out"));
    let records = input();
    let refs: Vec<integration_tests::KeyValue<'_>> = records
        .iter()
        .map(|(k, v)| (Some(k.as_bytes()), Some(v.as_slice())))
        .collect();
    produce_all(&topic, &refs);
    let output = dir.join("out.txt");
    let name = unique("dlq-sink");
    let worker = Standalone::start(
        &worker(&dir),
        &[props(&[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &topic),
            ("errors.tolerance", "all"),
            ("errors.log.enable", "true"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ])],
    )
    .unwrap();
    wait_until(
        "90 good records in the file",
        Duration::from_secs(60),
        || {
            fs::read_to_string(&output)
                .map(|t| t.lines().count())
                .unwrap_or(0)
                >= 90
        },
    );
    let dead = consume_n(&dlq, 10, Duration::from_secs(60));
    let stats: Vec<_> = worker.tasks().iter().map(|t| t.1.dlq()).collect();
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    assert_eq!(stats, [10]);

    // Good records: decoded JSON, written as schemaless JSON text, in order.
    let lines: Vec<String> = fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = (0..100)
        .filter(|i| i % 10 != 3)
        .map(|i| format!("{{\"n\":{i},\"name\":\"r{i}\"}}"))
        .collect();
    assert_eq!(lines, expected);

    // Bad records: original key and value, and Kafka Connect's context headers.
    for (n, (key, value, headers)) in dead.iter().enumerate() {
        let i = n * 10 + 3;
        assert_eq!(key.as_deref(), Some(format!("k{i}").as_bytes()));
        assert_eq!(value.as_deref(), Some(format!("{{not json {i}").as_bytes()));
        let header = |k: &str| {
            headers
                .iter()
                .find(|(h, _)| h == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("__connect.errors.topic"), Some(topic.as_str()));
        assert_eq!(header("__connect.errors.partition"), Some("0"));
        assert_eq!(
            header("__connect.errors.offset"),
            Some(i.to_string().as_str())
        );
        assert_eq!(
            header("__connect.errors.connector.name"),
            Some(name.as_str())
        );
        assert_eq!(header("__connect.errors.task.id"), Some("0"));
        assert_eq!(header("__connect.errors.stage"), Some("VALUE_CONVERTER"));
        assert_eq!(
            header("__connect.errors.class.name"),
            Some("org.apache.kafka.connect.json.JsonConverter")
        );
        assert_eq!(
            header("__connect.errors.exception.class.name"),
            Some("org.apache.kafka.connect.errors.DataException")
        );
        assert!(header("__connect.errors.exception.message").is_some_and(|m| !m.is_empty()));
    }
    fs::remove_dir_all(&dir).unwrap();
}

/// Kafka Connect fails the task on the bad record; wharf also restarts it with backoff, and
/// the failure and the restarts show in the task's status.
#[test]
fn without_tolerance_the_task_fails_with_a_clear_trace_and_restarts_with_backoff() {
    integration_tests::init_logs();
    let dir = temp_dir("no-tolerance");
    let topic = unique("no-tolerance");
    produce_all(
        &topic,
        &[
            (None, Some(b"{\"ok\":1}".as_slice())),
            (None, Some(b"not json".as_slice())),
            (None, Some(b"{\"ok\":2}".as_slice())),
        ],
    );
    let output = dir.join("out.txt");
    let worker = Standalone::start(
        &worker(&dir),
        &[props(&[
            ("name", &unique("strict-sink")),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &topic),
            ("wharf.task.restart.backoff.initial.ms", "200"),
            ("wharf.task.restart.backoff.max.ms", "400"),
        ])],
    )
    .unwrap();
    let stats = std::sync::Arc::clone(&worker.tasks()[0].1);
    wait_until("two automatic restarts", Duration::from_secs(60), || {
        stats.restarts() >= 2
    });
    let trace = stats.failure().expect("the task is marked failed");
    assert!(trace.starts_with("BadData: "), "{trace}");
    assert!(trace.contains("VALUE_CONVERTER"), "{trace}");
    assert!(trace.contains(&format!("{topic}-0 offset 1")), "{trace}");
    // Stopping may catch the task between failures or inside a fresh run; either ends it.
    drop(worker.stop());
    // The batch holding the bad record was never put, so nothing after it was written.
    assert!(
        !fs::read_to_string(&output)
            .unwrap_or_default()
            .contains("{\"ok\":2}")
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// wharf extends the dead letter queue to sources: a record the source's converter cannot write
/// goes to the DLQ as JSON with its schema, with the context headers naming the intended topic.
#[test]
fn source_records_the_converter_rejects_go_to_the_dlq() {
    integration_tests::init_logs();
    let dir = temp_dir("source-dlq");
    let (topic, dlq) = (unique("source-dlq-target"), unique("source-dlq"));
    let name = unique("source-dlq");
    let mut worker_props = worker(&dir);
    // StringConverter writes strings and numbers, not the datagen's structs.
    worker_props.insert(
        "value.converter".to_owned(),
        "org.apache.kafka.connect.storage.StringConverter".to_owned(),
    );
    let worker = Standalone::start(
        &worker_props,
        &[props(&[
            ("name", &name),
            ("connector.class", "DatagenConnector"),
            ("kafka.topic", &topic),
            ("quickstart", "users"),
            ("iterations", "20"),
            ("max.interval", "0"),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ])],
    )
    .unwrap();
    let dead = consume_n(&dlq, 20, Duration::from_secs(60));
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    for (_, value, headers) in &dead {
        let value: serde_json::Value = serde_json::from_slice(value.as_ref().unwrap()).unwrap();
        assert_eq!(value["schema"]["name"], "ksql.users", "{value}");
        assert!(
            value["payload"]["userid"]
                .as_str()
                .unwrap()
                .starts_with("User_")
        );
        let header = |k: &str| {
            headers
                .iter()
                .find(|(h, _)| h == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("__connect.errors.topic"), Some(topic.as_str()));
        assert_eq!(header("__connect.errors.stage"), Some("VALUE_CONVERTER"));
        assert_eq!(
            header("__connect.errors.class.name"),
            Some("org.apache.kafka.connect.storage.StringConverter")
        );
        assert_eq!(
            header("__connect.errors.connector.name"),
            Some(name.as_str())
        );
    }
    let offsets = fs::read_to_string(dir.join("offsets.json")).unwrap();
    assert!(
        offsets.contains("\"index\":20"),
        "skipped records are handled: {offsets}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// A 10 MB record that is not JSON, between 101 good ones, under `errors.tolerance=all`: too large
/// for the dead letter queue's producer, it still leaves its trace there (context headers, the
/// value cut to fit, a header with the original sizes), the task is never restarted, and every
/// good record is delivered.
#[test]
fn a_bad_record_too_large_for_the_dlq_leaves_a_cut_trace_and_the_rest_is_delivered() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    integration_tests::init_logs();
    let dir = temp_dir("dlq-large");
    let (topic, dlq) = (unique("dlq-large-in"), unique("dlq-large-out"));
    // The input topic takes large records; the DLQ topic keeps the broker's 1 MB default.
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let new =
        NewTopic::new(&topic, 1, TopicReplication::Fixed(1)).set("max.message.bytes", "12000000");
    let created =
        futures::executor::block_on(admin.create_topics(&[new], &AdminOptions::new())).unwrap();
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("message.max.bytes", "12000000")
        .create()
        .unwrap();
    let big = vec![b'{'; 10 * 1024 * 1024];
    for i in 0..102 {
        let value = if i == 50 {
            big.clone()
        } else {
            format!("{{\"n\":{i}}}").into_bytes()
        };
        producer
            .send(
                BaseRecord::<[u8], [u8]>::to(&topic)
                    .partition(0)
                    .payload(&value),
            )
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();

    let output = dir.join("out.txt");
    let worker = Standalone::start(
        &worker(&dir),
        &[props(&[
            ("name", &unique("dlq-large-sink")),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &topic),
            ("errors.tolerance", "all"),
            ("errors.deadletterqueue.topic.name", &dlq),
            ("errors.deadletterqueue.topic.replication.factor", "1"),
            ("errors.deadletterqueue.context.headers.enable", "true"),
        ])],
    )
    .unwrap();
    let count = || {
        fs::read_to_string(&output)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    wait_until("the 101 good records", Duration::from_secs(90), || {
        count() >= 101
    });
    let dead = consume_n(&dlq, 1, Duration::from_secs(60));
    let restarts: u64 = worker.tasks().iter().map(|t| t.1.restarts()).sum();
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    assert_eq!(restarts, 0, "the task never failed");
    assert_eq!(count(), 101);
    let (_, value, headers) = &dead[0];
    let value = value.as_ref().unwrap();
    assert!(
        !value.is_empty() && value.len() < 1_000_000,
        "cut to {}",
        value.len()
    );
    assert!(
        value.iter().all(|b| *b == b'{'),
        "a prefix of the original value"
    );
    let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    assert_eq!(
        header("__wharf.errors.truncated").as_deref(),
        Some(format!("key=0,value={}", big.len()).as_str())
    );
    assert_eq!(header("__connect.errors.offset").as_deref(), Some("50"));
    assert_eq!(
        header("__connect.errors.stage").as_deref(),
        Some("VALUE_CONVERTER")
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// A consumer setting librdkafka refuses is a config error: the task fails once with the key in
/// its trace and is not restarted in a loop.
#[test]
fn a_bad_consumer_setting_fails_the_task_once_as_a_config_error() {
    let dir = temp_dir("bad-consumer");
    let mut worker_props = worker(&dir);
    worker_props.insert("consumer.auto.offset.reset".into(), "sideways".into());
    worker_props.insert("wharf.task.restart.backoff.initial.ms".into(), "100".into());
    let worker = Standalone::start(
        &worker_props,
        &[props(&[
            ("name", &unique("bad-consumer-sink")),
            ("connector.class", "FileStreamSink"),
            ("file", dir.join("out.txt").to_str().unwrap()),
            ("topics", &unique("bad-consumer")),
            ("wharf.task.restart.backoff.initial.ms", "100"),
        ])],
    )
    .unwrap();
    let failure = || worker.tasks().iter().find_map(|t| t.1.failure());
    wait_until("the task to fail", Duration::from_secs(30), || {
        failure().is_some()
    });
    std::thread::sleep(Duration::from_millis(1000));
    let trace = failure().unwrap();
    assert!(trace.starts_with("Config"), "{trace}");
    assert!(trace.contains("auto.offset.reset"), "{trace}");
    let restarts: u64 = worker.tasks().iter().map(|t| t.1.restarts()).sum();
    assert_eq!(restarts, 0, "a config error is not restarted");
    drop(worker.stop());
    fs::remove_dir_all(&dir).unwrap();
}

/// Kafka Connect's per-connector client override (`consumer.override.*`) reaches the task's
/// consumer: a value librdkafka refuses fails it once as a config error.
#[test]
fn a_connector_level_consumer_override_reaches_the_consumer() {
    let dir = temp_dir("override-consumer");
    let worker = Standalone::start(
        &worker(&dir),
        &[props(&[
            ("name", &unique("override-sink")),
            ("connector.class", "FileStreamSink"),
            ("file", dir.join("out.txt").to_str().unwrap()),
            ("topics", &unique("override")),
            ("consumer.override.auto.offset.reset", "sideways"),
        ])],
    )
    .unwrap();
    let failure = || worker.tasks().iter().find_map(|t| t.1.failure());
    wait_until("the task to fail", Duration::from_secs(30), || {
        failure().is_some()
    });
    let trace = failure().unwrap();
    assert!(
        trace.starts_with("Config") && trace.contains("auto.offset.reset"),
        "{trace}"
    );
    drop(worker.stop());
    fs::remove_dir_all(&dir).unwrap();
}
