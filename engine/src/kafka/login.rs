//! Telling a client that can never get in from one that is merely waiting for a broker.
//! librdkafka reports a refused SASL login or a failed TLS handshake (an unknown CA, a
//! certificate for another host, a TLS alert from a broker that wants a client certificate) only
//! to the client's error callback and then retries forever;
//! records would wait out their delivery timeout (minutes) before anything failed. A
//! [`LoginWatch`] keeps the first such error so the task can fail at once, naming it.
//!
//! A plaintext client talking to a TLS listener is not even reported there: librdkafka only logs
//! (at info level) "127.0.0.1:9094/bootstrap: Disconnected: connection closed by peer: receive 0
//! after POLLIN (after 1ms in state APIVERSION_QUERY)" and retries forever. The same line can
//! come from a broker that went away mid-request (a restart), so the watch checks before it
//! believes it: it sends that broker a plaintext ApiVersions request of its own, and only a TLS
//! alert in answer (a record starting `0x15 0x03`, which Kafka's TLS listeners send to bytes
//! that are no TLS handshake) counts. A broker that answers, one that hangs up or is starting or
//! stopping, a port nobody listens on: none of them sends that. Only lines about plaintext
//! connections count: librdkafka names a TLS one `ssl://host:port/..`.

use std::sync::Mutex;
use std::time::Duration;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// How librdkafka's FAIL line ends when the broker hung up before answering ApiVersion, the
/// first request on a new connection.
const CLOSED_IN_APIVERSION: &str = "in state APIVERSION_QUERY";

/// How long the check of a suspected TLS listener may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The first login failure a client reported; see the module docs.
#[derive(Debug, Default)]
pub struct LoginWatch {
    failure: Mutex<Option<(KafkaError, String)>>,
}

impl LoginWatch {
    /// Looks at an error the client's callback got; `true` once the client cannot get in.
    pub fn observe(&self, error: &KafkaError, reason: &str) -> bool {
        let refused = match error {
            KafkaError::Global(
                RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SaslAuthenticationFailed
                | RDKafkaErrorCode::SSL,
            ) => true,
            // The broker answered the TLS handshake with an alert (no or a bad client
            // certificate): a refusal, unlike an end of stream when a broker goes away.
            KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure) => {
                reason.contains("SSL routines::") && reason.contains(" alert ")
            }
            _ => false,
        };
        if refused {
            self.failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert_with(|| (error.clone(), reason.to_owned()));
        }
        refused
    }

    /// Looks at a line librdkafka logs; `true` once it showed (and a check confirmed) that a
    /// plaintext client talks to a TLS listener. Called on librdkafka's thread: the check blocks
    /// that broker's thread, which is waiting to reconnect anyway, for at most two seconds.
    pub fn observe_log(&self, facility: &str, line: &str) -> bool {
        if facility != "FAIL"
            || !line.contains("Disconnected")
            || !line.contains(CLOSED_IN_APIVERSION)
        {
            return false;
        }
        let Some(addr) = failed_plaintext_broker(line) else {
            return false;
        };
        if self.failure().is_some() || !answers_with_a_tls_alert(addr) {
            return false;
        }
        let reason = format!(
            "{addr} is a TLS listener: it answered a plaintext request with a TLS alert \
             (security.protocol is PLAINTEXT or SASL_PLAINTEXT; this listener needs SSL or SASL_SSL)"
        );
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(|| {
                (
                    KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure),
                    reason,
                )
            });
        true
    }

    /// The error and librdkafka's reason, once the client cannot get in.
    pub fn failure(&self) -> Option<(KafkaError, String)> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The `host:port` of the broker a FAIL line is about, if the connection was plaintext:
/// librdkafka starts the line with the broker's name, `host:port/id` for a plaintext connection,
/// `proto://host:port/id` for the others.
fn failed_plaintext_broker(line: &str) -> Option<&str> {
    // With `log.thread.name` (the default) the line starts with `[thrd:<thread>]: `.
    let line = match line.strip_prefix("[thrd:") {
        Some(rest) => rest.split_once("]: ")?.1,
        None => line,
    };
    let name = line.split_whitespace().next()?.trim_end_matches(':');
    let name = match name.split_once("://") {
        Some(("sasl_plaintext", rest)) => rest,
        Some(_) => return None,
        None => name,
    };
    let addr = name.rsplit_once('/').map_or(name, |(addr, _)| addr);
    addr.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
        .then_some(addr)
}

