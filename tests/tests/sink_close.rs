//! A sink consumer closed while its group rebalances always finishes closing.
//!
//! librdkafka can hand the rebalance callback an assignment after the group has already
//! terminated inside the close (a join that was in flight when the close began). A group call
//! made then (`assign`, `unassign`) is dropped by librdkafka without an answer and waits
//! forever: a worker stopping a task, or a connector deleted right after it was created, hung
//! with its shard waiting on the closing thread. Here real sink consumers
//! (`KafkaSinkConsumer`, on a glommio executor as on a shard) join a group beside a live member
//! and are closed at moments spread across their join; every close must end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use engine::task::sink_group::KafkaSinkConsumer;
use engine::task::sink_task::Subscription;
use engine::task::{TaskId, TaskStats};
use integration_tests::{bootstrap, unique};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// A close that takes longer has hung: a normal one takes well under a second, and one that
/// librdkafka leaves waiting is given up after 30 s.
const CLOSE_BOUND: Duration = Duration::from_secs(45);

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
    integration_tests::distributed::create_topic(&topic, 4, vec![]);
    let group = unique("sink-close-group");
    let stop = Arc::new(AtomicBool::new(false));
    let peer = peer(&group, &topic, strategy, Arc::clone(&stop));
    let mut given_up = 0;
    for i in 0..closes {
        let mut config = config(&group, strategy);
        if let Some(instance) = instance {
            config.set("group.instance.id", instance);
        }
        // Each close lands at another moment of the consumer's join: up to 300 ms of serving
        // the group in 37 ms steps, then up to 700 ms without, as a task's last steps (commit,
        // close, stop) run without reading: an assignment arriving then waits unserved.
        let join_for = Duration::from_millis((i * 37) % 300);
        let idle_for = Duration::from_millis((i * 53) % 700);
        let (topic, config) = (topic.clone(), config.clone());
        let (done, closed) = mpsc::channel();
        let overlap_config = config.clone();
        std::thread::spawn(move || {
            let executor = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
                .spawn(move || async move {
                    let id = TaskId {
                        connector: "sink-close".to_owned(),
                        task: 0,
                    };
                    let mut consumer = KafkaSinkConsumer::subscribe(
                        &id,
                        &Arc::new(TaskStats::default()),
                        &config,
                        &Subscription::Topics(vec![topic.clone()]),
                    )
                    .unwrap();
                    consumer.serve_for(join_for).await;
                    let next = overlap.then(|| {
                        // The next copy of the task joins with the same instance id before this
                        // one closes.
                        let next: BaseConsumer = overlap_config.create().unwrap();
                        next.subscribe(&[&topic]).unwrap();
                        next
                    });
                    if next.is_some() {
                        consumer.serve_for(Duration::from_millis(300)).await;
                    }
                    glommio::timer::sleep(idle_for).await;
                    consumer.close().await;
                    if let Some(next) = next {
                        std::thread::spawn(move || drop(next));
                    }
                })
                .unwrap();
            let _ = executor.join();
            let _ = done.send(());
        });
        let started = std::time::Instant::now();
        assert!(
            closed.recv_timeout(CLOSE_BOUND).is_ok(),
            "close {i} ({strategy}, {join_for:?} into the join) did not end within {CLOSE_BOUND:?}"
        );
        if started.elapsed() > Duration::from_secs(25) {
            given_up += 1;
        }
    }
    println!(
        "{closes} closes ({strategy}, instance {instance:?}): {given_up} given up after the bound"
    );
    stop.store(true, Ordering::Relaxed);
    peer.join().unwrap();
}

/// A sink task's consumer is a static member (`group.instance.id` from the task's id): each new
/// copy replaces the one closed before it, as a restarted or reconfigured task does. Before the
/// fix, close 114 of this sequence hung for good; with only the "group closed" check in the
/// callback, close 58 still did on CI (the group terminated between the check and the call).
/// Now every close ends; the ones librdkafka leaves waiting are given up after the bound.
#[test]
fn closes_of_a_static_member_during_its_join_end() {
    closes_end("range,roundrobin", Some("task-0"), 120, false);
}

/// The next copy of the task joins with the same instance id before this one closes.
#[test]
fn closes_of_a_fenced_copy_end() {
    closes_end("range,roundrobin", Some("task-1"), 40, true);
}
