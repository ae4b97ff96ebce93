//! The sink driver against a scripted consumer ([`FakeConsumer`]), no broker: what it commits
//! after a put, seeks, pauses and resumes, revocations, and a task that stores its offsets
//! itself. Every test logs what the consumer and the task were asked to do, in order, and checks
//! that log.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rdkafka::consumer::CommitMode;
use rdkafka::error::KafkaResult;

use super::errors::ErrorPolicy;
use super::sink_group::{GroupEvent, SinkConsumer};
use super::sink_task::SinkDriver;
use super::{StopSignal, TaskEnv, TaskId, TaskStats};
use crate::record::RawRecord;
use connect_api::config::{Config, ConfigDef, Properties};
use connect_api::data::Value;
use connect_api::{SinkRecord, SinkTask, SinkTaskContext, TaskError, TopicPartition};

const TOPIC: &str = "t";
/// Records in each partition of the fake topic.
const LEN: i64 = 1000;

fn tp(partition: i32) -> TopicPartition {
    TopicPartition::new(TOPIC, partition)
}

/// What the fake consumer sees happen during one `next_batch`.
#[derive(Debug, Clone)]
enum Step {
    /// The group assigns these partitions; fetching starts at their committed offset, else 0.
    Assign(Vec<i32>),
    /// The group revokes these partitions.
    Revoke(Vec<i32>),
    /// Up to `n` records of every assigned partition that is not paused, from where it is.
    Fetch(i64),
    /// Up to `n` records of one partition, paused or not: fetched before a pause took effect.
    Prefetched(i32, i64),
}

/// What consumer and task were asked to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Open(Vec<i32>),
    /// (partition, offset) of each record put.
    Put(Vec<(i32, i64)>),
    /// The offsets `pre_commit` was given.
    PreCommit(BTreeMap<i32, i64>),
    Commit(BTreeMap<i32, i64>, &'static str),
    Close(Vec<i32>),
    Seek(i32, i64),
    Pause(i32),
    Resume(i32),
    /// `complete_revoke` with a revocation waiting: these partitions went back to the group.
    HandBack(Vec<i32>),
    ConsumerClosed,
}

fn numbers(list: &[TopicPartition]) -> Vec<i32> {
    list.iter().map(|tp| tp.partition).collect()
}

fn by_number(offsets: &BTreeMap<TopicPartition, i64>) -> BTreeMap<i32, i64> {
    offsets.iter().map(|(tp, o)| (tp.partition, *o)).collect()
}

/// The fake broker and group, shared by the fake consumer, the task and the test.
#[derive(Debug, Default)]
struct Broker {
    ops: Vec<Op>,
    /// Assigned partitions and where fetching continues.
    fetch_at: BTreeMap<TopicPartition, i64>,
    paused: BTreeSet<TopicPartition>,
    events: Vec<GroupEvent>,
    revoking: Option<Vec<TopicPartition>>,
    committed: BTreeMap<TopicPartition, i64>,
}

impl Broker {
    /// Up to `n` records of `tp` from where it is; moves it on.
    fn fetch(&mut self, tp: &TopicPartition, n: i64, out: &mut Vec<RawRecord>) {
        let Some(at) = self.fetch_at.get_mut(tp) else {
            return;
        };
        let end = (*at + n).min(LEN);
        out.extend((*at..end).map(|offset| RawRecord {
            topic: Arc::clone(&tp.topic),
            partition: tp.partition,
            offset,
            timestamp: None,
            key: None,
            value: Some(Bytes::from(format!("p{}-{offset}", tp.partition))),
            headers: Vec::new(),
        }));
        *at = end;
    }
}

/// A consumer that plays one script step per `next_batch` and sets the stop signal when the
/// script is over.
struct FakeConsumer {
    script: VecDeque<Vec<Step>>,
    broker: Rc<RefCell<Broker>>,
}

impl SinkConsumer for FakeConsumer {
    async fn next_batch(&mut self, stop: &StopSignal) -> Result<Option<Vec<RawRecord>>, TaskError> {
        let Some(step) = self.script.pop_front() else {
            stop.set();
            return Ok(None);
        };
        let mut broker = self.broker.borrow_mut();
        let mut batch = Vec::new();
        for action in step {
            match action {
                Step::Assign(list) => {
                    let list: Vec<TopicPartition> = list.into_iter().map(tp).collect();
                    for tp in &list {
                        let start = broker.committed.get(tp).copied().unwrap_or(0);
                        broker.fetch_at.insert(tp.clone(), start);
                    }
                    broker.events.push(GroupEvent::Assigned(list));
                }
                Step::Revoke(list) => {
                    let list: Vec<TopicPartition> = list.into_iter().map(tp).collect();
                    broker.events.push(GroupEvent::Revoked(list.clone()));
                    broker.revoking = Some(list);
                }
                Step::Fetch(n) => {
                    let unpaused: Vec<TopicPartition> = (broker.fetch_at.keys())
                        .filter(|tp| !broker.paused.contains(*tp))
                        .cloned()
                        .collect();
                    for tp in &unpaused {
                        broker.fetch(tp, n, &mut batch);
                    }
                }
                Step::Prefetched(p, n) => broker.fetch(&tp(p), n, &mut batch),
            }
        }
        Ok(Some(batch))
    }

