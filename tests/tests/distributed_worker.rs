//! Three distributed workers in one process, one group, against the real broker: a file source →
//! topic → file sink pair (3 sink tasks over a 3-partition topic) created through one worker is
//! seen by the others, spread over the group, and delivers every line; when one worker shuts
//! down and another crashes (no LeaveGroup), the survivor runs every task and lines appended
//! afterwards all arrive (at least once: duplicates counted, none lost). Each worker serves its
//! REST API, through which a follower sends its connectors' task configs to the leader.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_api::config::Properties;
use engine::kafka::{self, TopicSpec};
use engine::modes::distributed::config_store::TargetState;
use engine::modes::distributed::status_store::State;
use engine::modes::distributed::worker::DistributedWorker;
use engine::plugins::Plugins;
use integration_tests::{bootstrap, init_logs, props, temp_dir, unique};

/// Every wait is bounded by this.
const LIMIT: Duration = Duration::from_secs(90);

/// Waits until `check` gives `Ok`; on timeout fails with what it last saw.
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match check() {
            Ok(v) => return v,
            Err(seen) => assert!(
                start.elapsed() < LIMIT,
                "timed out after {LIMIT:?} waiting for {what}; last seen: {seen}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn write_lines(path: &Path, range: std::ops::Range<u64>) {
    let mut out = std::io::BufWriter::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap(),
    );
    for i in range {
        writeln!(out, "line {i:07}").unwrap();
    }
    out.flush().unwrap();
}

