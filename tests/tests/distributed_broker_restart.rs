//! A broker restart under a stable distributed cluster: two `wharf distributed` workers run a
//! file source → topic → file sink pipeline; the broker is stopped and started again
//! (`scripts/stack restart-kafka`, same data and port) while they run. Neither worker exits, both
//! keep answering REST during the outage, the group forms again, and every line — those written
//! before, during and after the restart — reaches the sink file (at least once).
//!
//! Its own test binary: the restart would disturb tests running beside it.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use integration_tests::distributed::{self, Worker};
use integration_tests::java::repo_root;
use integration_tests::{temp_dir, unique};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(120);

fn append(path: &Path, range: std::ops::Range<usize>) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for i in range {
        writeln!(f, "line-{i:06}").unwrap();
    }
}

fn missing(path: &Path, n: usize) -> usize {
    let text = fs::read_to_string(path).unwrap_or_default();
    let seen: BTreeSet<&str> = text.lines().collect();
    (0..n)
        .filter(|i| !seen.contains(format!("line-{i:06}").as_str()))
        .count()
}

#[test]
fn the_cluster_survives_a_broker_restart() {
    // Only the project's own stack can be restarted from here.
    if std::env::var("KAFKA_BOOTSTRAP").is_ok_and(|b| b != "127.0.0.1:9092") {
        eprintln!("skipped: KAFKA_BOOTSTRAP is not scripts/stack's broker");
        return;
    }
    let group = unique("dbr-group");
    let topics = [
        unique("dbr-configs"),
        unique("dbr-offsets"),
        unique("dbr-status"),
    ];
    let dir = temp_dir("dbr");
    let input = dir.join("in.txt");
    let output = dir.join("out.txt");
    let data = unique("dbr-data");
    distributed::create_topic(&data, 2, vec![]);
    append(&input, 0..1000);
    let workers: Vec<Worker> = ["a", "b"]
        .into_iter()
        .map(|n| Worker::start(n, &dir, &group, &topics, &[("wharf.shards", "1")]))
        .collect();
    let logs = || {
        workers
            .iter()
            .map(|w| format!("{}:\n{}", w.name, w.log()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (name, config) in [
        (
            "source",
            json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": data}),
        ),
        (
            "sink",
            json!({"connector.class": "FileStreamSink", "tasks.max": "2", "topics": data,
                   "file": output.to_str().unwrap()}),
        ),
    ] {
        distributed::wait_for(&format!("{name} created"), LIMIT, || {
            match workers[0].api.call(
                "POST",
                "/connectors",
                Some(json!({"name": name, "config": config})),
            ) {
                (201, _) => Ok(()),
                (code, body) => Err(format!("{code} {body}\n{}", logs())),
            }
        });
    }
    distributed::wait_for("the first 1000 lines delivered", LIMIT, || {
        match missing(&output, 1000) {
            0 => Ok(()),
            n => Err(format!("{n} missing\n{}", logs())),
        }
    });

    let restart = std::thread::spawn(|| {
        Command::new(repo_root().join("scripts/stack"))
            .arg("restart-kafka")
            .status()
            .expect("scripts/stack runs")
    });
    // Lines written while the broker is away, and REST answering meanwhile.
    append(&input, 1000..2000);
    while !restart.is_finished() {
        for w in &workers {
            let asked = std::time::Instant::now();
            let (code, body) = w.api.get("/connectors");
            assert_eq!(
                code,
                200,
                "{} stopped answering REST ({body} after {:?}):\n{}",
                w.name,
                asked.elapsed(),
                w.log()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(restart.join().unwrap().success(), "the broker restarted");
    append(&input, 2000..3000);

    distributed::wait_for(
        "every line delivered after the restart",
        LIMIT,
        || match missing(&output, 3000) {
            0 => Ok(()),
            n => Err(format!("{n} missing\n{}", logs())),
        },
    );
    distributed::wait_for("both connectors RUNNING again", LIMIT, || {
        for name in ["source", "sink"] {
            let (code, status) = workers[1].api.get(&format!("/connectors/{name}/status"));
            let tasks_running = status["tasks"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == "RUNNING"));
            if code != 200 || status["connector"]["state"] != "RUNNING" || !tasks_running {
                return Err(format!("{name}: {code} {status}\n{}", logs()));
            }
        }
        Ok(())
    });
    let _ = fs::remove_dir_all(&dir);
}
