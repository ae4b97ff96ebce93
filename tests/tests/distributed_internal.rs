//! Kafka Connect's internal requests between distributed workers, under the default `sessioned`
//! protocol (KIP-507), on the real broker with two `wharf distributed` processes:
//!
//! - the leader writes a session key to the config topic in Kafka Connect's record format;
//! - a connector assigned to the follower gets its task configs because the follower sends
//!   them, signed, to the leader (`POST /connectors/{c}/tasks`), which writes them;
//! - the endpoint refuses a request without a signature (400), with an algorithm the worker does
//!   not accept (400) or with a bad signature (403), and takes one signed with the key read
//!   from the config topic (204): the task then runs with the configs posted;
//! - restarts reach the worker that runs the task (forwarded by the leader to the owner; a
//!   restart with `includeTasks` through the config topic, KIP-745); stop leaves a connector
//!   without task configs, as Kafka Connect does, and resume plans them again.

use std::path::Path;
use std::time::Duration;

use engine::modes::distributed::session::{ALGORITHM_HEADER, KeyPolicy, SIGNATURE_HEADER};
use integration_tests::distributed::{self, Worker};
use integration_tests::{temp_dir, unique};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(60);
const CONNECTORS: usize = 4;

fn wait_for<T>(what: &str, check: impl FnMut() -> Result<T, String>) -> T {
    distributed::wait_for(what, LIMIT, check)
}

fn start_worker(name: &'static str, dir: &Path, group: &str, topics: &[String; 3]) -> Worker {
    Worker::start(
        name,
        dir,
        group,
        topics,
        &[("heartbeat.interval.ms", "500"), ("wharf.shards", "1")],
    )
}

/// A POST of `body` to `url` with `headers`; status and body text.
fn post(url: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut request = reqwest::Client::new()
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .timeout(Duration::from_secs(10));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let code = response.status().as_u16();
        (code, response.text().await.unwrap_or_default())
    })
}

