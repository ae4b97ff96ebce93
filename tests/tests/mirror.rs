//! The mirror source (MirrorMaker 2's `MirrorSourceConnector`) on the real broker: a 3-partition
//! topic of 1 000 000 records, some with headers, is mirrored to `<alias>.<topic>` by a
//! standalone worker with exactly-once source support, killed with SIGKILL at random moments and
//! started again. A `read_committed` reader of the target then finds every record exactly once,
//! in its source partition's number, in order, with its key, headers and timestamp.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::distributed::create_topic;
use integration_tests::exactly_once::tally;
use integration_tests::{ChildGuard, bootstrap, temp_dir, unique, wharf_bin};
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const RECORDS: u64 = 1_000_000;
const PARTITIONS: i32 = 3;
/// Timestamps of the source records: record `i` has `BASE_TS + i`.
const BASE_TS: i64 = 1_700_000_000_000;

fn produce(topic: &str) {
    let producer: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer");
    for i in 0..RECORDS {
        let (key, value) = (format!("k{i}"), i.to_string());
        let mut record = BaseRecord::to(topic)
            .partition((i % PARTITIONS as u64) as i32)
            .key(&key)
            .payload(&value)
            .timestamp(BASE_TS + i as i64);
        if i.is_multiple_of(10) {
            record = record.headers(OwnedHeaders::new().insert(Header {
                key: "trace",
                value: Some(&format!("t{i}")),
            }));
        }
        let mut record = record;
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    producer.poll(Duration::from_millis(10));
                    record = back;
                }
            }
        }
    }
    producer.flush(Duration::from_secs(60)).expect("flushed");
}

/// What the target holds, read with `read_committed` until at least `expected` records are in
/// and every partition is read to its end: per record its value, and every mismatch of
/// partition, order, key, header or timestamp.
fn read_target(topic: &str, expected: u64) -> (Vec<u64>, Vec<String>) {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("mirror-reader"))
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut list = rdkafka::TopicPartitionList::new();
    for p in 0..PARTITIONS {
        list.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let (mut values, mut wrong) = (Vec::new(), Vec::new());
    let mut last = vec![-1i64; PARTITIONS as usize];
    let mut at_end = vec![false; PARTITIONS as usize];
    let deadline = Instant::now() + Duration::from_secs(180);
    while ((values.len() as u64) < expected || at_end.contains(&false)) && Instant::now() < deadline
    {
        let m = match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => m,
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                at_end[p as usize] = true;
                continue;
            }
            _ => continue,
        };
        at_end[m.partition() as usize] = false;
        let i: u64 = std::str::from_utf8(m.payload().unwrap_or_default())
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX);
        values.push(i);
        if wrong.len() > 20 {
            continue;
        }
        let p = m.partition();
        if i64::from(p) != (i % PARTITIONS as u64) as i64 {
            wrong.push(format!("record {i} in partition {p}"));
        }
        if (i as i64) <= last[p as usize] {
            wrong.push(format!(
                "record {i} after {} in partition {p}",
                last[p as usize]
            ));
        }
        last[p as usize] = i as i64;
        if m.key() != Some(format!("k{i}").as_bytes()) {
            wrong.push(format!("record {i} has key {:?}", m.key()));
        }
        if m.timestamp().to_millis() != Some(BASE_TS + i as i64) {
            wrong.push(format!("record {i} has timestamp {:?}", m.timestamp()));
        }
        let header = m
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == "trace"))
            .and_then(|h| h.value.map(<[u8]>::to_vec));
        let want = i.is_multiple_of(10).then(|| format!("t{i}").into_bytes());
        if header != want {
            wrong.push(format!("record {i} has header {header:?}"));
        }
    }
    (values, wrong)
}

fn write_config(dir: &Path, source: &str, offsets_topic: &str) {
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={b}\n\
             key.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n\
             value.converter=org.apache.kafka.connect.converters.ByteArrayConverter\n\
             offset.storage.topic={offsets_topic}\noffset.storage.partitions=5\n\
             offset.storage.replication.factor=1\noffset.flush.interval.ms=200\n\
             exactly.once.source.support=enabled\nlisteners=http://127.0.0.1:0\n",
            b = bootstrap()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("mirror.properties"),
        format!(
            "name=mirror\nconnector.class=org.apache.kafka.connect.mirror.MirrorSourceConnector\n\
             tasks.max=2\nsource.cluster.alias=src\ntarget.cluster.alias=dst\n\
             source.cluster.bootstrap.servers={b}\ntarget.cluster.bootstrap.servers={b}\n\
             topics={source}\nreplication.factor=1\n\
             exactly.once.support=required\ntransaction.boundary=interval\n\
             transaction.boundary.interval.ms=100\n",
            b = bootstrap()
        ),
    )
    .unwrap();
}

fn spawn(dir: &Path) -> ChildGuard {
    ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("mirror.properties"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    )
}

#[test]
#[ignore = "intermittent: after the kill -9s the mirror stalls short of the end (30 000-90 000 of 1 000 000 records never arrive; 0 repeated) in 3 of its last 7 runs — an open defect of the mirror source (issue 13); run with --ignored"]
fn a_mirrored_topic_holds_every_record_once_through_kill_9() {
    let _ = wharf_bin(); // built before the clock matters
    let dir = temp_dir("mirror");
    let (source, offsets_topic) = (unique("mirror-orders"), unique("mirror-offsets"));
    let target = format!("src.{source}");
    create_topic(&source, PARTITIONS, Vec::new());
    let started = Instant::now();
    produce(&source);
    println!(
        "produced {RECORDS} records in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    write_config(&dir, &source, &offsets_topic);
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next_delay = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Duration::from_millis(1000 + state % 2000)
    };
    let mut kills = 0;
    for _ in 0..4 {
        let mut worker = spawn(&dir);
        std::thread::sleep(next_delay());
        worker.0.kill().unwrap(); // SIGKILL: an open transaction, nothing flushed
        worker.0.wait().unwrap();
        kills += 1;
    }
    let mut worker = spawn(&dir);
    let (values, wrong) = read_target(&target, RECORDS);
    // Whatever the worker still had in flight is in now: read everything once more.
    std::thread::sleep(Duration::from_secs(2));
    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = worker.0.wait().unwrap();
    assert!(status.success(), "clean stop exits 0, got {status}");
    let (all, _) = read_target(&target, RECORDS);
    let (missing, repeated) = tally(all.iter().copied(), RECORDS);
    println!(
        "{kills} kills: {} records read_committed from {target}, {} missing, {} repeated, {} \
         wrong (partition, order, key, header, timestamp)",
        all.len(),
        missing.len(),
        repeated.len(),
        wrong.len()
    );
    assert!(wrong.is_empty(), "{wrong:?}");
    assert!(values.len() as u64 >= RECORDS, "{} records", values.len());
    assert!(
        missing.is_empty(),
        "missing {:?}",
        &missing[..missing.len().min(10)]
    );
    assert!(
        repeated.is_empty(),
        "repeated {:?}",
        &repeated[..repeated.len().min(10)]
    );
    assert_eq!(all.len() as u64, RECORDS);
    std::fs::remove_dir_all(&dir).unwrap();
}
