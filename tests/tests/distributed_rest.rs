//! The REST API on every distributed worker: three `wharf distributed` processes in one group
//! against the real broker. A file sink created through one worker is seen (config, tasks,
//! status) through the others, paused and resumed through another, delivers records, and is
//! deleted through a third; SIGTERM then stops each worker with exit code 0. A second test
//! checks Kafka Connect's leader rule: writes only the leader makes, sent to a follower, are
//! forwarded to the leader (and refused with 409 once already forwarded twice); pause is not.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use engine::kafka::{self, TopicSpec};
use integration_tests::distributed::{self, Worker};
use integration_tests::{bootstrap, produce_all, temp_dir, unique};
use serde_json::{Value, json};

/// Every wait is bounded by this.
const LIMIT: Duration = Duration::from_secs(60);

/// [`distributed::wait_for`] bounded by [`LIMIT`].
fn wait_for<T>(what: &str, check: impl FnMut() -> Result<T, String>) -> T {
    distributed::wait_for(what, LIMIT, check)
}

/// A worker with this test's timing: fast heartbeats, one shard.
fn start_worker(name: &'static str, dir: &Path, group: &str, topics: &[String; 3]) -> Worker {
    Worker::start(
        name,
        dir,
        group,
        topics,
        &[("heartbeat.interval.ms", "500"), ("wharf.shards", "1")],
    )
}

