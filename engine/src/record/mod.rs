//! Records as they come out of Kafka, before any converter looks at them.
//!
//! A consumed batch is copied out of librdkafka into one contiguous buffer ([`BatchBuilder`]);
//! every key, value and header of the batch is then a `Bytes` slice of that buffer. Handing a
//! record on (to a converter, a transform, a sink) shares those bytes instead of copying them:
//! decoded strings and bytes are slices of the same buffer where the format allows (a JSON string
//! without escapes, Avro bytes), and an undecoded value (the pass-through lane) is the slice
//! itself. Producing copies once more, into librdkafka's own buffer.

mod batch;

use std::sync::Arc;

use bytes::Bytes;

pub use batch::BatchBuilder;

/// One header: a name and an optional value (the converters' type, so headers pass to them as
/// they are).
pub use connect_api::Header;

/// A record read from Kafka, with its bytes still in their serialized form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Shared by every record of the batch from the same topic.
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the epoch, when the broker reported one.
    pub timestamp: Option<i64>,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<Header>,
}

impl RawRecord {
    /// Bytes of key, value and headers (what throughput figures count).
    pub fn size(&self) -> usize {
        self.key.as_ref().map_or(0, Bytes::len)
            + self.value.as_ref().map_or(0, Bytes::len)
            + self
                .headers
                .iter()
                .map(|h| h.key.len() + h.value.as_ref().map_or(0, Bytes::len))
                .sum::<usize>()
    }
}
