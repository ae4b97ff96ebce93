//! Failover of a distributed cluster under load, with processes and a real `kill -9`: three
//! `wharf distributed` workers run a FileStreamSource (one task) into a 4-partition topic and a
//! FileStreamSink (four tasks) from it into a file. Mid-stream the worker running the most tasks
//! is killed with SIGKILL and a fourth one started; every line must still reach the output file
//! (at-least-once: duplicates are counted and reported, none may be lost), the topic must keep
//! the source's order within each partition, and the time until all five tasks are RUNNING again
//! is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use integration_tests::distributed::{Worker, create_topic, wait_for};
use integration_tests::{bootstrap, temp_dir, unique};
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde_json::{Value, json};

/// The target: 1 000 000 lines through the cluster.
const TARGET_LINES: u64 = 1_000_000;
/// The lines this test sends.
const LINES: u64 = TARGET_LINES;
/// The kill comes once the output file holds this many lines.
const KILL_AT: usize = 200_000;
/// Partitions of the data topic, and sink tasks.
const PARTITIONS: i32 = 4;
/// Partitions of the offsets and status topics.
const INTERNAL_PARTITIONS: i32 = 3;
/// Bound of the short waits (workers up, connectors running, the kill point).
const LIMIT: Duration = Duration::from_secs(90);
/// Bound of the wait for every line after the kill.
const DRAIN_LIMIT: Duration = Duration::from_secs(180);

/// What a list of line numbers holds against `0..expected`.
#[derive(Debug, PartialEq, Eq)]
struct Tally {
    /// Numbers of `0..expected` that never occur.
    missing: Vec<u64>,
    /// Occurrences beyond the first, summed over all numbers.
    duplicates: usize,
    /// Numbers outside `0..expected`.
    strays: Vec<u64>,
}

fn tally(numbers: impl IntoIterator<Item = u64>, expected: u64) -> Tally {
    let mut seen = vec![0u32; usize::try_from(expected).unwrap()];
    let mut strays = Vec::new();
    for n in numbers {
        match seen.get_mut(usize::try_from(n).unwrap()) {
            Some(count) => *count += 1,
            None => strays.push(n),
        }
    }
    let missing = (0..expected)
        .filter(|&n| seen[usize::try_from(n).unwrap()] == 0)
        .collect();
    let duplicates = seen
        .iter()
        .map(|&c| usize::try_from(c.saturating_sub(1)).unwrap())
        .sum();
    Tally {
        missing,
        duplicates,
        strays,
    }
}

/// Order breaks within the partitions of the topic: `(partition, before, after)` where a line
/// number `after` follows `before` in the partition but is smaller.
///
/// The file source sends its lines in file order; after a restart it resends from its last
/// committed offset, and the producer's partitioner may put a resent line in another partition
/// than the first time. So the numbers that occur more than once anywhere in the topic are left
/// out: every other line was sent once, and within its partition those must strictly increase
/// (the killed task's records all precede the new task's, and the new task's unique lines all
/// come after every line the old one sent).
fn order_breaks(partitions: &BTreeMap<i32, Vec<u64>>) -> Vec<(i32, u64, u64)> {
    let mut count: BTreeMap<u64, usize> = BTreeMap::new();
    for n in partitions.values().flatten() {
        *count.entry(*n).or_default() += 1;
    }
    let mut breaks = Vec::new();
    for (p, numbers) in partitions {
        let mut last: Option<u64> = None;
        for &n in numbers.iter().filter(|n| count[n] == 1) {
            if let Some(before) = last
                && n <= before
            {
                breaks.push((*p, before, n));
            }
            last = Some(n);
        }
    }
    breaks
}

