//! A small blocking client for Kafka requests librdkafka does not make for us, on the
//! `kafka-protocol` crate's message codecs: one TCP connection, Kafka's framing (a 4-byte
//! big-endian size, the request header, the body), and version negotiation through ApiVersions
//! (each request goes at the highest version both sides support). Control-plane code: call it
//! from a blocking thread, never from a shard's executor.
//!
//! Used for removing a static group member on a deliberate stop ([`leave_group`]): librdkafka
//! never sends LeaveGroup for a member with `group.instance.id`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::find_coordinator_request::FindCoordinatorRequest;
use kafka_protocol::messages::leave_group_request::{LeaveGroupRequest, MemberIdentity};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, GroupId, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

/// Kafka's UNSUPPORTED_VERSION error code.
const UNSUPPORTED_VERSION: i16 = 35;
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
    #[error("{addr} does not support {api:?} in a version this client speaks")]
    Unsupported { addr: String, api: ApiKey },
    #[error("{api:?} failed with Kafka error code {code}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kafka {
        api: ApiKey,
        code: i16,
        message: Option<String>,
    },
}

/// One connection to one broker.
#[derive(Debug)]
pub struct Connection {
    addr: String,
    stream: TcpStream,
    correlation: i32,
    /// Per API key: the broker's (min, max) version.
    versions: BTreeMap<i16, (i16, i16)>,
}

impl Connection {
    /// Connects to `addr` (`host:port`) and asks which versions it speaks.
    pub fn open(addr: &str, timeout: Duration) -> Result<Self, WireError> {
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
        let mut conn = Self {
            addr: addr.to_owned(),
            stream,
            correlation: 0,
            versions: BTreeMap::new(),
        };
        conn.negotiate()?;
        Ok(conn)
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
) -> Result<String, WireError> {
    let mut last = None;
    for server in bootstrap
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let server = server.rsplit("://").next().unwrap_or(server);
        let mut conn = match Connection::open(server, timeout) {
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
) -> Result<(), WireError> {
    /// UNKNOWN_MEMBER_ID: the member left already (or its session expired).
    const UNKNOWN_MEMBER_ID: i16 = 25;
    let coordinator = find_coordinator(bootstrap, group, timeout)?;
    let mut conn = Connection::open(&coordinator, timeout)?;
    let version = conn.version_of::<LeaveGroupRequest>()?;
    if version < 3 {
        return Err(WireError::Unsupported {
            addr: coordinator,
            api: ApiKey::LeaveGroup,
        });
    }
    let mut member = MemberIdentity::default()
        .with_member_id(StrBytes::from_static_str(""))
        .with_group_instance_id(Some(StrBytes::from_string(instance_id.to_owned())));
    // The reason travels from v5 on.
    if version >= 5 {
        member = member.with_reason(Some(StrBytes::from_string(reason.to_owned())));
    }
    let request = LeaveGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
        .with_members(vec![member]);
    let (response, _) = conn.call(&request)?;
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
        0 | UNKNOWN_MEMBER_ID => Ok(()),
        code => Err(WireError::Kafka {
            api: ApiKey::LeaveGroup,
            code,
            message: None,
        }),
    }
}
