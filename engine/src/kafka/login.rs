//! Telling a client that can never get in from one that is merely waiting for a broker.
//! librdkafka reports a refused SASL login or a failed TLS handshake (an unknown CA, a
//! certificate for another host) only to the client's error callback and then retries forever;
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
        let refused = matches!(
            error,
            KafkaError::Global(
                RDKafkaErrorCode::Authentication
                    | RDKafkaErrorCode::SaslAuthenticationFailed
                    | RDKafkaErrorCode::SSL,
            )
        );
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
        assert!(watch.failure().is_none());
        let auth = KafkaError::Global(RDKafkaErrorCode::Authentication);
        assert!(watch.observe(&auth, "bad password"));
        assert!(!watch.observe(&transport, "later"));
        assert!(watch.failure().is_some_and(|(_, r)| r == "bad password"));
    }
}