#[test]
fn followers_send_signed_task_configs_to_the_leader() {
    let group = unique("di-group");
    let topics = [
        unique("di-configs"),
        unique("di-offsets"),
        unique("di-status"),
    ];
    let dir = temp_dir("di");
    let workers = [
        start_worker("a", &dir, &group, &topics),
        start_worker("b", &dir, &group, &topics),
    ];
    // Both in the group: the leader is the one that answers a leader-only write itself.
    let leader = wait_for("one leader and one follower", || {
        let codes: Vec<u16> = workers
            .iter()
            .map(|w| {
                w.api
                    .call("DELETE", "/connectors/none?forward=false", None)
                    .0
            })
            .collect();
        match codes.as_slice() {
            [404, 409] => Ok(0),
            [409, 404] => Ok(1),
            _ => Err(format!("{codes:?}")),
        }
    });
    let (l, f) = (&workers[leader], &workers[1 - leader]);

    // The leader's session key, in Kafka Connect's record format.
    let key = wait_for("a session key in the config topic", || {
        distributed::read_config_topic(&topics[0])
            .session_key()
            .cloned()
            .ok_or_else(|| format!("none; leader log:\n{}", l.log()))
    });
    assert_eq!(key.algorithm, "HmacSHA256");
    assert_eq!(key.key.len(), 32, "256-bit key");

    // Connectors spread over both workers; each gets task configs and runs.
    let names: Vec<String> = (0..CONNECTORS)
        .map(|i| unique(&format!("di-sink-{i}")))
        .collect();
    for name in &names {
        let config = json!({
            "connector.class": "FileStreamSink",
            "file": dir.join(format!("{name}.txt")).to_str().unwrap(),
            "topics": unique("di-data"),
        });
        let (code, body) = l.api.call(
            "POST",
            "/connectors",
            Some(json!({"name": name, "config": config})),
        );
        assert_eq!(code, 201, "{body}");
    }
    let owners: Vec<String> = names
        .iter()
        .map(|name| {
            wait_for(&format!("{name} running"), || {
                let (code, status) = f.api.get(&format!("/connectors/{name}/status"));
                let task = &status["tasks"][0];
                if code == 200
                    && status["connector"]["state"] == "RUNNING"
                    && task["state"] == "RUNNING"
                {
                    Ok(status["connector"]["worker_id"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned())
                } else {
                    Err(format!(
                        "{code} {status}\nleader log:\n{}\nfollower log:\n{}",
                        l.log(),
                        f.log()
                    ))
                }
            })
        })
        .collect();
    let on_follower = owners.iter().filter(|o| **o == f.id()).count();
    assert!(
        on_follower > 0,
        "no connector was assigned to the follower: {owners:?}"
    );
    let follower_log = std::fs::read_to_string(dir.join("worker-".to_owned() + f.name + ".log"))
        .unwrap_or_default();
    assert!(
        follower_log.contains("Sent task configs to the leader."),
        "the follower owns {on_follower} connector(s) but sent no task configs:\n{}",
        f.log()
    );

    // The internal endpoint checks signatures as Kafka Connect does.
    let target = names[0].clone();
    let url = format!("{}/connectors/{target}/tasks", l.api.base);
    let file = dir.join("posted.txt");
    let configs = json!([{
        "connector.class": "FileStreamSink",
        "task.class": "org.apache.kafka.connect.file.FileStreamSinkTask",
        "file": file.to_str().unwrap(),
        "topics": unique("di-posted"),
    }]);
    let body = serde_json::to_vec(&configs).unwrap();
    let (code, answer) = post(&url, &[], &body);
    assert_eq!(code, 400, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer["message"],
        "Internal request missing required signature"
    );

    let policy = KeyPolicy::default();
    let [(_, mac), _] = policy.sign(&key, &body).unwrap();
    let (code, answer) = post(
        &url,
        &[
            (SIGNATURE_HEADER, mac.clone()),
            (ALGORITHM_HEADER, "HmacSHA512".to_owned()),
        ],
        &body,
    );
    assert_eq!(code, 400, "{answer}");
    assert!(answer.contains("HmacSHA512"), "{answer}");

    let other = policy.generate(0).unwrap();
    let [(_, bad), (_, algorithm)] = policy.sign(&other, &body).unwrap();
    let (code, answer) = post(
        &url,
        &[
            (SIGNATURE_HEADER, bad),
            (ALGORITHM_HEADER, algorithm.clone()),
        ],
        &body,
    );
    assert_eq!(code, 403, "{answer}");
    assert!(
        answer.contains("Internal request contained invalid signature."),
        "{answer}"
    );

    // Signed with the cluster's key, through the follower (forwarded with its signature).
    let through_follower = format!("{}/connectors/{target}/tasks", f.api.base);
    let (code, answer) = post(
        &through_follower,
        &[(SIGNATURE_HEADER, mac), (ALGORITHM_HEADER, algorithm)],
        &body,
    );
    assert_eq!(code, 204, "{answer}");
    wait_for("the posted task config in effect", || {
        let (code, tasks) = l.api.get(&format!("/connectors/{target}/tasks"));
        if code == 200 && tasks[0]["config"]["file"] == file.to_str().unwrap() {
            Ok(())
        } else {
            Err(format!("{code} {tasks}"))
        }
    });

    // Restarts reach the worker that runs the task, through either worker.
    let task_owner = |name: &str| {
        let (_, status) = l.api.get(&format!("/connectors/{name}/status"));
        status["tasks"][0]["worker_id"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let log_of = |w: &Worker| {
        std::fs::read_to_string(dir.join(format!("worker-{}.log", w.name))).unwrap_or_default()
    };
    let on_f = names
        .iter()
        .find(|n| task_owner(n) == f.id())
        .expect("a task runs on the follower")
        .clone();
    let restarted_before = log_of(f).matches("Restarted tasks.").count();
    let (code, answer) = l
        .api
        .call("POST", &format!("/connectors/{on_f}/tasks/0/restart"), None);
    assert_eq!(code, 204, "{answer}");
    assert_eq!(
        log_of(f).matches("Restarted tasks.").count(),
        restarted_before + 1,
        "the follower restarted its task:\n{}",
        f.log()
    );
    // KIP-745: the leader writes a restart request; the worker running the tasks acts on it.
    let (code, plan) = f.api.call(
        "POST",
        &format!("/connectors/{on_f}/restart?includeTasks=true"),
        None,
    );
    assert_eq!(code, 202, "{plan}");
    assert_eq!(plan["tasks"][0]["state"], "RESTARTING", "{plan}");
    wait_for("the follower to act on the restart request", || {
        if log_of(f).contains("Restart request: restarting tasks.") {
            Ok(())
        } else {
            Err(f.log())
        }
    });

    // Stop (the leader's, forwarded): the connector keeps no task configs; resume plans them
    // again and the task runs.
    let (code, answer) = f.api.call("PUT", &format!("/connectors/{on_f}/stop"), None);
    assert_eq!(code, 204, "{answer}");
    wait_for("the stopped connector without tasks", || {
        let (code, tasks) = f.api.get(&format!("/connectors/{on_f}/tasks"));
        let (_, status) = f.api.get(&format!("/connectors/{on_f}/status"));
        if code == 200 && tasks == json!([]) && status["connector"]["state"] == "STOPPED" {
            Ok(())
        } else {
            Err(format!("{code} {tasks} {status}"))
        }
    });
    let (code, answer) = f
        .api
        .call("PUT", &format!("/connectors/{on_f}/resume"), None);
    assert_eq!(code, 202, "{answer}");
    wait_for("the resumed connector running its task again", || {
        let (code, status) = l.api.get(&format!("/connectors/{on_f}/status"));
        if code == 200
            && status["connector"]["state"] == "RUNNING"
            && status["tasks"][0]["state"] == "RUNNING"
        {
            Ok(())
        } else {
            Err(format!("{code} {status}\n{}", f.log()))
        }
    });
}
