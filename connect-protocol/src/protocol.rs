//! The Connect group membership subprotocols: JoinGroup member metadata and SyncGroup assignments.
//!
//! Mirrors `ConnectProtocol`, `IncrementalCooperativeConnectProtocol`, `ExtendedAssignment`,
//! `ExtendedWorkerState` and `ConnectProtocolCompatibility` (`connect/runtime/.../runtime/distributed/`),
//! verified against apache/kafka `1eb7644349cb`. The group's protocol type is `"connect"`.
//!
//! | `connect.protocol` | JoinGroup protocol name | header version | rebalancing |
//! |---|---|---|---|
//! | `eager` | `default` | 0 | stop everything, full assignment each round |
//! | `compatible` | `compatible` | 1 | incremental cooperative (KIP-415) |
//! | `sessioned` (default) | `sessioned` | 2 | as V1, plus signed internal REST requests (KIP-507) |
//!
//! A worker offers, in preference order, `sessioned → [sessioned, compatible, default]`,
//! `compatible → [compatible, default]`, `eager → [default]`, each with its own metadata blob
//! ([`metadata_request`]).
//!
//! Member metadata (every blob starts with an INT16 version):
//! ```text
//! V0:    version INT16 | url STRING | config-offset INT64
//! V1/V2: version INT16 | url STRING | config-offset INT64 | allocation NULLABLE_BYTES (default null)
//! ```
//! `allocation` is the worker's full current assignment, itself a serialized assignment with its own header,
//! or null when the worker holds none yet.
//!
//! Assignment:
//! ```text
//! V0:    version | error INT16 | leader STRING | leader-url STRING | config-offset INT64
//!        | assignment ARRAY(connector STRING, tasks ARRAY(INT32))
//! V1/V2: the V0 fields, then assignment as a nullable ARRAY (default null)
//!        | revoked nullable ARRAY (default null) | delay INT32 (default 0)
//! ```
//! The V1 schema tolerates missing trailing fields, so [`Assignment::decode`] (Java's
//! `IncrementalCooperativeConnectProtocol.deserializeAssignment`, which the worker uses for every protocol)
//! reads a V0 blob as a V1 assignment with nothing revoked and no delay. A task id of −1 ([`CONNECTOR_TASK`])
//! stands for the connector instance itself; entries are grouped per connector, connector first.
//!
//! Java groups a V0 assignment's connectors through a `HashSet`, so the order of connector entries in a
//! Java-written blob is unspecified; here they follow the assignment's own order (connectors, then the
//! connectors that only have tasks, in task order). Readers never depend on that order.

use std::fmt;

use crate::wire::{Reader, WireError, Writer};

/// The task id that stands for the connector instance itself (`ConnectProtocol.CONNECTOR_TASK`).
pub const CONNECTOR_TASK: i32 = -1;
/// `Assignment.NO_ERROR`.
pub const NO_ERROR: i16 = 0;
/// `Assignment.CONFIG_MISMATCH`: the leader is behind on the config topic; read it to the end and rejoin.
pub const CONFIG_MISMATCH: i16 = 1;
/// JoinGroup `protocol_type` of Connect groups (`WorkerCoordinator.protocolType()`).
pub const PROTOCOL_TYPE: &str = "connect";

pub const CONNECT_PROTOCOL_V0: i16 = 0;
pub const CONNECT_PROTOCOL_V1: i16 = 1;
pub const CONNECT_PROTOCOL_V2: i16 = 2;

/// `ConnectProtocolCompatibility`: the `connect.protocol` worker setting and the subprotocol it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ConnectProtocolCompatibility {
    /// `eager`, protocol `default`, version 0.
    Eager,
    /// `compatible`, protocol `compatible`, version 1.
    Compatible,
    /// `sessioned`, protocol `sessioned`, version 2 (the default).
    Sessioned,
}

/// An unknown `connect.protocol` value, protocol name or protocol version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompatibilityError {
    #[error("Unknown Connect protocol compatibility mode: {0}")]
    UnknownMode(String),
    #[error("Not found Connect protocol compatibility mode for protocol: {0}")]
    UnknownProtocol(String),
    #[error("Unknown Connect protocol version: {0}")]
    UnknownVersion(i16),
}

impl ConnectProtocolCompatibility {
    pub const ALL: [Self; 3] = [Self::Eager, Self::Compatible, Self::Sessioned];

