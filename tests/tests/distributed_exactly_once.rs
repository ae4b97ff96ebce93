//! Exactly-once sources in a distributed cluster (KIP-618), with `wharf distributed` processes
//! on the real broker:
//!
//! - **A zombie cannot commit**: the worker running an exactly-once datagen task is frozen
//!   (SIGSTOP) until its task runs on the other worker, then thawed — its producer, fenced by the
//!   new task's registration of the same transactional id, cannot commit what it still holds —
//!   and later the new owner is killed with SIGKILL, so the task moves back. A `read_committed`
//!   reader sees every record exactly once.
//! - **The leader fences the previous generation**: when a connector goes from two tasks to one,
//!   no new task registers task 1's transactional id again, so only the leader's fencing stops a
//!   zombie of task 1: an open transaction under that id cannot be committed afterwards.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use integration_tests::distributed::{self, Worker};
use integration_tests::exactly_once::{committed_ids, tally};
use integration_tests::{bootstrap, temp_dir, unique};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(90);

fn wait_for<T>(what: &str, check: impl FnMut() -> Result<T, String>) -> T {
    distributed::wait_for(what, LIMIT, check)
}

fn start_pair(dir: &Path, group: &str, topics: &[String; 3]) -> Vec<Worker> {
    ["a", "b"]
        .into_iter()
        .map(|n| {
            Worker::start(
                n,
                dir,
                group,
                topics,
                &[
                    ("exactly.once.source.support", "enabled"),
                    ("heartbeat.interval.ms", "500"),
                    ("wharf.shards", "1"),
                    (
                        "value.converter",
                        "org.apache.kafka.connect.json.JsonConverter",
                    ),
                    ("value.converter.schemas.enable", "false"),
                ],
            )
        })
        .collect()
}

fn topics(prefix: &str) -> [String; 3] {
    [
        unique(&format!("{prefix}-configs")),
        unique(&format!("{prefix}-offsets")),
        unique(&format!("{prefix}-status")),
    ]
}

/// The worker ids of the connector's RUNNING tasks, by task; `Err` until `tasks` run.
fn running_on(w: &Worker, connector: &str, tasks: usize) -> Result<Vec<String>, String> {
    let (code, status) = w.api.get(&format!("/connectors/{connector}/status"));
    let list = status["tasks"].as_array().cloned().unwrap_or_default();
    let running: Vec<String> = list
        .iter()
        .filter(|t| t["state"] == "RUNNING")
        .filter_map(|t| t["worker_id"].as_str().map(str::to_owned))
        .collect();
    if code == 200 && list.len() == tasks && running.len() == tasks {
        Ok(running)
    } else {
        Err(format!("{code} {status}"))
    }
}

fn signal(w: &Worker, signal: &str) {
    let pid = w.process.0.id().to_string();
    let sent = Command::new("kill")
        .args([signal, &pid])
        .status()
        .is_ok_and(|s| s.success());
    assert!(sent, "kill {signal} {pid} (worker {})", w.name);
}

/// PUTs a connector config once the worker answers (201 created, 200 updated).
fn put_config(w: &Worker, name: &str, config: Value) -> u16 {
    wait_for(
        &format!("{name} configured through {}", w.name),
        || match w.api.call(
            "PUT",
            &format!("/connectors/{name}/config"),
            Some(config.clone()),
        ) {
            (code @ (200 | 201), _) => Ok(code),
            (code @ (0 | 409), answer) => Err(format!("{code} {answer}\n{}", w.log())),
            (code, answer) => panic!("PUT {name}: {code} {answer}"),
        },
    )
}

fn datagen(topic: &str, tasks: usize, records: u64, rate: u64) -> Value {
    json!({
        "connector.class": "DatagenConnector",
        "kafka.topic": topic,
        "quickstart": "orders",
        "iterations": records.to_string(),
        "records.per.second": rate.to_string(),
        "max.interval": "0",
        "random.seed": "7",
        "tasks.max": tasks.to_string(),
        "exactly.once.support": "required",
        "transaction.boundary": "interval",
        "transaction.boundary.interval.ms": "100",
    })
}

