//! Telling a client that can never get in from one that is merely waiting for a broker.
//! librdkafka reports a refused SASL login or a failed TLS handshake (an unknown CA, a
//! certificate for another host, a TLS alert from a broker that wants a client certificate) only
//! to the client's error callback and then retries forever;
//! records would wait out their delivery timeout (minutes) before anything failed. A
//! [`LoginWatch`] keeps the first such error so the task can fail at once, naming it.

use std::sync::Mutex;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

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

    /// The error and librdkafka's reason, once the client cannot get in.
    pub fn failure(&self) -> Option<(KafkaError, String)> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
}
