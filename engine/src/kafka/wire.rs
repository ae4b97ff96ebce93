//! A small blocking client for Kafka requests librdkafka does not make for us, on the
//! `kafka-protocol` crate's message codecs: one TCP connection, Kafka's framing (a 4-byte
//! big-endian size, the request header, the body), and version negotiation through ApiVersions
//! (each request goes at the highest version both sides support). Control-plane code: call it
//! from a blocking thread, never from a shard's executor.
//!
//! Used for removing a static group member on a deliberate stop ([`leave_group`]): librdkafka
//! never sends LeaveGroup for a member with `group.instance.id`; and for the classic group
//! protocol as distributed mode's workers speak it ([`Connection::join_group`],
//! [`Connection::sync_group`], [`Connection::heartbeat`], [`Connection::leave_group`], with
//! [`find_coordinator`]), for any protocol type (Kafka Connect's is `connect`), always as a
//! dynamic member (`group.instance.id` null). [`Connection::describe_group`] shows a group as the
//! broker sees it.
//!
//! A request whose answer carries an error code fails with [`WireError::Kafka`] and that code
//! (the [`codes`] a group member reacts to), so the caller can decide what follows.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use super::wire_auth::{Stream, WireSecurity};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, DescribeGroupsRequest, GroupId,
    HeartbeatRequest, JoinGroupRequest, RequestHeader, ResponseHeader, SaslAuthenticateRequest,
    SaslHandshakeRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

/// Kafka's UNSUPPORTED_VERSION error code.
const UNSUPPORTED_VERSION: i16 = 35;

/// The Kafka error codes a group member tells apart (`org.apache.kafka.common.protocol.Errors`).
pub mod codes {
    /// COORDINATOR_LOAD_IN_PROGRESS: the coordinator is still loading the group; retry.
    pub const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
    /// COORDINATOR_NOT_AVAILABLE: no coordinator right now; find it again.
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    /// NOT_COORDINATOR: the group moved to another broker; find it again.
    pub const NOT_COORDINATOR: i16 = 16;
    /// ILLEGAL_GENERATION: the group moved on to another generation; rejoin as a new member.
    pub const ILLEGAL_GENERATION: i16 = 22;
    /// INCONSISTENT_GROUP_PROTOCOL: the group runs another protocol type, or no protocol is
    /// common to all members.
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    /// UNKNOWN_MEMBER_ID: the coordinator does not know the member (its session expired, or it
    /// left); rejoin with an empty member id.
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    /// REBALANCE_IN_PROGRESS: the group is rebalancing; rejoin.
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    /// MEMBER_ID_REQUIRED: JoinGroup v4+ with an empty member id; join again with the returned one.
    pub const MEMBER_ID_REQUIRED: i16 = 79;

    /// The coordinator is gone, moved or not ready: find it again.
    pub fn is_coordinator_error(code: i16) -> bool {
        matches!(
            code,
            COORDINATOR_LOAD_IN_PROGRESS | COORDINATOR_NOT_AVAILABLE | NOT_COORDINATOR
        )
    }
}
/// The largest response this client reads (its answers are small).
const MAX_RESPONSE: usize = 16 << 20;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("cannot reach {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("i/o with {addr}: {source}")]
    Io {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{addr}: {message}")]
    Protocol { addr: String, message: String },
    /// The TLS handshake or the SASL login failed: retrying will not help.
    #[error("{addr}: {message}")]
    Login { addr: String, message: String },
    #[error("{addr} does not support {api:?} in a version this client speaks")]
    Unsupported { addr: String, api: ApiKey },
    #[error("{api:?} failed with Kafka error code {code}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kafka {
        api: ApiKey,
        code: i16,
        message: Option<String>,
    },
}

