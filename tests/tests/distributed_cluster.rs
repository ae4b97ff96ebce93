//! A cluster of three `wharf distributed` processes on the real broker, driven over REST as a
//! user drives Kafka Connect:
//!
//! - **No rebalance storm**: connectors added one by one while a 3-task sink runs never stop
//!   that sink's tasks (each started once, counted from the workers' logs), and each addition
//!   costs a bounded number of rebalances.
//! - **Offsets (KIP-875) through any worker**: a file source runs on one worker, is stopped
//!   through another, its offsets read through a third (as committed by the worker that ran it),
//!   altered and reset through the others (forwarded to the leader), and a resumed source
//!   starts from the altered offset; a sink's consumer-group offsets likewise.
//! - **An unreachable leader URL**: forwarded writes fail at once with Kafka Connect's 500, and
//!   a follower's task configs that cannot reach the leader are named in its log.
//! - **Figures**: with 50 connectors running, how long a 51st takes until its task runs, and
//!   each worker's peak RSS (printed; every connector must run).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use integration_tests::distributed::{self, Worker};
use integration_tests::{produce_all, temp_dir, unique};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(90);

fn wait_for<T>(what: &str, check: impl FnMut() -> Result<T, String>) -> T {
    distributed::wait_for(what, LIMIT, check)
}

