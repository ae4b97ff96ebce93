//! The group leader's assignment of connectors and tasks to workers.
//!
//! Mirrors `IncrementalCooperativeAssignor` (KIP-415) and `EagerAssignor`
//! (`connect/runtime/.../runtime/distributed/`), ported line by line from apache/kafka `1eb7644349cb`,
//! together with the `WorkerCoordinator.WorkerLoad` comparators, `ConnectorsAndTasks` and
//! `ExponentialBackoff`. Which assignor runs depends on the subprotocol the group agreed on: `default` →
//! eager, `compatible`/`sessioned` → incremental (`WorkerCoordinator.onLeaderElected`).
//!
//! Both start the same way (`ensureLeaderConfig`): `maxOffset` is the highest config offset any member
//! reported. If the leader's snapshot is behind it, Java takes a fresh snapshot; if that is still behind,
//! every member gets `CONFIG_MISMATCH` with empty lists and the leader's URL and `maxOffset`. Here the caller
//! checks [`needs_fresh_config`], reads the config topic to its end, and passes the result as
//! [`AssignmentRound::fresh_config`]. When the fresh snapshot is used, the assignment carries *its* offset;
//! otherwise `maxOffset`.
//!
//! **Incremental cooperative** ([`IncrementalCooperativeAssignor::assign`]). The assignor keeps state between
//! rounds (the previous assignment, the last revocation, the scheduled rebalance and delay, the previous
//! members and generation, the count of successive revoking rounds). Each round:
//! 1. If the previous generation it assigned is not the coordinator's last completed one, forget the previous
//!    assignment (leader change, or the last sync failed).
//! 2. `configured` = the snapshot's connectors and their tasks; `active` = the union of the members'
//!    allocations. If the last round's revocation is still visible in `active`, `previous = active`.
//! 3. `deleted = previous − configured`, `duplicated` = held by more than one member,
//!    `lost = previous − active − deleted`, `created = configured − previous − active`.
//! 4. Deleted and duplicated items are revoked from every member holding them.
//! 5. Lost items (`handleLostAssignments`), five cases: (a) none lost and no revocation last round → delay 0;
//!    (b) no rebalance scheduled and every previous member is back → reassign now (KAFKA-9848);
//!    (c) `scheduled.rebalance.max.delay.ms` = 0 → reassign now (KAFKA-15693); (d) the scheduled rebalance is
//!    due → give the lost items round-robin to the *candidate* workers (members that were empty while the
//!    delay ran), or treat them as new if none is left, and reset the delay; (e) otherwise start
//!    (`delay = maxDelay`) or continue (`delay = remaining`) the delay, remembering empty members as
//!    candidates; lost items stay unassigned meanwhile.
//! 6. Only while `delay == 0`: load-balancing revocations bring each member down to `floor(total/N)`
//!    connectors (and, separately, tasks), `total % N` members being allowed one extra. If the previous round
//!    revoked too, the revocation is skipped and `delay = min(40^n ms, maxDelay)` for the n-th successive
//!    revoking round (`ExponentialBackoff(1, 40, maxDelay, 0)`; KAFKA-12495) — unless that is 0.
//! 7. `created` plus the lost items being reassigned go to the least-loaded members (`assignConnectors` by
//!    connector count, `assignTasks` by task count, ties by member id, water-filling round-robin).
//! 8. Each member gets only its increments, its revocations and the common delay.
//!
//! Java iterates several `HashMap`s here (members, per-member revocations); this port iterates members in
//! member-id order, so it is deterministic. A Java leader may pick different *which* items to move, never a
//! different *number*; no worker depends on the leader's choice being reproducible.
//!
//! **Eager** ([`eager_assign`]): connectors sorted by name, then all tasks (connectors sorted, tasks sorted)
//! round-robin over the members sorted by id, continuing the same circular iterator; every member gets its
//! full assignment as a V0 blob.

use std::collections::{BTreeMap, BTreeSet};

use crate::config_topic::ClusterConfigState;
use crate::protocol::{
    Assignment, CONFIG_MISMATCH, CONNECT_PROTOCOL_V0, ConnectProtocolCompatibility,
    ConnectorTaskId, NO_ERROR, WorkerState,
};
use crate::wire::WireError;

/// The leader's view of what should run: the config snapshot's connectors with their task ids
/// (`ClusterConfigState.tasks(c)`, empty for inconsistent connectors), and the snapshot's offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredWork {
    pub offset: i64,
    pub connectors: BTreeMap<String, Vec<ConnectorTaskId>>,
}

impl ConfiguredWork {
    /// `n` tasks `0..n` per connector.
    pub fn with_task_counts<'a>(
        offset: i64,
        counts: impl IntoIterator<Item = (&'a str, i32)>,
    ) -> Self {
        Self {
            offset,
            connectors: counts
                .into_iter()
                .map(|(c, n)| {
                    (
                        c.to_owned(),
                        (0..n).map(|i| ConnectorTaskId::new(c, i)).collect(),
                    )
                })
                .collect(),
        }
    }
}

impl From<&ClusterConfigState> for ConfiguredWork {
    fn from(state: &ClusterConfigState) -> Self {
        Self {
            offset: state.offset(),
            connectors: state
                .connectors()
                .map(|c| (c.to_owned(), state.tasks(c)))
                .collect(),
        }
    }
}

/// One rebalance as the leader sees it.
#[derive(Debug, Clone, Copy)]
pub struct AssignmentRound<'a> {
    /// The leader's own member id.
    pub leader_id: &'a str,
    /// The subprotocol the group agreed on; its version is the assignments' header.
    pub protocol: ConnectProtocolCompatibility,
    /// Every member's decoded JoinGroup metadata, by member id.
    pub members: &'a BTreeMap<String, WorkerState>,
    /// The leader's config snapshot.
    pub config: &'a ConfiguredWork,
    /// A snapshot taken after reading the config topic to its end, when [`needs_fresh_config`] said so.
    pub fresh_config: Option<&'a ConfiguredWork>,
    /// `coordinator.lastCompletedGenerationId()`: the generation of the last assignment this worker received.
    pub last_completed_generation: i32,
    /// `coordinator.generationId()`: the generation being assigned.
    pub current_generation: i32,
    /// Wall-clock time in milliseconds.
    pub now_ms: i64,
}

/// Why no assignment could be computed (Java would throw).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssignorError {
    #[error("no members to assign to")]
    NoMembers,
    #[error("leader {0} is not among the members")]
    LeaderNotAMember(String),
    #[error("metadata of member {member}: {error}")]
    BadMetadata { member: String, error: WireError },
}

