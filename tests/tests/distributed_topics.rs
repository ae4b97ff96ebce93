//! Distributed mode's config and status topics against a real broker: what one store writes a
//! second one reads back identically (same snapshot, same config offset), task configs count only
//! once committed, deletes clear, garbage is skipped, topics that would lose records are refused,
//! and status records obey `putSafe` and the read-side rules and land on Java's partitions.

use std::collections::BTreeMap;
use std::time::Duration;

use engine::kafka::{self, TopicSpec};
use engine::modes::distributed::config_store::{
    ClusterConfigState, ConfigStore, ConnectorTaskId, SessionKey, TargetState,
    config_topic as records,
};
use engine::modes::distributed::log::{ClientSettings, LogError};
use engine::modes::distributed::status_store::{State, Status, StatusStore, TopicStatus};
use integration_tests::{bootstrap, props, unique};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};

fn open_config(topic: &str) -> ConfigStore {
    ConfigStore::open(&bootstrap(), topic, 1, &ClientSettings::default()).unwrap()
}

/// Writes records as they are, with a plain producer (default partitioner; the config topic has
/// one partition).
fn produce_raw(topic: &str, records: &[(&[u8], Option<&[u8]>)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    for (key, value) in records {
        let mut record = BaseRecord::<[u8], [u8]>::to(topic).key(*key);
        if let Some(v) = value {
            record = record.payload(*v);
        }
        producer.send(record).map_err(|(e, _)| e).unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// Every record of the topic: (partition, key, value).
type RawRecord = (i32, Vec<u8>, Option<Vec<u8>>);

fn consume_raw(topic: &str, partitions: i32) -> Vec<RawRecord> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", "wharf-distributed-topics-test")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    let mut remaining = 0;
    for p in 0..partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .unwrap();
        if high > low {
            assignment
                .add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
            remaining += 1;
        }
    }
    let mut out = Vec::new();
    if remaining == 0 {
        return out;
    }
    consumer.assign(&assignment).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while remaining > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "reading {topic} timed out"
        );
        match consumer.poll(Duration::from_millis(200)) {
            None => {}
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => remaining -= 1,
            Some(Err(e)) => panic!("{e}"),
            Some(Ok(m)) => out.push((
                m.partition(),
                m.key().unwrap_or_default().to_vec(),
                m.payload().map(<[u8]>::to_vec),
            )),
        }
    }
    out
}

fn string_props(pairs: &[(&str, &str)]) -> records::Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
        .collect()
}

