//! A file source reading a standard input that has no data freezes neither its shard nor the
//! other tasks on it, and a stop is heard at once: SIGTERM ends the worker cleanly although the
//! source's read never returned.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::{ChildGuard, bootstrap, consume_n, temp_dir, unique, wharf_bin};

#[test]
fn an_idle_stdin_source_blocks_no_other_task_and_sigterm_stops_the_worker_at_once() {
    let bin = wharf_bin();
    let dir = temp_dir("stdin-idle");
    let topic = unique("stdin-neighbour");
    std::fs::write(
        dir.join("worker.properties"),
        format!(
            "bootstrap.servers={}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\n\
             value.converter=org.apache.kafka.connect.json.JsonConverter\n\
             value.converter.schemas.enable=false\n\
             offset.storage.file.filename={}\noffset.flush.interval.ms=200\n\
             listeners=http://127.0.0.1:0\nwharf.shards=1\n",
            bootstrap(),
            dir.join("offsets.json").display()
        ),
    )
    .unwrap();
    // No `file`: the source reads stdin, which the test keeps open and silent.
    std::fs::write(
        dir.join("stdin.properties"),
        format!(
            "name=stdin-source\nconnector.class=FileStreamSource\ntopic={}\n",
            unique("stdin-topic")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("datagen.properties"),
        format!(
            "name=neighbour\nconnector.class=DatagenConnector\nkafka.topic={topic}\n\
             quickstart=users\niterations=200\nmax.interval=0\n"
        ),
    )
    .unwrap();
    let mut worker = ChildGuard(
        Command::new(bin)
            .arg("standalone")
            .arg(dir.join("worker.properties"))
            .arg(dir.join("stdin.properties"))
            .arg(dir.join("datagen.properties"))
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("wharf starts"),
    );
    // The neighbour on the same (only) shard runs.
    let records = consume_n(&topic, 200, Duration::from_secs(60));
    assert_eq!(records.len(), 200);
    let pid = worker.0.id().to_string();
    let asked = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = loop {
        if let Some(status) = worker.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "the worker did not stop within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    println!("stopped {:.2?} after SIGTERM", asked.elapsed());
    assert!(status.success(), "clean stop exits 0, got {status}");
    std::fs::remove_dir_all(&dir).unwrap();
}