    /// The JoinGroup protocol name.
    pub fn protocol(self) -> &'static str {
        match self {
            Self::Eager => "default",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }

    /// The header version of blobs written under this subprotocol.
    pub fn version(self) -> i16 {
        match self {
            Self::Eager => CONNECT_PROTOCOL_V0,
            Self::Compatible => CONNECT_PROTOCOL_V1,
            Self::Sessioned => CONNECT_PROTOCOL_V2,
        }
    }

    /// The `connect.protocol` value (`toString()`: the lower-case enum name).
    pub fn name(self) -> &'static str {
        match self {
            Self::Eager => "eager",
            Self::Compatible => "compatible",
            Self::Sessioned => "sessioned",
        }
    }

    /// `compatibility(name)`: the `connect.protocol` value, case-insensitive.
    pub fn from_config(name: &str) -> Result<Self, CompatibilityError> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| CompatibilityError::UnknownMode(name.to_owned()))
    }

    /// `fromProtocol(name)`: the JoinGroup protocol name, case-insensitive.
    pub fn from_protocol(protocol: &str) -> Result<Self, CompatibilityError> {
        Self::ALL
            .into_iter()
            .find(|m| m.protocol().eq_ignore_ascii_case(protocol))
            .ok_or_else(|| CompatibilityError::UnknownProtocol(protocol.to_owned()))
    }

    /// `fromProtocolVersion(version)`.
    pub fn from_version(version: i16) -> Result<Self, CompatibilityError> {
        Self::ALL
            .into_iter()
            .find(|m| m.version() == version)
            .ok_or(CompatibilityError::UnknownVersion(version))
    }

    /// Cooperative (V1 or V2) rather than eager.
    pub fn is_incremental(self) -> bool {
        self != Self::Eager
    }

    /// The protocols a worker in this mode offers, most preferred first.
    pub fn offered(self) -> &'static [Self] {
        match self {
            Self::Eager => &[Self::Eager],
            Self::Compatible => &[Self::Compatible, Self::Eager],
            Self::Sessioned => &[Self::Sessioned, Self::Compatible, Self::Eager],
        }
    }
}

impl fmt::Display for ConnectProtocolCompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `ConnectorTaskId`: ordered by connector name, then task number, as in Java's `compareTo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: i32,
}

impl ConnectorTaskId {
    pub fn new(connector: impl Into<String>, task: i32) -> Self {
        Self {
            connector: connector.into(),
            task,
        }
    }
}

impl fmt::Display for ConnectorTaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// An assignment (`ConnectProtocol.Assignment` / `ExtendedAssignment`). In a SyncGroup answer under the
/// cooperative protocols, `connectors`/`tasks` are the *increments*; in a member's `allocation` they are its
/// full current assignment. `version` is the header it is (or was) written with; 0 selects the V0 layout,
/// which has no revocations and no delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub version: i16,
    /// [`NO_ERROR`] or [`CONFIG_MISMATCH`].
    pub error: i16,
    /// The leader's group member id.
    pub leader: String,
    /// The leader's advertised REST URL.
    pub leader_url: String,
    /// The config topic offset this assignment is valid for.
    pub config_offset: i64,
    pub connectors: Vec<String>,
    pub tasks: Vec<ConnectorTaskId>,
    pub revoked_connectors: Vec<String>,
    pub revoked_tasks: Vec<ConnectorTaskId>,
    /// Milliseconds after which the member should rejoin; 0 for none.
    pub delay: i32,
}

impl Assignment {
    /// An assignment with nothing in it.
    pub fn new(
        version: i16,
        error: i16,
        leader: impl Into<String>,
        leader_url: impl Into<String>,
        config_offset: i64,
    ) -> Self {
        Self {
            version,
            error,
            leader: leader.into(),
            leader_url: leader_url.into(),
            config_offset,
            connectors: Vec::new(),
            tasks: Vec::new(),
            revoked_connectors: Vec::new(),
            revoked_tasks: Vec::new(),
            delay: 0,
        }
    }

    /// `failed()`: the error code is not [`NO_ERROR`].
    pub fn failed(&self) -> bool {
        self.error != NO_ERROR
    }

    /// Whether anything is revoked.
    pub fn has_revocations(&self) -> bool {
        !self.revoked_connectors.is_empty() || !self.revoked_tasks.is_empty()
    }