#[test]
fn what_one_store_writes_another_reads_back_identically() {
    let topic = unique("wharf-configs");
    let writer = open_config(&topic);
    assert_eq!(writer.offset(), ClusterConfigState::NO_OFFSET);

    let config = props(&[
        ("connector.class", "FileStreamSource"),
        ("tasks.max", "2"),
        ("file", "/tmp/a \"quoted\" ü.txt"),
    ]);
    writer
        .put_connector_config("src", &config, Some(TargetState::Paused))
        .unwrap();
    let tasks = vec![
        props(&[("task.class", "T"), ("part", "0")]),
        props(&[("task.class", "T"), ("part", "1")]),
    ];
    writer.put_task_configs("src", &tasks).unwrap();
    writer
        .put_target_state("src", TargetState::Stopped)
        .unwrap();
    writer
        .put_session_key(&SessionKey {
            key: vec![1, 2, 3, 250, 251],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_000,
        })
        .unwrap();
    writer.put_task_count_record("src", 2).unwrap();
    writer.put_restart_request("src", true, false).unwrap();
    writer.read_to_end().unwrap();

    let snapshot = writer.snapshot();
    // target-state, connector, task ×2, commit, target-state, session key, task count, restart.
    assert_eq!(writer.offset(), 9);
    assert_eq!(snapshot.offset(), 9);
    assert_eq!(
        snapshot.connector_config("src"),
        Some(&string_props(&[
            ("connector.class", "FileStreamSource"),
            ("tasks.max", "2"),
            ("file", "/tmp/a \"quoted\" ü.txt"),
        ]))
    );
    assert_eq!(
        snapshot.tasks("src"),
        vec![
            ConnectorTaskId::new("src", 0),
            ConnectorTaskId::new("src", 1)
        ]
    );
    assert_eq!(
        snapshot.task_config(&ConnectorTaskId::new("src", 1)),
        Some(&string_props(&[("part", "1"), ("task.class", "T")]))
    );
    assert_eq!(snapshot.target_state("src"), Some(TargetState::Stopped));
    assert_eq!(snapshot.task_config_generation("src"), Some(0));
    assert_eq!(snapshot.task_count_record("src"), Some(2));
    assert!(!snapshot.pending_fencing("src"));
    assert_eq!(
        snapshot.session_key().map(|k| k.key.clone()),
        Some(vec![1, 2, 3, 250, 251])
    );

    let reader = open_config(&topic);
    assert_eq!(reader.snapshot(), snapshot);
    assert_eq!(reader.offset(), writer.offset());

    // The bytes on the topic are Kafka Connect's.
    let raw = consume_raw(&topic, 1);
    let keys: Vec<String> = raw
        .iter()
        .map(|(_, k, _)| String::from_utf8(k.clone()).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "target-state-src",
            "connector-src",
            "task-src-0",
            "task-src-1",
            "commit-src",
            "target-state-src",
            "session-key",
            "tasks-fencing-src",
            "restart-connector-src",
        ]
    );
    let value = |i: usize| String::from_utf8(raw[i].2.clone().unwrap()).unwrap();
    assert_eq!(value(0), r#"{"state":"PAUSED","state.v2":"PAUSED"}"#);
    assert_eq!(
        value(1),
        r#"{"properties":{"connector.class":"FileStreamSource","file":"/tmp/a \"quoted\" ü.txt","tasks.max":"2"}}"#
    );
    assert_eq!(value(4), r#"{"tasks":2}"#);
    assert_eq!(value(5), r#"{"state":"PAUSED","state.v2":"STOPPED"}"#);
    assert_eq!(
        value(6),
        r#"{"key":"AQID+vs=","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#
    );
    assert_eq!(value(7), r#"{"task-count":2}"#);
    assert_eq!(value(8), r#"{"include-tasks":true,"only-failed":false}"#);

    // A second writer's change reaches the first on its next read, with the update reported.
    reader
        .put_target_state("src", TargetState::Started)
        .unwrap();
    let updates = writer.read_to_end().unwrap();
    assert_eq!(
        writer.snapshot().target_state("src"),
        Some(TargetState::Started)
    );
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(writer.offset(), 10);
}

#[test]
fn task_configs_count_only_once_committed() {
    let topic = unique("wharf-configs");
    let store = open_config(&topic);
    store
        .put_connector_config("c", &props(&[("connector.class", "X")]), None)
        .unwrap();
    // A leader that died between its task records and its commit.
    let task = records::encode_string_properties(&props(&[("task", "0")]));
    produce_raw(&topic, &[(b"task-c-0", Some(&task))]);
    store.read_to_end().unwrap();
    let snapshot = store.snapshot();
    assert!(snapshot.tasks("c").is_empty());
    assert_eq!(snapshot.task_config(&ConnectorTaskId::new("c", 0)), None);
    assert_eq!(snapshot.task_count("c"), 0);
    assert_eq!(
        store.offset(),
        2,
        "an uncommitted task record still moves the offset"
    );
    let fresh = open_config(&topic);
    assert_eq!(fresh.snapshot(), snapshot);

    // The commit applies the buffered record.
    produce_raw(&topic, &[(b"commit-c", Some(&records::encode_commit(1)))]);
    store.read_to_end().unwrap();
    assert_eq!(
        store.snapshot().tasks("c"),
        vec![ConnectorTaskId::new("c", 0)]
    );

    // A commit naming more tasks than were written leaves the connector inconsistent.
    produce_raw(&topic, &[(b"commit-c", Some(&records::encode_commit(2)))]);
    store.read_to_end().unwrap();
    let snapshot = store.snapshot();
    assert!(snapshot.tasks("c").is_empty());
    assert!(snapshot.inconsistent_connectors().contains("c"));
    assert_eq!(open_config(&topic).snapshot(), snapshot);

    // Writing the tasks again through the store repairs it.
    store
        .put_task_configs("c", &[props(&[("task", "0")]), props(&[("task", "1")])])
        .unwrap();
    let snapshot = store.snapshot();
    assert_eq!(snapshot.tasks("c").len(), 2);
    assert!(snapshot.inconsistent_connectors().is_empty());
}

#[test]
fn a_delete_clears_the_connector() {
    let topic = unique("wharf-configs");
    let store = open_config(&topic);
    store
        .put_connector_config("gone", &props(&[("connector.class", "X")]), None)
        .unwrap();
    store
        .put_task_configs("gone", &[props(&[("task", "0")])])
        .unwrap();
    store.put_target_state("gone", TargetState::Paused).unwrap();
    store.read_to_end().unwrap();
    assert!(store.snapshot().contains("gone"));

    store.delete_connector("gone").unwrap();
    let snapshot = store.snapshot();
    assert!(!snapshot.contains("gone"));
    assert_eq!(snapshot.connectors().count(), 0);
    assert_eq!(snapshot.target_state("gone"), None);
    assert_eq!(snapshot.task_count("gone"), 0);
    assert_eq!(snapshot.task_config(&ConnectorTaskId::new("gone", 0)), None);
    assert_eq!(store.offset(), 6);

    let raw = consume_raw(&topic, 1);
    let tail: Vec<(String, bool)> = raw[raw.len() - 2..]
        .iter()
        .map(|(_, k, v)| (String::from_utf8(k.clone()).unwrap(), v.is_none()))
        .collect();
    assert_eq!(
        tail,
        [
            ("connector-gone".to_owned(), true),
            ("target-state-gone".to_owned(), true)
        ]
    );

    let fresh = open_config(&topic);
    assert_eq!(fresh.snapshot(), snapshot);
    assert_eq!(fresh.offset(), 6);
}

#[test]
fn garbage_records_are_skipped_and_the_rest_applied() {
    let topic = unique("wharf-configs");
    // Create the topic through a store first, so it is compacted.
    drop(open_config(&topic));
    let good = records::encode_string_properties(&props(&[("connector.class", "X")]));
    produce_raw(
        &topic,
        &[
            // Not JSON: skipped without moving the offset, as Java's converter error does.
            (b"connector-bad", Some(b"{not json")),
            // JSON, but an unknown key: skipped, the offset moves.
            (b"something-else", Some(b"{}")),
            // JSON of the wrong shape.
            (b"commit-good", Some(br#"{"tasks":"many"}"#)),
            (b"connector-good", Some(&good)),
            (b"target-state-good", Some(br#"{"state":"SIDEWAYS"}"#)),
        ],
    );
    let store = open_config(&topic);
    let snapshot = store.snapshot();
    assert_eq!(snapshot.connectors().collect::<Vec<_>>(), ["good"]);
    assert_eq!(snapshot.target_state("good"), Some(TargetState::Started));
    assert_eq!(store.offset(), 5);

    // The same offset as the state machine applied directly to the same records.
    let mut expected = ClusterConfigState::new();
    for (offset, (_, key, value)) in consume_raw(&topic, 1).iter().enumerate() {
        let _ = expected.apply(
            offset as i64,
            std::str::from_utf8(key).unwrap(),
            value.as_deref(),
        );
    }
    assert_eq!(snapshot, expected);

    // A garbage record last does not move the offset.
    produce_raw(&topic, &[(b"connector-worse", Some(b"\xff\xfe"))]);
    store.read_to_end().unwrap();
    assert_eq!(store.offset(), 5);
    assert_eq!(store.snapshot().connectors().count(), 1);
}

#[test]
fn topics_that_would_lose_records_are_refused() {
    let deleting = unique("wharf-configs-delete");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: &deleting,
            partitions: 1,
            replication_factor: 1,
            configs: vec![("cleanup.policy", "delete")],
        },
    ))
    .unwrap();
    let error =
        ConfigStore::open(&bootstrap(), &deleting, 1, &ClientSettings::default()).unwrap_err();
    assert!(
        matches!(&error, LogError::NotCompacted { found, .. } if found == "delete"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&deleting), "{message}");
    assert!(message.contains("config.storage.topic"), "{message}");
    assert!(message.contains("cleanup.policy=compact"), "{message}");
    let status_error =
        StatusStore::open(&bootstrap(), &deleting, 5, 1, &ClientSettings::default()).unwrap_err();
    assert!(
        status_error.to_string().contains("status.storage.topic"),
        "{status_error}"
    );

    let both = unique("wharf-configs-both");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: &both,
            partitions: 1,
            replication_factor: 1,
            configs: vec![("cleanup.policy", "compact,delete")],
        },
    ))
    .unwrap();
    let error = ConfigStore::open(&bootstrap(), &both, 1, &ClientSettings::default()).unwrap_err();
    assert!(matches!(error, LogError::NotCompacted { .. }), "{error:?}");

    let wide = unique("wharf-configs-wide");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap(),
        &TopicSpec {
            name: &wide,
            partitions: 3,
            replication_factor: 1,
            configs: vec![("cleanup.policy", "compact")],
        },
    ))
    .unwrap();
    let error = ConfigStore::open(&bootstrap(), &wide, 1, &ClientSettings::default()).unwrap_err();
    assert!(
        matches!(&error, LogError::TooManyPartitions { partitions: 3, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&wide), "{error}");
    assert!(error.to_string().contains("single partition"), "{error}");
}

fn status(state: State, worker: &str, generation: i32) -> Status {
    Status {
        state,
        trace: None,
        worker_id: worker.into(),
        generation,
    }
}

#[test]
fn statuses_follow_put_safe_and_the_read_side_rules() {
    let topic = unique("wharf-status");
    let me = StatusStore::open(&bootstrap(), &topic, 5, 1, &ClientSettings::default()).unwrap();
    let other = StatusStore::open(&bootstrap(), &topic, 5, 1, &ClientSettings::default()).unwrap();
    let task = ConnectorTaskId::new("a", 0);

    me.put_connector("a", &status(State::Running, "me:8083", 3))
        .unwrap();
    me.put_task(&task, &status(State::Running, "me:8083", 3))
        .unwrap();
    // Not in the cache until read back, as in Java.
    assert_eq!(me.connector("a"), None);
    me.read_to_end().unwrap();
    other.read_to_end().unwrap();
    assert_eq!(
        other.connector("a"),
        Some(status(State::Running, "me:8083", 3))
    );
    assert_eq!(
        other.task(&task),
        Some(status(State::Running, "me:8083", 3))
    );

    // putSafe from another worker at an older generation is refused; at the same one it goes.
    assert!(
        !other
            .put_task_safe(&task, &status(State::Failed, "other:8083", 2))
            .unwrap()
    );
    let mut failed = status(State::Failed, "other:8083", 3);
    failed.trace = Some("java.lang.RuntimeException: boom\n\tat X".into());
    assert!(other.put_task_safe(&task, &failed).unwrap());
    me.read_to_end().unwrap();
    other.read_to_end().unwrap();
    assert_eq!(me.task(&task), Some(failed.clone()));

    // The cached worker may always write its own.
    assert!(
        other
            .put_task_safe(&task, &status(State::Unassigned, "other:8083", 1))
            .unwrap()
    );
    me.read_to_end().unwrap();
    assert_eq!(me.task(&task).map(|s| s.state), Some(State::Unassigned));

    // Read side: an UNASSIGNED at or below a cached RUNNING's generation is dropped.
    me.put_task(&task, &status(State::Running, "me:8083", 5))
        .unwrap();
    other
        .put_task(&task, &status(State::Unassigned, "other:8083", 4))
        .unwrap();
    let fresh = StatusStore::open(&bootstrap(), &topic, 5, 1, &ClientSettings::default()).unwrap();
    assert_eq!(
        fresh.task(&task),
        Some(status(State::Running, "me:8083", 5))
    );
    // A newer one is not.
    other
        .put_task(&task, &status(State::Unassigned, "other:8083", 6))
        .unwrap();
    fresh.read_to_end().unwrap();
    assert_eq!(
        fresh.task(&task),
        Some(status(State::Unassigned, "other:8083", 6))
    );

    // Active topics.
    let active = TopicStatus {
        topic: "orders".into(),
        connector: "a".into(),
        task: 0,
        discover_timestamp: 1_700_000_000_123,
    };
    me.put_topic(&active).unwrap();
    fresh.read_to_end().unwrap();
    assert_eq!(fresh.topics("a"), vec![active]);
    me.delete_topic("a", "orders").unwrap();
    fresh.read_to_end().unwrap();
    assert!(fresh.topics("a").is_empty());

    // DESTROYED is a tombstone, which removes the connector and its tasks.
    me.put_connector("a", &status(State::Destroyed, "me:8083", 7))
        .unwrap();
    fresh.read_to_end().unwrap();
    assert_eq!(fresh.connector("a"), None);
    assert_eq!(fresh.task(&task), None);
    assert!(fresh.connectors().is_empty());

    // Keys land on the partitions Java's default partitioner picks:
    // toPositive(murmur2(key)) % 5, values from Kafka's Utils.murmur2.
    let raw = consume_raw(&topic, 5);
    let partition_of: BTreeMap<String, i32> = raw
        .iter()
        .map(|(p, k, _)| (String::from_utf8(k.clone()).unwrap(), *p))
        .collect();
    assert_eq!(partition_of["status-connector-a"], 1);
    assert_eq!(partition_of["status-task-a-0"], 3);
    let connector_values: Vec<Option<String>> = raw
        .iter()
        .filter(|(_, k, _)| k == b"status-connector-a")
        .map(|(_, _, v)| v.clone().map(|v| String::from_utf8(v).unwrap()))
        .collect();
    assert_eq!(
        connector_values,
        [
            Some(r#"{"state":"RUNNING","trace":null,"worker_id":"me:8083","generation":3}"#.into()),
            None
        ]
    );
}

/// Runs `tests/java/ConfigTopicCompat.java` (Kafka Connect's own `KafkaConfigBackingStore`):
/// its description of the topic's state.
fn java_config_store(mode: &str, topic: &str) -> String {
    let harness = integration_tests::java::compile(
        "ConfigTopicCompat.java",
        &[
            "connect-runtime-4.3.1.jar",
            "connect-json-4.3.1.jar",
            "kafka-clients-4.3.1.jar",
        ],
    );
    let out = std::process::Command::new(&harness.java)
        .args(["-cp", &harness.classpath, "ConfigTopicCompat", mode])
        .arg(bootstrap())
        .arg(topic)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "ConfigTopicCompat {mode} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The same writes through wharf's store and through Kafka Connect's put the same bytes on the
/// topic, and Kafka Connect reads wharf's topic to the same state and config offset.
#[test]
fn the_config_topic_is_byte_identical_to_kafka_connects() {
    let ours = unique("wharf-configs-ours");
    let store = open_config(&ours);
    store
        .put_connector_config(
            "src",
            &props(&[
                ("connector.class", "FileStreamSource"),
                ("tasks.max", "2"),
                ("file", "/tmp/a \"quoted\" \u{fc}\u{2028}.txt"),
            ]),
            Some(TargetState::Paused),
        )
        .unwrap();
    store
        .put_task_configs(
            "src",
            &[
                props(&[("task.class", "T"), ("part", "0")]),
                props(&[("task.class", "T"), ("part", "1")]),
            ],
        )
        .unwrap();
    store.put_target_state("src", TargetState::Stopped).unwrap();
    store
        .put_session_key(&SessionKey {
            key: vec![1, 2, 3, 250, 251],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1_700_000_000_000,
        })
        .unwrap();
    store.put_task_count_record("src", 2).unwrap();
    store.put_restart_request("src", true, false).unwrap();
    store
        .put_connector_config("gone", &props(&[("connector.class", "X")]), None)
        .unwrap();
    store.delete_connector("gone").unwrap();
    store.read_to_end().unwrap();

    let theirs = unique("wharf-configs-java");
    let java_wrote = java_config_store("write", &theirs);

    let bytes = |topic: &str| {
        consume_raw(topic, 1)
            .into_iter()
            .map(|(_, k, v)| {
                (
                    String::from_utf8_lossy(&k).into_owned(),
                    v.map(|v| String::from_utf8_lossy(&v).into_owned()),
                )
            })
            .collect::<Vec<_>>()
    };
    let ours_raw = bytes(&ours);
    assert_eq!(ours_raw.len(), 12);
    assert_eq!(ours_raw, bytes(&theirs));

    // Kafka Connect reading wharf's topic sees what it sees in its own, at wharf's offset.
    let java_read = java_config_store("read", &ours);
    assert_eq!(java_read, java_wrote);
    assert_eq!(
        java_read.lines().next(),
        Some(format!("offset {}", store.offset()).as_str())
    );
    // And wharf reading Kafka Connect's topic sees what it sees in its own.
    assert_eq!(open_config(&theirs).snapshot(), store.snapshot());
}
