//! file → Kafka → file through the standalone worker, against the real broker.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use connect_api::config::Properties;
use engine::modes::standalone::Standalone;
use integration_tests::{ChildGuard, bootstrap, props, temp_dir, unique, wait_until, wharf_bin};

fn write_lines(path: &Path, range: std::ops::Range<u64>) {
    let mut out = std::io::BufWriter::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap(),
    );
    for i in range {
        writeln!(
            out,
            "line {i:07} {}",
            "payload-".repeat(usize::try_from(i % 7).unwrap())
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn line_count(path: &Path) -> usize {
    fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

fn worker_props(dir: &Path, flush_ms: &str) -> Properties {
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
            dir.join("offsets.json").to_str().unwrap(),
        ),
        ("offset.flush.interval.ms", flush_ms),
    ])
}

/// 1 000 000 lines through one topic with one partition, with the value converter given by
/// `converter` (worker-level `value.converter*` keys): the output file must equal the input.
fn million_lines(label: &str, converter: &[(&str, &str)]) {
    integration_tests::init_logs();
    const LINES: u64 = 1_000_000;
    let dir = temp_dir("file-pipeline");
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    write_lines(&input, 0..LINES);
    let topic = unique("file-pipeline");
    // Connector names are per test: a sink's consumer group is connect-<name>.
    let (source, sink) = (unique("source"), unique("sink"));
    let mut worker_config = worker_props(&dir, "1000");
    for (k, v) in converter {
        worker_config.insert((*k).to_owned(), (*v).to_owned());
    }

    let start = Instant::now();
    let worker = Standalone::start(
        &worker_config,
        &[
            props(&[
                ("name", &source),
                (
                    "connector.class",
                    "org.apache.kafka.connect.file.FileStreamSourceConnector",
                ),
                ("file", input.to_str().unwrap()),
                ("topic", &topic),
            ]),
            props(&[
                ("name", &sink),
                ("connector.class", "FileStreamSink"),
                ("file", output.to_str().unwrap()),
                ("topics", &topic),
            ]),
        ],
    )
    .unwrap();
    wait_until(
        "all lines in the output file",
        Duration::from_secs(240),
        || line_count(&output) >= usize::try_from(LINES).unwrap(),
    );
    let elapsed = start.elapsed();
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    println!(
        "file -> kafka ({label}) -> file: {LINES} lines in {elapsed:.2?} ({:.0} lines/s)",
        LINES as f64 / elapsed.as_secs_f64()
    );
    assert!(
        fs::read(&input).unwrap() == fs::read(&output).unwrap(),
        "output differs from input"
    );
    let offsets = fs::read_to_string(dir.join("offsets.json")).unwrap();
    let size = fs::metadata(&input).unwrap().len();
    assert!(
        offsets.contains(&format!("\"position\":{size}")),
        "source offset at end of file: {offsets}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn million_lines_file_to_kafka_to_file_string() {
    million_lines("string", &[]);
}

#[test]
fn million_lines_file_to_kafka_to_file_avro() {
    let registry = integration_tests::registry_url();
    million_lines(
        "avro",
        &[
            ("value.converter", "io.confluent.connect.avro.AvroConverter"),
            ("value.converter.schema.registry.url", &registry),
        ],
    );
}

#[test]
fn million_lines_file_to_kafka_to_file_json_with_schemas() {
    million_lines(
        "json",
        &[
            (
                "value.converter",
                "org.apache.kafka.connect.json.JsonConverter",
            ),
            ("value.converter.schemas.enable", "true"),
        ],
    );
}

/// A restarted worker resumes from the committed offsets: nothing read twice by a clean restart,
/// and lines appended while it was down arrive. `offsets_topic` keeps source offsets in a Kafka
/// topic instead of the file; the topic then holds them in Kafka Connect's format.
fn restart_resumes(offsets_topic: Option<&str>) {
    integration_tests::init_logs();
    let dir = temp_dir("file-restart");
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    let topic = unique("file-restart");
    let (source, sink) = (unique("source"), unique("sink"));
    let connectors = [
        props(&[
            ("name", &source),
            ("connector.class", "FileStreamSource"),
            ("file", input.to_str().unwrap()),
            ("topic", &topic),
        ]),
        props(&[
            ("name", &sink),
            ("connector.class", "FileStreamSink"),
            ("file", output.to_str().unwrap()),
            ("topics", &topic),
        ]),
    ];
    let mut worker_config = worker_props(&dir, "60000");
    if let Some(offsets) = offsets_topic {
        worker_config.remove("offset.storage.file.filename");
        worker_config.insert("offset.storage.topic".to_owned(), offsets.to_owned());
        worker_config.insert(
            "offset.storage.replication.factor".to_owned(),
            "1".to_owned(),
        );
        worker_config.insert("offset.storage.partitions".to_owned(), "3".to_owned());
    }
    write_lines(&input, 0..1000);
    let worker = Standalone::start(&worker_config, &connectors).unwrap();
    wait_until("first 1000 lines", Duration::from_secs(60), || {
        line_count(&output) >= 1000
    });
    // A clean stop commits both the source offsets and the sink's consumer offsets.
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    write_lines(&input, 1000..1500);
    let worker = Standalone::start(&worker_config, &connectors).unwrap();
    wait_until("all 1500 lines", Duration::from_secs(60), || {
        line_count(&output) >= 1500
    });
    std::thread::sleep(Duration::from_millis(500));
    for (id, outcome) in worker.stop() {
        assert_eq!(outcome, Ok(()), "task {id}");
    }
    assert_eq!(
        fs::read(&input).unwrap(),
        fs::read(&output).unwrap(),
        "exactly once across a clean restart"
    );
    if let Some(offsets) = offsets_topic {
        let records = integration_tests::consume_n(offsets, 2, Duration::from_secs(30));
        let size = fs::metadata(&input).unwrap().len();
        let (key, value, _) = records.last().unwrap();
        assert_eq!(
            String::from_utf8(key.clone().unwrap()).unwrap(),
            serde_json::json!([source, {"filename": input.to_str().unwrap()}]).to_string()
        );
        assert_eq!(
            String::from_utf8(value.clone().unwrap()).unwrap(),
            format!("{{\"position\":{size}}}")
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn restart_resumes_from_committed_offsets_in_a_file() {
    restart_resumes(None);
}

#[test]
fn restart_resumes_from_committed_offsets_in_a_topic() {
    restart_resumes(Some(&unique("offsets")));
}

fn spawn_worker(dir: &Path) -> ChildGuard {
    let child = Command::new(wharf_bin())
        .arg("standalone")
        .arg(dir.join("worker.properties"))
        .arg(dir.join("source.properties"))
        .arg(dir.join("sink.json"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("wharf starts");
    ChildGuard(child)
}

/// kill -9 mid-stream, start again: every line arrives (at-least-once); duplicates are bounded by
/// what one flush interval can carry. SIGTERM then stops the worker with exit code 0.
#[test]
fn kill_9_loses_nothing_and_sigterm_exits_cleanly() {
    const LINES: u64 = 300_000;
    let dir = temp_dir("file-kill9");
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    let topic = unique("file-kill9");
    let (source, sink) = (unique("source"), unique("sink"));
    let _ = &source;
    fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.storage.StringConverter\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=200\n\
             listeners=http://127.0.0.1:0\n",
            bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
    .unwrap();
    fs::write(
        dir.join("source.properties"),
        format!(
            "name=source\nconnector.class=FileStreamSource\nfile={}\ntopic={topic}\n",
            input.display()
        ),
    )
    .unwrap();
    fs::write(
        dir.join("sink.json"),
        serde_json::json!({"name": sink, "config": {
            "connector.class": "FileStreamSink", "file": output.to_str().unwrap(), "topics": topic}})
        .to_string(),
    )
    .unwrap();
    write_lines(&input, 0..LINES);

    let mut worker = spawn_worker(&dir);
    wait_until(
        "some output before the kill",
        Duration::from_secs(60),
        || line_count(&output) > 10_000,
    );
    worker.0.kill().unwrap(); // SIGKILL
    worker.0.wait().unwrap();
    let at_kill = line_count(&output);

    let mut worker = spawn_worker(&dir);
    wait_until(
        "every line after the restart",
        Duration::from_secs(120),
        || {
            let lines = fs::read_to_string(&output).unwrap_or_default();
            let distinct: std::collections::BTreeSet<&str> = lines.lines().collect();
            distinct.len() >= usize::try_from(LINES).unwrap()
        },
    );
    // SIGTERM: clean stop, exit 0.
    let pid = worker.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = worker.0.wait().unwrap();
    assert!(status.success(), "clean stop exits 0, got {status}");

    let text = fs::read_to_string(&output).unwrap();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for line in text.lines() {
        *seen.entry(line).or_default() += 1;
    }
    let expected = fs::read_to_string(&input).unwrap();
    for line in expected.lines() {
        assert!(seen.contains_key(line), "lost line {line:?}");
    }
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    println!("kill -9 after {at_kill} lines: {duplicates} duplicates, 0 lost");
    // Within one 200 ms flush interval the pipeline moves far fewer than 200 000 lines on this
    // machine, and at most one interval of source and one of sink output can repeat.
    assert!(duplicates < 200_000, "{duplicates} duplicates");
    fs::remove_dir_all(&dir).unwrap();
}
