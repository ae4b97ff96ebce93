//! Distributed mode's group membership against the real broker: three workers in a fresh
//! `connect` group share 2 connectors × 3 tasks exactly once; when one leaves the others take
//! its work; a worker joining later gets its share through a revocation round that moves only
//! what must move. The broker sees protocol type `connect` and subprotocol `sessioned`, the
//! bytes Java Kafka Connect workers write. One `eager` worker takes a group down to `default`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::kafka::wire::{self, Connection};
use engine::modes::distributed::member::{
    Assigned, Assignment, ConfiguredWork, ConnectProtocolCompatibility, ConnectorTaskId,
    GroupMember, MemberConfig, MemberEvent, MemberState,
};
use integration_tests::{bootstrap, init_logs, unique};

/// Every wait is bounded by this.
const LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Connector(String),
    Task(ConnectorTaskId),
}

fn items(a: &Assignment) -> BTreeSet<Item> {
    a.connectors
        .iter()
        .cloned()
        .map(Item::Connector)
        .chain(a.tasks.iter().cloned().map(Item::Task))
        .collect()
}

fn revoked(a: &Assigned) -> BTreeSet<Item> {
    a.revoked_connectors
        .iter()
        .cloned()
        .map(Item::Connector)
        .chain(a.revoked_tasks.iter().cloned().map(Item::Task))
        .collect()
}

fn work() -> ConfiguredWork {
    ConfiguredWork::with_task_counts(4, [("alpha", 3), ("beta", 3)])
}

fn configured() -> BTreeSet<Item> {
    let w = work();
    w.connectors
        .iter()
        .flat_map(|(c, tasks)| {
            std::iter::once(Item::Connector(c.clone())).chain(tasks.iter().cloned().map(Item::Task))
        })
        .collect()
}

struct Worker {
    name: String,
    member: GroupMember,
    last: Option<Box<Assigned>>,
    /// Everything revoked from this worker since the log was last cleared.
    revoked: BTreeSet<Item>,
}

impl Worker {
    fn start(group: &str, name: &str) -> Self {
        Self::start_with(group, name, ConnectProtocolCompatibility::Sessioned)
    }

    fn start_with(group: &str, name: &str, protocol: ConnectProtocolCompatibility) -> Self {
        let mut config = MemberConfig::new(bootstrap(), group, format!("http://{name}:8083/"));
        config.protocol = protocol;
        config.heartbeat_interval = Duration::from_millis(500);
        config.scheduled_rebalance_max_delay_ms = 0;
        let member = GroupMember::start(config, Arc::new(work())).expect("member starts");
        Self {
            name: name.to_owned(),
            member,
            last: None,
            revoked: BTreeSet::new(),
        }
    }

    fn drain(&mut self) {
        while let Ok(event) = self.member.events().try_recv() {
            match event {
                MemberEvent::Assigned(a) => {
                    self.revoked.extend(revoked(&a));
                    self.last = Some(a);
                }
                MemberEvent::AssignmentLost { .. } => self.last = None,
                MemberEvent::Failed(why) => panic!("{} failed: {why}", self.name),
            }
        }
    }

    fn held(&self) -> BTreeSet<Item> {
        self.last
            .as_ref()
            .map(|a| items(&a.assignment))
            .unwrap_or_default()
    }

    fn describe(&self) -> String {
        match &self.last {
            None => format!("{}: {:?}, no assignment", self.name, self.member.state()),
            Some(a) => format!(
                "{}: {:?}, generation {}, member {}, leader {}, holds {:?}, revoked last {:?}",
                self.name,
                self.member.state(),
                a.generation,
                a.member_id,
                a.is_leader(),
                items(&a.assignment),
                revoked(a)
            ),
        }
    }
}