    /// Serializes with the layout of `self.version`: 0 is `ConnectProtocol.serializeAssignment`, 1 and 2
    /// `IncrementalCooperativeConnectProtocol.serializeAssignment` (both arrays always written, never null,
    /// as `ExtendedAssignment.toStruct` does).
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut w = Writer::new();
        w.int16(self.version).int16(self.error);
        w.string("leader", &self.leader)?;
        w.string("leader-url", &self.leader_url)?;
        w.int64(self.config_offset);
        write_connector_assignments(&mut w, "assignment", &self.connectors, &self.tasks)?;
        if self.version != CONNECT_PROTOCOL_V0 {
            write_connector_assignments(
                &mut w,
                "revoked",
                &self.revoked_connectors,
                &self.revoked_tasks,
            )?;
            w.int32(self.delay);
        }
        Ok(w.into_bytes())
    }

    /// `IncrementalCooperativeConnectProtocol.deserializeAssignment`: any version ≥ 0, read with the V1 schema
    /// (missing `assignment`/`revoked` = empty, missing `delay` = 0), so V0 blobs parse too.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        let version = read_version(&mut r)?;
        Self::decode_body(version, &mut r)
    }

    fn decode_body(version: i16, r: &mut Reader<'_>) -> Result<Self, WireError> {
        let error = r.int16("error")?;
        let leader = r.string("leader")?;
        let leader_url = r.string("leader-url")?;
        let config_offset = r.int64("config-offset")?;
        let (connectors, tasks) = r.or_default((Vec::new(), Vec::new()), |r| {
            read_connector_assignments(r, "assignment")
        })?;
        let (revoked_connectors, revoked_tasks) = r.or_default((Vec::new(), Vec::new()), |r| {
            read_connector_assignments(r, "revoked")
        })?;
        let delay = r.or_default(0, |r| r.int32("delay"))?;
        Ok(Self {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            connectors,
            tasks,
            revoked_connectors,
            revoked_tasks,
            delay,
        })
    }

    /// What `WorkerCoordinator.onJoinComplete` does under the cooperative protocols: drop `self`'s revocations
    /// from the previous full assignment and add `self`'s increments to it. Returns the new full assignment
    /// (the increments first, then what was kept, as Java's `addAll` order gives), carrying `self`'s header
    /// fields and revocation lists. Under eager, the new assignment *is* the full one; don't call this.
    pub fn apply_to(&self, previous: Option<&Assignment>) -> Assignment {
        let mut full = self.clone();
        if let Some(prev) = previous {
            full.connectors.extend(
                prev.connectors
                    .iter()
                    .filter(|c| !self.revoked_connectors.contains(c))
                    .cloned(),
            );
            full.tasks.extend(
                prev.tasks
                    .iter()
                    .filter(|t| !self.revoked_tasks.contains(t))
                    .cloned(),
            );
        }
        full
    }
}

fn write_connector_assignments(
    w: &mut Writer,
    field: &'static str,
    connectors: &[String],
    tasks: &[ConnectorTaskId],
) -> Result<(), WireError> {
    // Group by connector in first-seen order: connectors (deduplicated) get −1 first, then tasks follow.
    let mut groups: Vec<(&str, Vec<i32>)> = Vec::new();
    for c in connectors {
        if !groups
            .iter()
            .any(|(name, ids)| *name == c.as_str() && ids.contains(&CONNECTOR_TASK))
        {
            match groups.iter_mut().find(|(name, _)| *name == c.as_str()) {
                Some((_, ids)) => ids.push(CONNECTOR_TASK),
                None => groups.push((c.as_str(), vec![CONNECTOR_TASK])),
            }
        }
    }
    for t in tasks {
        match groups
            .iter_mut()
            .find(|(name, _)| *name == t.connector.as_str())
        {
            Some((_, ids)) => ids.push(t.task),
            None => groups.push((t.connector.as_str(), vec![t.task])),
        }
    }
    w.array_len(field, groups.len())?;
    for (name, ids) in groups {
        w.string("connector", name)?;
        w.array_len("tasks", ids.len())?;
        for id in ids {
            w.int32(id);
        }
    }
    Ok(())
}

type ConnectorsAndTasks = (Vec<String>, Vec<ConnectorTaskId>);