/// Decodes the JoinGroup response's members (`IncrementalCooperativeConnectProtocol.deserializeMetadata`,
/// which both assignors use, so V0 metadata is accepted).
pub fn decode_members<'a>(
    members: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<BTreeMap<String, WorkerState>, AssignorError> {
    members
        .into_iter()
        .map(|(id, blob)| {
            WorkerState::decode(blob)
                .map(|s| (id.to_owned(), s))
                .map_err(|error| AssignorError::BadMetadata {
                    member: id.to_owned(),
                    error,
                })
        })
        .collect()
}

/// The highest config offset any member reported.
pub fn max_member_offset(members: &BTreeMap<String, WorkerState>) -> Option<i64> {
    members.values().map(|m| m.config_offset).max()
}

/// Whether the leader's snapshot is behind some member, so it should read the config topic to its end before
/// assigning.
pub fn needs_fresh_config(
    members: &BTreeMap<String, WorkerState>,
    config: &ConfiguredWork,
) -> bool {
    max_member_offset(members).is_some_and(|max| config.offset < max)
}

/// The leader's record of who runs what, for REST forwarding (`WorkerCoordinator.LeaderState`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderState {
    pub member_urls: BTreeMap<String, String>,
    pub connector_owners: BTreeMap<String, String>,
    pub task_owners: BTreeMap<ConnectorTaskId, String>,
}

impl LeaderState {
    /// `ownerUrl(connector)`.
    pub fn connector_owner_url(&self, connector: &str) -> Option<&str> {
        self.connector_owners
            .get(connector)
            .and_then(|m| self.member_urls.get(m))
            .map(String::as_str)
    }

    /// `ownerUrl(task)`.
    pub fn task_owner_url(&self, task: &ConnectorTaskId) -> Option<&str> {
        self.task_owners
            .get(task)
            .and_then(|m| self.member_urls.get(m))
            .map(String::as_str)
    }
}

/// The leader's answer: one assignment per member, and (unless the leader was behind) who runs what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAssignment {
    pub assignments: BTreeMap<String, Assignment>,
    /// `None` on `CONFIG_MISMATCH` (Java leaves the previous leader state in place).
    pub leader_state: Option<LeaderState>,
}

impl GroupAssignment {
    /// The SyncGroup blobs, by member id.
    pub fn encode(&self) -> Result<BTreeMap<String, Vec<u8>>, WireError> {
        self.assignments
            .iter()
            .map(|(m, a)| Ok((m.clone(), a.encode()?)))
            .collect()
    }
}

/// `ensureLeaderConfig`: the config to assign from and the offset to put in the assignments, or `None` when
/// the leader is (still) behind.
fn ensure_leader_config<'a>(
    round: &AssignmentRound<'a>,
    max_offset: i64,
) -> Option<(&'a ConfiguredWork, i64)> {
    if round.config.offset >= max_offset {
        return Some((round.config, max_offset));
    }
    round
        .fresh_config
        .filter(|fresh| fresh.offset >= max_offset)
        .map(|fresh| (fresh, fresh.offset))
}

fn check_round(round: &AssignmentRound<'_>) -> Result<(i64, String), AssignorError> {
    let max_offset = max_member_offset(round.members).ok_or(AssignorError::NoMembers)?;
    let leader_url = round
        .members
        .get(round.leader_id)
        .ok_or_else(|| AssignorError::LeaderNotAMember(round.leader_id.to_owned()))?
        .url
        .clone();
    Ok((max_offset, leader_url))
}

fn config_mismatch(
    round: &AssignmentRound<'_>,
    version: i16,
    leader_url: &str,
    max_offset: i64,
) -> GroupAssignment {
    GroupAssignment {
        assignments: round
            .members
            .keys()
            .map(|m| {
                (
                    m.clone(),
                    Assignment::new(
                        version,
                        CONFIG_MISMATCH,
                        round.leader_id,
                        leader_url,
                        max_offset,
                    ),
                )
            })
            .collect(),
        leader_state: None,
    }
}

fn member_urls(members: &BTreeMap<String, WorkerState>) -> BTreeMap<String, String> {
    members
        .iter()
        .map(|(m, s)| (m.clone(), s.url.clone()))
        .collect()
}

/// `EagerAssignor.performAssignment`: full round-robin assignment, V0 blobs.
pub fn eager_assign(round: &AssignmentRound<'_>) -> Result<GroupAssignment, AssignorError> {
    let (max_offset, leader_url) = check_round(round)?;
    let Some((config, offset)) = ensure_leader_config(round, max_offset) else {
        return Ok(config_mismatch(
            round,
            CONNECT_PROTOCOL_V0,
            &leader_url,
            max_offset,
        ));
    };
    let members: Vec<&String> = round.members.keys().collect();
    let mut assignments: BTreeMap<String, Assignment> = members
        .iter()
        .map(|m| {
            (
                (*m).clone(),
                Assignment::new(
                    CONNECT_PROTOCOL_V0,
                    NO_ERROR,
                    round.leader_id,
                    &leader_url,
                    offset,
                ),
            )
        })
        .collect();
    let mut state = LeaderState {
        member_urls: member_urls(round.members),
        ..LeaderState::default()
    };
    let mut next = members.iter().cycle();
    for connector in config.connectors.keys() {
        if let Some(m) = next.next() {
            state
                .connector_owners
                .insert(connector.clone(), (*m).clone());
            if let Some(a) = assignments.get_mut(*m) {
                a.connectors.push(connector.clone());
            }
        }
    }
    for tasks in config.connectors.values() {
        let mut sorted = tasks.clone();
        sorted.sort();
        for task in sorted {
            if let Some(m) = next.next() {
                state.task_owners.insert(task.clone(), (*m).clone());
                if let Some(a) = assignments.get_mut(*m) {
                    a.tasks.push(task);
                }
            }
        }
    }
    Ok(GroupAssignment {
        assignments,
        leader_state: Some(state),
    })
}

/// An insertion-ordered set (Java's `LinkedHashSet`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkedSet<T: Ord + Clone> {
    items: Vec<T>,
    index: BTreeSet<T>,
}

impl<T: Ord + Clone> Default for LinkedSet<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            index: BTreeSet::new(),
        }
    }
}

impl<T: Ord + Clone> LinkedSet<T> {
    fn insert(&mut self, v: T) -> bool {
        if self.index.insert(v.clone()) {
            self.items.push(v);
            true
        } else {
            false
        }
    }