    fn take_group_events(&mut self) -> Vec<GroupEvent> {
        std::mem::take(&mut self.broker.borrow_mut().events)
    }

    fn complete_revoke(&mut self) -> KafkaResult<()> {
        let mut broker = self.broker.borrow_mut();
        if let Some(list) = broker.revoking.take() {
            for tp in &list {
                broker.fetch_at.remove(tp);
                broker.paused.remove(tp);
            }
            broker.ops.push(Op::HandBack(numbers(&list)));
        }
        Ok(())
    }

    fn pause(&mut self, partitions: &[TopicPartition]) -> KafkaResult<()> {
        let mut broker = self.broker.borrow_mut();
        for tp in partitions {
            broker.paused.insert(tp.clone());
            broker.ops.push(Op::Pause(tp.partition));
        }
        Ok(())
    }

    fn resume(&mut self, partitions: &[TopicPartition]) -> KafkaResult<()> {
        let mut broker = self.broker.borrow_mut();
        for tp in partitions {
            broker.paused.remove(tp);
            broker.ops.push(Op::Resume(tp.partition));
        }
        Ok(())
    }

    fn seek(&mut self, partition: &TopicPartition, offset: i64) -> KafkaResult<()> {
        let mut broker = self.broker.borrow_mut();
        if let Some(at) = broker.fetch_at.get_mut(partition) {
            *at = offset;
        }
        broker.ops.push(Op::Seek(partition.partition, offset));
        Ok(())
    }

    fn commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
        mode: CommitMode,
    ) -> KafkaResult<()> {
        let mut broker = self.broker.borrow_mut();
        broker.committed.extend(offsets.clone());
        let mode = match mode {
            CommitMode::Sync => "sync",
            CommitMode::Async => "async",
        };
        broker.ops.push(Op::Commit(by_number(offsets), mode));
        Ok(())
    }

    async fn close(self) {
        self.broker.borrow_mut().ops.push(Op::ConsumerClosed);
    }
}

/// What the test task does besides logging: `on_open` and `on_put` (given the number of the
/// `put` call, from 1) act through the task's context.
#[derive(Clone, Copy)]
struct Script {
    on_open: fn(&SinkTaskContext, &[TopicPartition]),
    on_put: fn(&SinkTaskContext, usize),
    /// The task keeps its offsets with its data: `pre_commit` returns nothing.
    stores_offsets: bool,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            on_open: |_, _| {},
            on_put: |_, _| {},
            stores_offsets: false,
        }
    }
}

struct ScriptedTask {
    script: Script,
    broker: Rc<RefCell<Broker>>,
    context: Option<SinkTaskContext>,
    puts: usize,
}

impl ScriptedTask {
    fn context(&self) -> &SinkTaskContext {
        self.context.as_ref().expect("initialized")
    }

    fn log(&self, op: Op) {
        self.broker.borrow_mut().ops.push(op);
    }
}

#[async_trait(?Send)]
impl SinkTask for ScriptedTask {
    fn initialize(&mut self, context: SinkTaskContext) {
        self.context = Some(context);
    }

    async fn start(&mut self, _config: &Config) -> Result<(), TaskError> {
        Ok(())
    }

    async fn open(&mut self, partitions: &[TopicPartition]) -> Result<(), TaskError> {
        self.log(Op::Open(numbers(partitions)));
        (self.script.on_open)(self.context(), partitions);
        Ok(())
    }

    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), TaskError> {
        for r in records {
            // Decoded by the StringConverter, and the record at its position.
            let expected = format!("p{}-{}", r.partition, r.offset);
            assert_eq!(r.value.value, Value::String(expected.as_str().into()));
        }
        self.log(Op::Put(
            records.iter().map(|r| (r.partition, r.offset)).collect(),
        ));
        self.puts += 1;
        (self.script.on_put)(self.context(), self.puts);
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TaskError> {
        Ok(())
    }

    async fn pre_commit(
        &mut self,
        offsets: &BTreeMap<TopicPartition, i64>,
    ) -> Result<BTreeMap<TopicPartition, i64>, TaskError> {
        self.log(Op::PreCommit(by_number(offsets)));
        Ok(if self.script.stores_offsets {
            BTreeMap::new()
        } else {
            offsets.clone()
        })
    }

    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<(), TaskError> {
        self.log(Op::Close(numbers(partitions)));
        Ok(())
    }
}

