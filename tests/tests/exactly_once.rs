//! Exactly once in standalone mode. Source (KIP-618 semantics, which Kafka Connect offers only in
//! distributed mode): a task's records and the offsets they move to are committed in one Kafka
//! transaction, so a worker killed with SIGKILL at any moment and started again leaves every
//! record exactly once in the topic for a `read_committed` reader. Sink (the file sink's
//! `wharf.exactly.once`): the file and the offsets it covers become durable together, so the
//! file too holds every record exactly once.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::exactly_once::{committed_ids, tally};
use integration_tests::{ChildGuard, bootstrap, temp_dir, unique, wharf_bin};

const RECORDS: u64 = 2_000_000;

#[test]
fn the_tally_catches_a_planted_duplicate_and_a_gap() {
    let (missing, repeated) = tally([0, 1, 1, 3], 4);
    assert_eq!(missing, [2]);
    assert_eq!(repeated, [(1, 2)]);
}

fn write_config(dir: &Path, topic: &str, offsets_topic: &str) {
    std::fs::write(
        dir.join("sink.properties"),
        format!(
            "name={}\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\n\
             wharf.exactly.once=true\n",
            unique("eos-sink"),
            dir.join("out.jsonl").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=false\n\
             offset.storage.topic={offsets_topic}\noffset.storage.partitions=5\n\
             offset.storage.replication.factor=1\noffset.flush.interval.ms=200\n\
             exactly.once.source.support=enabled\nlisteners=http://127.0.0.1:0\n",
            bootstrap()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("datagen.properties"),
        format!(
            "name=eos-datagen\nconnector.class=DatagenConnector\nkafka.topic={topic}\n\
             quickstart=orders\niterations={RECORDS}\nmax.interval=0\nrandom.seed=5\n\
             exactly.once.support=required\ntransaction.boundary=interval\n\
             transaction.boundary.interval.ms=100\n"
        ),
    )
    .unwrap();
}

fn spawn(dir: &Path) -> ChildGuard {
    ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("datagen.properties"))
            .arg(dir.join("sink.properties"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    )
}

#[test]
fn kill_9_at_random_moments_leaves_every_record_exactly_once_in_the_topic_and_the_file() {
    let _ = wharf_bin(); // built before the clock matters
    let dir = temp_dir("eos-source");
    let (topic, offsets_topic) = (unique("eos-orders"), unique("eos-offsets"));
    write_config(&dir, &topic, &offsets_topic);
    // A seeded sequence of kill delays between 1 and 4 s.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next_delay = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Duration::from_millis(1000 + state % 3000)
    };
    let mut kills = 0;
    for _ in 0..10 {
        let mut worker = spawn(&dir);
        std::thread::sleep(next_delay());
        worker.0.kill().unwrap(); // SIGKILL: no flush, no commit, an open transaction
        worker.0.wait().unwrap();
        kills += 1;
    }
    // The last run goes to the end.
    let mut worker = spawn(&dir);
    let deadline = Instant::now() + Duration::from_secs(420);
    let output = dir.join("out.jsonl");
    let lines = || std::fs::read_to_string(&output).map_or(0, |t| t.lines().count() as u64);
    let ids = loop {
        std::thread::sleep(Duration::from_secs(2));
        if lines() < RECORDS && Instant::now() < deadline {
            continue;
        }
        let ids = committed_ids(&topic);
        if ids.len() as u64 >= RECORDS || Instant::now() > deadline {
            break ids;
        }
    };
    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = worker.0.wait().unwrap();
    assert!(status.success(), "clean stop exits 0, got {status}");
    let (missing, repeated) = tally(ids.iter().copied(), RECORDS);
    println!(
        "{kills} kills: {} records read_committed, {} missing, {} repeated",
        ids.len(),
        missing.len(),
        repeated.len()
    );
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
    assert_eq!(ids.len() as u64, RECORDS);
    // The exactly-once file sink read the same topic through the same kills.
    let text = std::fs::read_to_string(&output).unwrap();
    let in_file = text.lines().map(|line| {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        value["orderid"].as_u64().expect("orderid")
    });
    let (missing, repeated) = tally(in_file, RECORDS);
    println!(
        "file sink: {} lines, {} missing, {} repeated",
        text.lines().count(),
        missing.len(),
        repeated.len()
    );
    assert!(
        missing.is_empty(),
        "file misses {:?}",
        &missing[..missing.len().min(10)]
    );
    assert!(
        repeated.is_empty(),
        "file repeats {:?}",
        &repeated[..repeated.len().min(10)]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn exactly_once_settings_that_cannot_work_are_refused_naming_the_key() {
    use engine::modes::standalone::Standalone;
    let dir = temp_dir("eos-config");
    let props = |pairs: &[(&str, String)]| -> connect_api::config::Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    let file_worker = props(&[
        ("bootstrap.servers", bootstrap()),
        (
            "offset.storage.file.filename",
            dir.join("offsets.json").display().to_string(),
        ),
    ]);
    let datagen = |extra: (&str, &str)| {
        props(&[
            ("name", unique("eos-config")),
            ("connector.class", "DatagenConnector".into()),
            ("kafka.topic", unique("eos-config")),
            (extra.0, extra.1.to_owned()),
        ])
    };
    // `required` on a worker without exactly-once support.
    let refused = Standalone::start(
        &file_worker,
        &[datagen(("exactly.once.support", "required"))],
    )
    .expect_err("refused")
    .to_string();
    assert!(refused.contains("exactly.once.support"), "{refused}");
    // Connector-defined boundaries: datagen does not define them.
    let refused = Standalone::start(
        &file_worker,
        &[datagen(("transaction.boundary", "connector"))],
    )
    .expect_err("refused")
    .to_string();
    assert!(refused.contains("transaction.boundary"), "{refused}");
    // Exactly once needs the offsets in Kafka.
    let mut enabled = file_worker.clone();
    enabled.insert("exactly.once.source.support".into(), "enabled".into());
    let refused = Standalone::start(&enabled, &[])
        .expect_err("refused")
        .to_string();
    assert!(refused.contains("offset.storage.topic"), "{refused}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `transaction.boundary=connector` with the file source's `wharf.transaction.lines=100`: each
/// transaction holds exactly 100 lines. Seen in the topic's offsets: a transaction's commit
/// marker takes an offset of its own, so in a one-partition topic line `k` sits at offset
/// `k + k / 100`. And the file source on standard input, which cannot be read again, is refused
/// `exactly.once.support=required` with Kafka Connect's message.
#[test]
fn the_file_source_ends_a_transaction_every_n_lines_when_asked() {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    const LINES: i64 = 1_000;
    let dir = temp_dir("eos-boundary");
    let (topic, offsets_topic) = (unique("eos-boundary"), unique("eos-boundary-offsets"));
    integration_tests::distributed::create_topic(&topic, 1, Vec::new());
    let text: String = (0..LINES).map(|i| format!("line {i}\n")).collect();
    std::fs::write(dir.join("in.txt"), text).unwrap();
    let worker = format!(
        "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
         value.converter=org.apache.kafka.connect.storage.StringConverter\n\
         offset.storage.topic={offsets_topic}\noffset.storage.replication.factor=1\n\
         exactly.once.source.support=enabled\nlisteners=http://127.0.0.1:0\n",
        bootstrap()
    );
    std::fs::write(dir.join("worker.properties"), &worker).unwrap();
    std::fs::write(
        dir.join("source.properties"),
        format!(
            "name={}\nconnector.class=FileStreamSource\ntopic={topic}\nfile={}\nbatch.size=64\n\
             exactly.once.support=required\ntransaction.boundary=connector\n\
             wharf.transaction.lines=100\n",
            unique("eos-boundary"),
            dir.join("in.txt").display()
        ),
    )
    .unwrap();
    let mut process = ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("source.properties"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    );
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("eos-boundary-reader"))
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let mut list = rdkafka::TopicPartitionList::new();
    list.add_partition_offset(&topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&list).unwrap();
    let mut placed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (placed.len() as i64) < LINES && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let line = String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned();
            placed.push((line, m.offset()));
        }
    }
    let pid = process.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = process.0.wait();
    assert_eq!(placed.len() as i64, LINES, "every line, committed");
    for (k, (line, offset)) in placed.iter().enumerate() {
        let k = k as i64;
        assert_eq!(line, &format!("line {k}"));
        assert_eq!(
            *offset,
            k + k / 100,
            "line {k}: a commit marker after every 100 lines"
        );
    }
    println!("{LINES} lines in {} transactions of 100", LINES / 100);

    // Standard input cannot be read again: exactly once is refused for it.
    use engine::modes::standalone::Standalone;
    let mut enabled: connect_api::config::Properties = [
        ("bootstrap.servers", bootstrap()),
        ("offset.storage.topic", offsets_topic.clone()),
        ("exactly.once.source.support", "enabled".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    enabled.insert("offset.storage.replication.factor".into(), "1".into());
    let stdin: connect_api::config::Properties = [
        ("name", unique("eos-stdin")),
        ("connector.class", "FileStreamSource".to_owned()),
        ("topic", topic.clone()),
        ("exactly.once.support", "required".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let refused = Standalone::start(&enabled, &[stdin])
        .expect_err("refused")
        .to_string();
    assert!(
        refused.contains("does not support exactly-once semantics with the provided configuration"),
        "{refused}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The keys of every committed record of `topic`, read to its end.
fn keys_in(topic: &str) -> Vec<String> {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("eos-keys"))
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata.topics()[0].partitions().len();
    let mut list = rdkafka::TopicPartitionList::new();
    for p in 0..partitions as i32 {
        list.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let (mut keys, mut at_end) = (Vec::new(), 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while at_end < partitions && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned())
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => at_end += 1,
            _ => {}
        }
    }
    keys
}

/// A connector's own `offsets.storage.topic` (KIP-618): its exactly-once tasks commit their
/// offsets there, in their transactions, and resume from there after kill -9 (every record once);
/// the worker's offsets topic gets a copy.
#[test]
fn a_connector_with_its_own_offsets_topic_resumes_from_it_exactly_once() {
    const N: u64 = 200_000;
    let dir = temp_dir("eos-own-offsets");
    let (topic, worker_offsets, own_offsets) = (
        unique("eos-own"),
        unique("eos-own-worker-offsets"),
        unique("eos-own-connector-offsets"),
    );
    let connector = unique("eos-own-datagen");
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=false\n\
             offset.storage.topic={worker_offsets}\noffset.storage.partitions=3\n\
             offset.storage.replication.factor=1\noffset.flush.interval.ms=200\n\
             exactly.once.source.support=enabled\nlisteners=http://127.0.0.1:0\n",
            bootstrap()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("datagen.properties"),
        format!(
            "name={connector}\nconnector.class=DatagenConnector\nkafka.topic={topic}\n\
             quickstart=orders\niterations={N}\nmax.interval=0\nrandom.seed=3\n\
             records.per.second=50000\nexactly.once.support=required\n\
             transaction.boundary=interval\ntransaction.boundary.interval.ms=100\n\
             offsets.storage.topic={own_offsets}\n"
        ),
    )
    .unwrap();
    let start = || {
        ChildGuard(
            Command::new(wharf_bin())
                .arg("standalone")
                .arg(dir.join("worker.properties"))
                .arg(dir.join("datagen.properties"))
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("wharf starts"),
        )
    };
    for delay in [1500, 2500] {
        let mut worker = start();
        std::thread::sleep(Duration::from_millis(delay));
        worker.0.kill().unwrap();
        worker.0.wait().unwrap();
    }
    let mut worker = start();
    let deadline = Instant::now() + Duration::from_secs(120);
    let ids = loop {
        std::thread::sleep(Duration::from_secs(1));
        let ids = committed_ids(&topic);
        if ids.len() as u64 >= N || Instant::now() > deadline {
            break ids;
        }
    };
    std::thread::sleep(Duration::from_secs(1)); // the last copy to the worker's topic
    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = worker.0.wait();
    let (missing, repeated) = tally(ids.iter().copied(), N);
    let prefix = format!("[\"{connector}\",");
    let own = keys_in(&own_offsets);
    let copied = keys_in(&worker_offsets);
    println!(
        "own offsets topic: {} records ({} of the connector); worker's: {} of the connector; \
         topic: {} read_committed, {} missing, {} repeated",
        own.len(),
        own.iter().filter(|k| k.starts_with(&prefix)).count(),
        copied.iter().filter(|k| k.starts_with(&prefix)).count(),
        ids.len(),
        missing.len(),
        repeated.len()
    );
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
    assert!(
        !own.is_empty() && own.iter().all(|k| k.starts_with(&prefix)),
        "the connector's topic holds its offsets: {own:?}"
    );
    assert!(
        copied.iter().any(|k| k.starts_with(&prefix)),
        "the worker's topic has a copy"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