    fn extend<'a>(&mut self, it: impl IntoIterator<Item = &'a T>)
    where
        T: 'a,
    {
        for v in it {
            self.insert(v.clone());
        }
    }

    fn contains(&self, v: &T) -> bool {
        self.index.contains(v)
    }

    fn remove_all<'a>(&mut self, it: impl IntoIterator<Item = &'a T>)
    where
        T: 'a,
    {
        let mut removed = false;
        for v in it {
            removed |= self.index.remove(v);
        }
        if removed {
            let index = &self.index;
            self.items.retain(|v| index.contains(v));
        }
    }

    fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn clear(&mut self) {
        self.items.clear();
        self.index.clear();
    }

    /// `new TreeSet<>(self)` minus the others: sorted.
    fn sorted_minus(&self, others: &[&Self]) -> Self {
        let mut out = Self::default();
        for v in &self.index {
            if !others.iter().any(|o| o.contains(v)) {
                out.insert(v.clone());
            }
        }
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ConnectorsAndTasks {
    connectors: LinkedSet<String>,
    tasks: LinkedSet<ConnectorTaskId>,
}

impl ConnectorsAndTasks {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn add_all(&mut self, other: &Self) {
        self.connectors.extend(other.connectors.iter());
        self.tasks.extend(other.tasks.iter());
    }

    /// `diff(base, toSubtract...)`: sorted set difference.
    fn diff(&self, others: &[&Self]) -> Self {
        let cs: Vec<_> = others.iter().map(|o| &o.connectors).collect();
        let ts: Vec<_> = others.iter().map(|o| &o.tasks).collect();
        Self {
            connectors: self.connectors.sorted_minus(&cs),
            tasks: self.tasks.sorted_minus(&ts),
        }
    }

    /// The items of `self` that `other` holds, in `other`'s order.
    fn held_by(&self, other: &Self) -> Self {
        let mut out = Self::default();
        out.connectors.extend(
            other
                .connectors
                .iter()
                .filter(|c| self.connectors.contains(c)),
        );
        out.tasks
            .extend(other.tasks.iter().filter(|t| self.tasks.contains(t)));
        out
    }
}

#[derive(Debug, Clone)]
struct WorkerLoad {
    worker: String,
    connectors: LinkedSet<String>,
    tasks: LinkedSet<ConnectorTaskId>,
}

impl WorkerLoad {
    fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    fn remove(&mut self, items: &ConnectorsAndTasks) {
        self.connectors.remove_all(items.connectors.iter());
        self.tasks.remove_all(items.tasks.iter());
    }
}

/// Per member: newly assigned, revoked, and everything it will run afterwards.
#[derive(Debug, Default)]
struct ClusterAssignment {
    new_connectors: BTreeMap<String, Vec<String>>,
    new_tasks: BTreeMap<String, Vec<ConnectorTaskId>>,
    revoked: BTreeMap<String, ConnectorsAndTasks>,
    all_connectors: BTreeMap<String, Vec<String>>,
    all_tasks: BTreeMap<String, Vec<ConnectorTaskId>>,
}

/// `ExponentialBackoff(maxDelay == 0 ? 0 : 1, 40, maxDelay, 0).backoff(attempts)`.
fn revoking_rebalance_backoff(max_delay: i32, attempts: i64) -> i32 {
    let max = i64::from(max_delay);
    let initial = (if max_delay == 0 { 0 } else { 1 }).min(max);
    let exp_max = if max > initial {
        (max as f64 / initial.max(1) as f64).ln() / 40f64.ln()
    } else {
        0.0
    };
    if exp_max == 0.0 {
        return initial as i32;
    }
    let exp = (attempts as f64).min(exp_max);
    let term = initial as f64 * 40f64.powf(exp);
    (term as i64).min(max) as i32
}

/// The incremental cooperative assignor, with the state it keeps between rounds. One per worker; only the
/// leader's is used, and a new leader starts from scratch (as in Java).
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    max_delay: i32,
    previous_assignment: ConnectorsAndTasks,
    previous_revocation: ConnectorsAndTasks,
    revoked_in_previous: bool,
    candidate_workers_for_reassignment: LinkedSet<String>,
    scheduled_rebalance: i64,
    delay: i32,
    previous_generation_id: i32,
    previous_members: BTreeSet<String>,
    num_successive_revoking_rebalances: i64,
}