fn read_connector_assignments(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<ConnectorsAndTasks, WireError> {
    let entries = r
        .array(field, true, |r| {
            let connector = r.string("connector")?;
            let ids = r
                .array("tasks", false, |r| r.int32("tasks"))?
                .unwrap_or_default();
            Ok((connector, ids))
        })?
        .unwrap_or_default();
    let mut connectors = Vec::new();
    let mut tasks = Vec::new();
    for (connector, ids) in entries {
        for id in ids {
            if id == CONNECTOR_TASK {
                connectors.push(connector.clone());
            } else {
                tasks.push(ConnectorTaskId::new(connector.clone(), id));
            }
        }
    }
    Ok((connectors, tasks))
}

fn read_version(r: &mut Reader<'_>) -> Result<i16, WireError> {
    let version = r.int16("version")?;
    if version < CONNECT_PROTOCOL_V0 {
        return Err(WireError::UnsupportedVersion(version));
    }
    Ok(version)
}

/// A member's JoinGroup metadata (`ExtendedWorkerState`; V0 has no allocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerState {
    /// The worker's advertised REST URL.
    pub url: String,
    /// `ClusterConfigState.offset()` of the worker's config snapshot.
    pub config_offset: i64,
    /// The worker's full current assignment; `None` before its first assignment (and always in V0).
    pub allocation: Option<Assignment>,
}

impl WorkerState {
    pub fn new(url: impl Into<String>, config_offset: i64, allocation: Option<Assignment>) -> Self {
        Self {
            url: url.into(),
            config_offset,
            allocation,
        }
    }

    /// The metadata blob for one subprotocol: `ConnectProtocol.serializeMetadata` for eager,
    /// `IncrementalCooperativeConnectProtocol.serializeMetadata(state, sessioned)` otherwise. The embedded
    /// allocation is written with the same header version as the metadata (Java passes `sessioned` to both).
    pub fn encode(&self, protocol: ConnectProtocolCompatibility) -> Result<Vec<u8>, WireError> {
        let version = protocol.version();
        let mut w = Writer::new();
        w.int16(version);
        w.string("url", &self.url)?;
        w.int64(self.config_offset);
        if protocol.is_incremental() {
            let allocation = match &self.allocation {
                None => None,
                Some(a) => {
                    let mut a = a.clone();
                    a.version = version;
                    Some(a.encode()?)
                }
            };
            w.nullable_bytes("allocation", allocation.as_deref())?;
        }
        Ok(w.into_bytes())
    }

    /// `IncrementalCooperativeConnectProtocol.deserializeMetadata`, which both assignors use: any version
    /// ≥ 0; `allocation` is optional (absent in V0 blobs) and, when present and non-null, is itself decoded.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(bytes);
        read_version(&mut r)?;
        let url = r.string("url")?;
        let config_offset = r.int64("config-offset")?;
        let allocation = match r.or_default(None, |r| r.nullable_bytes("allocation"))? {
            None => None,
            Some(blob) => Some(Assignment::decode(blob)?),
        };
        Ok(Self {
            url,
            config_offset,
            allocation,
        })
    }
}

/// One entry of JoinGroup's `protocols`: a subprotocol name and its own metadata blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinProtocol {
    pub name: &'static str,
    pub metadata: Vec<u8>,
}