/// Why `workers` are not (yet) one settled generation holding every item exactly once.
fn unsettled(workers: &[&Worker]) -> Option<String> {
    let mut generations = BTreeSet::new();
    let mut leaders = BTreeSet::new();
    let mut counts: BTreeMap<Item, usize> = BTreeMap::new();
    for w in workers {
        let Some(a) = &w.last else {
            return Some(format!("{} has no assignment", w.name));
        };
        if w.member.state() != MemberState::Stable {
            return Some(format!("{} is {:?}", w.name, w.member.state()));
        }
        if a.assignment.failed() || a.assignment.has_revocations() {
            return Some(format!("{} is mid-rebalance", w.name));
        }
        generations.insert(a.generation);
        leaders.insert(a.leader.clone());
        for item in items(&a.assignment) {
            *counts.entry(item).or_default() += 1;
        }
    }
    if generations.len() != 1 {
        return Some(format!("generations {generations:?}"));
    }
    if leaders.len() != 1 {
        return Some(format!("leaders {leaders:?}"));
    }
    let leading = workers
        .iter()
        .filter(|w| w.last.as_ref().is_some_and(|a| a.is_leader()))
        .count();
    if leading != 1 {
        return Some(format!("{leading} workers think they lead"));
    }
    let held: BTreeSet<Item> = counts.keys().cloned().collect();
    if held != configured() {
        return Some(format!("held {held:?}, configured {:?}", configured()));
    }
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    if !doubled.is_empty() {
        return Some(format!("held more than once: {doubled:?}"));
    }
    None
}

