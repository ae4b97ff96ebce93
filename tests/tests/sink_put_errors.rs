//! What a sink task's `put` error class makes the runtime do, against the real broker: a
//! retriable error calls `put` again with the same records (no restart, nothing lost or put
//! twice); bad data under `errors.tolerance=all` is found record by record and dead-lettered.
//! The task runs in a standalone worker, registered as a connector plugin of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, Properties};
use connect_api::{Connector, ErrorClass, SinkConnector, SinkRecord, SinkTask, TaskError};
use engine::modes::standalone::Standalone;
use engine::plugins::Plugins;
use integration_tests::{bootstrap, consume_n, produce_all, props, temp_dir, unique, wait_until};

const RECORDS: usize = 100;
const BAD: [usize; 2] = [30, 70];

/// What the task saw; tasks are made by the worker, so the log is a static (one test here).
static LOG: Mutex<Log> = Mutex::new(Log {
    accepted: Vec::new(),
    retriable: 0,
    calls: 0,
});

#[derive(Debug)]
struct Log {
    /// Values accepted by `put`, in order.
    accepted: Vec<String>,
    /// `put` calls that failed as retriable.
    retriable: usize,
    calls: usize,
}

/// Fails its first two `put` calls as retriable; refuses a batch holding a "bad" record as bad
/// data; accepts everything else.
#[derive(Default)]
struct FlakyTask;

/// Runs one [`FlakyTask`].
#[derive(Default)]
struct FlakySink;

impl Connector for FlakySink {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::default()
    }

    fn task_configs(&self, _config: &Properties, _max_tasks: usize) -> Vec<Properties> {
        vec![Properties::new()]
    }
}

impl SinkConnector for FlakySink {
    type Task = FlakyTask;
    const CLASS: &'static str = "test.FlakySink";
    const VERSION: &'static str = "0";
}

#[async_trait(?Send)]
impl SinkTask for FlakyTask {
    async fn start(&mut self, _config: &connect_api::Config) -> Result<(), TaskError> {
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError> {
        let mut log = LOG.lock().unwrap();
        log.calls += 1;
        if log.retriable < 2 && !records.is_empty() {
            log.retriable += 1;
            return Err(TaskError::new(ErrorClass::Retriable, "target busy"));
        }
        let values: Vec<String> = records
            .iter()
            .map(|r| match &r.value.value {
                connect_api::data::Value::String(s) => s.to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        if values.iter().any(|v| v == "bad") {
            return Err(TaskError::new(
                ErrorClass::BadData,
                "a record the target refuses",
            ));
        }
        log.accepted.extend(values);
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        Ok(())
    }
}

#[test]
fn retriable_puts_are_retried_in_place_and_bad_records_are_dead_lettered() {
    integration_tests::init_logs();
    let topic = unique("put-errors");
    let dlq = unique("put-errors-dlq");
    let values: Vec<String> = (0..RECORDS)
        .map(|i| {
            if BAD.contains(&i) {
                "bad".to_owned()
            } else {
                format!("v{i}")
            }
        })
        .collect();
    let records: Vec<_> = values.iter().map(|v| (None, Some(v.as_bytes()))).collect();
    produce_all(&topic, &records);

    let dir = temp_dir("put-errors");
    let string = "org.apache.kafka.connect.storage.StringConverter";
    let worker = props(&[
        ("bootstrap.servers", &bootstrap()),
        ("key.converter", string),
        ("value.converter", string),
        (
            "offset.storage.file.filename",
            dir.join("offsets.json").to_str().unwrap(),
        ),
        ("offset.flush.interval.ms", "3600000"),
        ("wharf.shards", "1"),
    ]);
    let connector = props(&[
        ("name", &unique("put-errors")),
        ("connector.class", "test.FlakySink"),
        ("topics", &topic),
        ("errors.tolerance", "all"),
        ("errors.retry.timeout", "30000"),
        ("errors.retry.delay.max.ms", "300"),
        ("errors.deadletterqueue.topic.name", &dlq),
        ("errors.deadletterqueue.topic.replication.factor", "1"),
        ("errors.deadletterqueue.context.headers.enable", "true"),
    ]);
    let plugins = Arc::new(Plugins::builtin().with_sink::<FlakySink>());
    let worker = Standalone::start_with(plugins, &worker, &[connector]).unwrap();
    wait_until("every good record is put", Duration::from_secs(90), || {
        LOG.lock().unwrap().accepted.len() >= RECORDS - BAD.len()
    });
    let stats = Arc::clone(&worker.tasks()[0].1);
    // A retriable put never ended the run: it was not restarted and stops cleanly.
    assert_eq!(stats.restarts(), 0);
    for (id, result) in worker.stop() {
        result.unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    std::fs::remove_dir_all(&dir).unwrap();

    let log = LOG.lock().unwrap();
    assert_eq!(log.retriable, 2);
    let expected: Vec<String> = values.iter().filter(|v| *v != "bad").cloned().collect();
    assert_eq!(
        log.accepted, expected,
        "every good record put once, in order"
    );
    let dead = consume_n(&dlq, BAD.len(), Duration::from_secs(30));
    for ((_, value, headers), offset) in dead.iter().zip(BAD) {
        assert_eq!(value.as_deref(), Some(&b"bad"[..]));
        let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
        assert_eq!(
            header("__connect.errors.stage").as_deref(),
            Some("TASK_PUT")
        );
        assert_eq!(header("__connect.errors.offset"), Some(offset.to_string()));
    }
    assert_eq!(stats.dlq(), 2);
}
