//! What a sink task's `put` error class makes the runtime do, against the real broker: a
//! retriable error calls `put` again with the same records (no restart, nothing lost or put
//! twice); bad data under `errors.tolerance=all` is found record by record and dead-lettered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use connect_api::config::Properties;
use connect_api::{ErrorClass, SinkRecord, SinkTask, TaskError};
use engine::kafka;
use engine::runtime::{ShardConfig, ShardPool};
use engine::task::errors::ErrorPolicy;
use engine::task::sink_task::{self, SinkTaskSetup, Subscription};
use engine::task::{StopSignal, TaskEnv, TaskId, TaskStats};
use integration_tests::{bootstrap, consume_n, produce_all, unique};

const RECORDS: usize = 100;
const BAD: [usize; 2] = [30, 70];

#[derive(Debug, Default)]
struct Log {
    /// Values accepted by `put`, in order.
    accepted: Vec<String>,
    /// `put` calls that failed as retriable.
    retriable: usize,
    calls: usize,
}

/// Fails its first two `put` calls as retriable; refuses a batch holding a "bad" record as bad
/// data; accepts everything else.
struct FlakyTask {
    log: Arc<Mutex<Log>>,
    stop: StopSignal,
}

#[async_trait(?Send)]
impl SinkTask for FlakyTask {
    async fn start(&mut self, _config: &connect_api::Config) -> Result<(), TaskError> {
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError> {
        let mut log = self.log.lock().unwrap();
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
        if log.accepted.len() >= RECORDS - BAD.len() {
            self.stop.set();
        }
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

    let stop = StopSignal::default();
    let log = Arc::new(Mutex::new(Log::default()));
    let string = "org.apache.kafka.connect.storage.StringConverter";
    let mut converter_props = Properties::new();
    converter_props.insert("key.converter".into(), string.into());
    converter_props.insert("value.converter".into(), string.into());
    let converters = engine::task::convert::build(&converter_props, &Properties::new()).unwrap();
    let stats = Arc::new(TaskStats::default());
    let run = SinkTaskSetup {
        env: TaskEnv {
            id: TaskId {
                connector: "put-errors".to_owned(),
                task: 0,
            },
            converters,
            errors: ErrorPolicy {
                tolerate_all: true,
                retry_timeout: Some(Duration::from_secs(30)),
                retry_delay_max: Duration::from_millis(300),
                log: false,
                log_messages: false,
                dlq_topic: Some(dlq.clone()),
                dlq_replication_factor: 1,
                dlq_context_headers: true,
            },
            producer_config: kafka::producer_config(&bootstrap()),
            bootstrap: bootstrap(),
            config: Properties::new(),
            spec: Arc::new(connect_api::ConfigDef::default()),
            flush_interval: Duration::from_secs(3600),
            stop: stop.clone(),
            stats: Arc::clone(&stats),
        },
        consumer_config: kafka::consumer_config(&bootstrap(), &unique("connect-put-errors")),
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
            while !stop.is_set() && start.elapsed() < Duration::from_secs(90) {
                std::thread::sleep(Duration::from_millis(50));
            }
            stop.set();
        })
    };
    let (task_log, task_stop) = (Arc::clone(&log), stop.clone());
    let result = pool
        .run_on(0, move || {
            sink_task::run(
                Box::new(FlakyTask {
                    log: task_log,
                    stop: task_stop,
                }),
                run,
            )
        })
        .unwrap();
    watchdog.join().unwrap();
    pool.shutdown();
    // A retriable put never ended the run: it returned cleanly.
    result.unwrap();

    let log = log.lock().unwrap();
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