#[test]
fn the_counters_catch_a_planted_missing_line_a_duplicate_and_an_order_break() {
    // 0..6 with 3 missing and 4 twice.
    let t = tally([0, 1, 2, 4, 4, 5], 6);
    assert_eq!(t.missing, [3]);
    assert_eq!(t.duplicates, 1);
    assert!(t.strays.is_empty());
    let clean = tally([0, 1, 2, 3, 4, 5], 6);
    assert_eq!(
        clean,
        Tally {
            missing: vec![],
            duplicates: 0,
            strays: vec![]
        }
    );
    assert_eq!(tally([0, 7], 1).strays, [7]);
    // A replay after a restart (3 and 4 sent again, 4 into another partition) is no break...
    let replay = BTreeMap::from([(0, vec![0, 2, 3, 4, 3, 6]), (1, vec![1, 4, 5, 7])]);
    assert_eq!(order_breaks(&replay), []);
    // ...but a unique line out of place is.
    let swapped = BTreeMap::from([(0, vec![0, 3, 2, 4]), (1, vec![1, 5])]);
    assert_eq!(order_breaks(&swapped), [(0, 3, 2)]);
}

fn line(n: u64) -> String {
    format!("line-{n:07}")
}

fn parse_line(text: &str) -> Option<u64> {
    text.strip_prefix("line-")?.parse().ok()
}

#[test]
fn parse_line_reads_back_line() {
    assert_eq!(parse_line(&line(42)), Some(42));
    assert_eq!(parse_line("garbage"), None);
}

/// The line numbers in the output file, and how many of its lines are not `line-N`.
fn output_numbers(path: &Path) -> (Vec<u64>, usize) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut numbers = Vec::new();
    let mut bad = 0;
    for l in text.lines() {
        match parse_line(l) {
            Some(n) => numbers.push(n),
            None => bad += 1,
        }
    }
    (numbers, bad)
}