fn env(stop: &StopSignal) -> TaskEnv {
    let string = "org.apache.kafka.connect.storage.StringConverter";
    let mut converters = Properties::new();
    converters.insert("key.converter".into(), string.into());
    converters.insert("value.converter".into(), string.into());
    TaskEnv {
        id: TaskId {
            connector: "fake".into(),
            task: 0,
        },
        converters: super::convert::build(&converters, &Properties::new()).expect("converters"),
        errors: ErrorPolicy {
            tolerate_all: false,
            retry_timeout: Some(Duration::ZERO),
            retry_delay_max: Duration::from_secs(1),
            log: false,
            log_messages: false,
            dlq_topic: None,
            dlq_replication_factor: 1,
            dlq_context_headers: false,
        },
        producer_config: rdkafka::ClientConfig::new(),
        admin_config: rdkafka::ClientConfig::new(),
        config: Properties::new(),
        spec: Arc::new(ConfigDef::default()),
        // Commits happen on request, on revocation and at the end only.
        flush_interval: Duration::from_secs(3600),
        stop: stop.clone(),
        stats: Arc::new(TaskStats::default()),
        secrets: Default::default(),
    }
}

/// Runs the driver (start, drive, stop) over `steps` with a task following `script`; what
/// happened, in order.
fn run(steps: Vec<Vec<Step>>, script: Script) -> Vec<Op> {
    glommio::LocalExecutorBuilder::default()
        .spawn(move || async move {
            let stop = StopSignal::default();
            let broker = Rc::new(RefCell::new(Broker::default()));
            let consumer = FakeConsumer {
                script: steps.into(),
                broker: Rc::clone(&broker),
            };
            let task = ScriptedTask {
                script,
                broker: Rc::clone(&broker),
                context: None,
                puts: 0,
            };
            let env = env(&stop);
            let mut driver = SinkDriver::start(&env, Box::new(task), consumer)
                .await
                .expect("start");
            let result = driver.drive().await;
            driver.stop(result).await.expect("the run ends cleanly");
            std::mem::take(&mut broker.borrow_mut().ops)
        })
        .expect("executor")
        .join()
        .expect("join")
}

/// (partition, offset) for `offsets` of `partition`.
fn records(partition: i32, offsets: std::ops::Range<i64>) -> Vec<(i32, i64)> {
    offsets.map(|o| (partition, o)).collect()
}

fn offsets(pairs: &[(i32, i64)]) -> BTreeMap<i32, i64> {
    pairs.iter().copied().collect()
}

#[test]
fn after_a_put_the_offsets_after_its_last_records_are_committed() {
    let ops = run(
        vec![
            vec![Step::Assign(vec![0, 1])],
            vec![Step::Fetch(10)],
            vec![Step::Fetch(5)],
        ],
        Script {
            // A commit right after the first put, the rest at the end.
            on_put: |context, n| {
                if n == 1 {
                    context.request_commit();
                }
            },
            ..Script::default()
        },
    );
    let first: Vec<(i32, i64)> = [records(0, 0..10), records(1, 0..10)].concat();
    let second: Vec<(i32, i64)> = [records(0, 10..15), records(1, 10..15)].concat();
    assert_eq!(
        ops,
        vec![
            Op::Open(vec![0, 1]),
            Op::Put(first),
            Op::PreCommit(offsets(&[(0, 10), (1, 10)])),
            Op::Commit(offsets(&[(0, 10), (1, 10)]), "async"),
            Op::Put(second),
            Op::PreCommit(offsets(&[(0, 15), (1, 15)])),
            Op::Commit(offsets(&[(0, 15), (1, 15)]), "sync"),
            Op::Close(vec![0, 1]),
            Op::ConsumerClosed,
        ]
    );
}

