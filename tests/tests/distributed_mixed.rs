//! A mixed group: an Apache Kafka Connect 4.3.1 worker (`ConnectDistributed`, jars from Maven
//! Central through `scripts/stack` and `scripts/setup-kafka-connect`) and a `wharf distributed`
//! worker in one group, on the same three internal topics, against the real broker, with Kafka
//! Connect's default protocol (`sessioned`: signed internal requests).
//!
//! Connectors are created through either worker; each side runs the tasks the group assigned
//! to it and delivers their records; kill -9 of the Java worker moves its tasks to wharf, and
//! after a second Java worker has joined, kill -9 of wharf moves everything to Java. Every record
//! produced arrives in its sink file (at least once). This checks the group protocol's bytes
//! (metadata and assignments read by the other side), the config topic's records (connector,
//! task and commit records, target states, the session key), the status records and the
//! internal REST requests (task configs sent to a leader of the other kind, signed). A second
//! test migrates a Java-only cluster: wharf picks up its connectors and committed offsets.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use integration_tests::distributed::{self, Api, Worker, free_port};
use integration_tests::{ChildGuard, bootstrap, produce_all, temp_dir, unique};
use serde_json::{Value, json};

/// Every wait is bounded by this.
const LIMIT: Duration = Duration::from_secs(120);
const SINKS: usize = 4;
/// Records produced to each sink's topic per round.
const PER_ROUND: usize = 100;

fn wait_for<T>(what: &str, check: impl FnMut() -> Result<T, String>) -> T {
    distributed::wait_for(what, LIMIT, check)
}

/// One `ConnectDistributed` process.
struct JavaWorker {
    port: u16,
    api: Api,
    log: PathBuf,
    process: ChildGuard,
}

impl JavaWorker {
    fn start(name: &str, dir: &Path, group: &str, topics: &[String; 3]) -> Self {
        let port = free_port();
        let props = dir.join(format!("{name}.properties"));
        fs::write(
            &props,
            format!(
                "bootstrap.servers={}\ngroup.id={group}\n\
                 config.storage.topic={}\noffset.storage.topic={}\nstatus.storage.topic={}\n\
                 config.storage.replication.factor=1\noffset.storage.replication.factor=1\n\
                 status.storage.replication.factor=1\noffset.storage.partitions=3\n\
                 status.storage.partitions=3\n\
                 listeners=http://127.0.0.1:{port}\nrest.advertised.host.name=127.0.0.1\n\
                 rest.advertised.port={port}\n\
                 scheduled.rebalance.max.delay.ms=0\nheartbeat.interval.ms=1000\n\
                 session.timeout.ms=6000\noffset.flush.interval.ms=1000\n\
                 key.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 value.converter=org.apache.kafka.connect.storage.StringConverter\n\
                 plugin.discovery=service_load\n",
                bootstrap(),
                topics[0],
                topics[1],
                topics[2]
            ),
        )
        .unwrap();
        let log = dir.join(format!("{name}.log"));
        let process = integration_tests::java::spawn_kafka_connect(
            "ConnectDistributed",
            &[&props],
            &log,
            "logger.herder.name = org.apache.kafka.connect.runtime.distributed\n\
             logger.herder.level = INFO\n",
        );
        Self {
            port,
            api: Api::new(port),
            log,
            process,
        }
    }