#[test]
fn a_frozen_worker_comes_back_as_a_zombie_that_cannot_commit_and_nothing_repeats() {
    const RECORDS: u64 = 150_000;
    let _ = integration_tests::wharf_bin();
    let dir = temp_dir("deos-zombie");
    let group = unique("deos-group");
    let data = unique("deos-orders");
    distributed::create_topic(&data, 3, vec![]);
    let mut workers = start_pair(&dir, &group, &topics("deos"));
    let name = unique("deos-datagen");
    let created = put_config(&workers[0], &name, datagen(&data, 1, RECORDS, 10_000));
    assert_eq!(created, 201);
    let owner = wait_for("the exactly-once task running", || {
        running_on(&workers[1], &name, 1)
    })[0]
        .clone();
    let (frozen, other) = if workers[0].id() == owner {
        (0, 1)
    } else {
        (1, 0)
    };
    std::thread::sleep(Duration::from_secs(3));

    // Frozen: its group session ends and the task starts on the other worker.
    signal(&workers[frozen], "-STOP");
    let other_id = workers[other].id();
    wait_for("the task running on the other worker", || {
        running_on(&workers[other], &name, 1).and_then(|on| {
            if on[0] == other_id {
                Ok(())
            } else {
                Err(format!("still on {on:?}"))
            }
        })
    });
    std::thread::sleep(Duration::from_secs(2));
    // Thawed: a zombie with an open transaction under a fenced id.
    signal(&workers[frozen], "-CONT");
    std::thread::sleep(Duration::from_secs(4));
    // The new owner dies; the task comes back to the thawed worker.
    workers[other].process.0.kill().expect("SIGKILL");
    let _ = workers[other].process.0.wait();
    let back_id = workers[frozen].id();
    wait_for("the task back on the thawed worker", || {
        running_on(&workers[frozen], &name, 1).and_then(|on| {
            if on[0] == back_id {
                Ok(())
            } else {
                Err(format!("still on {on:?}"))
            }
        })
    });

    let deadline = Instant::now() + Duration::from_secs(180);
    let ids = loop {
        let ids = committed_ids(&data);
        if ids.len() as u64 >= RECORDS || Instant::now() > deadline {
            break ids;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    let (missing, repeated) = tally(ids.iter().copied(), RECORDS);
    let zombie_log =
        std::fs::read_to_string(dir.join(format!("worker-{}.log", workers[frozen].name)))
            .unwrap_or_default();
    let fenced = zombie_log.to_ascii_lowercase().contains("fenced");
    println!(
        "freeze, thaw, kill -9: {} records read_committed, {} missing, {} repeated; the zombie's \
         log names its fencing: {fenced}",
        ids.len(),
        missing.len(),
        repeated.len()
    );
    assert!(
        missing.is_empty(),
        "missing {:?}\n{}",
        &missing[..missing.len().min(10)],
        workers[frozen].log()
    );
    assert!(
        repeated.is_empty(),
        "repeated {:?}",
        &repeated[..repeated.len().min(10)]
    );
    assert_eq!(ids.len() as u64, RECORDS);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_leader_fences_a_task_id_the_new_generation_no_longer_uses() {
    let dir = temp_dir("deos-fence");
    let group = unique("dfence-group");
    let topics = topics("dfence");
    let data = unique("dfence-orders");
    distributed::create_topic(&data, 3, vec![]);
    let workers = start_pair(&dir, &group, &topics);
    let name = unique("dfence");
    let created = put_config(&workers[1], &name, datagen(&data, 2, 10_000_000, 200));
    assert_eq!(created, 201);
    wait_for("both exactly-once tasks running", || {
        running_on(&workers[0], &name, 2)
    });
    wait_for(
        "the task count recorded",
        || match distributed::read_config_topic(&topics[0]).task_count_record(&name) {
            Some(2) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );

    // A zombie of task 1: its transactional id, an open transaction with one record in it.
    let zombie: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("transactional.id", format!("{group}-{name}-1"))
        .create()
        .expect("producer");
    zombie
        .init_transactions(Duration::from_secs(30))
        .expect("init");
    zombie.begin_transaction().expect("begin");
    let planted = json!({"orderid": 999_999_999u64}).to_string();
    zombie
        .send(BaseRecord::<(), _>::to(&data).payload(&planted))
        .map_err(|(e, _)| e)
        .expect("send");
    zombie.flush(Duration::from_secs(30)).expect("flush");

    // The connector shrinks to one task: the leader fences ids 0 and 1 before task 0 starts.
    let shrunk = put_config(&workers[0], &name, datagen(&data, 1, 10_000_000, 200));
    assert_eq!(shrunk, 200);
    wait_for(
        "the new task count recorded",
        || match distributed::read_config_topic(&topics[0]).task_count_record(&name) {
            Some(1) => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    wait_for("the one task running", || running_on(&workers[1], &name, 1));
    let commit = zombie.commit_transaction(Duration::from_secs(30));
    println!("the zombie's commit after the leader's fencing: {commit:?}");
    assert!(
        commit.is_err(),
        "a zombie of task 1 committed after the connector was reconfigured"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