/// Whether `addr` answers a plaintext ApiVersions request (v0) with a TLS alert record.
fn answers_with_a_tls_alert(addr: &str) -> bool {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let Some(socket) = addr.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return false;
    };
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&socket, PROBE_TIMEOUT) else {
        return false;
    };
    // Size, then api key 18 (ApiVersions), version 0, correlation id 1, client id "wharf".
    let mut request = vec![0, 0, 0, 15, 0, 18, 0, 0, 0, 0, 0, 1, 0, 5];
    request.extend_from_slice(b"wharf");
    let mut answer = [0u8; 2];
    let alert = stream.set_read_timeout(Some(PROBE_TIMEOUT)).is_ok()
        && stream.write_all(&request).is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && answer == [0x15, 0x03];
    tracing::debug!(
        message = "Probed a listener with a plaintext ApiVersions request.",
        addr,
        tls_alert = alert
    );
    alert
}

/// librdkafka's log line at the level it gave it, as rdkafka's default `ClientContext::log`
/// does, for contexts that look at the lines too.
pub fn forward_log(level: RDKafkaLogLevel, facility: &str, line: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", "librdkafka: {facility} {line}");
        }
        RDKafkaLogLevel::Warning => {
            tracing::warn!(target: "librdkafka", "librdkafka: {facility} {line}")
        }
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", "librdkafka: {facility} {line}");
        }
        RDKafkaLogLevel::Debug => {
            tracing::debug!(target: "librdkafka", "librdkafka: {facility} {line}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_logins_count_and_broken_connections_do_not() {
        let watch = LoginWatch::default();
        let down = KafkaError::Global(RDKafkaErrorCode::AllBrokersDown);
        assert!(!watch.observe(&down, "down"));
        let transport = KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure);
        assert!(!watch.observe(&transport, "Connection refused"));
        let eof = "Receive failed: error:0A000126:SSL routines::unexpected eof while reading";
        assert!(!watch.observe(&transport, eof));
        assert!(watch.failure().is_none());
        let alert = LoginWatch::default();
        assert!(alert.observe(
            &transport,
            "Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42"
        ));
        let auth = KafkaError::Global(RDKafkaErrorCode::Authentication);
        assert!(watch.observe(&auth, "bad password"));
        assert!(!watch.observe(&transport, "later"));
        assert!(watch.failure().is_some_and(|(_, r)| r == "bad password"));
    }

    #[test]
    fn the_failed_brokers_address_is_read_from_librdkafkas_line() {
        let line = "127.0.0.1:9094/bootstrap: Disconnected: connection closed by peer: receive 0 \
                    after POLLIN (after 1ms in state APIVERSION_QUERY)";
        assert_eq!(failed_plaintext_broker(line), Some("127.0.0.1:9094"));
        let threaded = format!("[thrd:127.0.0.1:9094/bootstrap]: {line}");
        assert_eq!(failed_plaintext_broker(&threaded), Some("127.0.0.1:9094"));
        assert_eq!(
            failed_plaintext_broker("sasl_plaintext://[::1]:9095/1: Disconnected"),
            Some("[::1]:9095")
        );
        assert_eq!(
            failed_plaintext_broker("ssl://127.0.0.1:9094/1: Disconnected"),
            None
        );
        assert_eq!(
            failed_plaintext_broker("Disconnected: connection closed"),
            None
        );
    }

    #[test]
    fn a_port_nobody_listens_on_is_no_tls_listener() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let watch = LoginWatch::default();
        let line =
            format!("127.0.0.1:{port}/bootstrap: Disconnected (after 1ms {CLOSED_IN_APIVERSION})");
        assert!(!watch.observe_log("FAIL", &line));
        assert!(watch.failure().is_none());
    }

    /// A listener that reads the request and then sends `answer` and hangs up.
    fn listener_answering(answer: &'static [u8]) -> (String, std::thread::JoinHandle<()>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 64];
            let _ = socket.read(&mut buf);
            let _ = socket.write_all(answer);
        });
        (addr, server)
    }

    #[test]
    fn a_listener_that_answers_with_a_tls_alert_is_a_tls_listener() {
        // What Kafka's TLS listener sends to a plaintext request: a fatal internal_error alert.
        let (addr, server) = listener_answering(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50]);
        let watch = LoginWatch::default();
        let line = format!("{addr}/bootstrap: Disconnected (after 1ms {CLOSED_IN_APIVERSION})");
        assert!(watch.observe_log("FAIL", &line));
        let (_, reason) = watch.failure().expect("a failure");
        assert!(reason.contains("is a TLS listener"), "{reason}");
        assert!(!watch.observe_log("BROKER", &line), "only FAIL lines count");
        server.join().expect("server");
    }

    #[test]
    fn a_listener_that_only_hangs_up_is_not_taken_for_a_tls_one() {
        // A broker going away mid-request closes without a word.
        let (addr, server) = listener_answering(&[]);
        let watch = LoginWatch::default();
        let line = format!("{addr}/bootstrap: Disconnected (after 1ms {CLOSED_IN_APIVERSION})");
        assert!(!watch.observe_log("FAIL", &line));
        assert!(watch.failure().is_none());
        server.join().expect("server");
    }
}
