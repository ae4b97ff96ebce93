//! `ceiling`: a bare librdkafka client, the upper bound a Kafka Connect worker could reach on the
//! same broker. It reads or writes records and does nothing else with them.
//!
//! ```text
//! ceiling consume --bootstrap B --topic T --records N [--group G] [--timeout SECS] [-X key=value]...
//! ceiling produce --bootstrap B --topic T --file F [--timeout SECS] [-X key=value]...
//! ceiling watch   --bootstrap B --topic T [--records N] [--interval-ms MS] [--timeout SECS]
//! ```
//!
//! - `consume` subscribes with a fresh consumer group (or `--group`), reads from the earliest
//!   offset until N records arrived, counting their key and value bytes. Like wharf's sink it
//!   puts each assigned partition's start offset (committed, else `auto.offset.reset`) on the
//!   assignment itself.
//! - `produce` sends every line of the file (without its line end) as a record value with no key,
//!   then waits until Kafka acknowledged all of them.
//! - `watch` prints the sum of the topic's end offsets over its partitions whenever it changes,
//!   one number per line (0 while the topic does not exist), until `--records` is reached or
//!   `--timeout` passes; sink-less runs (a source task writing to Kafka) are timed with it.
//!
//! The client settings are the ones wharf's sink consumer and source producer start from
//! (`engine::kafka::consumer_config` / `producer_config`, plus the 4 MiB per-task buffer bound
//! of `wharf.task.buffer.max.bytes`); `-X key=value` overrides or adds librdkafka settings.
//!
//! `consume` and `produce` print one JSON line when done: `records`, `bytes` (value bytes),
//! `key_bytes`, `seconds` (from the start of the process until the last record was read, or
//! acknowledged), `first_record_s` (until the first record was read, or acknowledged),
//! `records_per_sec` and `mb_per_sec`. Errors go to stderr and the exit code is 1.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};

const USAGE: &str = "usage:
  ceiling consume --bootstrap B --topic T --records N [--group G] [--timeout SECS] [-X key=value]...
  ceiling produce --bootstrap B --topic T --file F [--timeout SECS] [-X key=value]...
  ceiling watch   --bootstrap B --topic T [--records N] [--interval-ms MS] [--timeout SECS]";

/// The per-task buffer bound wharf gives librdkafka by default (`wharf.task.buffer.max.bytes`,
/// 4 MiB), in KiB.
const BUFFER_KIB: &str = "4096";

/// Parsed command line: the mode, `--name value` options and `-X key=value` client settings.
struct Args {
    mode: String,
    options: HashMap<String, String>,
    client: Vec<(String, String)>,
}