impl IncrementalCooperativeAssignor {
    /// `max_delay_ms` is `scheduled.rebalance.max.delay.ms`.
    pub fn new(max_delay_ms: i32) -> Self {
        Self {
            max_delay: max_delay_ms,
            previous_assignment: ConnectorsAndTasks::default(),
            previous_revocation: ConnectorsAndTasks::default(),
            revoked_in_previous: false,
            candidate_workers_for_reassignment: LinkedSet::default(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation_id: -1,
            previous_members: BTreeSet::new(),
            num_successive_revoking_rebalances: 0,
        }
    }

    /// The delay the last round handed out (ms).
    pub fn delay(&self) -> i32 {
        self.delay
    }

    /// When the scheduled rebalance is due (ms since the epoch), 0 for none.
    pub fn scheduled_rebalance(&self) -> i64 {
        self.scheduled_rebalance
    }

    /// `performAssignment`.
    pub fn assign(
        &mut self,
        round: &AssignmentRound<'_>,
    ) -> Result<GroupAssignment, AssignorError> {
        let (max_offset, leader_url) = check_round(round)?;
        let version = round.protocol.version();
        let Some((config, offset)) = ensure_leader_config(round, max_offset) else {
            return Ok(config_mismatch(round, version, &leader_url, max_offset));
        };
        let member_assignments: BTreeMap<String, ConnectorsAndTasks> = round
            .members
            .iter()
            .map(|(m, s)| {
                let mut cat = ConnectorsAndTasks::default();
                if let Some(a) = &s.allocation {
                    cat.connectors.extend(a.connectors.iter());
                    cat.tasks.extend(a.tasks.iter());
                }
                (m.clone(), cat)
            })
            .collect();
        let cluster = self.perform_task_assignment(
            config,
            round.last_completed_generation,
            round.current_generation,
            &member_assignments,
            round.now_ms,
        );
        let mut state = LeaderState {
            member_urls: member_urls(round.members),
            ..LeaderState::default()
        };
        for (m, cs) in &cluster.all_connectors {
            for c in cs {
                state.connector_owners.insert(c.clone(), m.clone());
            }
        }
        for (m, ts) in &cluster.all_tasks {
            for t in ts {
                state.task_owners.insert(t.clone(), m.clone());
            }
        }
        let assignments = round
            .members
            .keys()
            .map(|m| {
                let mut a =
                    Assignment::new(version, NO_ERROR, round.leader_id, &leader_url, offset);
                a.connectors = cluster.new_connectors.get(m).cloned().unwrap_or_default();
                a.tasks = cluster.new_tasks.get(m).cloned().unwrap_or_default();
                if let Some(r) = cluster.revoked.get(m) {
                    a.revoked_connectors = r.connectors.iter().cloned().collect();
                    a.revoked_tasks = r.tasks.iter().cloned().collect();
                }
                a.delay = self.delay;
                (m.clone(), a)
            })
            .collect();
        Ok(GroupAssignment {
            assignments,
            leader_state: Some(state),
        })
    }

    fn perform_task_assignment(
        &mut self,
        config: &ConfiguredWork,
        last_completed_generation: i32,
        current_generation: i32,
        member_assignments: &BTreeMap<String, ConnectorsAndTasks>,
        now: i64,
    ) -> ClusterAssignment {
        if self.previous_generation_id != last_completed_generation {
            self.previous_assignment = ConnectorsAndTasks::default();
        }

        let mut configured = ConnectorsAndTasks::default();
        for (c, tasks) in &config.connectors {
            configured.connectors.insert(c.clone());
            configured.tasks.extend(tasks.iter());
        }

        let mut active = ConnectorsAndTasks::default();
        for a in member_assignments.values() {
            active.add_all(a);
        }

        // A previous revocation that did not take effect: re-derive from what is actually running.
        if !self.previous_revocation.is_empty() {
            if self
                .previous_revocation
                .connectors
                .iter()
                .any(|c| active.connectors.contains(c))
                || self
                    .previous_revocation
                    .tasks
                    .iter()
                    .any(|t| active.tasks.contains(t))
            {
                self.previous_assignment = active.clone();
            }
            self.previous_revocation.connectors.clear();
            self.previous_revocation.tasks.clear();
        }

        let deleted = self.previous_assignment.diff(&[&configured]);
        let duplicated = duplicated_assignments(member_assignments);
        let lost = self.previous_assignment.diff(&[&active, &deleted]);
        let created = configured.diff(&[&self.previous_assignment, &active]);

        // The current assignment, without what is being deleted (for the increments at the end).
        let current: BTreeMap<String, ConnectorsAndTasks> = member_assignments
            .iter()
            .map(|(m, a)| {
                let mut kept = a.clone();
                kept.connectors.remove_all(deleted.connectors.iter());
                kept.tasks.remove_all(deleted.tasks.iter());
                (m.clone(), kept)
            })
            .collect();

        let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, member_assignments);
        add_all(&mut to_revoke, &deleted_to_revoke);
        let duplicated_to_revoke = intersection(&duplicated, member_assignments);
        add_all(&mut to_revoke, &duplicated_to_revoke);

        let mut next: Vec<WorkerLoad> = member_assignments
            .iter()
            .map(|(m, a)| WorkerLoad {
                worker: m.clone(),
                connectors: a.connectors.clone(),
                tasks: a.tasks.clone(),
            })
            .collect();
        remove_all(&mut next, &deleted_to_revoke);
        remove_all(&mut next, &duplicated_to_revoke);

        let mut lost_to_reassign = ConnectorsAndTasks::default();
        self.handle_lost_assignments(&lost, &mut lost_to_reassign, &mut next, now);

        if self.delay == 0 {
            let balancing = load_balancing_revocations(&configured, &next);
            if self.revoked_in_previous && !balancing.is_empty() {
                self.num_successive_revoking_rebalances += 1;
                self.delay = revoking_rebalance_backoff(
                    self.max_delay,
                    self.num_successive_revoking_rebalances,
                );
                if self.delay != 0 {
                    self.scheduled_rebalance = now + i64::from(self.delay);
                } else {
                    add_all(&mut to_revoke, &balancing);
                    remove_all(&mut next, &balancing);
                }
            } else if !balancing.is_empty() {
                add_all(&mut to_revoke, &balancing);
                remove_all(&mut next, &balancing);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // Converged: reset the backoff.
                self.revoked_in_previous = false;
                self.num_successive_revoking_rebalances = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = ConnectorsAndTasks::default();
        to_assign.add_all(&created);
        to_assign.add_all(&lost_to_reassign);
        assign_connectors(&mut next, &to_assign.connectors);
        assign_tasks(&mut next, &to_assign.tasks);

        let mut cluster = ClusterAssignment::default();
        for w in &next {
            let cur = current.get(&w.worker);
            let revoked = to_revoke.get(&w.worker);
            cluster.new_connectors.insert(
                w.worker.clone(),
                w.connectors
                    .iter()
                    .filter(|c| !cur.is_some_and(|a| a.connectors.contains(c)))
                    .cloned()
                    .collect(),
            );
            cluster.new_tasks.insert(
                w.worker.clone(),
                w.tasks
                    .iter()
                    .filter(|t| !cur.is_some_and(|a| a.tasks.contains(t)))
                    .cloned()
                    .collect(),
            );
            cluster.all_connectors.insert(
                w.worker.clone(),
                w.connectors
                    .iter()
                    .filter(|c| !revoked.is_some_and(|r| r.connectors.contains(c)))
                    .cloned()
                    .collect(),
            );
            cluster.all_tasks.insert(
                w.worker.clone(),
                w.tasks
                    .iter()
                    .filter(|t| !revoked.is_some_and(|r| r.tasks.contains(t)))
                    .cloned()
                    .collect(),
            );
        }

        // computePreviousAssignment
        let mut previous = ConnectorsAndTasks::default();
        for w in &next {
            previous.connectors.extend(w.connectors.iter());
            previous.tasks.extend(w.tasks.iter());
        }
        for r in to_revoke.values() {
            previous.connectors.remove_all(r.connectors.iter());
            previous.tasks.remove_all(r.tasks.iter());
            self.previous_revocation.add_all(r);
        }
        previous.add_all(&lost);
        self.previous_assignment = previous;
        self.previous_generation_id = current_generation;
        self.previous_members = member_assignments.keys().cloned().collect();

        cluster.revoked = to_revoke;
        cluster
    }

    /// `handleLostAssignments`: the five cases of the module docs.
    fn handle_lost_assignments(
        &mut self,
        lost: &ConnectorsAndTasks,
        to_reassign: &mut ConnectorsAndTasks,
        complete: &mut [WorkerLoad],
        now: i64,
    ) {
        // (a) Nothing lost, no revocation last round.
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return;
        }
        let active: BTreeSet<&str> = complete.iter().map(|w| w.worker.as_str()).collect();
        if self.scheduled_rebalance <= 0
            && self
                .previous_members
                .iter()
                .all(|m| active.contains(m.as_str()))
        {
            // (b) No worker left: the missing items were probably never received; reassign as new.
            to_reassign.add_all(lost);
            return;
        } else if self.max_delay == 0 {
            // (c) Delays disabled.
            to_reassign.add_all(lost);
            return;
        }

        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            // (d) The delay expired.
            let candidates: Vec<usize> = self
                .candidate_workers_for_reassignment
                .iter()
                .filter_map(|c| complete.iter().position(|w| &w.worker == c))
                .collect();
            if !candidates.is_empty() {
                for (i, c) in lost.connectors.iter().enumerate() {
                    complete[candidates[i % candidates.len()]]
                        .connectors
                        .insert(c.clone());
                }
                for (i, t) in lost.tasks.iter().enumerate() {
                    complete[candidates[i % candidates.len()]]
                        .tasks
                        .insert(t.clone());
                }
            } else {
                to_reassign.add_all(lost);
            }
            self.reset_delay();
            self.revoked_in_previous = false;
        } else {
            // (e) Start or continue the delay.
            for w in complete.iter().filter(|w| w.is_empty()) {
                self.candidate_workers_for_reassignment
                    .insert(w.worker.clone());
            }
            if now < self.scheduled_rebalance {
                let diff = self.scheduled_rebalance - now;
                self.delay = if diff > 0 {
                    diff.min(i64::from(self.max_delay)) as i32
                } else {
                    0
                };
            } else {
                self.delay = self.max_delay;
            }
            self.scheduled_rebalance = now + i64::from(self.delay);
        }
    }

