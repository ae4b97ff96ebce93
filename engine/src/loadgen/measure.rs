//! `wharf loadgen measure`: end-to-end latency and throughput of records `produce` wrote.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rdkafka::consumer::Consumer;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde::Serialize;

use super::payload::{Format, Payloads, now_micros};
use super::progress::Progress;
use crate::kafka::{self, ShardConsumer};

/// What to measure.
#[derive(Debug, Clone, clap::Args)]
pub struct MeasureArgs {
    #[arg(long, env = "KAFKA_BOOTSTRAP", default_value = "127.0.0.1:9092")]
    pub bootstrap: String,
    #[arg(long)]
    pub topic: String,
    /// Stop after this many records.
    #[arg(long)]
    pub records: Option<u64>,
    /// Stop after this long.
    #[arg(long, value_parser = super::parse_duration)]
    pub duration: Option<Duration>,
    /// Stop when no record arrived for this long.
    #[arg(long, value_parser = super::parse_duration, default_value = "10s")]
    pub idle: Duration,
    /// Read the topic from its start rather than only new records.
    #[arg(long)]
    pub from_beginning: bool,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Schema registry URL, for `--format avro`.
    #[arg(long, env = "SCHEMA_REGISTRY_URL")]
    pub registry: Option<String>,
}

/// Latency percentiles in milliseconds, and throughput.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureReport {
    pub records: u64,
    pub unreadable: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub records_per_sec: f64,
    pub mb_per_sec: f64,
    pub latency_ms_p50: f64,
    pub latency_ms_p90: f64,
    pub latency_ms_p99: f64,
    pub latency_ms_p999: f64,
    pub latency_ms_max: f64,
}

/// Errors while measuring.
#[derive(Debug, thiserror::Error)]
#[error("measuring {topic}: {message}")]
pub struct MeasureError {
    pub topic: String,
    pub message: String,
}

/// Consumes on the calling shard; see [`MeasureArgs`].
pub async fn measure(args: MeasureArgs) -> Result<MeasureReport, MeasureError> {
    let fail = |message: String| MeasureError {
        topic: args.topic.clone(),
        message,
    };
    let consumer: ShardConsumer = kafka::consumer_config(&args.bootstrap, "wharf-loadgen-measure")
        .create()
        .map_err(|e| fail(e.to_string()))?;
    // Wait for the topic to exist: measuring usually starts before the producer.
    let deadline = Instant::now() + args.idle;
    let assignment = loop {
        let metadata = consumer
            .fetch_metadata(Some(&args.topic), Duration::from_secs(10))
            .map_err(|e| fail(e.to_string()))?;
        let mut assignment = TopicPartitionList::new();
        for t in metadata.topics().iter().filter(|t| t.error().is_none()) {
            for p in t.partitions() {
                let start = if args.from_beginning {
                    Offset::Beginning
                } else {
                    Offset::End
                };
                assignment
                    .add_partition_offset(&args.topic, p.id(), start)
                    .map_err(|e| fail(e.to_string()))?;
            }
        }
        if assignment.count() > 0 {
            break assignment;
        }
        if Instant::now() > deadline {
            return Err(fail(format!(
                "the topic did not appear within {:?}",
                args.idle
            )));
        }
        glommio::timer::sleep(Duration::from_millis(200)).await;
    };
    consumer
        .assign(&assignment)
        .map_err(|e| fail(e.to_string()))?;
    let payloads =
        Payloads::new(args.format, 0, &args.topic, args.registry.as_deref()).map_err(fail)?;
    // Microseconds, 1 µs to 1 hour, 3 significant digits.
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).map_err(|e| fail(e.to_string()))?;
    let mut progress = Progress::new("measure", args.records);
    let (mut records, mut bytes, mut unreadable) = (0u64, 0u64, 0u64);
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    let started = Instant::now();
    loop {
        if args.records.is_some_and(|n| records >= n)
            || args.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        let message =
            match glommio::timer::timeout(args.idle, async { Ok(consumer.recv().await) }).await {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => {
                    tracing::warn!(message = "Consumer error while measuring.", error = %e);
                    continue;
                }
                Err(_) => break,
            };
        let now = now_micros();
        first.get_or_insert_with(Instant::now);
        last = Instant::now();
        let value = bytes::Bytes::copy_from_slice(message.payload().unwrap_or_default());
        bytes += value.len() as u64;
        match payloads.read(&value).await {
            Some((ts, _)) => {
                let _ = histogram.record(u64::try_from((now - ts).max(1)).unwrap_or(1));
            }
            None => unreadable += 1,
        }
        records += 1;
        if records % 1024 == 0 {
            progress.update(records, bytes);
        }
    }
    progress.finish();
    let seconds = first
        .map_or(0.0, |f| last.duration_since(f).as_secs_f64())
        .max(f64::EPSILON);
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    Ok(MeasureReport {
        records,
        unreadable,
        bytes,
        seconds,
        records_per_sec: records as f64 / seconds,
        mb_per_sec: bytes as f64 / seconds / 1e6,
        latency_ms_p50: ms(0.5),
        latency_ms_p90: ms(0.9),
        latency_ms_p99: ms(0.99),
        latency_ms_p999: ms(0.999),
        latency_ms_max: histogram.max() as f64 / 1000.0,
    })
}
