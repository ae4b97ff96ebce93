//! What a librdkafka error means for the task that saw it, decided once, where clients are used
//! (Vector's Kafka sink sorts its errors the same way). A task error's class decides whether the
//! supervisor restarts the task ([`ErrorClass::Retriable`]) or reports it once
//! ([`ErrorClass::Config`], [`ErrorClass::Fatal`]): retrying a record that is too large, a topic
//! the principal may not write, or a client config librdkafka refuses only fails the same way
//! again.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use crate::kafka::SendError;
use connect_api::ErrorClass;

/// The class of a client error.
pub fn error_class(error: &KafkaError) -> ErrorClass {
    use RDKafkaErrorCode as C;
    match error {
        KafkaError::ClientConfig(..) | KafkaError::ClientCreation(_) => ErrorClass::Config,
        KafkaError::Subscription(_) => ErrorClass::Config,
        _ => match error.rdkafka_error_code() {
            Some(
                C::MessageSizeTooLarge
                | C::InvalidMessageSize
                | C::InvalidMessage
                | C::InvalidRecord
                | C::InvalidRequiredAcks
                | C::MessageBatchTooLarge
                | C::InvalidArgument
                | C::UnsupportedCompressionType
                | C::InvalidTopic
                | C::UnknownTopic,
            ) => ErrorClass::Fatal,
            Some(
                C::TopicAuthorizationFailed
                | C::GroupAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::TransactionalIdAuthorizationFailed
                | C::SaslAuthenticationFailed
                | C::Authentication
                | C::InvalidConfig
                | C::InvalidSessionTimeout
                | C::InconsistentGroupProtocol
                | C::InvalidGroupId,
            ) => ErrorClass::Config,
            // Fenced: another live copy of this task owns the group membership (a static
            // member) or the transactional id (an exactly-once producer). This copy is the
            // zombie; restarting it would only fence the live one in turn.
            Some(C::FencedInstanceId | C::ProducerFenced | C::Fenced | C::InvalidProducerEpoch) => {
                ErrorClass::Fatal
            }
            _ => ErrorClass::Retriable,
        },
    }
}

/// The class of a produce failure.
pub fn send_error_class(error: &SendError) -> ErrorClass {
    match error {
        SendError::Rejected { source, .. } | SendError::Delivery { source, .. } => {
            error_class(source)
        }
        SendError::Canceled { .. } => ErrorClass::Retriable,
        // Retrying with the same credentials or trust store cannot succeed.
        SendError::Login { .. } => ErrorClass::Config,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_kafka_cannot_take_are_not_retried() {
        let too_large = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        assert_eq!(error_class(&too_large), ErrorClass::Fatal);
        let denied = KafkaError::MessageProduction(RDKafkaErrorCode::TopicAuthorizationFailed);
        assert_eq!(error_class(&denied), ErrorClass::Config);
        let queue = KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull);
        assert_eq!(error_class(&queue), ErrorClass::Retriable);
        let transport = KafkaError::MessageProduction(RDKafkaErrorCode::BrokerTransportFailure);
        assert_eq!(error_class(&transport), ErrorClass::Retriable);
        let unknown = KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopic);
        assert_eq!(error_class(&unknown), ErrorClass::Fatal);
        let fenced = KafkaError::MessageProduction(RDKafkaErrorCode::ProducerFenced);
        assert_eq!(error_class(&fenced), ErrorClass::Fatal);
    }

    #[test]
    fn a_bad_client_setting_is_a_config_error() {
        let made = rdkafka::ClientConfig::new()
            .set("auto.offset.reset", "sideways")
            .create::<rdkafka::consumer::BaseConsumer>();
        let error = made.err().expect("librdkafka refuses the value");
        assert_eq!(error_class(&error), ErrorClass::Config);
    }
}
