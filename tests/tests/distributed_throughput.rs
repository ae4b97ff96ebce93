//! The figure of a distributed pipeline: 1 000 000 lines through a file source → a 4-partition
//! topic → a 4-task file sink, on one `wharf distributed` worker and then on three, in one run
//! (the ratio is the figure; the machine is noisy). Every line must arrive in both runs; the
//! times are printed, not asserted.

use std::fs;
use std::io::Write;
use std::time::{Duration, Instant};

use integration_tests::distributed::{self, Worker, create_topic};
use integration_tests::{temp_dir, unique};
use serde_json::json;

const LINES: u64 = 1_000_000;
const PARTITIONS: i32 = 4;
/// `line-NNNNNNN\n`.
const LINE_BYTES: u64 = 13;
const LIMIT: Duration = Duration::from_secs(300);

/// Seconds from creating the two connectors until the sink file holds every line.
fn run(workers: usize) -> f64 {
    let group = unique("dt-group");
    let topics = [
        unique("dt-configs"),
        unique("dt-offsets"),
        unique("dt-status"),
    ];
    // The internal topics exist before the workers start (see distributed_failover.rs).
    create_topic(&topics[0], 1, vec![("cleanup.policy", "compact")]);
    create_topic(&topics[1], 3, vec![("cleanup.policy", "compact")]);
    create_topic(&topics[2], 3, vec![("cleanup.policy", "compact")]);
    let data = unique("dt-data");
    create_topic(&data, PARTITIONS, vec![]);
    let dir = temp_dir("dt");
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    {
        let mut out = std::io::BufWriter::new(fs::File::create(&input).unwrap());
        for n in 0..LINES {
            writeln!(out, "line-{n:07}").unwrap();
        }
    }
    let names = ["a", "b", "c"];
    let cluster: Vec<Worker> = names[..workers]
        .iter()
        .map(|n| Worker::start(n, &dir, &group, &topics, &[]))
        .collect();
    for w in &cluster {
        distributed::wait_for(&format!("{} up", w.name), LIMIT, || match w.api.get("/") {
            (200, _) => Ok(()),
            (code, _) => Err(format!("{code}\n{}", w.log())),
        });
    }
    let started = Instant::now();
    for (name, config) in [
        (
            "source",
            json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": data}),
        ),
        (
            "sink",
            json!({"connector.class": "FileStreamSink", "tasks.max": "4", "topics": data,
                   "file": output.to_str().unwrap()}),
        ),
    ] {
        distributed::wait_for(&format!("{name} created"), LIMIT, || {
            match cluster[0].api.call(
                "POST",
                "/connectors",
                Some(json!({"name": format!("{group}-{name}"), "config": config})),
            ) {
                (201, _) => Ok(()),
                (code, body) => Err(format!("{code} {body}")),
            }
        });
    }
    distributed::wait_for("every line in the sink file", LIMIT, || {
        let size = fs::metadata(&output).map_or(0, |m| m.len());
        if size >= LINES * LINE_BYTES {
            Ok(())
        } else {
            Err(format!("{} of {LINES} lines", size / LINE_BYTES))
        }
    });
    let took = started.elapsed().as_secs_f64();
    drop(cluster);
    let _ = fs::remove_dir_all(&dir);
    took
}

#[test]
fn one_million_lines_on_one_worker_and_on_three() {
    // Built before any clock starts.
    assert!(integration_tests::wharf_bin().exists());
    let one = run(1);
    let three = run(3);
    println!(
        "1 000 000 lines file → 4 partitions → file: 1 worker {one:.1} s ({:.0} lines/s), \
         3 workers {three:.1} s ({:.0} lines/s); 3 ÷ 1 = {:.2}",
        LINES as f64 / one,
        LINES as f64 / three,
        one / three
    );
}