fn connector_state(status: &Value) -> (String, Vec<String>) {
    let state = status["connector"]["state"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let tasks = status["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["state"].as_str().unwrap_or("").to_owned())
        .collect();
    (state, tasks)
}

/// Waits until the connector and its one task read `state` through `w`.
fn wait_state(w: &Worker, connector: &str, state: &str) -> Value {
    wait_for(&format!("{connector} {state} through {}", w.name), || {
        let (code, status) = w.api.get(&format!("/connectors/{connector}/status"));
        let (c, tasks) = connector_state(&status);
        if code == 200 && c == state && tasks == [state] {
            Ok(status)
        } else {
            Err(format!("{code} {status}; log:\n{}", w.log()))
        }
    })
}

/// Waits until `GET /` and `GET /health` answer 200 through each worker.
fn wait_ready(workers: &[Worker]) {
    for w in workers {
        wait_for(&format!("GET / and /health through {}", w.name), || {
            let (root, body) = w.api.get("/");
            let (health, _) = w.api.get("/health");
            if root == 200 && health == 200 {
                Ok(())
            } else {
                Err(format!(
                    "/ {root} {body}, /health {health}; log:\n{}",
                    w.log()
                ))
            }
        });
    }
}

/// Kafka Connect's 409 for a request that was already forwarded twice.
const CONFLICTING_OPERATION: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

#[test]
fn followers_forward_leader_only_writes_to_the_leader() {
    let group = unique("df-group");
    let topics = [
        unique("df-configs"),
        unique("df-offsets"),
        unique("df-status"),
    ];
    let data_topic = unique("df-data");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: &data_topic,
            partitions: 1,
            replication_factor: 1,
            configs: vec![],
        },
    ))
    .unwrap();
    let dir = temp_dir("df");
    let output = dir.join("out.txt");
    let workers: Vec<Worker> = ["a", "b", "c"]
        .into_iter()
        .map(|n| start_worker(n, &dir, &group, &topics))
        .collect();
    wait_ready(&workers);

    // Find the leader without writing anything: deleting an unknown connector without
    // forwarding answers 404 on the leader and 409 on a follower (which checks leadership
    // first, as Kafka Connect does). Wait until the group has settled on one leader.
    let leader = wait_for("one leader and two followers", || {
        let answers: Vec<(u16, Value)> = workers
            .iter()
            .map(|w| w.api.call("DELETE", "/connectors/none?forward=false", None))
            .collect();
        let leaders: Vec<usize> = (0..workers.len())
            .filter(|&i| answers[i].0 == 404)
            .collect();
        let followers = answers
            .iter()
            .filter(|(code, body)| *code == 409 && body["message"] == CONFLICTING_OPERATION)
            .count();
        if leaders.len() == 1 && followers == 2 {
            Ok(leaders[0])
        } else {
            Err(format!("{answers:?}"))
        }
    });
    let l = &workers[leader];
    let f = &workers[(leader + 1) % 3];
    let g = &workers[(leader + 2) % 3];

    let config = json!({
        "connector.class": "FileStreamSink",
        "file": output.to_str().unwrap(),
        "topics": data_topic,
        "tasks.max": "1",
    });
    let create = json!({"name": "sink", "config": config});
    let mut config_2 = config.clone();
    config_2["file"] = json!(dir.join("out-2.txt").to_str().unwrap());

    // A request already forwarded twice is refused with Kafka Connect's body.
    let (code, body) = f
        .api
        .call("POST", "/connectors?forward=false", Some(create.clone()));
    assert_eq!(code, 409, "{body}");
    assert_eq!(
        body,
        json!({"error_code": 409, "message": CONFLICTING_OPERATION})
    );
    let (_, list) = l.api.get("/connectors");
    assert_eq!(list, json!([]), "the refused create wrote nothing");

    // A create through a follower is forwarded: the leader's 201 and body come back, and
    // every worker sees the connector. So is one forwarded once already (forward=true).
    let (code, created) = f.api.call("POST", "/connectors", Some(create.clone()));
    assert_eq!(code, 201, "{created}; log:\n{}", f.log());
    assert_eq!(created["name"], "sink");
    assert_eq!(created["config"]["file"], output.to_str().unwrap());
    for w in &workers {
        wait_for(&format!("{} to list the connector", w.name), || {
            let (code, list) = w.api.get("/connectors");
            if list == json!(["sink"]) {
                Ok(())
            } else {
                Err(format!("{code} {list}"))
            }
        });
    }
    // The leader's errors come back as they are.
    let (code, again) = g.api.call("POST", "/connectors", Some(create.clone()));
    assert_eq!(code, 409, "{again}");
    assert_eq!(again["error_code"], 409);
    assert_ne!(again["message"], CONFLICTING_OPERATION, "{again}");
    let (code, other) = g.api.call(
        "POST",
        "/connectors?forward=true",
        Some(json!({"name": "sink-2", "config": config_2})),
    );
    assert_eq!(code, 201, "{other}; log:\n{}", g.log());
    let (code, body) = f
        .api
        .call("PUT", "/connectors/sink-2/config", Some(config_2.clone()));
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["name"], "sink-2");
    wait_state(l, "sink", "RUNNING");

    // Pause is not the leader's: a follower writes it itself, even when told not to forward.
    let (code, body) = f
        .api
        .call("PUT", "/connectors/sink/pause?forward=false", None);
    assert_eq!(code, 202, "{body}");
    wait_state(g, "sink", "PAUSED");
    let (code, body) = g
        .api
        .call("PUT", "/connectors/sink/resume?forward=false", None);
    assert_eq!(code, 202, "{body}");
    wait_state(l, "sink", "RUNNING");

    // Stop and delete through followers are forwarded.
    let (code, body) = f
        .api
        .call("PUT", "/connectors/sink-2/stop?forward=false", None);
    assert_eq!(code, 409, "{body}");
    let (code, body) = f.api.call("PUT", "/connectors/sink-2/stop", None);
    assert_eq!(code, 204, "{body}");
    let (code, body) = g.api.call("DELETE", "/connectors/sink-2", None);
    assert_eq!(code, 204, "{body}");
    let (code, body) = f.api.call("DELETE", "/connectors/sink", None);
    assert_eq!(code, 204, "{body}");
    for w in &workers {
        wait_for(&format!("{} to list no connector", w.name), || {
            let (code, list) = w.api.get("/connectors");
            if list == json!([]) {
                Ok(())
            } else {
                Err(format!("{code} {list}"))
            }
        });
    }
}