    fn reset_delay(&mut self) {
        self.candidate_workers_for_reassignment.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }
}

fn duplicated_assignments(members: &BTreeMap<String, ConnectorsAndTasks>) -> ConnectorsAndTasks {
    let mut connector_counts: BTreeMap<&String, usize> = BTreeMap::new();
    let mut task_counts: BTreeMap<&ConnectorTaskId, usize> = BTreeMap::new();
    for a in members.values() {
        for c in a.connectors.iter() {
            *connector_counts.entry(c).or_default() += 1;
        }
        for t in a.tasks.iter() {
            *task_counts.entry(t).or_default() += 1;
        }
    }
    let mut out = ConnectorsAndTasks::default();
    out.connectors.extend(
        connector_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(c, _)| c),
    );
    out.tasks.extend(
        task_counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(t, _)| t),
    );
    out
}

/// `intersection(items, assignments)`: per member, the items it holds (every member, maybe empty).
fn intersection(
    items: &ConnectorsAndTasks,
    members: &BTreeMap<String, ConnectorsAndTasks>,
) -> BTreeMap<String, ConnectorsAndTasks> {
    members
        .iter()
        .map(|(m, a)| (m.clone(), items.held_by(a)))
        .collect()
}

fn add_all(
    base: &mut BTreeMap<String, ConnectorsAndTasks>,
    to_add: &BTreeMap<String, ConnectorsAndTasks>,
) {
    for (m, a) in to_add {
        base.entry(m.clone()).or_default().add_all(a);
    }
}

fn remove_all(loads: &mut [WorkerLoad], to_remove: &BTreeMap<String, ConnectorsAndTasks>) {
    for w in loads {
        if let Some(r) = to_remove.get(&w.worker) {
            w.remove(r);
        }
    }
}

/// `performLoadBalancingRevocations`.
fn load_balancing_revocations(
    configured: &ConnectorsAndTasks,
    workers: &[WorkerLoad],
) -> BTreeMap<String, ConnectorsAndTasks> {
    let mut result: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    if workers.iter().all(WorkerLoad::is_empty) || configured.is_empty() {
        return result;
    }
    for (worker, revoked) in balance(configured.connectors.len(), workers, |w| &w.connectors) {
        result
            .entry(worker)
            .or_default()
            .connectors
            .extend(revoked.iter());
    }
    for (worker, revoked) in balance(configured.tasks.len(), workers, |w| &w.tasks) {
        result
            .entry(worker)
            .or_default()
            .tasks
            .extend(revoked.iter());
    }
    result
}

