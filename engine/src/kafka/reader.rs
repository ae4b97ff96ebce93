//! The client context of consumers that read a topic to its end (the offsets topic, distributed
//! mode's internal topics). They set `enable.partition.eof` to know when they are done, and
//! librdkafka reports each end of a partition as an error event too, which rdkafka's default
//! context logs at ERROR: this one leaves those out and logs every other client error as the
//! default does.

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// A consumer that reads to the end of its partitions.
pub type ReaderConsumer = BaseConsumer<ReaderContext>;

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReaderContext;

impl ClientContext for ReaderContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let end_of_partition = matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !end_of_partition {
            tracing::error!(message = "Kafka client error.", %error, reason);
        }
    }
}

impl ConsumerContext for ReaderContext {}
