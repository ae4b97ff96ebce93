//! `wharf loadgen produce`.

use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::payload::{Format, Payloads};
use super::progress::Progress;
use crate::connectors::datagen::quickstart::Rng;
use crate::kafka::{self, SendError, Sender, ShardProducer, TopicSpec};

/// How record keys are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyDistribution {
    /// No key: the producer spreads records over partitions.
    None,
    /// `key-<seq % keys>`, in order.
    Sequential,
    /// `key-<n>` with n uniform in 0..keys (seeded).
    Uniform,
}

/// What to produce.
#[derive(Debug, Clone, clap::Args)]
pub struct ProduceArgs {
    #[arg(long, env = "KAFKA_BOOTSTRAP", default_value = "127.0.0.1:9092")]
    pub bootstrap: String,
    #[arg(long)]
    pub topic: String,
    /// Partitions when the topic is created.
    #[arg(long, default_value_t = 1)]
    pub partitions: i32,
    /// Records to produce (default 1 000 000 unless --duration is given).
    #[arg(long)]
    pub records: Option<u64>,
    /// Produce for this long instead (e.g. 30s, 2m).
    #[arg(long, value_parser = super::parse_duration)]
    pub duration: Option<Duration>,
    /// Records per second; 0 = flat out.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Approximate value size in bytes.
    #[arg(long, default_value_t = 200)]
    pub value_size: usize,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = KeyDistribution::Sequential)]
    pub keys: KeyDistribution,
    /// Distinct keys.
    #[arg(long, default_value_t = 1000)]
    pub key_count: u64,
    /// Seed for keys: the same seed gives the same keys.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Schema registry URL, for `--format avro`.
    #[arg(long, env = "SCHEMA_REGISTRY_URL")]
    pub registry: Option<String>,
}

/// What was produced.
#[derive(Debug, Clone, Serialize)]
pub struct ProduceReport {
    pub records: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub records_per_sec: f64,
    pub mb_per_sec: f64,
}

/// Produces on the calling shard; see [`ProduceArgs`].
pub async fn produce(args: ProduceArgs) -> Result<ProduceReport, SendError> {
    kafka::ensure_topic(
        &args.bootstrap,
        &TopicSpec {
            name: &args.topic,
            partitions: args.partitions,
            replication_factor: 1,
            configs: Vec::new(),
        },
    )
    .await
    .map_err(|e| SendError::Canceled {
        topic: format!("{} ({e})", args.topic),
    })?;
    let producer: ShardProducer = kafka::create_producer(&kafka::producer_config(&args.bootstrap))
        .map_err(|source| SendError::Rejected {
            topic: args.topic.clone(),
            source,
        })?;
    let mut sender = Sender::new(producer, 100_000);
    let topic: Rc<str> = Rc::from(args.topic.as_str());
    let payloads = Payloads::new(
        args.format,
        args.value_size,
        &args.topic,
        args.registry.as_deref(),
    )
    .map_err(|message| SendError::Canceled {
        topic: format!("{} ({message})", args.topic),
    })?;
    let limit = args.records.or(if args.duration.is_some() {
        None
    } else {
        Some(1_000_000)
    });
    let mut progress = Progress::new("produce", limit);
    let started = Instant::now();
    let (mut seq, mut bytes) = (0u64, 0u64);
    loop {
        if limit.is_some_and(|l| seq >= l) || args.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        if args.rate > 0 {
            let due = (started.elapsed().as_secs_f64() * args.rate as f64) as u64;
            if seq >= due {
                glommio::timer::sleep(Duration::from_micros(200)).await;
                continue;
            }
        }
        let key = match args.keys {
            KeyDistribution::None => None,
            KeyDistribution::Sequential => Some(format!("key-{}", seq % args.key_count.max(1))),
            KeyDistribution::Uniform => {
                let n = Rng::new(args.seed, seq).range(0, args.key_count.max(1) - 1);
                Some(format!("key-{n}"))
            }
        };
        let value = payloads.value(seq).await.map_err(|e| SendError::Canceled {
            topic: format!("{} (cannot encode a value: {e})", args.topic),
        })?;
        bytes += (value.len() + key.as_ref().map_or(0, String::len)) as u64;
        sender
            .send(&topic, key.as_deref(), Some(&value[..]), None)
            .await?;
        seq += 1;
        if seq % 1024 == 0 {
            progress.update(seq, bytes);
        }
    }
    sender.flush().await?;
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    Ok(ProduceReport {
        records: seq,
        bytes,
        seconds,
        records_per_sec: seq as f64 / seconds.max(f64::EPSILON),
        mb_per_sec: bytes as f64 / seconds.max(f64::EPSILON) / 1e6,
    })
}