/// `loadBalancingRevocations` for one resource: the floor/extra rule.
fn balance<T: Ord + Clone>(
    total: usize,
    workers: &[WorkerLoad],
    allocation: impl Fn(&WorkerLoad) -> &LinkedSet<T>,
) -> Vec<(String, Vec<T>)> {
    let n = workers.len();
    let min = total / n;
    let extra = total % n;
    let at_min = workers
        .iter()
        .filter(|w| allocation(w).len() == min)
        .count();
    let at_min_plus_one = workers
        .iter()
        .filter(|w| allocation(w).len() == min + 1)
        .count();
    if at_min_plus_one == extra && at_min + at_min_plus_one == n {
        return Vec::new();
    }
    let mut result = Vec::new();
    let mut allocated_extras = 0;
    for w in workers {
        let held = allocation(w);
        let size = held.len();
        if size <= min {
            continue;
        }
        let max_for_worker = if allocated_extras < extra {
            allocated_extras += 1;
            if size == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        result.push((
            w.worker.clone(),
            held.iter().take(size - max_for_worker).cloned().collect(),
        ));
    }
    result
}

/// `assignConnectors` / `assignTasks`: sort by load (then member id) once, then water-fill: each pass gives
/// one item to every member whose load does not exceed the first (least loaded) member's.
fn assign_least_loaded<T>(
    workers: &mut [WorkerLoad],
    items: &LinkedSet<T>,
    load_of: impl Fn(&WorkerLoad) -> usize,
    mut give: impl FnMut(&mut WorkerLoad, &T),
) where
    T: Ord + Clone,
{
    if workers.is_empty() {
        return;
    }
    workers.sort_by(|a, b| {
        load_of(a)
            .cmp(&load_of(b))
            .then_with(|| a.worker.cmp(&b.worker))
    });
    let mut load = items.iter().peekable();
    while load.peek().is_some() {
        let first_load = load_of(&workers[0]);
        let up_to = workers
            .iter()
            .position(|w| load_of(w) > first_load)
            .unwrap_or(workers.len());
        for w in workers[..up_to].iter_mut() {
            let Some(item) = load.next() else { break };
            give(w, item);
        }
    }
}

fn assign_connectors(workers: &mut [WorkerLoad], connectors: &LinkedSet<String>) {
    assign_least_loaded(
        workers,
        connectors,
        |w| w.connectors.len(),
        |w, c| {
            w.connectors.insert(c.clone());
        },
    );
}

fn assign_tasks(workers: &mut [WorkerLoad], tasks: &LinkedSet<ConnectorTaskId>) {
    assign_least_loaded(
        workers,
        tasks,
        |w| w.tasks.len(),
        |w, t| {
            w.tasks.insert(t.clone());
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_DELAY: i32 = 300_000;

    fn tid(c: &str, i: i32) -> ConnectorTaskId {
        ConnectorTaskId::new(c, i)
    }

    fn sorted(v: &[ConnectorTaskId]) -> Vec<ConnectorTaskId> {
        let mut v = v.to_vec();
        v.sort();
        v
    }

    fn url(w: &str) -> String {
        format!("http://{w}:8083/")
    }

    /// Workers that hold their full assignments, a leader that runs the assignor, and the bytes in between.
    struct Cluster {
        assignor: IncrementalCooperativeAssignor,
        workers: BTreeMap<String, Option<Assignment>>,
        config: ConfiguredWork,
        generation: i32,
        now: i64,
    }

    impl Cluster {
        fn new(max_delay: i32, workers: &[&str], config: ConfiguredWork) -> Self {
            Self {
                assignor: IncrementalCooperativeAssignor::new(max_delay),
                workers: workers.iter().map(|w| ((*w).to_owned(), None)).collect(),
                config,
                generation: 0,
                now: 1_000,
            }
        }

        /// One rebalance: every member joins with its metadata, the leader (lowest id) assigns, every member
        /// applies its increments. Returns the assignments each member received.
        fn rebalance(&mut self) -> BTreeMap<String, Assignment> {
            let blobs: Vec<(String, Vec<u8>)> = self
                .workers
                .iter()
                .map(|(w, a)| {
                    let state = WorkerState::new(url(w), self.config.offset, a.clone());
                    (
                        w.clone(),
                        state
                            .encode(ConnectProtocolCompatibility::Sessioned)
                            .expect("metadata"),
                    )
                })
                .collect();
            let members = decode_members(blobs.iter().map(|(w, b)| (w.as_str(), b.as_slice())))
                .expect("decode");
            let leader = members.keys().next().expect("a member").clone();
            let round = AssignmentRound {
                leader_id: &leader,
                protocol: ConnectProtocolCompatibility::Sessioned,
                members: &members,
                config: &self.config,
                fresh_config: None,
                last_completed_generation: self.generation,
                current_generation: self.generation + 1,
                now_ms: self.now,
            };
            let group = self.assignor.assign(&round).expect("assign");
            let mut received = BTreeMap::new();
            for (w, blob) in group.encode().expect("encode") {
                let a = Assignment::decode(&blob).expect("decode");
                let full = a.apply_to(self.workers[&w].as_ref());
                self.workers.insert(w.clone(), Some(full));
                received.insert(w, a);
            }
            self.generation += 1;
            received
        }

        fn held(&self, w: &str) -> (Vec<String>, Vec<ConnectorTaskId>) {
            let a = self.workers[w].as_ref().expect("assigned");
            let mut cs = a.connectors.clone();
            cs.sort();
            let mut ts = a.tasks.clone();
            ts.sort();
            (cs, ts)
        }

        fn counts(&self) -> Vec<(usize, usize)> {
            self.workers
                .keys()
                .map(|w| self.held(w))
                .map(|(c, t)| (c.len(), t.len()))
                .collect()
        }

        fn all_held(&self) -> (BTreeSet<String>, BTreeSet<ConnectorTaskId>) {
            let mut cs = BTreeSet::new();
            let mut ts = BTreeSet::new();
            for w in self.workers.keys() {
                let (c, t) = self.held(w);
                cs.extend(c);
                ts.extend(t);
            }
            (cs, ts)
        }
    }

    fn three_by_four() -> ConfiguredWork {
        ConfiguredWork::with_task_counts(5, [("c0", 4), ("c1", 4), ("c2", 4)])
    }

    fn balanced_three() -> Cluster {
        let mut cluster = Cluster::new(MAX_DELAY, &["w1", "w2", "w3"], three_by_four());
        cluster.rebalance();
        cluster
    }

    #[test]
    fn first_assignment_spreads_3_connectors_by_4_tasks_over_3_workers() {
        let mut cluster = Cluster::new(MAX_DELAY, &["w1", "w2", "w3"], three_by_four());
        let got = cluster.rebalance();
        for a in got.values() {
            assert!(!a.has_revocations());
            assert_eq!(a.delay, 0);
            assert_eq!(a.error, NO_ERROR);
            assert_eq!(
                (a.leader.as_str(), a.leader_url.as_str(), a.config_offset),
                ("w1", "http://w1:8083/", 5)
            );
            assert_eq!(a.version, 2);
        }
        assert_eq!(got["w1"].connectors, ["c0"]);
        assert_eq!(got["w2"].connectors, ["c1"]);
        assert_eq!(got["w3"].connectors, ["c2"]);
        assert_eq!(
            sorted(&got["w1"].tasks),
            [tid("c0", 0), tid("c0", 3), tid("c1", 2), tid("c2", 1)]
        );
        assert_eq!(
            sorted(&got["w2"].tasks),
            [tid("c0", 1), tid("c1", 0), tid("c1", 3), tid("c2", 2)]
        );
        assert_eq!(
            sorted(&got["w3"].tasks),
            [tid("c0", 2), tid("c1", 1), tid("c2", 0), tid("c2", 3)]
        );
        assert_eq!(cluster.counts(), [(1, 4); 3]);

        // A further round with nothing changed moves nothing.
        let again = cluster.rebalance();
        assert!(
            again
                .values()
                .all(|a| a.connectors.is_empty() && a.tasks.is_empty() && !a.has_revocations())
        );
    }

    #[test]
    fn joining_worker_gets_work_in_two_rounds_and_only_moved_items_are_revoked() {
        let mut cluster = balanced_three();
        let before: BTreeMap<String, _> = cluster
            .workers
            .keys()
            .map(|w| (w.clone(), cluster.held(w)))
            .collect();
        cluster.workers.insert("w4".into(), None);

        // Round 1: one task revoked from each old worker (12 tasks / 4 = 3 each); connectors stay (3 over 4
        // workers is already balanced); nothing assigned yet.
        let first = cluster.rebalance();
        for w in ["w1", "w2", "w3"] {
            let a = &first[w];
            assert!(a.revoked_connectors.is_empty(), "{w}");
            assert_eq!(a.revoked_tasks.len(), 1, "{w}");
            assert!(before[w].1.contains(&a.revoked_tasks[0]));
            assert!(a.connectors.is_empty() && a.tasks.is_empty());
        }
        assert!(first["w4"].connectors.is_empty() && first["w4"].tasks.is_empty());
        let revoked: BTreeSet<_> = ["w1", "w2", "w3"]
            .iter()
            .map(|w| first[*w].revoked_tasks[0].clone())
            .collect();

        // Round 2 (the members rejoin at once after a revocation): the revoked tasks go to w4.
        let second = cluster.rebalance();
        assert!(
            second
                .values()
                .all(|a| !a.has_revocations() && a.delay == 0)
        );
        assert_eq!(
            second["w4"].tasks.iter().cloned().collect::<BTreeSet<_>>(),
            revoked
        );
        assert_eq!(cluster.counts(), [(1, 3), (1, 3), (1, 3), (0, 3)]);
        for w in ["w1", "w2", "w3"] {
            assert_eq!(cluster.held(w).0, before[w].0, "{w} kept its connector");
        }
        let (cs, ts) = cluster.all_held();
        assert_eq!((cs.len(), ts.len()), (3, 12));
    }

    #[test]
    fn leaving_worker_items_wait_for_the_delay_then_move() {
        let mut cluster = balanced_three();
        let gone = cluster.held("w3");
        cluster.workers.remove("w3");

        // Delay starts; the departed worker's items stay unassigned.
        let first = cluster.rebalance();
        assert!(
            first
                .values()
                .all(|a| a.delay == MAX_DELAY && a.connectors.is_empty() && a.tasks.is_empty())
        );
        assert!(first.values().all(|a| !a.has_revocations()));
        let (cs, ts) = cluster.all_held();
        assert!(!cs.contains("c2") && gone.1.iter().all(|t| !ts.contains(t)));
        assert_eq!(
            cluster.assignor.scheduled_rebalance(),
            1_000 + i64::from(MAX_DELAY)
        );

        // A rebalance during the delay continues it with the remaining time.
        cluster.now += 100_000;
        let mid = cluster.rebalance();
        assert!(
            mid.values()
                .all(|a| a.delay == MAX_DELAY - 100_000 && a.tasks.is_empty())
        );

        // The delay expires: the lost items are reassigned to the remaining workers.
        cluster.now = 1_000 + i64::from(MAX_DELAY);
        let last = cluster.rebalance();
        assert!(last.values().all(|a| a.delay == 0 && !a.has_revocations()));
        let (cs, ts) = cluster.all_held();
        assert_eq!((cs.len(), ts.len()), (3, 12));
        let moved: usize = last
            .values()
            .map(|a| a.connectors.len() + a.tasks.len())
            .sum();
        assert_eq!(moved, 5, "only w3's connector and 4 tasks moved");
        assert_eq!(cluster.counts().iter().map(|(_, t)| t).sum::<usize>(), 12);
    }

    #[test]
    fn returning_worker_within_the_delay_gets_its_share_back() {
        let mut cluster = balanced_three();
        cluster.workers.remove("w3");
        cluster.rebalance();
        // A (new) worker joins empty during the delay: it becomes the candidate for the lost items.
        cluster.now += 10_000;
        cluster.workers.insert("w3b".into(), None);
        let mid = cluster.rebalance();
        assert!(mid.values().all(|a| a.delay == MAX_DELAY - 10_000));
        cluster.now = 1_000 + i64::from(MAX_DELAY);
        let last = cluster.rebalance();
        assert_eq!(last["w3b"].connectors, ["c2"]);
        assert_eq!(last["w3b"].tasks.len(), 4);
        assert!(last["w1"].tasks.is_empty() && last["w2"].tasks.is_empty());
    }

    #[test]
    fn leaving_worker_with_max_delay_zero_moves_at_once() {
        let mut cluster = Cluster::new(0, &["w1", "w2", "w3"], three_by_four());
        cluster.rebalance();
        cluster.workers.remove("w3");
        let got = cluster.rebalance();
        assert!(got.values().all(|a| a.delay == 0));
        let (cs, ts) = cluster.all_held();
        assert_eq!((cs.len(), ts.len()), (3, 12));
    }

    #[test]
    fn adding_a_connector_revokes_nothing() {
        let mut cluster = balanced_three();
        cluster.config =
            ConfiguredWork::with_task_counts(9, [("c0", 4), ("c1", 4), ("c2", 4), ("c3", 4)]);
        let got = cluster.rebalance();
        assert!(
            got.values()
                .all(|a| !a.has_revocations() && a.delay == 0 && a.config_offset == 9)
        );
        assert_eq!(got["w1"].connectors, ["c3"]);
        assert_eq!(got["w1"].tasks, [tid("c3", 0), tid("c3", 3)]);
        assert_eq!(got["w2"].tasks, [tid("c3", 1)]);
        assert_eq!(got["w3"].tasks, [tid("c3", 2)]);
        // And the next round is quiet too: no storm.
        let again = cluster.rebalance();
        assert!(
            again
                .values()
                .all(|a| !a.has_revocations() && a.tasks.is_empty() && a.connectors.is_empty())
        );
    }

    #[test]
    fn deleted_and_duplicated_items_are_revoked() {
        let mut cluster = balanced_three();
        let w3 = cluster.held("w3");
        cluster.config = ConfiguredWork::with_task_counts(9, [("c0", 4), ("c1", 4)]);
        let got = cluster.rebalance();
        for (w, a) in &got {
            assert!(a.connectors.iter().all(|c| c != "c2"), "{w}");
            assert!(a.tasks.iter().all(|t| t.connector != "c2"), "{w}");
        }
        assert!(got["w3"].revoked_connectors.contains(&"c2".to_owned()));
        for t in w3.1.iter().filter(|t| t.connector == "c2") {
            assert!(got["w3"].revoked_tasks.contains(t), "{t}");
        }
        let (cs, ts) = cluster.all_held();
        assert!(!cs.contains("c2") && ts.iter().all(|t| t.connector != "c2"));

        // Two workers both claim c0: both are told to stop it, and it is assigned once next round.
        let mut cluster = balanced_three();
        if let Some(a) = cluster.workers.get_mut("w2").and_then(Option::as_mut) {
            a.connectors.push("c0".into());
        }
        let got = cluster.rebalance();
        assert!(got["w1"].revoked_connectors.contains(&"c0".to_owned()));
        assert!(got["w2"].revoked_connectors.contains(&"c0".to_owned()));
        cluster.rebalance();
        let holders = cluster
            .workers
            .keys()
            .filter(|w| cluster.held(w).0.contains(&"c0".to_owned()))
            .count();
        assert_eq!(holders, 1);
    }

    #[test]
    fn successive_revoking_rounds_back_off() {
        let mut cluster = balanced_three();
        cluster.workers.insert("w4".into(), None);
        let first = cluster.rebalance();
        assert!(first.values().any(Assignment::has_revocations));
        // Another worker joins before things settle: balancing would revoke again, so it is delayed by 40 ms.
        cluster.workers.insert("w5".into(), None);
        let second = cluster.rebalance();
        assert!(
            second
                .values()
                .all(|a| !a.has_revocations() && a.delay == 40)
        );
        assert_eq!(revoking_rebalance_backoff(MAX_DELAY, 1), 40);
        assert_eq!(revoking_rebalance_backoff(MAX_DELAY, 2), 1_600);
        assert_eq!(revoking_rebalance_backoff(MAX_DELAY, 3), 64_000);
        assert!((MAX_DELAY - 1..=MAX_DELAY).contains(&revoking_rebalance_backoff(MAX_DELAY, 4)));
        assert_eq!(
            revoking_rebalance_backoff(MAX_DELAY, 9),
            revoking_rebalance_backoff(MAX_DELAY, 4)
        );
        assert_eq!(revoking_rebalance_backoff(0, 3), 0);
    }

    fn members_at(offset: i64, ids: &[&str]) -> BTreeMap<String, WorkerState> {
        ids.iter()
            .map(|w| ((*w).to_owned(), WorkerState::new(url(w), offset, None)))
            .collect()
    }

    #[test]
    fn leader_behind_answers_config_mismatch() {
        let members = members_at(10, &["w1", "w2"]);
        let stale = three_by_four();
        assert!(needs_fresh_config(&members, &stale));
        let mut round = AssignmentRound {
            leader_id: "w1",
            protocol: ConnectProtocolCompatibility::Compatible,
            members: &members,
            config: &stale,
            fresh_config: None,
            last_completed_generation: 0,
            current_generation: 1,
            now_ms: 0,
        };
        let mut assignor = IncrementalCooperativeAssignor::new(MAX_DELAY);
        for group in [
            assignor.assign(&round).expect("assign"),
            eager_assign(&round).expect("assign"),
        ] {
            assert!(group.leader_state.is_none());
            for a in group.assignments.values() {
                assert_eq!(a.error, CONFIG_MISMATCH);
                assert!(a.failed());
                assert_eq!(a.config_offset, 10);
                assert_eq!(a.leader_url, "http://w1:8083/");
                assert!(a.connectors.is_empty() && a.tasks.is_empty());
            }
        }
        // Still behind after a fresh read: still a mismatch. Caught up: assign with the fresh offset.
        let still = ConfiguredWork {
            offset: 9,
            ..three_by_four()
        };
        round.fresh_config = Some(&still);
        assert!(
            assignor
                .assign(&round)
                .expect("assign")
                .assignments
                .values()
                .all(Assignment::failed)
        );
        let fresh = ConfiguredWork {
            offset: 12,
            ..three_by_four()
        };
        round.fresh_config = Some(&fresh);
        let group = assignor.assign(&round).expect("assign");
        assert!(
            group
                .assignments
                .values()
                .all(|a| !a.failed() && a.config_offset == 12 && a.version == 1)
        );
        let state = group.leader_state.expect("leader state");
        assert_eq!(state.connector_owner_url("c0"), Some("http://w1:8083/"));
        assert!(state.task_owner_url(&tid("c2", 3)).is_some());
    }

    #[test]
    fn eager_round_robin_over_sorted_members() {
        let members = members_at(3, &["w2", "w1"]);
        let config = ConfiguredWork::with_task_counts(3, [("c2", 2), ("c0", 2), ("c1", 2)]);
        let round = AssignmentRound {
            leader_id: "w2",
            protocol: ConnectProtocolCompatibility::Eager,
            members: &members,
            config: &config,
            fresh_config: None,
            last_completed_generation: 0,
            current_generation: 1,
            now_ms: 0,
        };
        let group = eager_assign(&round).expect("assign");
        let w1 = &group.assignments["w1"];
        let w2 = &group.assignments["w2"];
        assert_eq!(w1.connectors, ["c0", "c2"]);
        assert_eq!(w2.connectors, ["c1"]);
        assert_eq!(w2.tasks, [tid("c0", 0), tid("c1", 0), tid("c2", 0)]);
        assert_eq!(w1.tasks, [tid("c0", 1), tid("c1", 1), tid("c2", 1)]);
        assert_eq!(
            (w1.version, w1.leader.as_str(), w1.config_offset),
            (0, "w2", 3)
        );
        // V0 blobs, readable by the V1 decoder every worker uses.
        let blobs = group.encode().expect("encode");
        assert_eq!(&blobs["w1"][..2], &[0, 0]);
        // Tasks come back grouped per connector, connector entries first.
        let decoded = Assignment::decode(&blobs["w1"]).expect("decode");
        assert_eq!(decoded.connectors, w1.connectors);
        assert_eq!(sorted(&decoded.tasks), sorted(&w1.tasks));
    }

    #[test]
    fn bad_rounds_are_errors() {
        let members = members_at(0, &["w1"]);
        let config = three_by_four();
        let round = AssignmentRound {
            leader_id: "nobody",
            protocol: ConnectProtocolCompatibility::Sessioned,
            members: &members,
            config: &config,
            fresh_config: None,
            last_completed_generation: 0,
            current_generation: 1,
            now_ms: 0,
        };
        assert_eq!(
            eager_assign(&round),
            Err(AssignorError::LeaderNotAMember("nobody".into()))
        );
        let empty = BTreeMap::new();
        let round = AssignmentRound {
            members: &empty,
            ..round
        };
        assert_eq!(
            IncrementalCooperativeAssignor::new(0).assign(&round),
            Err(AssignorError::NoMembers)
        );
        assert!(matches!(
            decode_members([("w1", &[0u8, 1][..])]),
            Err(AssignorError::BadMetadata { .. })
        ));
    }
}