impl Args {
    fn parse(mut argv: impl Iterator<Item = String>) -> Result<Self, String> {
        let mode = argv.next().ok_or("missing mode")?;
        let (mut options, mut client) = (HashMap::new(), Vec::new());
        while let Some(arg) = argv.next() {
            if arg == "-h" || arg == "--help" {
                return Err(String::new());
            }
            let value = argv.next().ok_or_else(|| format!("{arg} needs a value"))?;
            if arg == "-X" {
                let (k, v) = value
                    .split_once('=')
                    .ok_or_else(|| format!("-X takes key=value, not {value}"))?;
                client.push((k.to_string(), v.to_string()));
            } else if let Some(name) = arg.strip_prefix("--") {
                options.insert(name.to_string(), value);
            } else {
                return Err(format!("unexpected argument {arg}"));
            }
        }
        Ok(Self {
            mode,
            options,
            client,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn number(&self, name: &str) -> Result<Option<u64>, String> {
        self.get(name)
            .map(|v| {
                v.replace('_', "")
                    .parse()
                    .map_err(|_| format!("--{name} takes a number, not {v}"))
            })
            .transpose()
    }

    fn timeout(&self) -> Result<Duration, String> {
        Ok(Duration::from_secs(self.number("timeout")?.unwrap_or(600)))
    }

    /// `base` with the `-X` settings applied on top.
    fn client_config(&self, mut base: ClientConfig) -> ClientConfig {
        for (k, v) in &self.client {
            base.set(k, v);
        }
        base
    }
}

/// What a `consume` or `produce` run did.
struct Report {
    records: u64,
    bytes: u64,
    key_bytes: u64,
    seconds: f64,
    first_record_s: Option<f64>,
}

impl Report {
    fn json(&self, mode: &str) -> String {
        let secs = self.seconds.max(1e-9);
        let first = self
            .first_record_s
            .map_or_else(|| "null".to_string(), |s| format!("{s:.6}"));
        format!(
            "{{\"mode\":\"{mode}\",\"records\":{},\"bytes\":{},\"key_bytes\":{},\"seconds\":{:.6},\
             \"first_record_s\":{first},\"records_per_sec\":{:.1},\"mb_per_sec\":{:.3}}}",
            self.records,
            self.bytes,
            self.key_bytes,
            self.seconds,
            self.records as f64 / secs,
            (self.bytes + self.key_bytes) as f64 / 1e6 / secs,
        )
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ceiling: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.mode.as_str() {
        "consume" => consume(&args, started).map(|r| Some(r.json("consume"))),
        "produce" => produce(&args, started).map(|r| Some(r.json("produce"))),
        "watch" => watch(&args, started).map(|()| None),
        other => Err(format!("unknown mode {other}\n{USAGE}")),
    };
    match result {
        Ok(line) => {
            if let Some(line) = line {
                let mut out = std::io::stdout().lock();
                // Nothing to do if stdout is gone: the figures are lost either way.
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ceiling: {e}");
            ExitCode::FAILURE
        }
    }
}

/// wharf's sink consumer settings (`engine::kafka::consumer_config` and the per-task buffer
/// bound), without the statistics callback that feeds wharf's /metrics.
fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("topic.metadata.refresh.interval.ms", "5000")
        .set("fetch.queue.backoff.ms", "5")
        .set("queued.max.messages.kbytes", BUFFER_KIB);
    config
}

/// wharf's source producer settings (`engine::kafka::producer_config` and the per-task buffer
/// bound); idempotence implies `acks=all`, set here as well to be explicit.
fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.kbytes", BUFFER_KIB);
    config
}

fn unique_group() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("ceiling-{}-{nanos}", std::process::id())
}

/// Starts assigned partitions as wharf's sink consumer does: at the group's committed offset,
/// or where `auto.offset.reset` points when there is none, set on the assignment itself.
/// Left to librdkafka, a partition without a committed offset is reset only after a 100 ms
/// wait, so the first record came ~0.1 s later on the local broker.
struct StartAtCommitted {
    reset: Offset,
}

impl ClientContext for StartAtCommitted {}

impl ConsumerContext for StartAtCommitted {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        list: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                if let Ok(committed) =
                    consumer.committed_offsets(list.clone(), Duration::from_secs(10))
                {
                    for element in committed.elements() {
                        let offset = match element.offset() {
                            Offset::Offset(o) if o >= 0 => Offset::Offset(o),
                            _ => self.reset,
                        };
                        if let Some(mut target) =
                            list.find_partition(element.topic(), element.partition())
                        {
                            let _ = target.set_offset(offset);
                        }
                    }
                }
                if cooperative {
                    consumer.incremental_assign(list)
                } else {
                    consumer.assign(list)
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS if cooperative => {
                consumer.incremental_unassign(list)
            }
            _ => consumer.unassign(),
        };
        if let Err(e) = result {
            eprintln!("ceiling: rebalance: {e}");
        }
    }
}

fn consume(args: &Args, started: Instant) -> Result<Report, String> {
    let bootstrap = args.required("bootstrap")?;
    let topic = args.required("topic")?;
    let n = args.number("records")?.ok_or("--records is required")?;
    let deadline = started + args.timeout()?;
    let group = args.get("group").map_or_else(unique_group, str::to_string);
    let config = args.client_config(consumer_config(bootstrap, &group));
    let reset = match config.get("auto.offset.reset") {
        Some("latest" | "largest" | "end") => Offset::End,
        _ => Offset::Beginning,
    };
    let consumer: BaseConsumer<StartAtCommitted> = config
        .create_with_context(StartAtCommitted { reset })
        .map_err(|e| format!("creating the consumer: {e}"))?;
    consumer
        .subscribe(&[topic])
        .map_err(|e| format!("subscribing to {topic}: {e}"))?;
    let (mut records, mut bytes, mut key_bytes) = (0u64, 0u64, 0u64);
    let mut first = None;
    let mut last_error = String::new();
    while records < n {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                if first.is_none() {
                    first = Some(started.elapsed().as_secs_f64());
                }
                records += 1;
                bytes += message.payload_len() as u64;
                key_bytes += message.key_len() as u64;
                if records % 65_536 != 0 {
                    continue;
                }
            }
            Some(Err(e)) => {
                // Transient (e.g. the topic does not exist yet); the deadline ends a run that
                // never recovers.
                let text = e.to_string();
                if text != last_error {
                    eprintln!("ceiling: consumer: {text}");
                    last_error = text;
                }
            }
            None => {}
        }
        if Instant::now() > deadline {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if records < n {
        return Err(format!(
            "read {records}/{n} records from {topic} in {seconds:.1}s (timeout)"
        ));
    }
    Ok(Report {
        records,
        bytes,
        key_bytes,
        seconds,
        first_record_s: first,
    })
}

/// Counts acknowledgements; librdkafka calls it from `poll` / `flush` on the calling thread.
struct Acks {
    started: Instant,
    acked: AtomicU64,
    failed: AtomicU64,
    first: OnceLock<f64>,
    error: Mutex<Option<String>>,
}

impl ClientContext for Acks {}

impl ProducerContext for Acks {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.first
                    .get_or_init(|| self.started.elapsed().as_secs_f64());
                self.acked.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first_error) = self.error.lock() {
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
}

fn produce(args: &Args, started: Instant) -> Result<Report, String> {
    let bootstrap = args.required("bootstrap")?;
    let topic = args.required("topic")?;
    let path = args.required("file")?;
    let deadline = started + args.timeout()?;
    let acks = Acks {
        started,
        acked: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        first: OnceLock::new(),
        error: Mutex::new(None),
    };
    let producer: BaseProducer<Acks> = args
        .client_config(producer_config(bootstrap))
        .create_with_context(acks)
        .map_err(|e| format!("creating the producer: {e}"))?;
    let file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(1024);
    let (mut sent, mut bytes) = (0u64, 0u64);
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{path}: {e}"))?
            == 0
        {
            break;
        }
        let mut value = line.as_slice();
        if let Some(v) = value.strip_suffix(b"\n") {
            value = v.strip_suffix(b"\r").unwrap_or(v);
        }
        loop {
            match producer.send(BaseRecord::<(), [u8]>::to(topic).payload(value)) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    producer.poll(Duration::from_millis(5));
                    if Instant::now() > deadline {
                        return Err(format!("timeout after {sent} records sent"));
                    }
                }
                Err((e, _)) => return Err(format!("sending to {topic}: {e}")),
            }
        }
        sent += 1;
        bytes += value.len() as u64;
        if sent % 1024 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    let left = deadline.saturating_duration_since(Instant::now());
    producer
        .flush(left)
        .map_err(|e| format!("waiting for acknowledgements: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let acks = producer.context();
    let failed = acks.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let first_error = acks.error.lock().ok().and_then(|e| e.clone());
        return Err(format!(
            "{failed} of {sent} records failed: {}",
            first_error.unwrap_or_default()
        ));
    }
    Ok(Report {
        records: acks.acked.load(Ordering::Relaxed),
        bytes,
        key_bytes: 0,
        seconds,
        first_record_s: acks.first.get().copied(),
    })
}