#[test]
fn every_distributed_worker_serves_the_rest_api() {
    let group = unique("dr-group");
    let topics = [
        unique("dr-configs"),
        unique("dr-offsets"),
        unique("dr-status"),
    ];
    let data_topic = unique("dr-data");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: &data_topic,
            partitions: 1,
            replication_factor: 1,
            configs: vec![],
        },
    ))
    .unwrap();
    let dir = temp_dir("dr");
    let output = dir.join("out.txt");

    let mut workers: Vec<Worker> = ["a", "b", "c"]
        .into_iter()
        .map(|n| start_worker(n, &dir, &group, &topics))
        .collect();
    let ids: Vec<String> = workers
        .iter()
        .map(|w| format!("127.0.0.1:{}", w.port))
        .collect();
    wait_ready(&workers);
    let (a, b, c) = (&workers[0], &workers[1], &workers[2]);

    // Create through A.
    let config = json!({
        "connector.class": "FileStreamSink",
        "file": output.to_str().unwrap(),
        "topics": data_topic,
        "tasks.max": "1",
    });
    let (code, created) = a.api.call(
        "POST",
        "/connectors",
        Some(json!({"name": "sink", "config": config})),
    );
    assert_eq!(code, 201, "{created}; log:\n{}", a.log());
    assert_eq!(created["name"], "sink");
    let created_at = Instant::now();
    let seen_by_b = wait_for("B to list the connector", || {
        let (code, list) = b.api.get("/connectors");
        if list == json!(["sink"]) {
            Ok(created_at.elapsed())
        } else {
            Err(format!("{code} {list}"))
        }
    });
    let (code, again) = b.api.call(
        "POST",
        "/connectors",
        Some(json!({"name": "sink", "config": config})),
    );
    assert_eq!(code, 409, "creating an existing connector: {again}");

    // B and C see it: info, config, tasks.
    for w in [b, c] {
        wait_for(
            &format!("the connector and its task configs through {}", w.name),
            || {
                let (code, info) = w.api.get("/connectors/sink");
                let (_, tasks) = w.api.get("/connectors/sink/tasks");
                let n = tasks.as_array().map_or(0, Vec::len);
                if code == 200 && info["type"] == "sink" && n == 1 {
                    Ok(())
                } else {
                    Err(format!("{code} {info}; tasks {tasks}"))
                }
            },
        );
        let (code, got) = w.api.get("/connectors/sink/config");
        assert_eq!(code, 200);
        assert_eq!(got["file"], output.to_str().unwrap());
        assert_eq!(got["name"], "sink");
        let (_, tasks) = w.api.get("/connectors/sink/tasks");
        assert_eq!(tasks[0]["id"], json!({"connector": "sink", "task": 0}));
        assert_eq!(tasks[0]["config"]["topics"], data_topic);
    }

    // Status through C: RUNNING on one of the three.
    let status = wait_state(c, "sink", "RUNNING");
    let on = status["tasks"][0]["worker_id"].as_str().unwrap().to_owned();
    assert!(ids.contains(&on), "task on {on}, workers {ids:?}");
    assert!(
        ids.iter()
            .any(|i| status["connector"]["worker_id"] == *i.as_str())
    );

    // Records arrive in the sink file.
    let lines: Vec<String> = (0..5).map(|i| format!("record {i}")).collect();
    let records: Vec<_> = lines.iter().map(|l| (None, Some(l.as_bytes()))).collect();
    produce_all(&data_topic, &records);
    wait_for("the records in the sink file", || {
        let text = fs::read_to_string(&output).unwrap_or_default();
        let got: Vec<&str> = text.lines().collect();
        if got == lines {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    });

    // Pause through B, seen through A; resume.
    let (code, body) = b.api.call("PUT", "/connectors/sink/pause", None);
    assert_eq!(code, 202, "{body}");
    wait_state(a, "sink", "PAUSED");
    let (code, body) = b.api.call("PUT", "/connectors/sink/resume", None);
    assert_eq!(code, 202, "{body}");
    wait_state(a, "sink", "RUNNING");

    // Delete through C: gone through A.
    let (code, body) = c.api.call("DELETE", "/connectors/sink", None);
    assert_eq!(code, 204, "{body}");
    wait_for("A to answer 404 for the deleted connector", || {
        let (code, body) = a.api.get("/connectors/sink");
        if code == 404 {
            Ok(())
        } else {
            Err(format!("{code} {body}"))
        }
    });
    let (_, list) = a.api.get("/connectors");
    assert_eq!(list, json!([]));

    // SIGTERM: each worker stops with exit code 0.
    for w in &workers {
        w.sigterm();
    }
    for w in &mut workers {
        w.wait_clean_exit(LIMIT);
    }
    println!("distributed REST: B listed the connector created through A after {seen_by_b:?}");
}
