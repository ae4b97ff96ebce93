//! Record headers.

use std::sync::Arc;

use bytes::Bytes;

/// A Kafka record header: what converters, transforms and tasks see, and what the runtime hands
/// to and takes from the Kafka client, so headers pass between them as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header key.
    pub key: Arc<str>,
    /// The header value; `None` for a null value.
    pub value: Option<Bytes>,
}