fn start(names: [&'static str; 3], dir: &Path, group: &str, topics: &[String; 3]) -> Vec<Worker> {
    names
        .into_iter()
        .map(|n| {
            Worker::start(
                n,
                dir,
                group,
                topics,
                &[("heartbeat.interval.ms", "500"), ("wharf.shards", "1")],
            )
        })
        .collect()
}

fn log_text(dir: &Path, w: &Worker) -> String {
    fs::read_to_string(dir.join(format!("worker-{}.log", w.name))).unwrap_or_default()
}

/// How often each task of `connector` was started, over all workers' logs.
fn starts(dir: &Path, workers: &[Worker], connector: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let marker = format!("Started task. task={connector}-");
    for w in workers {
        for line in log_text(dir, w).lines() {
            if let Some(i) = line.find(&marker) {
                let task: String = line[i + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                *counts.entry(task).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Rebalances each worker took part in (its "Assigned." lines).
fn rebalances(dir: &Path, workers: &[Worker]) -> Vec<usize> {
    workers
        .iter()
        .map(|w| log_text(dir, w).matches("Assigned.").count())
        .collect()
}

fn running(w: &Worker, connector: &str, tasks: usize) -> Result<(), String> {
    let (code, status) = w.api.get(&format!("/connectors/{connector}/status"));
    let states: Vec<&str> = status["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["state"].as_str())
        .collect();
    if code == 200
        && status["connector"]["state"] == "RUNNING"
        && states.len() == tasks
        && states.iter().all(|s| *s == "RUNNING")
    {
        Ok(())
    } else {
        Err(format!("{code} {status}"))
    }
}

/// Creates a connector through `w`; a worker still starting (no answer) or a group still
/// forming (409, no leader yet) is waited for.
fn post(w: &Worker, name: &str, config: Value) {
    let body = json!({"name": name, "config": config});
    wait_for(&format!("{name} created through {}", w.name), || {
        match w.api.call("POST", "/connectors", Some(body.clone())) {
            (201, _) => Ok(()),
            (code @ (0 | 409), answer) => Err(format!("{code} {answer}\n{}", w.log())),
            (code, answer) => panic!("POST {name}: {code} {answer}"),
        }
    });
}

#[test]
fn adding_connectors_stops_no_task_of_a_running_one() {
    const ADDED: usize = 5;
    let group = unique("dc-group");
    let topics = [
        unique("dc-configs"),
        unique("dc-offsets"),
        unique("dc-status"),
    ];
    let dir = temp_dir("dc-storm");
    let workers = start(["a", "b", "c"], &dir, &group, &topics);
    // A sink's consumer group (and its static members) are named after it: names per run.
    let steady = unique("steady");
    let data = unique("dc-steady");
    distributed::create_topic(&data, 3, vec![]);
    post(
        &workers[0],
        &steady,
        json!({"connector.class": "FileStreamSink", "tasks.max": "3", "topics": data,
               "file": dir.join("steady.txt").to_str().unwrap()}),
    );
    wait_for("the steady sink's 3 tasks running", || {
        running(&workers[1], &steady, 3)
    });
    let before = starts(&dir, &workers, &steady);
    assert_eq!(before.values().sum::<usize>(), 3, "{before:?}");
    let rebalances_before = rebalances(&dir, &workers);

    for i in 0..ADDED {
        let name = unique(&format!("added-{i}"));
        let topic = unique("dc-added");
        distributed::create_topic(&topic, 1, vec![]);
        post(
            &workers[i % 3],
            &name,
            json!({"connector.class": "FileStreamSink", "topics": topic,
                   "file": dir.join(format!("{name}.txt")).to_str().unwrap()}),
        );
        wait_for(&format!("{name} running"), || {
            running(&workers[(i + 1) % 3], &name, 1)
        });
    }
    // The steady sink keeps consuming throughout: its records arrive.
    let values: Vec<String> = (0..300).map(|n| format!("steady-{n}")).collect();
    let records: Vec<_> = values.iter().map(|v| (None, Some(v.as_bytes()))).collect();
    produce_all(&data, &records);
    wait_for("the steady sink's records in its file", || {
        let lines = fs::read_to_string(dir.join("steady.txt"))
            .unwrap_or_default()
            .lines()
            .count();
        if lines >= 300 {
            Ok(())
        } else {
            Err(format!("{lines} lines"))
        }
    });

    let after = starts(&dir, &workers, &steady);
    let rebalances_after = rebalances(&dir, &workers);
    let per_worker: Vec<usize> = rebalances_after
        .iter()
        .zip(&rebalances_before)
        .map(|(a, b)| a - b)
        .collect();
    println!(
        "adding {ADDED} connectors: steady sink task starts {after:?}; rebalances per worker {per_worker:?}"
    );
    assert_eq!(
        after, before,
        "a task of the running connector was restarted"
    );
    // Kafka Connect rebalances twice per added connector (its config, then its committed task
    // configs); allow two follow-up rounds of the cooperative protocol in all. Every worker asks
    // for those rounds when it reads the records: a request the round already answered must not
    // start another (14 and 16 rounds were seen before requests carried their config offset).
    assert!(
        per_worker.iter().all(|n| *n <= 2 * ADDED + 2),
        "rebalances per worker {per_worker:?} for {ADDED} connectors added"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn offsets_are_read_altered_and_reset_through_any_worker() {
    let group = unique("do-group");
    let topics = [
        unique("do-configs"),
        unique("do-offsets"),
        unique("do-status"),
    ];
    let dir = temp_dir("dc-offsets");
    let workers = start(["a", "b", "c"], &dir, &group, &topics);
    let input = dir.join("in.txt");
    {
        let mut f = fs::File::create(&input).unwrap();
        for i in 0..100 {
            writeln!(f, "line-{i:03}").unwrap();
        }
    }
    let size = fs::metadata(&input).unwrap().len();
    let data = unique("do-data");
    // A sink's consumer group (and its static members) are named after it: a name per run.
    let sink = unique("do-sink");
    distributed::create_topic(&data, 1, vec![]);
    post(
        &workers[0],
        "source",
        json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": data}),
    );
    post(
        &workers[1],
        &sink,
        json!({"connector.class": "FileStreamSink", "topics": data,
               "file": dir.join("out.txt").to_str().unwrap()}),
    );
    wait_for("both connectors running", || {
        running(&workers[2], "source", 1)?;
        running(&workers[2], &sink, 1)
    });
    // The source's offset, committed by whichever worker runs it, read through each worker.
    for w in &workers {
        wait_for(&format!("the source's offset through {}", w.name), || {
            let (code, offsets) = w.api.get("/connectors/source/offsets");
            if code == 200 && offsets["offsets"][0]["offset"]["position"].as_u64() == Some(size) {
                Ok(())
            } else {
                Err(format!("{code} {offsets}"))
            }
        });
    }
    wait_for("the sink's committed offset", || {
        let (code, offsets) = workers[0].api.get(&format!("/connectors/{sink}/offsets"));
        if code == 200 && offsets["offsets"][0]["offset"]["kafka_offset"] == 100 {
            Ok(())
        } else {
            Err(format!("{code} {offsets}"))
        }
    });

    // Changes need STOPPED, as in Kafka Connect.
    let alter_source = json!({"offsets": [{"partition": {"filename": input.to_str().unwrap()},
                                           "offset": {"position": 0}}]});
    let (code, answer) = workers[1].api.call(
        "PATCH",
        "/connectors/source/offsets",
        Some(alter_source.clone()),
    );
    assert_eq!(code, 400, "{answer}");
    for (i, name) in ["source", sink.as_str()].into_iter().enumerate() {
        let (code, answer) =
            workers[i + 1]
                .api
                .call("PUT", &format!("/connectors/{name}/stop"), None);
        assert_eq!(code, 204, "{answer}");
        wait_for(&format!("{name} STOPPED"), || {
            let (_, status) = workers[0].api.get(&format!("/connectors/{name}/status"));
            if status["connector"]["state"] == "STOPPED" {
                Ok(())
            } else {
                Err(status.to_string())
            }
        });
    }

    // Alter through one worker, read through another.
    let (code, answer) =
        workers[2]
            .api
            .call("PATCH", "/connectors/source/offsets", Some(alter_source));
    assert_eq!(code, 200, "{answer}");
    let (code, offsets) = workers[1].api.get("/connectors/source/offsets");
    assert_eq!(code, 200);
    assert_eq!(offsets["offsets"][0]["offset"]["position"], 0, "{offsets}");
    let alter_sink = json!({"offsets": [{"partition": {"kafka_topic": data, "kafka_partition": 0},
                                         "offset": {"kafka_offset": 40}}]});
    let (code, answer) = workers[1].api.call(
        "PATCH",
        &format!("/connectors/{sink}/offsets"),
        Some(alter_sink),
    );
    assert_eq!(code, 200, "{answer}");
    let (_, offsets) = workers[2].api.get(&format!("/connectors/{sink}/offsets"));
    assert_eq!(
        offsets["offsets"][0]["offset"]["kafka_offset"], 40,
        "{offsets}"
    );

    // Resumed, the source starts over from position 0: the topic gets every line again.
    let (code, _) = workers[0]
        .api
        .call("PUT", "/connectors/source/resume", None);
    assert_eq!(code, 202);
    let records = integration_tests::consume_n(&data, 200, LIMIT);
    assert_eq!(
        records.len(),
        200,
        "the resumed source re-read the file from position 0"
    );

    // Reset through yet another worker: no offsets left.
    let (code, _) = workers[1].api.call("PUT", "/connectors/source/stop", None);
    assert_eq!(code, 204);
    wait_for("source STOPPED again", || {
        let (_, status) = workers[2].api.get("/connectors/source/status");
        if status["connector"]["state"] == "STOPPED" {
            Ok(())
        } else {
            Err(status.to_string())
        }
    });
    let (code, answer) = workers[0]
        .api
        .call("DELETE", "/connectors/source/offsets", None);
    assert_eq!(code, 200, "{answer}");
    let (code, answer) =
        workers[2]
            .api
            .call("DELETE", &format!("/connectors/{sink}/offsets"), None);
    assert_eq!(code, 200, "{answer}");
    for (name, w) in [("source", &workers[1]), (sink.as_str(), &workers[0])] {
        let (code, offsets) = w.api.get(&format!("/connectors/{name}/offsets"));
        assert_eq!(
            (code, &offsets["offsets"]),
            (200, &json!([])),
            "{name}: {offsets}"
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

/// Peak resident memory of a process, from `/proc/<pid>/status` (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The figures of a cluster running 50 connectors: how long adding one more takes until its
/// task runs (the rebalance included), and each worker's peak RSS. Every connector must run.
#[test]
fn a_fifty_first_connector_joins_a_cluster_running_fifty() {
    const RUNNING: usize = 50;
    let group = unique("d50-group");
    let topics = [
        unique("d50-configs"),
        unique("d50-offsets"),
        unique("d50-status"),
    ];
    let dir = temp_dir("dc-fifty");
    let workers = start(["a", "b", "c"], &dir, &group, &topics);
    let data = unique("d50-data");
    distributed::create_topic(&data, 1, vec![]);
    let source = |i: usize| {
        let file = dir.join(format!("in-{i}.txt"));
        fs::write(&file, format!("connector {i}\n")).unwrap();
        json!({"connector.class": "FileStreamSource", "file": file.to_str().unwrap(), "topic": data})
    };
    for i in 0..RUNNING {
        let w = &workers[i % 3];
        wait_for(&format!("source-{i} created"), || {
            match w.api.call(
                "POST",
                "/connectors",
                Some(json!({"name": format!("source-{i}"), "config": source(i)})),
            ) {
                (201, _) => Ok(()),
                (code, body) => Err(format!("{code} {body}")),
            }
        });
    }
    wait_for("all 50 connectors running", || {
        let (code, all) = workers[0].api.get("/connectors?expand=status");
        let running = all
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, c)| {
                c["status"]["connector"]["state"] == "RUNNING"
                    && c["status"]["tasks"][0]["state"] == "RUNNING"
            })
            .count();
        if code == 200 && running == RUNNING {
            Ok(())
        } else {
            Err(format!("{code}: {running} running"))
        }
    });
    let started = std::time::Instant::now();
    post(&workers[1], "source-50", source(RUNNING));
    wait_for("the 51st connector's task running", || {
        running(&workers[2], "source-50", 1)
    });
    let took = started.elapsed();
    let rss: Vec<String> = workers
        .iter()
        .map(|w| format!("{}: {:.1} MiB", w.name, peak_rss_mib(w.process.0.id())))
        .collect();
    println!(
        "a 51st connector on 3 workers running {RUNNING}: its task RUNNING {took:.2?} after the POST; peak RSS {rss:?}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// A leader whose advertised REST URL nobody can reach (`rest.advertised.port` where nothing
/// listens): a write sent to a follower fails at once with Kafka Connect's 500 naming the
/// forwarding error, and a follower that owns a connector says in its log, again and again,
/// that the leader did not take its task configs — nothing hangs, nothing crashes.
#[test]
fn an_unreachable_leader_url_fails_clearly() {
    let group = unique("du-group");
    let topics = [
        unique("du-configs"),
        unique("du-offsets"),
        unique("du-status"),
    ];
    let dir = temp_dir("dc-unreachable");
    let nowhere = distributed::free_port().to_string();
    let mut leader = Worker::start(
        "leader",
        &dir,
        &group,
        &topics,
        &[
            ("heartbeat.interval.ms", "500"),
            ("rest.advertised.host.name", "127.0.0.1"),
            ("rest.advertised.port", &nowhere),
        ],
    );
    wait_for("the first worker up", || match leader.api.get("/") {
        (200, _) => Ok(()),
        (code, _) => Err(format!("{code}\n{}", leader.log())),
    });
    // It leads: the group's first member. A second worker joins.
    let mut follower = Worker::start(
        "follower",
        &dir,
        &group,
        &topics,
        &[("heartbeat.interval.ms", "500")],
    );
    wait_for("the follower in the group", || {
        match follower
            .api
            .call("DELETE", "/connectors/none?forward=false", None)
        {
            // A follower that knows its leader (not "no known leader URL").
            (409, body)
                if body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("conflicting")) =>
            {
                Ok(())
            }
            (code, body) => Err(format!("{code} {body}\n{}", follower.log())),
        }
    });

    // Until the follower has its first assignment it knows no leader (409); then the forward
    // fails at once.
    let body = json!({"name": unique("du-via-follower"), "config": {"connector.class": "FileStreamSink",
                "topics": unique("du-data"), "file": dir.join("x.txt").to_str().unwrap()}});
    let (answer, took) = wait_for("the forwarded create to fail", || {
        let started = std::time::Instant::now();
        match follower.api.call("POST", "/connectors", Some(body.clone())) {
            (500, answer) => Ok((answer, started.elapsed())),
            (code, answer) => Err(format!("{code} {answer}")),
        }
    });
    let message = answer["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("IO Error trying to forward REST request"),
        "{answer}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");

    // Created on the leader itself, spread over both: the follower's connectors wait for task
    // configs the leader cannot be sent, and the follower says so.
    for i in 0..4 {
        post(
            &leader,
            &unique(&format!("du-sink-{i}")),
            json!({"connector.class": "FileStreamSink", "topics": unique("du-data"),
                   "file": dir.join(format!("sink-{i}.txt")).to_str().unwrap()}),
        );
    }
    wait_for("the follower's log naming the refused task configs", || {
        let text = log_text(&dir, &follower);
        if text.contains("The leader did not take this worker's task configs") {
            Ok(())
        } else {
            Err(follower.log())
        }
    });
    for w in [&mut leader, &mut follower] {
        let (code, _) = w.api.get("/connectors");
        assert_eq!(code, 200, "{} still serves REST", w.name);
        let exited = w.process.0.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "{} exited ({exited:?}):\n{}",
            w.name,
            w.log()
        );
    }
    let _ = fs::remove_dir_all(&dir);
}