/// `metadataRequest`: the protocols a worker in `mode` offers, most preferred first, each with its metadata.
pub fn metadata_request(
    state: &WorkerState,
    mode: ConnectProtocolCompatibility,
) -> Result<Vec<JoinProtocol>, WireError> {
    mode.offered()
        .iter()
        .map(|p| {
            Ok(JoinProtocol {
                name: p.protocol(),
                metadata: state.encode(*p)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let digits: String = s.split_whitespace().collect();
        (0..digits.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn ascii(s: &str) -> String {
        s.bytes().map(|b| format!("{b:02X}")).collect()
    }

    #[test]
    fn modes_names_and_versions() {
        use ConnectProtocolCompatibility::*;
        assert_eq!(
            ConnectProtocolCompatibility::from_config("SESSIONED"),
            Ok(Sessioned)
        );
        assert_eq!(
            ConnectProtocolCompatibility::from_config("eager"),
            Ok(Eager)
        );
        assert!(ConnectProtocolCompatibility::from_config("default").is_err());
        assert_eq!(
            ConnectProtocolCompatibility::from_protocol("default"),
            Ok(Eager)
        );
        assert_eq!(
            ConnectProtocolCompatibility::from_protocol("Compatible"),
            Ok(Compatible)
        );
        assert_eq!(ConnectProtocolCompatibility::from_version(2), Ok(Sessioned));
        assert!(ConnectProtocolCompatibility::from_version(3).is_err());
        assert_eq!(Sessioned.to_string(), "sessioned");
        assert_eq!(Eager.protocol(), "default");
    }

    /// Fact sheet §1.2 worked example: sessioned, url `http://w1:8083/`, offset 5, no assignment.
    #[test]
    fn metadata_v2_worked_example() {
        let state = WorkerState::new("http://w1:8083/", 5, None);
        let expected = hex(&format!(
            "0002 000F {} 0000000000000005 FFFFFFFF",
            ascii("http://w1:8083/")
        ));
        let bytes = state
            .encode(ConnectProtocolCompatibility::Sessioned)
            .expect("encode");
        assert_eq!(bytes, expected);
        assert_eq!(WorkerState::decode(&bytes).expect("decode"), state);
    }

    #[test]
    fn metadata_request_offers_in_preference_order() {
        let state = WorkerState::new("http://w1:8083/", 5, None);
        let offered =
            metadata_request(&state, ConnectProtocolCompatibility::Sessioned).expect("encode");
        let names: Vec<_> = offered.iter().map(|p| p.name).collect();
        assert_eq!(names, ["sessioned", "compatible", "default"]);
        assert_eq!(&offered[0].metadata[..2], &[0, 2]);
        assert_eq!(&offered[1].metadata[..2], &[0, 1]);
        // V0 has no allocation field: 2 + 2 + 15 + 8 bytes.
        assert_eq!(offered[2].metadata.len(), 27);
        assert_eq!(&offered[2].metadata[..2], &[0, 0]);
        let names: Vec<_> = metadata_request(&state, ConnectProtocolCompatibility::Eager)
            .expect("encode")
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["default"]);
    }

    fn example_assignment() -> Assignment {
        let mut a = Assignment::new(2, NO_ERROR, "connect-1-abc", "http://w1:8083/", 7);
        a.connectors.push("c".into());
        a.tasks.push(ConnectorTaskId::new("c", 0));
        a
    }

    fn example_assignment_bytes() -> Vec<u8> {
        hex(&format!(
            "0002 0000 000D {} 000F {} 0000000000000007
             00000001 0001 {} 00000002 FFFFFFFF 00000000
             00000000
             00000000",
            ascii("connect-1-abc"),
            ascii("http://w1:8083/"),
            ascii("c")
        ))
    }

    /// Fact sheet §1.3 worked example: V2, connector c plus task c-0 newly assigned, nothing revoked.
    #[test]
    fn assignment_v2_worked_example() {
        let a = example_assignment();
        let bytes = a.encode().expect("encode");
        assert_eq!(bytes, example_assignment_bytes());
        assert_eq!(Assignment::decode(&bytes).expect("decode"), a);
    }

    #[test]
    fn assignment_round_trips_with_revocations_and_delay() {
        let mut a = example_assignment();
        a.version = 1;
        a.tasks.push(ConnectorTaskId::new("d", 3));
        a.connectors.push("e".into());
        a.revoked_connectors.push("x".into());
        a.revoked_tasks.push(ConnectorTaskId::new("x", 1));
        a.revoked_tasks.push(ConnectorTaskId::new("y", 0));
        a.delay = 40;
        let decoded = Assignment::decode(&a.encode().expect("encode")).expect("decode");
        assert_eq!(decoded, a);
    }

    #[test]
    fn v0_assignment_parses_as_v1() {
        let mut a = example_assignment();
        a.version = 0;
        let bytes = a.encode().expect("encode");
        // V0 stops after the assignment array: no revoked array, no delay.
        assert_eq!(bytes.len(), example_assignment_bytes().len() - 8);
        let decoded = Assignment::decode(&bytes).expect("decode");
        assert_eq!(decoded, a);
        assert!(decoded.revoked_connectors.is_empty());
        assert_eq!(decoded.delay, 0);
    }

    #[test]
    fn header_only_fields_missing_use_defaults_only_where_java_has_them() {
        // Everything up to config-offset, then nothing: assignment/revoked/delay take their defaults.
        let full = example_assignment_bytes();
        let upto_offset = 2 + 2 + 2 + 13 + 2 + 15 + 8;
        let a = Assignment::decode(&full[..upto_offset]).expect("defaults");
        assert!(a.connectors.is_empty() && a.tasks.is_empty());
        // A cut inside config-offset is an error naming it.
        let err = Assignment::decode(&full[..upto_offset - 3]).expect_err("truncated");
        assert!(
            matches!(
                err,
                WireError::Truncated {
                    field: "config-offset",
                    offset: 36,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn truncated_and_garbage_assignments_fail() {
        let full = example_assignment_bytes();
        for cut in [0, 1, 3, 10, 40, 45, 50, full.len() - 2] {
            assert!(
                Assignment::decode(&full[..cut]).is_err(),
                "cut at {cut} should fail"
            );
        }
        assert_eq!(
            Assignment::decode(&[0xFF, 0xFF]),
            Err(WireError::UnsupportedVersion(-1))
        );
        let garbage = [0u8, 1, 0, 0, 0x7F, 0x7F, 1, 2, 3];
        assert!(matches!(
            Assignment::decode(&garbage),
            Err(WireError::LengthExceedsRemaining {
                field: "leader",
                ..
            })
        ));
        // Null revoked array is read as empty (ArrayOf.nullable).
        let mut nulls = full.clone();
        let revoked_at = nulls.len() - 8;
        nulls[revoked_at..revoked_at + 4].copy_from_slice(&[0xFF; 4]);
        assert!(
            Assignment::decode(&nulls)
                .expect("null revoked")
                .revoked_tasks
                .is_empty()
        );
    }

    #[test]
    fn metadata_with_allocation_round_trips_and_v0_metadata_parses() {
        let state = WorkerState::new("http://w2:8083/", 12, Some(example_assignment()));
        for mode in [
            ConnectProtocolCompatibility::Compatible,
            ConnectProtocolCompatibility::Sessioned,
        ] {
            let decoded =
                WorkerState::decode(&state.encode(mode).expect("encode")).expect("decode");
            let alloc = decoded.allocation.as_ref().expect("allocation");
            assert_eq!(alloc.version, mode.version());
            assert_eq!(alloc.connectors, ["c"]);
            assert_eq!(decoded.config_offset, 12);
        }
        let v0 = state
            .encode(ConnectProtocolCompatibility::Eager)
            .expect("encode");
        let decoded = WorkerState::decode(&v0).expect("decode");
        assert_eq!(decoded, WorkerState::new("http://w2:8083/", 12, None));
        // A bad allocation blob fails the whole metadata.
        let mut bad = state
            .encode(ConnectProtocolCompatibility::Sessioned)
            .expect("encode");
        bad.truncate(bad.len() - 3);
        assert!(WorkerState::decode(&bad).is_err());
    }

    #[test]
    fn connector_entries_group_connector_and_tasks() {
        let mut a = Assignment::new(1, NO_ERROR, "l", "u", 0);
        a.tasks = vec![
            ConnectorTaskId::new("b", 1),
            ConnectorTaskId::new("a", 0),
            ConnectorTaskId::new("b", 2),
        ];
        a.connectors = vec!["a".into(), "a".into()];
        let bytes = a.encode().expect("encode");
        let decoded = Assignment::decode(&bytes).expect("decode");
        // Duplicate connector is written once; tasks stay in order within their connector.
        assert_eq!(decoded.connectors, ["a"]);
        assert_eq!(
            decoded.tasks,
            [
                ConnectorTaskId::new("a", 0),
                ConnectorTaskId::new("b", 1),
                ConnectorTaskId::new("b", 2)
            ]
        );
    }

    #[test]
    fn apply_increments_to_previous_full_assignment() {
        let mut prev = Assignment::new(2, NO_ERROR, "l", "u", 3);
        prev.connectors = vec!["a".into(), "b".into()];
        prev.tasks = vec![ConnectorTaskId::new("a", 0), ConnectorTaskId::new("b", 0)];
        let mut incr = Assignment::new(2, NO_ERROR, "l", "u", 4);
        incr.connectors = vec!["c".into()];
        incr.revoked_connectors = vec!["b".into()];
        incr.revoked_tasks = vec![ConnectorTaskId::new("a", 0)];
        let full = incr.apply_to(Some(&prev));
        assert_eq!(full.connectors, ["c", "a"]);
        assert_eq!(full.tasks, [ConnectorTaskId::new("b", 0)]);
        assert_eq!(full.config_offset, 4);
        assert_eq!(incr.apply_to(None).connectors, ["c"]);
    }
}