impl WireError {
    /// The Kafka error code, for a [`WireError::Kafka`].
    pub fn kafka_code(&self) -> Option<i16> {
        match self {
            Self::Kafka { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The connection failed (could not connect, or broke): the broker may be gone.
    pub fn is_network(&self) -> bool {
        matches!(self, Self::Connect { .. } | Self::Io { .. })
    }
}

fn kafka_error(api: ApiKey, code: i16, message: Option<&StrBytes>) -> WireError {
    WireError::Kafka {
        api,
        code,
        message: message.map(|m| m.to_string()),
    }
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn group_id(group: &str) -> GroupId {
    GroupId(str_bytes(group))
}

/// What a JoinGroup asks for (besides the member id, which [`Connection::join_group`] updates).
#[derive(Debug, Clone)]
pub struct JoinGroup<'a> {
    pub group: &'a str,
    /// `session.timeout.ms`.
    pub session_timeout_ms: i32,
    /// `rebalance.timeout.ms` (JoinGroup v1+; v0 uses the session timeout for both).
    pub rebalance_timeout_ms: i32,
    /// Kafka Connect's is `connect`.
    pub protocol_type: &'a str,
    /// The subprotocols offered, most preferred first, each with its own metadata blob.
    pub protocols: &'a [(&'a str, Bytes)],
    /// Why the member (re)joins (JoinGroup v8+).
    pub reason: &'a str,
}

/// A JoinGroup answer without error: the generation and, for the leader, every member's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub generation: i32,
    pub member_id: String,
    pub leader: String,
    /// The protocol type the broker reports (v7+; `None` before).
    pub protocol_type: Option<String>,
    /// The subprotocol the group chose.
    pub protocol_name: String,
    /// `(member id, metadata of the chosen subprotocol)`, empty unless this member leads.
    pub members: Vec<(String, Bytes)>,
}

impl Joined {
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader
    }
}

/// A group as DescribeGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable`, `Dead`.
    pub state: String,
    pub protocol_type: String,
    /// The chosen subprotocol (empty while none is).
    pub protocol: String,
    pub members: Vec<DescribedMember>,
}

/// One member of a [`GroupDescription`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedMember {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// One connection to one broker.
#[derive(Debug)]
pub struct Connection {
    addr: String,
    stream: Stream,
    correlation: i32,
    /// Per API key: the broker's (min, max) version.
    versions: BTreeMap<i16, (i16, i16)>,
}