#[test]
fn a_seek_drops_the_fetched_records_of_its_partition_and_the_commit_follows_it() {
    let ops = run(
        vec![
            // The records of partition 0 fetched with the assignment are stale once the task
            // seeks on open.
            vec![Step::Assign(vec![0, 1]), Step::Fetch(10)],
            vec![Step::Fetch(10)],
        ],
        Script {
            on_open: |context, _| context.offset(tp(0), 50),
            // A rewind after the last put: the commit follows it.
            on_put: |context, n| {
                if n == 2 {
                    context.offset(tp(1), 5);
                }
            },
            ..Script::default()
        },
    );
    assert_eq!(
        ops,
        vec![
            Op::Open(vec![0, 1]),
            Op::Seek(0, 50),
            Op::Put(records(1, 0..10)),
            Op::Put([records(0, 50..60), records(1, 10..20)].concat()),
            Op::Seek(1, 5),
            Op::PreCommit(offsets(&[(0, 60), (1, 5)])),
            Op::Commit(offsets(&[(0, 60), (1, 5)]), "sync"),
            Op::Close(vec![0, 1]),
            Op::ConsumerClosed,
        ]
    );
}

#[test]
fn records_of_a_paused_partition_wait_and_come_again_after_resume_from_the_first_held_back() {
    let ops = run(
        vec![
            // Partition 1 is paused on open: its records fetched with the assignment wait.
            vec![Step::Assign(vec![0, 1]), Step::Fetch(10)],
            // More of partition 1 fetched before the pause took effect: they wait too.
            vec![Step::Prefetched(1, 5)],
            vec![Step::Fetch(10)],
            vec![Step::Fetch(10)],
        ],
        Script {
            on_open: |context, _| context.pause(&[tp(1)]),
            on_put: |context, n| {
                assert_eq!(context.paused(), if n <= 2 { vec![tp(1)] } else { vec![] });
                if n == 2 {
                    context.resume(&[tp(1)]);
                }
            },
            ..Script::default()
        },
    );
    assert_eq!(
        ops,
        vec![
            Op::Open(vec![0, 1]),
            Op::Pause(1),
            Op::Put(records(0, 0..10)),
            Op::Put(records(0, 10..20)),
            // Fetching continues at the first record held back.
            Op::Resume(1),
            Op::Seek(1, 0),
            Op::Put([records(0, 20..30), records(1, 0..10)].concat()),
            Op::PreCommit(offsets(&[(0, 30), (1, 10)])),
            Op::Commit(offsets(&[(0, 30), (1, 10)]), "sync"),
            Op::Close(vec![0, 1]),
            Op::ConsumerClosed,
        ]
    );
}

#[test]
fn a_revocation_commits_first_then_closes_exactly_the_revoked_partitions_and_forgets_them() {
    let ops = run(
        vec![
            vec![Step::Assign(vec![0, 1, 2])],
            vec![Step::Fetch(10)],
            // Partition 3 was never this task's; the records of 1 and 2 in this batch are
            // left to their next owner.
            vec![Step::Fetch(5), Step::Revoke(vec![1, 2, 3])],
            // Partition 1 comes back: it continues at the commit made before the revocation.
            vec![Step::Assign(vec![1])],
            vec![Step::Fetch(3)],
        ],
        Script::default(),
    );
    let first = [records(0, 0..10), records(1, 0..10), records(2, 0..10)].concat();
    assert_eq!(
        ops,
        vec![
            Op::Open(vec![0, 1, 2]),
            Op::Put(first),
            Op::PreCommit(offsets(&[(0, 10), (1, 10), (2, 10)])),
            Op::Commit(offsets(&[(0, 10), (1, 10), (2, 10)]), "sync"),
            Op::Close(vec![1, 2]),
            Op::HandBack(vec![1, 2, 3]),
            Op::Put(records(0, 10..15)),
            Op::Open(vec![1]),
            Op::Put([records(0, 15..18), records(1, 10..13)].concat()),
            // The revoked partitions' positions are gone: only what was put since counts.
            Op::PreCommit(offsets(&[(0, 18), (1, 13)])),
            Op::Commit(offsets(&[(0, 18), (1, 13)]), "sync"),
            Op::Close(vec![0, 1]),
            Op::ConsumerClosed,
        ]
    );
}

#[test]
fn a_task_that_stores_its_offsets_itself_gets_nothing_committed() {
    let ops = run(
        vec![
            vec![Step::Assign(vec![0])],
            vec![Step::Fetch(10)],
            vec![Step::Revoke(vec![0])],
        ],
        Script {
            on_put: |context, _| context.request_commit(),
            stores_offsets: true,
            ..Script::default()
        },
    );
    assert_eq!(
        ops,
        vec![
            Op::Open(vec![0]),
            Op::Put(records(0, 0..10)),
            // On request and before the revocation: asked, nothing committed.
            Op::PreCommit(offsets(&[(0, 10)])),
            Op::PreCommit(offsets(&[(0, 10)])),
            Op::Close(vec![0]),
            Op::HandBack(vec![0]),
            Op::ConsumerClosed,
        ]
    );
}
