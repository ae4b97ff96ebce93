//! Exactly once through a broker restart: an exactly-once datagen source and the exactly-once
//! file sink on one standalone worker while the broker is stopped and started again
//! (`scripts/stack restart-kafka`: same data, same port) mid-stream. Transactions open at that
//! moment abort or time out; the tasks carry on (or restart) once the broker is back, and a
//! `read_committed` reader of the topic and the sink's file both hold every record exactly once.
//! Its own test binary: no other test shares the broker while it is away.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::exactly_once::{committed_ids, tally};
use integration_tests::java::repo_root;
use integration_tests::{ChildGuard, bootstrap, temp_dir, unique, wharf_bin};

const RECORDS: u64 = 1_000_000;

#[test]
fn a_broker_restart_mid_stream_leaves_every_record_exactly_once() {
    let _ = wharf_bin();
    let dir = temp_dir("eos-restart");
    let (topic, offsets_topic) = (unique("eos-restart"), unique("eos-restart-offsets"));
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
            "name=eos-restart-datagen\nconnector.class=DatagenConnector\nkafka.topic={topic}\n\
             quickstart=orders\niterations={RECORDS}\nmax.interval=0\nrandom.seed=9\n\
             records.per.second=40000\n\
             exactly.once.support=required\ntransaction.boundary=interval\n\
             transaction.boundary.interval.ms=100\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("sink.properties"),
        format!(
            "name=eos-restart-sink\nconnector.class=FileStreamSink\ntopics={topic}\nfile={}\n\
             wharf.exactly.once=true\n",
            dir.join("out.jsonl").display()
        ),
    )
    .unwrap();
    let log = dir.join("worker.log");
    let mut worker = ChildGuard(
        Command::new(wharf_bin())
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("datagen.properties"))
            .arg(dir.join("sink.properties"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .expect("wharf starts"),
    );
    let output = dir.join("out.jsonl");
    let lines = || std::fs::read_to_string(&output).map_or(0, |t| t.lines().count() as u64);
    let started = Instant::now();
    while lines() < RECORDS / 10 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the pipeline never got going"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let at_restart = lines();
    let restarted = Command::new(repo_root().join("scripts/stack"))
        .arg("restart-kafka")
        .status()
        .expect("scripts/stack runs");
    assert!(restarted.success(), "the broker restarted");
    let deadline = Instant::now() + Duration::from_secs(300);
    while lines() < RECORDS && Instant::now() < deadline {
        assert!(
            worker.0.try_wait().unwrap().is_none(),
            "the worker exited: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let ids = committed_ids(&topic);
    let pid = worker.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = worker.0.wait().unwrap();
    let (missing, repeated) = tally(ids.iter().copied(), RECORDS);
    println!(
        "broker restarted at {at_restart} lines: topic {} records read_committed, {} missing, {} \
         repeated",
        ids.len(),
        missing.len(),
        repeated.len()
    );
    assert!(
        missing.is_empty(),
        "topic misses {:?}",
        &missing[..missing.len().min(10)]
    );
    assert!(
        repeated.is_empty(),
        "topic repeats {:?}",
        &repeated[..repeated.len().min(10)]
    );
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
    assert!(status.success(), "clean stop exits 0, got {status}");
    std::fs::remove_dir_all(&dir).unwrap();
}