impl Connection {
    /// Connects to `addr` (`host:port`) with `security` (TLS, then a SASL login, when
    /// configured) and asks which versions it speaks.
    pub fn open(addr: &str, timeout: Duration, security: &WireSecurity) -> Result<Self, WireError> {
        let connect_error = |source| WireError::Connect {
            addr: addr.to_owned(),
            source,
        };
        let mut last = None;
        let mut stream = None;
        for socket in addr.to_socket_addrs().map_err(connect_error)? {
            match TcpStream::connect_timeout(&socket, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = stream.ok_or_else(|| {
            connect_error(last.unwrap_or_else(|| std::io::Error::other("no address")))
        })?;
        let io = |source| WireError::Io {
            addr: addr.to_owned(),
            source,
        };
        stream.set_read_timeout(Some(timeout)).map_err(io)?;
        stream.set_write_timeout(Some(timeout)).map_err(io)?;
        stream.set_nodelay(true).map_err(io)?;
        let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let stream = security
            .wrap(stream, host)
            .map_err(|message| WireError::Login {
                addr: addr.to_owned(),
                message,
            })?;
        let mut conn = Self {
            addr: addr.to_owned(),
            stream,
            correlation: 0,
            versions: BTreeMap::new(),
        };
        conn.negotiate().map_err(|e| match e {
            // A TLS listener hangs up on a plaintext request; say so, as it is the likely cause
            // (it stays a network error: a broker going away does the same).
            WireError::Io { addr, source } if !security.is_tls() => WireError::Io {
                addr,
                source: std::io::Error::new(
                    source.kind(),
                    format!(
                        "{source} (the broker hung up before answering ApiVersions, as a TLS \
                         listener does to a plaintext client: check security.protocol)"
                    ),
                ),
            },
            e => e,
        })?;
        if let Some(sasl) = security.sasl() {
            conn.authenticate(sasl)?;
        }
        Ok(conn)
    }

    /// SaslHandshake v1 naming the mechanism, then SaslAuthenticate until the exchange is done.
    fn authenticate(&mut self, sasl: &super::wire_auth::Sasl) -> Result<(), WireError> {
        let addr = self.addr.clone();
        let login = |message: String| WireError::Login {
            addr: addr.clone(),
            message,
        };
        let mechanism = sasl.mechanism.name();
        let handshake: kafka_protocol::messages::SaslHandshakeResponse = self.send(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism)),
            1,
        )?;
        if handshake.error_code != 0 {
            let enabled: Vec<String> = handshake.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(login(format!(
                "the broker does not take SASL mechanism {mechanism} (it takes {})",
                enabled.join(", ")
            )));
        }
        let mut exchange = sasl.start();
        let mut answer: Option<Bytes> = None;
        while let Some(bytes) = exchange.next(sasl, answer.as_deref()).map_err(login)? {
            let (response, _) =
                self.call(&SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes)))?;
            if response.error_code != 0 {
                return Err(login(format!(
                    "SASL authentication failed ({mechanism}): {}",
                    response.error_message.map_or_else(
                        || format!("error code {}", response.error_code),
                        |m| m.to_string()
                    )
                )));
            }
            answer = Some(response.auth_bytes);
        }
        Ok(())
    }

    /// ApiVersions at v3; a broker that does not speak it answers UNSUPPORTED_VERSION with its
    /// own list, so v0 is tried then.
    fn negotiate(&mut self) -> Result<(), WireError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("wharf"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response: ApiVersionsResponse = self.send(&request, 3)?;
        if response.error_code == UNSUPPORTED_VERSION {
            response = self.send(&ApiVersionsRequest::default(), 0)?;
        }
        if response.error_code != 0 {
            return Err(WireError::Kafka {
                api: ApiKey::ApiVersions,
                code: response.error_code,
                message: None,
            });
        }
        self.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(())
    }

    /// The highest version of `R` both sides speak.
    fn version_of<R: Request>(&self) -> Result<i16, WireError> {
        let ours = R::VERSIONS;
        let unsupported = || WireError::Unsupported {
            addr: self.addr.clone(),
            api: ApiKey::try_from(R::KEY).unwrap_or(ApiKey::ApiVersions),
        };
        let (min, max) = *self.versions.get(&R::KEY).ok_or_else(unsupported)?;
        let version = max.min(ours.max);
        if version < min.max(ours.min) {
            return Err(unsupported());
        }
        Ok(version)
    }

    /// The broker this connection talks to (`host:port`).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sets the read and write timeout of later requests (a JoinGroup waits up to the
    /// rebalance timeout for the other members).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<(), WireError> {
        let io = |source| WireError::Io {
            addr: self.addr.clone(),
            source,
        };
        self.stream
            .tcp()
            .set_read_timeout(Some(timeout))
            .map_err(io)?;
        self.stream
            .tcp()
            .set_write_timeout(Some(timeout))
            .map_err(io)
    }

    /// JoinGroup as a dynamic member (`group_instance_id` null). `member_id` is the member's id,
    /// empty for a new member; when the broker answers MEMBER_ID_REQUIRED (v4+) it is set to the id
    /// the broker chose, `on_member_id` is told (so the id can be left with LeaveGroup while the
    /// second join waits), and the join is sent again, once, as `AbstractCoordinator` does. On
    /// success `member_id` is the id the broker answered with.
    ///
    /// The broker answers only when every member has joined (or the rebalance timeout expired),
    /// so give the connection a timeout above the rebalance timeout first ([`Self::set_timeout`]).
    pub fn join_group(
        &mut self,
        join: &JoinGroup<'_>,
        member_id: &mut String,
        mut on_member_id: impl FnMut(&str),
    ) -> Result<Joined, WireError> {
        let version = self.version_of::<JoinGroupRequest>()?;
        let protocols: Vec<JoinGroupRequestProtocol> = join
            .protocols
            .iter()
            .map(|(name, metadata)| {
                JoinGroupRequestProtocol::default()
                    .with_name(str_bytes(name))
                    .with_metadata(metadata.clone())
            })
            .collect();
        for attempt in 0..2 {
            let mut request = JoinGroupRequest::default()
                .with_group_id(group_id(join.group))
                .with_session_timeout_ms(join.session_timeout_ms)
                .with_member_id(str_bytes(member_id))
                .with_protocol_type(str_bytes(join.protocol_type))
                .with_protocols(protocols.clone());
            if version >= 1 {
                request = request.with_rebalance_timeout_ms(join.rebalance_timeout_ms);
            }
            if version >= 8 {
                request = request.with_reason(Some(str_bytes(join.reason)));
            }
            let response = self.send(&request, version)?;
            match response.error_code {
                0 => {
                    *member_id = response.member_id.to_string();
                    return Ok(Joined {
                        generation: response.generation_id,
                        member_id: member_id.clone(),
                        leader: response.leader.to_string(),
                        protocol_type: response.protocol_type.map(|p| p.to_string()),
                        protocol_name: response
                            .protocol_name
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        members: response
                            .members
                            .into_iter()
                            .map(|m| (m.member_id.to_string(), m.metadata))
                            .collect(),
                    });
                }
                codes::MEMBER_ID_REQUIRED if attempt == 0 && !response.member_id.is_empty() => {
                    *member_id = response.member_id.to_string();
                    on_member_id(member_id);
                }
                code => return Err(kafka_error(ApiKey::JoinGroup, code, None)),
            }
        }
        Err(kafka_error(
            ApiKey::JoinGroup,
            codes::MEMBER_ID_REQUIRED,
            None,
        ))
    }

    /// SyncGroup: the leader passes every member's assignment, the others none. Returns this
    /// member's assignment. From v5 on the request names the protocol type and subprotocol, and
    /// an answer naming others fails with INCONSISTENT_GROUP_PROTOCOL, as in
    /// `AbstractCoordinator.SyncGroupResponseHandler`.
    pub fn sync_group(
        &mut self,
        group: &str,
        generation: i32,
        member_id: &str,
        protocol_type: &str,
        protocol_name: &str,
        assignments: &[(String, Bytes)],
    ) -> Result<Bytes, WireError> {
        let version = self.version_of::<SyncGroupRequest>()?;
        let mut request = SyncGroupRequest::default()
            .with_group_id(group_id(group))
            .with_generation_id(generation)
            .with_member_id(str_bytes(member_id))
            .with_assignments(
                assignments
                    .iter()
                    .map(|(m, a)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(str_bytes(m))
                            .with_assignment(a.clone())
                    })
                    .collect(),
            );
        if version >= 5 {
            request = request
                .with_protocol_type(Some(str_bytes(protocol_type)))
                .with_protocol_name(Some(str_bytes(protocol_name)));
        }
        let response = self.send(&request, version)?;
        if response.error_code != 0 {
            return Err(kafka_error(ApiKey::SyncGroup, response.error_code, None));
        }
        let inconsistent = |what: &str, got: &StrBytes, want: &str| {
            kafka_error(
                ApiKey::SyncGroup,
                codes::INCONSISTENT_GROUP_PROTOCOL,
                Some(&str_bytes(&format!(
                    "SyncGroup answered {what} {got} for {want}"
                ))),
            )
        };
        if let Some(p) = response
            .protocol_type
            .as_ref()
            .filter(|p| &***p != protocol_type)
        {
            return Err(inconsistent("protocol type", p, protocol_type));
        }
        if let Some(p) = response
            .protocol_name
            .as_ref()
            .filter(|p| &***p != protocol_name)
        {
            return Err(inconsistent("protocol", p, protocol_name));
        }
        Ok(response.assignment)
    }

    /// Heartbeat for `member_id` in `generation`.
    pub fn heartbeat(
        &mut self,
        group: &str,
        generation: i32,
        member_id: &str,
    ) -> Result<(), WireError> {
        let request = HeartbeatRequest::default()
            .with_group_id(group_id(group))
            .with_generation_id(generation)
            .with_member_id(str_bytes(member_id));
        let (response, _) = self.call(&request)?;
        match response.error_code {
            0 => Ok(()),
            code => Err(kafka_error(ApiKey::Heartbeat, code, None)),
        }
    }

    /// LeaveGroup for one member: a dynamic one by `member_id` (any version), or a static one
    /// by `instance_id` (v3+). A member that is already gone (UNKNOWN_MEMBER_ID) is not an error.
    pub fn leave_group(
        &mut self,
        group: &str,
        member_id: &str,
        instance_id: Option<&str>,
        reason: &str,
    ) -> Result<(), WireError> {
        let version = self.version_of::<LeaveGroupRequest>()?;
        let mut request = LeaveGroupRequest::default().with_group_id(group_id(group));
        if version >= 3 {
            let mut member = MemberIdentity::default()
                .with_member_id(str_bytes(member_id))
                .with_group_instance_id(instance_id.map(str_bytes));
            // The reason travels from v5 on.
            if version >= 5 {
                member = member.with_reason(Some(str_bytes(reason)));
            }
            request = request.with_members(vec![member]);
        } else if instance_id.is_some() {
            return Err(WireError::Unsupported {
                addr: self.addr.clone(),
                api: ApiKey::LeaveGroup,
            });
        } else {
            request = request.with_member_id(str_bytes(member_id));
        }
        let response = self.send(&request, version)?;
        let code = match response.error_code {
            0 => response
                .members
                .iter()
                .map(|m| m.error_code)
                .find(|c| *c != 0)
                .unwrap_or(0),
            code => code,
        };
        match code {
            0 | codes::UNKNOWN_MEMBER_ID => Ok(()),
            code => Err(kafka_error(ApiKey::LeaveGroup, code, None)),
        }
    }

    /// DescribeGroups for one group (ask its coordinator).
    pub fn describe_group(&mut self, group: &str) -> Result<GroupDescription, WireError> {
        let request = DescribeGroupsRequest::default().with_groups(vec![group_id(group)]);
        let (response, _) = self.call(&request)?;
        let g = response
            .groups
            .into_iter()
            .next()
            .ok_or_else(|| WireError::Protocol {
                addr: self.addr.clone(),
                message: "DescribeGroups answered no group".to_owned(),
            })?;
        if g.error_code != 0 {
            return Err(kafka_error(
                ApiKey::DescribeGroups,
                g.error_code,
                g.error_message.as_ref(),
            ));
        }
        Ok(GroupDescription {
            state: g.group_state.to_string(),
            protocol_type: g.protocol_type.to_string(),
            protocol: g.protocol_data.to_string(),
            members: g
                .members
                .into_iter()
                .map(|m| DescribedMember {
                    member_id: m.member_id.to_string(),
                    client_id: m.client_id.to_string(),
                    client_host: m.client_host.to_string(),
                    metadata: m.member_metadata,
                    assignment: m.member_assignment,
                })
                .collect(),
        })
    }

    /// Sends `request` at the negotiated version and reads its response.
    pub fn call<R: Request>(&mut self, request: &R) -> Result<(R::Response, i16), WireError> {
        let version = self.version_of::<R>()?;
        Ok((self.send(request, version)?, version))
    }

    fn send<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response, WireError> {
        let protocol = |e: anyhow::Error| WireError::Protocol {
            addr: self.addr.clone(),
            message: e.to_string(),
        };
        self.correlation = self.correlation.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation)
            .with_client_id(Some(StrBytes::from_static_str("wharf")));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .map_err(protocol)?;
        request.encode(&mut body, version).map_err(protocol)?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.put_i32(i32::try_from(body.len()).unwrap_or(i32::MAX));
        frame.extend_from_slice(&body);
        let io = |source| WireError::Io {
            addr: self.addr.clone(),
            source,
        };
        self.stream.write_all(&frame).map_err(io)?;
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).map_err(io)?;
        let size = usize::try_from(i32::from_be_bytes(size)).unwrap_or(usize::MAX);
        if size > MAX_RESPONSE {
            return Err(WireError::Protocol {
                addr: self.addr.clone(),
                message: format!("response of {size} bytes"),
            });
        }
        let mut data = vec![0u8; size];
        self.stream.read_exact(&mut data).map_err(io)?;
        let mut data = Bytes::from(data);
        let header = ResponseHeader::decode(
            &mut data,
            <R::Response as HeaderVersion>::header_version(version),
        )
        .map_err(protocol)?;
        if header.correlation_id != self.correlation {
            return Err(WireError::Protocol {
                addr: self.addr.clone(),
                message: format!(
                    "response for request {} while waiting for {}",
                    header.correlation_id, self.correlation
                ),
            });
        }
        let response = R::Response::decode(&mut data, version).map_err(protocol)?;
        if data.has_remaining() {
            tracing::debug!(message = "Response has trailing bytes.", addr = %self.addr, bytes = data.remaining());
        }
        Ok(response)
    }
}

