//! The datagen task: record `index * tasks + task` of the data set, for `index` = 0, 1, 2, ...
//!
//! The source offset is the next index, so a restarted task continues where the last committed
//! record left off and regenerates exactly the records that were not committed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

use super::UserSchema;
use super::config::{
    BATCH_SIZE, ITERATIONS, MAX_INTERVAL, QUICKSTART, RATE, SCHEMA_FILENAME, SCHEMA_KEYFIELD,
    SCHEMA_STRING, SEED, TASK_COUNT, TASK_INDEX, TOPIC,
};
use super::quickstart::{Quickstart, Rng, generate};
use crate::offsets::JsonMap;
use connect_api::config::{Config, Properties};
use connect_api::{ErrorClass, Payload, SourceRecord, SourceTask, SourceTaskContext, TaskError};

/// Generates seeded records of a quickstart data set.
#[derive(Debug)]
pub struct DatagenTask {
    set: Quickstart,
    /// A user's schema, which replaces `set` when given.
    user: Option<UserSchema>,
    topic: Arc<str>,
    seed: u64,
    task: u64,
    tasks: u64,
    /// Index of the next record this task generates.
    next: u64,
    /// Indexes below this are this task's share of `iterations` (`None`: no end).
    end: Option<u64>,
    batch_size: usize,
    max_interval: Duration,
    rate: u64,
    partition: Arc<JsonMap>,
    started: Instant,
    emitted: u64,
}

impl Default for DatagenTask {
    fn default() -> Self {
        Self {
            set: Quickstart::Users,
            user: None,
            topic: Arc::from(""),
            seed: 0,
            task: 0,
            tasks: 1,
            next: 0,
            end: None,
            batch_size: 1000,
            max_interval: Duration::ZERO,
            rate: 0,
            partition: Arc::new(JsonMap::new()),
            started: Instant::now(),
            emitted: 0,
        }
    }
}

fn number<T: std::str::FromStr>(
    config: &Properties,
    key: &str,
    default: T,
) -> Result<T, TaskError> {
    match config.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            TaskError::new(
                ErrorClass::Config,
                format!("{key}: {v} is not a valid number"),
            )
        }),
    }
}

/// The user schema from `schema.string` or `schema.filename`, if one is set.
fn user_schema(config: &Properties) -> Result<Option<UserSchema>, TaskError> {
    let set = |key: &str| config.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let config_error = |message: String| TaskError::new(ErrorClass::Config, message);
    let (text, from) = match (set(SCHEMA_STRING), set(SCHEMA_FILENAME)) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(config_error(format!(
                "{SCHEMA_STRING} and {SCHEMA_FILENAME} are both set; set one of them"
            )));
        }
        (Some(text), None) => (text.to_owned(), SCHEMA_STRING),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .map_err(|e| config_error(format!("{SCHEMA_FILENAME}: cannot read {path}: {e}")))?,
            SCHEMA_FILENAME,
        ),
    };
    UserSchema::parse(&text, set(SCHEMA_KEYFIELD))
        .map(Some)
        .map_err(|e| config_error(format!("{from}: {e}")))
}

#[async_trait(?Send)]
impl SourceTask for DatagenTask {
    async fn start(
        &mut self,
        config: &Config,
        context: &SourceTaskContext,
    ) -> Result<(), TaskError> {
        let config = config.raw();
        let name = config.get(QUICKSTART).map_or("users", String::as_str);
        self.set = Quickstart::parse(name).ok_or_else(|| {
            TaskError::new(
                ErrorClass::Config,
                format!("{QUICKSTART}: unknown data set {name}"),
            )
        })?;
        self.user = user_schema(config)?;
        self.topic = Arc::from(config.get(TOPIC).map_or("", String::as_str));
        self.seed = number::<i64>(config, SEED, 0)?.cast_unsigned();
        self.task = number(config, TASK_INDEX, 0)?;
        self.tasks = number::<u64>(config, TASK_COUNT, 1)?.max(1);
        let iterations: i64 = number(config, ITERATIONS, 1_000_000)?;
        // This task's share: indexes whose record number index*tasks+task is below iterations.
        self.end = u64::try_from(iterations)
            .ok()
            .map(|total| total.saturating_sub(self.task).div_ceil(self.tasks));
        self.batch_size = number(config, BATCH_SIZE, 1000)?;
        self.max_interval = Duration::from_millis(number(config, MAX_INTERVAL, 500)?);
        self.rate = number(config, RATE, 0)?;
        let mut partition = JsonMap::new();
        partition.insert("datagen".to_owned(), Value::from(&*self.topic));
        partition.insert("task".to_owned(), Value::from(self.task));
        self.next = context
            .offset(&partition)
            .and_then(|o| o.get("index"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        self.partition = Arc::new(partition);
        self.started = Instant::now();
        self.emitted = 0;
        Ok(())
    }

    async fn poll(&mut self) -> Result<Option<Vec<SourceRecord>>, TaskError> {
        if self.end.is_some_and(|end| self.next >= end) {
            // Done; an exhausted source idles rather than ending, as Kafka Connect's does.
            glommio::timer::sleep(Duration::from_millis(200)).await;
            return Ok(Some(Vec::new()));
        }
        let mut wanted = self.batch_size;
        if let Some(end) = self.end {
            wanted = wanted.min(usize::try_from(end - self.next).unwrap_or(usize::MAX));
        }
        if self.rate > 0 {
            let allowed = (self.started.elapsed().as_secs_f64() * self.rate as f64) as u64;
            let available = allowed.saturating_sub(self.emitted);
            if available == 0 {
                glommio::timer::sleep(Duration::from_millis(5)).await;
                return Ok(Some(Vec::new()));
            }
            wanted = wanted.min(usize::try_from(available).unwrap_or(usize::MAX));
        }
        let mut records = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            if !self.max_interval.is_zero() {
                let mut rng = Rng::new(self.seed.rotate_left(17), self.next);
                let pause = rng.range(0, u64::try_from(self.max_interval.as_millis()).unwrap_or(0));
                glommio::timer::sleep(Duration::from_millis(pause)).await;
            }
            let n = self.next * self.tasks + self.task;
            let (key, value) = match &self.user {
                Some(user) => user.generate(self.seed, n),
                None => generate(self.set, self.seed, n),
            };
            self.next += 1;
            let mut offset = JsonMap::new();
            offset.insert("index".to_owned(), Value::from(self.next));
            records.push(SourceRecord {
                source_partition: Arc::clone(&self.partition),
                source_offset: offset,
                topic: Arc::clone(&self.topic),
                kafka_partition: None,
                key: Payload::Data(key),
                value: Payload::Data(value),
                timestamp: None,
                headers: Vec::new(),
            });
            if !self.max_interval.is_zero() {
                // With pauses between records, hand each one over as it is made.
                break;
            }
        }
        self.emitted += records.len() as u64;
        Ok(Some(records))
    }
}