    fn id(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The last 60 lines of its log.
    fn log(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    fn kill(&mut self) {
        let _ = self.process.0.kill();
        let _ = self.process.0.wait();
    }
}

struct Sink {
    name: String,
    topic: String,
    file: PathBuf,
}

/// Each task's owner, once every sink and its task run; read through `api`.
fn owners(api: &Api, sinks: &[Sink]) -> Result<Vec<String>, String> {
    let mut owners = Vec::new();
    for s in sinks {
        let (code, status) = api.get(&format!("/connectors/{}/status", s.name));
        let task = &status["tasks"][0];
        if code != 200 || status["connector"]["state"] != "RUNNING" || task["state"] != "RUNNING" {
            return Err(format!("{}: {code} {status}", s.name));
        }
        owners.push(task["worker_id"].as_str().unwrap_or("").to_owned());
    }
    Ok(owners)
}

/// Produces round `round`'s records to every sink's topic.
fn produce_round(sinks: &[Sink], round: usize) {
    for (i, s) in sinks.iter().enumerate() {
        let values: Vec<String> = (0..PER_ROUND)
            .map(|n| format!("sink{i}-round{round}-{n:04}"))
            .collect();
        let records: Vec<_> = values.iter().map(|v| (None, Some(v.as_bytes()))).collect();
        produce_all(&s.topic, &records);
    }
}

/// Waits until every sink file holds every record of rounds `0..rounds`.
fn wait_delivered(sinks: &[Sink], rounds: usize, logs: &dyn Fn() -> String) {
    for (i, s) in sinks.iter().enumerate() {
        wait_for(&format!("{} to hold rounds 0..{rounds}", s.name), || {
            let text = fs::read_to_string(&s.file).unwrap_or_default();
            let seen: BTreeSet<&str> = text.lines().collect();
            let missing = (0..rounds)
                .flat_map(|r| (0..PER_ROUND).map(move |n| format!("sink{i}-round{r}-{n:04}")))
                .filter(|v| !seen.contains(v.as_str()))
                .count();
            if missing == 0 {
                Ok(())
            } else {
                Err(format!("{missing} missing\n{}", logs()))
            }
        });
    }
}

fn wait_ready(api: &Api, what: &str, log: &dyn Fn() -> String) {
    wait_for(&format!("{what} to answer GET /"), || match api.get("/") {
        (200, _) => Ok(()),
        (code, body) => Err(format!("{code} {body}\n{}", log())),
    });
}

#[test]
fn java_and_wharf_workers_share_one_group() {
    let group = unique("mixed-group");
    let topics = [
        unique("mixed-configs"),
        unique("mixed-offsets"),
        unique("mixed-status"),
    ];
    let dir = temp_dir("mixed");
    let sinks: Vec<Sink> = (0..SINKS)
        .map(|i| Sink {
            name: unique(&format!("mixed-sink-{i}")),
            topic: unique(&format!("mixed-data-{i}")),
            file: dir.join(format!("sink-{i}.txt")),
        })
        .collect();
    for s in &sinks {
        distributed::create_topic(&s.topic, 1, vec![]);
    }

    let mut java = JavaWorker::start("java-1", &dir, &group, &topics);
    wait_ready(&java.api, "the Java worker", &|| java.log());
    let mut wharf = Worker::start("wharf", &dir, &group, &topics, &[]);
    wait_ready(&wharf.api, "the wharf worker", &|| wharf.log());
    let logs = |java: &JavaWorker, wharf: &Worker| {
        format!("Java log:\n{}\nwharf log:\n{}", java.log(), wharf.log())
    };

    // Connectors created through either worker (a follower forwards to the leader).
    for (i, s) in sinks.iter().enumerate() {
        let api = if i % 2 == 0 { &java.api } else { &wharf.api };
        let body = json!({
            "name": s.name,
            "config": {
                "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                "tasks.max": "1",
                "topics": s.topic,
                "file": s.file.to_str().unwrap(),
            }
        });
        let created = wait_for(&format!("{} created through {}", s.name, api.base), || {
            match api.call("POST", "/connectors", Some(body.clone())) {
                (201, info) => Ok(info),
                // 409 while the group rebalances, as Kafka Connect answers it.
                (code, answer) => Err(format!("{code} {answer}\n{}", logs(&java, &wharf))),
            }
        });
        assert_eq!(created["name"], Value::from(s.name.clone()));
    }

    // Both sides run tasks, and each sees the other's statuses.
    let spread = wait_for("tasks running on both workers", || {
        let through_wharf = owners(&wharf.api, &sinks)?;
        let through_java = owners(&java.api, &sinks)?;
        let distinct: BTreeSet<&String> = through_wharf.iter().collect();
        if through_wharf == through_java && distinct.len() == 2 {
            Ok(through_wharf)
        } else {
            Err(format!(
                "{through_wharf:?} / {through_java:?}\n{}",
                logs(&java, &wharf)
            ))
        }
    });
    assert!(
        spread.contains(&java.id()) && spread.contains(&wharf.id()),
        "{spread:?}"
    );
    // Task configs, whichever side wrote them, carry what a Java worker needs to start the
    // task: `task.class` (and a sink's `topics`).
    let state = distributed::read_config_topic(&topics[0]);
    for s in &sinks {
        let tasks = state.tasks(&s.name);
        assert_eq!(tasks.len(), 1, "{}", s.name);
        let config = state.task_config(&tasks[0]).unwrap();
        assert_eq!(
            config.get("task.class").cloned().flatten().as_deref(),
            Some("org.apache.kafka.connect.file.FileStreamSinkTask"),
            "{}: {config:?}",
            s.name
        );
        assert_eq!(
            config.get("topics").cloned().flatten().as_deref(),
            Some(s.topic.as_str()),
            "{}: {config:?}",
            s.name
        );
    }
    produce_round(&sinks, 0);
    wait_delivered(&sinks, 1, &|| logs(&java, &wharf));

    // The Java worker started first and leads: the connectors assigned to wharf got their task
    // configs because wharf sent them, signed, to the Java leader, which took them.
    let wharf_log = fs::read_to_string(dir.join("worker-wharf.log")).unwrap_or_default();
    let sent = wharf_log
        .matches("Sent task configs to the leader.")
        .count();
    println!("wharf sent task configs to the Java leader {sent} time(s); task owners {spread:?}");
    assert!(sent > 0, "wharf sent no task configs:\n{}", wharf.log());
    assert!(
        !wharf_log.contains("did not take this worker's task configs"),
        "the Java leader refused wharf's task configs:\n{}",
        wharf.log()
    );

    // kill -9 the Java worker: wharf takes its tasks.
    java.kill();
    wait_for("every task running on wharf", || {
        let owners = owners(&wharf.api, &sinks)?;
        if owners.iter().all(|o| *o == wharf.id()) {
            Ok(())
        } else {
            Err(format!("{owners:?}\nwharf log:\n{}", wharf.log()))
        }
    });
    produce_round(&sinks, 1);
    wait_delivered(&sinks, 2, &|| format!("wharf log:\n{}", wharf.log()));

    // A second Java worker joins and takes a share; then kill -9 wharf: Java takes everything.
    let java2 = JavaWorker::start("java-2", &dir, &group, &topics);
    wait_ready(&java2.api, "the second Java worker", &|| java2.log());
    wait_for("tasks running on both workers again", || {
        let owners = owners(&java2.api, &sinks)?;
        if owners.contains(&java2.id()) && owners.contains(&wharf.id()) {
            Ok(())
        } else {
            Err(format!("{owners:?}\n{}", logs(&java2, &wharf)))
        }
    });
    produce_round(&sinks, 2);
    wait_delivered(&sinks, 3, &|| logs(&java2, &wharf));
    let _ = wharf.process.0.kill();
    let _ = wharf.process.0.wait();
    wait_for("every task running on the second Java worker", || {
        let owners = owners(&java2.api, &sinks)?;
        if owners.iter().all(|o| *o == java2.id()) {
            Ok(())
        } else {
            Err(format!("{owners:?}\nJava log:\n{}", java2.log()))
        }
    });
    produce_round(&sinks, 3);
    wait_delivered(&sinks, 4, &|| format!("Java log:\n{}", java2.log()));
    let _ = fs::remove_dir_all(&dir);
}

/// Every value of `topic` once at least `expect` arrived and nothing more came for 3 s.
fn read_topic(topic: &str, expect: usize) -> Vec<String> {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("migration-reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let started = std::time::Instant::now();
    let mut last = std::time::Instant::now();
    let mut values = Vec::new();
    while values.len() < expect || last.elapsed() < Duration::from_secs(3) {
        assert!(
            started.elapsed() < LIMIT,
            "read {} of {expect} records from {topic}",
            values.len()
        );
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            values.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned());
            last = std::time::Instant::now();
        }
    }
    values
}

fn append_lines(path: &Path, range: std::ops::Range<usize>) {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for i in range {
        writeln!(file, "line-{i:05}").unwrap();
    }
}

/// Migration: a Kafka Connect-only cluster runs a file source and a file sink and commits
/// their offsets; it is stopped, and a wharf worker started on the same group and topics picks
/// up both connectors, their configs and the source's committed offset: lines appended meanwhile
/// arrive, the lines before the offset are not produced again.
#[test]
fn wharf_takes_over_a_kafka_connect_cluster() {
    const BEFORE: usize = 1000;
    const AFTER: usize = 500;
    let group = unique("migrate-group");
    let topics = [
        unique("migrate-configs"),
        unique("migrate-offsets"),
        unique("migrate-status"),
    ];
    let dir = temp_dir("migrate");
    let input = dir.join("in.txt");
    let output = dir.join("out.txt");
    let data = unique("migrate-data");
    append_lines(&input, 0..BEFORE);

    let mut java = JavaWorker::start("java-only", &dir, &group, &topics);
    wait_ready(&java.api, "the Java worker", &|| java.log());
    for (name, config) in [
        (
            "source",
            json!({"connector.class": "FileStreamSource", "file": input.to_str().unwrap(), "topic": data}),
        ),
        (
            "sink",
            json!({"connector.class": "FileStreamSink", "file": output.to_str().unwrap(), "topics": data}),
        ),
    ] {
        let (code, body) = java.api.call(
            "POST",
            "/connectors",
            Some(json!({"name": name, "config": config})),
        );
        assert_eq!(code, 201, "{body}");
    }
    // The source's offset covers every line, committed to the offsets topic.
    let size = fs::metadata(&input).unwrap().len();
    wait_for(
        "the Java source's committed offset at the end of the file",
        || {
            let (code, offsets) = java.api.get("/connectors/source/offsets");
            let position = offsets["offsets"][0]["offset"]["position"].as_u64();
            if code == 200 && position == Some(size) {
                Ok(())
            } else {
                Err(format!("{code} {offsets}\n{}", java.log()))
            }
        },
    );
    wait_for("the Java sink's file complete", || {
        let lines = fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .count();
        if lines >= BEFORE {
            Ok(())
        } else {
            Err(format!("{lines} lines\n{}", java.log()))
        }
    });
    java.kill();

    append_lines(&input, BEFORE..BEFORE + AFTER);
    let wharf = Worker::start("wharf", &dir, &group, &topics, &[]);
    wait_for("both connectors running on wharf", || {
        let mut states = Vec::new();
        for name in ["source", "sink"] {
            let (_, status) = wharf.api.get(&format!("/connectors/{name}/status"));
            let task = &status["tasks"][0];
            if task["state"] != "RUNNING" || task["worker_id"] != wharf.id() {
                states.push(format!("{name}: {status}"));
            }
        }
        if states.is_empty() {
            Ok(())
        } else {
            Err(format!("{states:?}\n{}", wharf.log()))
        }
    });
    let (_, config) = wharf.api.get("/connectors/source/config");
    assert_eq!(config["file"], Value::from(input.to_str().unwrap()));

    // Each line once in the topic: wharf started the source at Java's committed offset.
    let values = read_topic(&data, BEFORE + AFTER);
    let distinct: BTreeSet<&String> = values.iter().collect();
    assert_eq!(distinct.len(), BEFORE + AFTER, "every line in the topic");
    assert_eq!(
        values.len(),
        BEFORE + AFTER,
        "no line produced twice: wharf resumed from Kafka Connect's offset"
    );
    // The sink continues from the group's committed offsets: every line arrives.
    wait_for("every line in the sink file", || {
        let text = fs::read_to_string(&output).unwrap_or_default();
        let seen: BTreeSet<&str> = text.lines().collect();
        let missing = (0..BEFORE + AFTER)
            .filter(|i| !seen.contains(format!("line-{i:05}").as_str()))
            .count();
        if missing == 0 {
            Ok(())
        } else {
            Err(format!("{missing} missing\n{}", wharf.log()))
        }
    });
    let _ = fs::remove_dir_all(&dir);
}