/// The group coordinator of `group`, as `host:port`, asked of the first bootstrap server that
/// answers.
pub fn find_coordinator(
    bootstrap: &str,
    group: &str,
    timeout: Duration,
    security: &WireSecurity,
) -> Result<String, WireError> {
    let mut last = None;
    for server in bootstrap
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let server = server.rsplit("://").next().unwrap_or(server);
        let mut conn = match Connection::open(server, timeout, security) {
            Ok(c) => c,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let key = StrBytes::from_string(group.to_owned());
        // v4 moved the key into a list; a field set outside its versions does not encode.
        let request = if conn.version_of::<FindCoordinatorRequest>()? >= 4 {
            FindCoordinatorRequest::default().with_coordinator_keys(vec![key])
        } else {
            FindCoordinatorRequest::default().with_key(key)
        }
        .with_key_type(0);
        let (response, version) = conn.call(&request)?;
        let (code, message, host, port) = if version >= 4 {
            let c = response
                .coordinators
                .first()
                .ok_or_else(|| WireError::Protocol {
                    addr: server.to_owned(),
                    message: "FindCoordinator answered no coordinator".to_owned(),
                })?;
            (
                c.error_code,
                c.error_message.clone(),
                c.host.clone(),
                c.port,
            )
        } else {
            (
                response.error_code,
                response.error_message.clone(),
                response.host.clone(),
                response.port,
            )
        };
        if code != 0 {
            return Err(WireError::Kafka {
                api: ApiKey::FindCoordinator,
                code,
                message: message.map(|m| m.to_string()),
            });
        }
        return Ok(format!("{}:{port}", &*host));
    }
    Err(last.unwrap_or_else(|| WireError::Protocol {
        addr: bootstrap.to_owned(),
        message: "no bootstrap server given".to_owned(),
    }))
}

/// Removes the static member `instance_id` from consumer group `group` (LeaveGroup v3+, what
/// Kafka's `removeMembersFromConsumerGroup` sends), so its partitions move to the other members
/// at once instead of after `session.timeout.ms`. A member that is already gone is not an error.
pub fn leave_group(
    bootstrap: &str,
    group: &str,
    instance_id: &str,
    reason: &str,
    timeout: Duration,
    security: &WireSecurity,
) -> Result<(), WireError> {
    let coordinator = find_coordinator(bootstrap, group, timeout, security)?;
    let mut conn = Connection::open(&coordinator, timeout, security)?;
    if conn.version_of::<LeaveGroupRequest>()? < 3 {
        return Err(WireError::Unsupported {
            addr: coordinator,
            api: ApiKey::LeaveGroup,
        });
    }
    conn.leave_group(group, "", Some(instance_id), reason)
}
