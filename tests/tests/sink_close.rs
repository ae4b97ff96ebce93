//! A sink consumer closed while its group rebalances always finishes closing.
//!
//! librdkafka can hand the rebalance callback an assignment after the group has already
//! terminated inside the close (a join that was in flight when the close began). A group call
//! made then (`assign`, `unassign`) is dropped by librdkafka without an answer and waits
//! forever: a worker stopping a task, or a connector deleted right after it was created, hung
//! with its shard waiting on the closing thread. Here consumers with the sink's group callbacks
//! join a group beside a live member and are closed at moments spread across their join; every
//! close must end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use engine::task::TaskStats;
use engine::task::sink_group::SinkConsumerContext;
use integration_tests::{bootstrap, unique};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// A close that takes longer has hung (a normal one takes well under a second).
const CLOSE_BOUND: Duration = Duration::from_secs(20);

fn create_topic(topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(admin.create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        ))
        .unwrap();
}

fn config(group: &str, strategy: &str) -> ClientConfig {
    let mut config = engine::kafka::consumer_config(&bootstrap(), group);
    config
        .set("partition.assignment.strategy", strategy)
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "200");
    config
}

/// A member that stays in the group, so every join of the closing consumers is a rebalance.
fn peer(
    group: &str,
    topic: &str,
    strategy: &str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let consumer: BaseConsumer = config(group, strategy).create().unwrap();
    consumer.subscribe(&[topic]).unwrap();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let _ = consumer.poll(Duration::from_millis(50));
        }
    })
}

fn closes_end(strategy: &str, instance: Option<&str>, closes: u64, overlap: bool) {
    let topic = unique("sink-close");
    create_topic(&topic, 4);
    let group = unique("sink-close-group");
    let stop = Arc::new(AtomicBool::new(false));
    let peer = peer(&group, &topic, strategy, Arc::clone(&stop));
    for i in 0..closes {
        let mut config = config(&group, strategy);
        if let Some(instance) = instance {
            config.set("group.instance.id", instance);
        }
        let context = SinkConsumerContext::new(
            format!("sink-close-{i}"),
            Arc::new(TaskStats::default()),
            &config,
        );
        // Closing from the start: the callbacks complete revocations themselves, as they do
        // once a task's driver is done and its consumer closes.
        drop(context.closing_guard());
        let consumer: BaseConsumer<SinkConsumerContext> =
            config.create_with_context(context).unwrap();
        consumer.subscribe(&[&topic]).unwrap();
        // Each close lands at another moment of the consumer's join: up to 300 ms of polling in
        // 37 ms steps, then up to 700 ms without.
        let join_for = Duration::from_millis((i * 37) % 300);
        let started = Instant::now();
        while started.elapsed() < join_for {
            let _ = consumer.poll(Duration::from_millis(10));
        }
        if overlap {
            // The next copy of the task joins with the same instance id before this one closes.
            let next: BaseConsumer = config.create().unwrap();
            next.subscribe(&[&topic]).unwrap();
            let started = Instant::now();
            while started.elapsed() < Duration::from_millis(300) {
                let _ = next.poll(Duration::from_millis(10));
                let _ = consumer.poll(Duration::from_millis(10));
            }
            std::thread::spawn(move || drop(next));
        }
        // The task's last steps (commit, close, stop) run without polling: an assignment arriving
        // now waits unserved in the queue when the close begins.
        std::thread::sleep(Duration::from_millis((i * 53) % 700));
        let (done, closed) = mpsc::channel();
        std::thread::spawn(move || {
            drop(consumer);
            let _ = done.send(());
        });
        assert!(
            closed.recv_timeout(CLOSE_BOUND).is_ok(),
            "close {i} ({strategy}, {join_for:?} into the join) did not end within {CLOSE_BOUND:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    peer.join().unwrap();
}

/// A sink task's consumer is a static member (`group.instance.id` from the task's id): each new
/// copy replaces the one closed before it, as a restarted or reconfigured task does. Close 114
/// of this sequence hung before the fix.
#[test]
fn closes_of_a_static_member_during_its_join_end() {
    closes_end("range,roundrobin", Some("task-0"), 120, false);
}

/// The next copy of the task joins with the same instance id before this one closes.
#[test]
fn closes_of_a_fenced_copy_end() {
    closes_end("range,roundrobin", Some("task-1"), 40, true);
}