fn line_count(path: &Path) -> usize {
    fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// The line numbers in each partition of `topic`, in offset order.
fn topic_numbers(topic: &str) -> BTreeMap<i32, Vec<u64>> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("failover-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let mut list = rdkafka::TopicPartitionList::new();
    for p in 0..PARTITIONS {
        list.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let mut by_partition: BTreeMap<i32, Vec<u64>> = BTreeMap::new();
    let mut at_end = BTreeSet::new();
    let deadline = Instant::now() + LIMIT;
    while at_end.len() < usize::try_from(PARTITIONS).unwrap() {
        let read: usize = by_partition.values().map(Vec::len).sum();
        assert!(
            Instant::now() < deadline,
            "reading {topic} took over {LIMIT:?}: {read} records, at the end of {at_end:?}"
        );
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                let text = std::str::from_utf8(m.payload().unwrap_or_default()).unwrap();
                let n = parse_line(text)
                    .unwrap_or_else(|| panic!("record {text:?} in {topic} is no line-N"));
                by_partition.entry(m.partition()).or_default().push(n);
                at_end.remove(&m.partition());
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    by_partition
}

/// A worker with this test's timing (`heartbeat.interval.ms` 1000, `session.timeout.ms` 6000).
fn start_worker(name: &'static str, dir: &Path, group: &str, topics: &[String; 3]) -> Worker {
    let partitions = INTERNAL_PARTITIONS.to_string();
    Worker::start(
        name,
        dir,
        group,
        topics,
        &[
            ("offset.storage.partitions", &partitions),
            ("status.storage.partitions", &partitions),
        ],
    )
}

/// `(state, worker_id)` of each task in a status body.
fn task_states(status: &Value) -> Vec<(String, String)> {
    status["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["state"].as_str().unwrap_or("").to_owned(),
                t["worker_id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The tasks of both connectors through `w`, if it answers both with 200.
fn all_tasks(w: &Worker, connectors: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut tasks = Vec::new();
    for c in connectors {
        let (code, status) = w.api.get(&format!("/connectors/{c}/status"));
        if code != 200 {
            return Err(format!("{c} through {}: {code} {status}", w.name));
        }
        tasks.extend(task_states(&status));
    }
    Ok(tasks)
}

fn write_input(path: &Path) {
    let mut out = std::io::BufWriter::new(fs::File::create(path).unwrap());
    for n in 0..LINES {
        writeln!(out, "{}", line(n)).unwrap();
    }
    out.flush().unwrap();
}

#[test]
fn kill_9_of_the_busiest_worker_loses_no_line_and_keeps_partition_order() {
    let group = unique("fo-group");
    let topics = [
        unique("fo-configs"),
        unique("fo-offsets"),
        unique("fo-status"),
    ];
    let data_topic = unique("fo-data");
    create_topic(&data_topic, PARTITIONS, vec![]);
    // The workers' own topics are created here too, and used only once their leaders answer:
    // left to the workers, a worker sometimes exits at start with "offsets topic ...: cannot read
    // watermarks: ... NotLeaderForPartition" when it reads a topic another worker has just
    // created (a retriable error that the worker does not retry yet). Not checked here: workers
    // starting together on internal topics that do not exist yet.
    let compact = || vec![("cleanup.policy", "compact")];
    create_topic(&topics[0], 1, compact());
    create_topic(&topics[1], INTERNAL_PARTITIONS, compact());
    create_topic(&topics[2], INTERNAL_PARTITIONS, compact());
    let dir = temp_dir("failover");
    let (input, output) = (dir.join("in.txt"), dir.join("out.txt"));
    write_input(&input);
    // A sink's consumer group is connect-<name>: names are per run.
    let (source, sink) = (unique("fo-source"), unique("fo-sink"));
    let connectors = [source.as_str(), sink.as_str()];

    let mut workers: Vec<Worker> = ["a", "b", "c"]
        .into_iter()
        .map(|n| start_worker(n, &dir, &group, &topics))
        .collect();
    for w in &mut workers {
        wait_for(&format!("GET / through {}", w.name), LIMIT, || {
            let (code, body) = w.api.get("/");
            if let Some(exit) = w.process.0.try_wait().unwrap() {
                panic!(
                    "worker {} exited at start: {exit}; log:\n{}",
                    w.name,
                    w.log()
                );
            }
            if code == 200 {
                Ok(())
            } else {
                Err(format!("{code} {body}; log:\n{}", w.log()))
            }
        });
    }

    let a = &workers[0];
    let start = Instant::now();
    for (name, config) in [
        (
            &sink,
            json!({
                "connector.class": "FileStreamSink",
                "file": output.to_str().unwrap(),
                "topics": data_topic,
                "tasks.max": PARTITIONS.to_string(),
            }),
        ),
        (
            &source,
            json!({
                "connector.class": "FileStreamSource",
                "file": input.to_str().unwrap(),
                "topic": data_topic,
                "tasks.max": "1",
            }),
        ),
    ] {
        // While the group is still forming the worker answers 409 ("no known leader URL, likely
        // because a rebalance was underway"), as Kafka Connect does: the request is retried.
        wait_for(&format!("creating {name} through a"), LIMIT, || {
            let (code, created) = a.api.call(
                "POST",
                "/connectors",
                Some(json!({"name": name, "config": config})),
            );
            match code {
                201 => Ok(()),
                409 if created["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("rebalance")) =>
                {
                    Err(format!("{code} {created}"))
                }
                _ => panic!("creating {name}: {code} {created}; log:\n{}", a.log()),
            }
        });
    }

    // The kill point: enough output, and all five tasks RUNNING, on workers known by port.
    wait_for(
        &format!("{KILL_AT} lines in the output file"),
        LIMIT,
        || {
            let n = line_count(&output);
            if n >= KILL_AT {
                Ok(())
            } else {
                Err(format!("{n} lines; status {:?}", all_tasks(a, &connectors)))
            }
        },
    );
    let ids: Vec<String> = workers.iter().map(Worker::id).collect();
    let before = wait_for("five RUNNING tasks before the kill", LIMIT, || {
        let tasks = all_tasks(a, &connectors)?;
        let running = tasks
            .iter()
            .filter(|(s, w)| s == "RUNNING" && ids.contains(w))
            .count();
        if running == 1 + usize::try_from(PARTITIONS).unwrap() {
            Ok(tasks)
        } else {
            Err(format!("{tasks:?}, workers {ids:?}"))
        }
    });
    // The worker with the most tasks; of those, the one running the source task (the first in
    // `before`), so that the source too is restarted when the counts allow it.
    let victim = (0..workers.len())
        .max_by_key(|&i| {
            let count = before.iter().filter(|(_, w)| *w == ids[i]).count();
            (count, before[0].1 == ids[i])
        })
        .unwrap();
    let victim_id = ids[victim].clone();
    let victim_tasks = before.iter().filter(|(_, w)| *w == victim_id).count();
    let at_kill = line_count(&output);
    workers[victim].process.0.kill().unwrap(); // SIGKILL
    workers[victim].process.0.wait().unwrap();
    let killed_at = Instant::now();
    let killed = workers.remove(victim);
    eprintln!(
        "failover: kill -9 of worker {} ({victim_id}, {victim_tasks} of 5 tasks: {before:?}) at \
         {at_kill} output lines, {:.1?} after creating the connectors",
        killed.name,
        killed_at - start
    );
    workers.push(start_worker("d", &dir, &group, &topics));

    // Recovery: all five tasks RUNNING on live workers, seen through a survivor.
    let live: Vec<String> = workers.iter().map(Worker::id).collect();
    let recovered = wait_for(
        "five RUNNING tasks on live workers after the kill",
        LIMIT,
        || {
            let tasks = all_tasks(&workers[0], &connectors)?;
            let running = tasks
                .iter()
                .filter(|(s, w)| s == "RUNNING" && live.contains(w))
                .count();
            if running == 1 + usize::try_from(PARTITIONS).unwrap() {
                Ok(tasks)
            } else {
                Err(format!(
                    "{tasks:?}, live workers {live:?}; log of {}:\n{}",
                    workers[0].name,
                    workers[0].log()
                ))
            }
        },
    );
    let recovery = killed_at.elapsed();
    eprintln!(
        "failover: all five tasks RUNNING again {recovery:.1?} after the kill: {recovered:?}"
    );

    // Every line in the output file.
    let lines = usize::try_from(LINES).unwrap();
    let drained = wait_for(
        &format!("every line 0..{LINES} in the output file"),
        DRAIN_LIMIT,
        || {
            let n = line_count(&output);
            if n < lines {
                return Err(format!("{n} lines"));
            }
            let (numbers, bad) = output_numbers(&output);
            let t = tally(numbers, LINES);
            if t.missing.is_empty() {
                Ok((t, bad))
            } else {
                Err(format!(
                    "{n} lines, {} missing (first {:?}), {} duplicates",
                    t.missing.len(),
                    &t.missing[..t.missing.len().min(5)],
                    t.duplicates
                ))
            }
        },
    );
    let total = start.elapsed();
    let (file_tally, bad) = drained;
    assert_eq!(bad, 0, "output lines that are not line-N");
    assert!(file_tally.missing.is_empty());
    assert!(file_tally.strays.is_empty(), "{:?}", file_tally.strays);

    // The topic: nothing lost, order kept within each partition.
    let by_partition = topic_numbers(&data_topic);
    let topic_tally = tally(by_partition.values().flatten().copied(), LINES);
    assert!(
        topic_tally.missing.is_empty(),
        "{} lines missing from the topic, first {:?}",
        topic_tally.missing.len(),
        &topic_tally.missing[..topic_tally.missing.len().min(5)]
    );
    assert!(topic_tally.strays.is_empty(), "{:?}", topic_tally.strays);
    let breaks = order_breaks(&by_partition);
    assert!(
        breaks.is_empty(),
        "{} order breaks in the topic, first {:?}",
        breaks.len(),
        &breaks[..breaks.len().min(5)]
    );
    let sizes: Vec<usize> = by_partition.values().map(Vec::len).collect();
    eprintln!(
        "failover: {LINES} lines (target {TARGET_LINES}) in {total:.1?}; 0 lost; duplicates: \
         {} in the output file, {} in the topic (partition sizes {sizes:?}); 0 order breaks; \
         recovery {recovery:.1?}",
        file_tally.duplicates, topic_tally.duplicates
    );

    for w in &mut workers {
        w.sigterm();
        w.wait_clean_exit(LIMIT);
    }
    drop(killed);
    fs::remove_dir_all(&dir).unwrap();
}
