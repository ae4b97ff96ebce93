//! Sink consumers are static group members: a worker restarted after kill -9 takes its
//! partitions back at once instead of waiting for the dead member's session to expire (45 s),
//! and a second live copy of the same task fences the first instead of consuming beside it.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use engine::modes::standalone::Standalone;
use integration_tests::{
    ChildGuard, bootstrap, produce_all, props, temp_dir, unique, wait_until, wharf_bin,
};

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn produce(topic: &str, values: &[String]) {
    let records: Vec<_> = values.iter().map(|v| (None, Some(v.as_bytes()))).collect();
    produce_all(topic, &records);
}

fn spawn(dir: &Path) -> ChildGuard {
    let child = Command::new(wharf_bin())
        .arg("standalone")
        .arg(dir.join("worker.properties"))
        .arg(dir.join("sink.json"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("wharf starts");
    ChildGuard(child)
}

#[test]
fn a_sink_restarted_after_kill_9_consumes_again_within_seconds() {
    let bin = wharf_bin(); // built before any clock starts
    assert!(bin.exists());
    let dir = temp_dir("static-restart");
    let output = dir.join("out.txt");
    let topic = unique("static-restart");
    fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=100\n\
             listeners=http://127.0.0.1:0\n",
            bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
    .unwrap();
    fs::write(
        dir.join("sink.json"),
        serde_json::json!({"name": unique("static-sink"), "config": {
            "connector.class": "FileStreamSink", "file": output.to_str().unwrap(),
            "topics": topic}})
        .to_string(),
    )
    .unwrap();
    let first: Vec<String> = (0..100).map(|i| format!("before {i}")).collect();
    produce(&topic, &first);
    let mut worker = spawn(&dir);
    wait_until("the first records", Duration::from_secs(60), || {
        lines(&output).len() >= first.len()
    });
    // Let the commit of what was written happen, then die without leaving the group.
    std::thread::sleep(Duration::from_millis(500));
    worker.0.kill().unwrap();
    worker.0.wait().unwrap();

    let restarted = Instant::now();
    let _worker = spawn(&dir);
    produce(&topic, &["after the restart".to_owned()]);
    wait_until(
        "the record produced after the restart",
        Duration::from_secs(60),
        || lines(&output).iter().any(|l| l == "after the restart"),
    );
    let took = restarted.elapsed();
    println!("first record {took:.2?} after restarting a kill -9'd sink worker");
    // A dynamic member would wait for the dead member's 45 s session to expire first.
    assert!(
        took < Duration::from_secs(15),
        "the restarted sink waited {took:?} for its partitions"
    );
    for line in &first {
        assert!(lines(&output).contains(line), "lost {line}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_live_copy_of_a_task_fences_the_first_and_nothing_is_consumed_twice() {
    integration_tests::init_logs();
    let dir = temp_dir("static-fence");
    let topic = unique("static-fence");
    let name = unique("fence-sink");
    let worker = |n: u32| {
        props(&[
            ("bootstrap.servers", &bootstrap()),
            (
                "key.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "value.converter",
                "org.apache.kafka.connect.storage.StringConverter",
            ),
            (
                "offset.storage.file.filename",
                dir.join(format!("offsets-{n}.json")).to_str().unwrap(),
            ),
            ("offset.flush.interval.ms", "100"),
            ("wharf.shards", "1"),
        ])
    };
    let out = |n: u32| dir.join(format!("out-{n}.txt"));
    let sink = |n: u32| {
        props(&[
            ("name", &name),
            ("connector.class", "FileStreamSink"),
            ("file", out(n).to_str().unwrap()),
            ("topics", &topic),
        ])
    };
    let wave =
        |from: usize| -> Vec<String> { (from..from + 200).map(|i| format!("r{i}")).collect() };
    produce(&topic, &wave(0));
    let one = Standalone::start(&worker(1), &[sink(1)]).unwrap();
    wait_until("the first copy writes", Duration::from_secs(60), || {
        lines(&out(1)).len() >= 200
    });
    let two = Standalone::start(&worker(2), &[sink(2)]).unwrap();
    let fenced = |w: &Standalone| {
        w.tasks()
            .iter()
            .any(|(_, s)| s.failure().is_some_and(|f| f.contains("fenced")))
    };
    wait_until(
        "the first copy to be fenced",
        Duration::from_secs(60),
        || fenced(&one),
    );
    assert!(!fenced(&two), "the newest copy keeps the membership");
    let restarts: u64 = one.tasks().iter().map(|(_, s)| s.restarts()).sum();
    assert_eq!(
        restarts, 0,
        "a fenced copy is not restarted into a fencing loop"
    );
    produce(&topic, &wave(200));
    wait_until(
        "the second copy writes the new records",
        Duration::from_secs(60),
        || lines(&out(2)).iter().any(|l| l == "r399"),
    );
    std::thread::sleep(Duration::from_millis(500));
    let (a, b) = (lines(&out(1)), lines(&out(2)));
    for r in wave(200) {
        let copies = a.iter().chain(&b).filter(|l| **l == r).count();
        assert_eq!(copies, 1, "{r} consumed {copies} times");
    }
    drop(two.stop());
    drop(one.stop());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn leaving_for_a_member_that_is_not_there_is_fine() {
    let group = unique("no-such-group");
    engine::kafka::wire::leave_group(
        &bootstrap(),
        &group,
        "nobody-0",
        "test",
        Duration::from_secs(5),
        &engine::kafka::wire_auth::WireSecurity::default(),
    )
    .expect("LeaveGroup for an absent static member");
}