/// Waits until `workers` settle; returns how long it took.
fn wait_settled(what: &str, workers: &mut [&mut Worker]) -> Duration {
    let start = Instant::now();
    loop {
        for w in workers.iter_mut() {
            w.drain();
        }
        let view: Vec<&Worker> = workers.iter().map(|w| &**w).collect();
        let Some(why) = unsettled(&view) else {
            return start.elapsed();
        };
        if start.elapsed() > LIMIT {
            let seen: Vec<String> = view.iter().map(|w| w.describe()).collect();
            panic!(
                "{what}: not settled after {LIMIT:?} ({why}); seen:\n{}",
                seen.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn generation(w: &Worker) -> i32 {
    w.last.as_ref().map_or(-1, |a| a.generation)
}

/// The group as the broker describes it, asked of its coordinator.
fn describe(group: &str) -> wire::GroupDescription {
    let timeout = Duration::from_secs(10);
    let plaintext = engine::kafka::wire_auth::WireSecurity::default();
    let coordinator =
        wire::find_coordinator(&bootstrap(), group, timeout, &plaintext).expect("coordinator");
    Connection::open(&coordinator, timeout, &plaintext)
        .expect("connect to the coordinator")
        .describe_group(group)
        .expect("DescribeGroups")
}

#[test]
fn workers_share_connectors_and_tasks_through_the_connect_group() {
    init_logs();
    let group = unique("wharf-distributed-group");

    // Three workers stabilize; every connector and task is assigned exactly once.
    let mut a = Worker::start(&group, "w1");
    let mut b = Worker::start(&group, "w2");
    let mut c = Worker::start(&group, "w3");
    let took = wait_settled("three workers", &mut [&mut a, &mut b, &mut c]);
    eprintln!("three workers settled after {took:?}");

    // The broker sees a Connect group running the sessioned subprotocol, with our bytes.
    let described = describe(&group);
    assert_eq!(described.protocol_type, "connect", "{described:?}");
    assert_eq!(described.protocol, "sessioned", "{described:?}");
    assert_eq!(described.state, "Stable", "{described:?}");
    assert_eq!(described.members.len(), 3, "{described:?}");
    for m in &described.members {
        // Sessioned metadata (V2 header, then the URL) and V2 assignments.
        assert_eq!(&m.metadata[..2], &[0, 2], "metadata of {}", m.member_id);
        let url_len = usize::from(u16::from_be_bytes([m.metadata[2], m.metadata[3]]));
        let url = std::str::from_utf8(&m.metadata[4..4 + url_len]).expect("utf-8 url");
        assert!(
            url.starts_with("http://w") && url.ends_with(":8083/"),
            "url {url}"
        );
        assert_eq!(&m.assignment[..2], &[0, 2], "assignment of {}", m.member_id);
        let decoded = Assignment::decode(&m.assignment).expect("assignment decodes");
        assert_eq!(decoded.config_offset, 4);
    }

    // The leader leaves: the other two get its work at once (no scheduled delay).
    let mut workers = vec![a, b, c];
    let leader = workers
        .iter()
        .position(|w| w.last.as_ref().is_some_and(|a| a.is_leader()))
        .expect("a leader");
    let mut leaver = workers.remove(leader);
    let before = generation(&workers[0]);
    let left_with = leaver.held();
    let start = Instant::now();
    leaver.member.leave("test: leaving").expect("LeaveGroup");
    let [mut x, mut y] = <[Worker; 2]>::try_from(workers).ok().expect("two workers");
    wait_settled("two workers after a leave", &mut [&mut x, &mut y]);
    let took = start.elapsed();
    eprintln!(
        "after {} left holding {} items, the other two held everything after {took:?}",
        leaver.name,
        left_with.len()
    );
    assert!(
        generation(&x) > before,
        "{} / {}",
        x.describe(),
        y.describe()
    );
    assert!(
        left_with
            .iter()
            .all(|i| x.held().contains(i) || y.held().contains(i)),
        "the leaver's {left_with:?} was not taken over: {} / {}",
        x.describe(),
        y.describe()
    );

    // A worker joins later: it gets its share through a revocation round, and only what must
    // move is revoked.
    x.revoked.clear();
    y.revoked.clear();
    let held_before: Vec<BTreeSet<Item>> = vec![x.held(), y.held()];
    let mut z = Worker::start(&group, "w4");
    let start = Instant::now();
    wait_settled("three workers after a join", &mut [&mut x, &mut y, &mut z]);
    eprintln!("the late worker had its share after {:?}", start.elapsed());
    let moved: BTreeSet<Item> = x.revoked.union(&y.revoked).cloned().collect();
    assert!(!moved.is_empty(), "nothing was revoked: {}", z.describe());
    assert_eq!(
        moved,
        z.held(),
        "revoked {moved:?}, the late worker holds {:?}",
        z.held()
    );
    // 2 connectors and 6 tasks over three workers: at most one connector each and two tasks
    // each, so the two old workers (one connector and three tasks each) give up one task each.
    let tasks = z
        .held()
        .iter()
        .filter(|i| matches!(i, Item::Task(_)))
        .count();
    assert_eq!(tasks, 2, "{}", z.describe());
    for (w, before) in [&x, &y].into_iter().zip(held_before) {
        assert!(
            w.held().is_subset(&before),
            "{} gained work in a round that only had to move work to the late worker: {}",
            w.name,
            w.describe()
        );
    }
    let described = describe(&group);
    assert_eq!(described.members.len(), 3, "{described:?}");
    assert_eq!(described.protocol, "sessioned", "{described:?}");

    for mut w in [x, y, z] {
        w.member.leave("test: done").expect("LeaveGroup");
    }
}

#[test]
fn one_eager_worker_takes_the_group_to_the_default_protocol() {
    init_logs();
    let group = unique("wharf-distributed-eager");
    let mut a = Worker::start(&group, "w1");
    let mut b = Worker::start(&group, "w2");
    let mut c = Worker::start_with(&group, "w3", ConnectProtocolCompatibility::Eager);
    let took = wait_settled("a mixed group", &mut [&mut a, &mut b, &mut c]);
    eprintln!("the mixed group settled after {took:?}");
    for w in [&a, &b, &c] {
        let assigned = w.last.as_ref().expect("assigned");
        assert_eq!(
            assigned.protocol,
            ConnectProtocolCompatibility::Eager,
            "{}",
            w.describe()
        );
        assert_eq!(assigned.assignment.version, 0, "{}", w.describe());
    }
    let described = describe(&group);
    assert_eq!(described.protocol_type, "connect", "{described:?}");
    assert_eq!(described.protocol, "default", "{described:?}");
    for m in &described.members {
        assert_eq!(&m.metadata[..2], &[0, 0], "V0 metadata of {}", m.member_id);
    }

    // Under eager every rebalance hands out full assignments: a leave still ends with every
    // item exactly once.
    c.member.leave("test: leaving").expect("LeaveGroup");
    wait_settled(
        "two workers after the eager one left",
        &mut [&mut a, &mut b],
    );
    for mut w in [a, b] {
        w.member.leave("test: done").expect("LeaveGroup");
    }
}