/// How often each line of the sink file occurs.
fn counts(path: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in fs::read_to_string(path).unwrap_or_default().lines() {
        *counts.entry(line.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// (missing, duplicates) of lines `0..n`.
fn delivery(path: &Path, n: u64) -> (usize, usize) {
    let counts = counts(path);
    let missing = (0..n)
        .filter(|i| !counts.contains_key(&format!("line {i:07}")))
        .count();
    let duplicates = counts.values().map(|c| c - 1).sum();
    (missing, duplicates)
}

struct Names {
    group: String,
    configs: String,
    offsets: String,
    statuses: String,
}

fn worker_props(names: &Names, port: u16) -> Properties {
    props(&[
        ("bootstrap.servers", &bootstrap()),
        ("group.id", &names.group),
        ("config.storage.topic", &names.configs),
        ("offset.storage.topic", &names.offsets),
        ("status.storage.topic", &names.statuses),
        ("config.storage.replication.factor", "1"),
        ("offset.storage.replication.factor", "1"),
        ("status.storage.replication.factor", "1"),
        ("offset.storage.partitions", "3"),
        ("status.storage.partitions", "3"),
        ("listeners", &format!("http://127.0.0.1:{port}")),
        ("scheduled.rebalance.max.delay.ms", "0"),
        ("heartbeat.interval.ms", "500"),
        ("session.timeout.ms", "6000"),
        ("offset.flush.interval.ms", "1000"),
        ("wharf.shards", "1"),
        (
            "key.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
        (
            "value.converter",
            "org.apache.kafka.connect.storage.StringConverter",
        ),
    ])
}

/// A worker serving its REST API on its listener, as `wharf distributed` does: a follower
/// sends the task configs of its connectors to the leader's API.
struct Served {
    worker: Option<Arc<DistributedWorker>>,
    stop_rest: Option<tokio::sync::oneshot::Sender<()>>,
    control: Option<tokio::runtime::Runtime>,
}

impl Served {
    fn start(plugins: &Arc<Plugins>, names: &Names, port: u16) -> Self {
        let worker = Arc::new(
            DistributedWorker::start(Arc::clone(plugins), &worker_props(names, port)).unwrap(),
        );
        let control = engine::modes::standalone::control_runtime().unwrap();
        let listener = control
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
            .unwrap();
        let (stop_rest, stopped) = tokio::sync::oneshot::channel::<()>();
        control.spawn(engine::rest::serve(
            listener,
            Arc::clone(&worker) as Arc<dyn engine::herder::Cluster>,
            engine::logging::LogLevels::detached(),
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            worker: Some(worker),
            stop_rest: Some(stop_rest),
            control: Some(control),
        }
    }

    /// Stops the REST API and hands the worker back.
    fn into_worker(mut self) -> DistributedWorker {
        if let Some(stop) = self.stop_rest.take() {
            let _ = stop.send(());
        }
        if let Some(control) = self.control.take() {
            control.shutdown_timeout(Duration::from_secs(5));
        }
        let worker = self.worker.take().unwrap();
        Arc::try_unwrap(worker).unwrap_or_else(|_| panic!("a REST call still holds the worker"))
    }
}

impl std::ops::Deref for Served {
    type Target = DistributedWorker;

    fn deref(&self) -> &DistributedWorker {
        self.worker.as_ref().unwrap()
    }
}

fn running(workers: &[&DistributedWorker]) -> Vec<(String, Vec<String>)> {
    workers
        .iter()
        .map(|w| {
            (
                w.worker_id().to_owned(),
                w.running_tasks()
                    .iter()
                    .map(|t| format!("{}-{}", t.connector, t.task))
                    .collect(),
            )
        })
        .collect()
}

fn total_running(workers: &[&DistributedWorker]) -> usize {
    workers.iter().map(|w| w.running_tasks().len()).sum()
}

#[test]
fn three_workers_share_run_and_take_over_a_file_pipeline() {
    init_logs();
    let names = Names {
        group: unique("dw-group"),
        configs: unique("dw-configs"),
        offsets: unique("dw-offsets"),
        statuses: unique("dw-status"),
    };
    let data_topic = unique("dw-data");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: &data_topic,
            partitions: 3,
            replication_factor: 1,
            configs: vec![],
        },
    ))
    .unwrap();
    let dir = temp_dir("dw");
    let input = dir.join("in.txt");
    let output = dir.join("out.txt");
    const N: u64 = 20_000;
    write_lines(&input, 0..N);

    let plugins = Arc::new(Plugins::builtin());
    let port = 20_000 + u16::try_from(std::process::id() % 20_000).unwrap();
    let a = Served::start(&plugins, &names, port);
    let b = Served::start(&plugins, &names, port + 1);
    let c = Served::start(&plugins, &names, port + 2);
    assert_eq!(a.url(), format!("http://127.0.0.1:{port}/"));
    assert_eq!(b.worker_id(), format!("127.0.0.1:{}", port + 1));

    a.put_connector(&props(&[
        ("name", "source"),
        ("connector.class", "FileStreamSource"),
        ("file", input.to_str().unwrap()),
        ("topic", &data_topic),
        ("tasks.max", "1"),
    ]))
    .unwrap();
    a.put_connector(&props(&[
        ("name", "sink"),
        ("connector.class", "FileStreamSink"),
        ("file", output.to_str().unwrap()),
        ("topics", &data_topic),
        ("tasks.max", "3"),
    ]))
    .unwrap();
    let bad = a.put_connector(&props(&[
        ("name", "bad"),
        ("connector.class", "NoSuchConnector"),
    ]));
    assert!(bad.is_err(), "an invalid config is refused: {bad:?}");

    // B and C read the connectors and the task configs the leader wrote.
    for w in [&b, &c] {
        wait_for("the connectors and task configs on another worker", || {
            let connectors = w.connectors();
            let sink = w.task_configs("sink").len();
            let source = w.task_configs("source").len();
            if connectors == ["sink", "source"] && sink == 3 && source == 1 {
                Ok(())
            } else {
                Err(format!(
                    "{}: connectors {connectors:?}, task configs sink {sink} source {source}",
                    w.worker_id()
                ))
            }
        });
        assert_eq!(
            w.connector_config("sink")
                .unwrap()
                .get("tasks.max")
                .unwrap(),
            "3"
        );
    }
    let started = Instant::now();
    let all = [&*a, &*b, &*c];
    wait_for("4 tasks running over the 3 workers", || {
        if total_running(&all) == 4 && all.iter().all(|w| !w.running_tasks().is_empty()) {
            Ok(())
        } else {
            Err(format!("{:?}", running(&all)))
        }
    });
    eprintln!("spread after {:?}: {:?}", started.elapsed(), running(&all));
    wait_for("every line in the sink file", || {
        let (missing, duplicates) = delivery(&output, N);
        if missing == 0 {
            Ok(())
        } else {
            Err(format!("{missing} missing, {duplicates} duplicates"))
        }
    });
    let (_, duplicates) = delivery(&output, N);
    eprintln!(
        "first {N} lines delivered after {:?}, {duplicates} duplicates",
        started.elapsed()
    );

    // The status topic, read through C, has every task RUNNING on some worker.
    wait_for("RUNNING statuses of the sink's tasks", || {
        let status = c.status("sink").map_err(|e| e.to_string())?;
        let states: Vec<_> = status
            .tasks
            .values()
            .map(|s| (s.state, s.worker_id.clone()))
            .collect();
        if status.tasks.len() == 3
            && status.tasks.values().all(|s| s.state == State::Running)
            && status
                .connector
                .as_ref()
                .is_some_and(|s| s.state == State::Running)
        {
            Ok(())
        } else {
            Err(format!(
                "connector {:?}, tasks {states:?}",
                status.connector
            ))
        }
    });

    // A shuts down cleanly: B and C take its tasks over.
    let a_tasks = a.running_tasks().len();
    let t = Instant::now();
    a.into_worker().shutdown();
    let shutdown_took = t.elapsed();
    let rest = [&*b, &*c];
    wait_for("B and C running all 4 tasks after A's shutdown", || {
        if total_running(&rest) == 4 {
            Ok(())
        } else {
            Err(format!("{:?}", running(&rest)))
        }
    });
    let after_shutdown = t.elapsed();
    eprintln!(
        "A (with {a_tasks} tasks) shut down in {shutdown_took:?}; its tasks ran elsewhere {after_shutdown:?} after the shutdown call: {:?}",
        running(&rest)
    );

    // B crashes (no LeaveGroup): C takes everything once B's session times out.
    let b_tasks = b.running_tasks().len();
    let t = Instant::now();
    b.into_worker().crash();
    wait_for("C running all 4 tasks after B's crash", || {
        if c.running_tasks().len() == 4 {
            Ok(())
        } else {
            Err(format!("{:?}", running(&[&c])))
        }
    });
    let after_crash = t.elapsed();
    eprintln!(
        "B (with {b_tasks} tasks) crashed; C ran all tasks {after_crash:?} later (session.timeout.ms=6000)"
    );

    // Lines appended now all arrive.
    const MORE: u64 = 10_000;
    write_lines(&input, N..N + MORE);
    wait_for("the appended lines in the sink file", || {
        let (missing, duplicates) = delivery(&output, N + MORE);
        if missing == 0 {
            Ok(())
        } else {
            Err(format!("{missing} missing, {duplicates} duplicates"))
        }
    });
    let (missing, duplicates) = delivery(&output, N + MORE);
    eprintln!(
        "all {} lines delivered: {missing} lost, {duplicates} duplicates",
        N + MORE
    );
    assert_eq!(missing, 0);

    let status = c.status("sink").unwrap();
    assert!(
        status
            .tasks
            .values()
            .all(|s| s.state == State::Running && s.worker_id == c.worker_id()),
        "{status:?}"
    );

    // Target states: PAUSED stops the source's task (status PAUSED), STARTED runs it again;
    // a delete stops the sink's tasks.
    c.set_target("source", TargetState::Paused).unwrap();
    wait_for(
        "the paused source's task to stop, with status PAUSED",
        || {
            let status = c.status("source").map_err(|e| e.to_string())?;
            let task = status.tasks.get(&0).map(|s| s.state);
            if c.running_tasks().len() == 3 && task == Some(State::Paused) {
                Ok(())
            } else {
                Err(format!("{:?}, source task status {task:?}", running(&[&c])))
            }
        },
    );
    c.set_target("source", TargetState::Started).unwrap();
    wait_for("the resumed source's task to run", || {
        let status = c.status("source").map_err(|e| e.to_string())?;
        let task = status.tasks.get(&0).map(|s| s.state);
        if c.running_tasks().len() == 4 && task == Some(State::Running) {
            Ok(())
        } else {
            Err(format!("{:?}, source task status {task:?}", running(&[&c])))
        }
    });
    c.delete_connector("sink").unwrap();
    wait_for("the deleted sink's tasks to stop", || {
        let tasks = c.running_tasks();
        if c.connectors() == ["source"] && tasks.len() == 1 {
            Ok(())
        } else {
            Err(format!(
                "connectors {:?}, {:?}",
                c.connectors(),
                running(&[&c])
            ))
        }
    });
    assert!(c.delete_connector("sink").is_err());

    // A task that fails (its file's folder does not exist, restarts off) is FAILED with the
    // error and not started again.
    c.put_connector(&props(&[
        ("name", "broken"),
        ("connector.class", "FileStreamSink"),
        ("file", dir.join("no-such-dir/out.txt").to_str().unwrap()),
        ("topics", &data_topic),
        ("tasks.max", "1"),
        ("wharf.task.restart.enable", "false"),
    ]))
    .unwrap();
    let trace = wait_for("the broken sink's task FAILED with its error", || {
        let status = c.status("broken").map_err(|e| e.to_string())?;
        match status.tasks.get(&0) {
            Some(s) if s.state == State::Failed => Ok(s.trace.clone().unwrap_or_default()),
            other => Err(format!("{other:?}, {:?}", running(&[&c]))),
        }
    });
    assert!(!trace.is_empty());
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        c.running_tasks().len(),
        1,
        "the failed task is not restarted: {:?}",
        running(&[&*c])
    );
    c.into_worker().shutdown();
    let _ = fs::remove_dir_all(&dir);
}