fn watch(args: &Args, started: Instant) -> Result<(), String> {
    let bootstrap = args.required("bootstrap")?;
    let topic = args.required("topic")?;
    let target = args.number("records")?;
    let interval = Duration::from_millis(args.number("interval-ms")?.unwrap_or(20));
    let deadline = started + args.timeout()?;
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("allow.auto.create.topics", "false");
    let client: BaseConsumer = args
        .client_config(config)
        .create()
        .map_err(|e| format!("creating the client: {e}"))?;
    let request = Duration::from_secs(5);
    let mut partitions: Vec<i32> = Vec::new();
    let mut metadata_at: Option<Instant> = None;
    let mut last: Option<i64> = None;
    let mut out = std::io::stdout().lock();
    while Instant::now() < deadline {
        // Partitions: looked up until the topic exists, then once a second in case it grows.
        let stale = metadata_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
        if partitions.is_empty() || stale {
            if let Ok(metadata) = client.fetch_metadata(Some(topic), request) {
                partitions = metadata
                    .topics()
                    .iter()
                    .filter(|t| t.name() == topic && t.error().is_none())
                    .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                    .collect();
            }
            metadata_at = Some(Instant::now());
        }
        let mut total = 0i64;
        for &p in &partitions {
            if let Ok((_, high)) = client.fetch_watermarks(topic, p, request) {
                total += high.max(0);
            }
        }
        if last != Some(total) {
            if writeln!(out, "{total}").and_then(|()| out.flush()).is_err() {
                return Ok(()); // the reader went away
            }
            last = Some(total);
        }
        if target.is_some_and(|t| u64::try_from(total).is_ok_and(|total| total >= t)) {
            return Ok(());
        }
        std::thread::sleep(interval);
    }
    Err(format!(
        "{topic} reached {} records before the timeout",
        last.unwrap_or(0)
    ))
}
