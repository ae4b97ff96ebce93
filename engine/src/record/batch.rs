//! The one copy out of librdkafka: messages of a poll are appended to a single buffer and handed
//! out as `Bytes` slices of it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use rdkafka::Message;
use rdkafka::message::Headers;

use super::{Header, RawRecord};

/// A byte range of the batch buffer.
type Span = (usize, usize);

/// Where a record's parts sit in the batch buffer.
#[derive(Debug)]
struct Pending {
    topic: Arc<str>,
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    key: Option<Span>,
    value: Option<Span>,
    headers: Vec<(Arc<str>, Option<Span>)>,
}

/// Collects messages into one buffer; [`finish`](Self::finish) freezes it and returns the
/// records as slices of it.
#[derive(Debug, Default)]
pub struct BatchBuilder {
    buffer: BytesMut,
    pending: Vec<Pending>,
    /// The topic name of the previous message, reused while the topic stays the same.
    last_topic: Option<Arc<str>>,
}

impl BatchBuilder {
    /// A builder expecting about `records` records of `bytes` bytes in total.
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        Self {
            buffer: BytesMut::with_capacity(bytes),
            pending: Vec::with_capacity(records),
            last_topic: None,
        }
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Bytes copied so far.
    pub fn bytes(&self) -> usize {
        self.buffer.len()
    }

    /// Copies one message into the batch.
    pub fn push<M: Message>(&mut self, message: &M) {
        let topic = match &self.last_topic {
            Some(t) if **t == *message.topic() => Arc::clone(t),
            _ => {
                let t: Arc<str> = Arc::from(message.topic());
                self.last_topic = Some(Arc::clone(&t));
                t
            }
        };
        let key = message.key().map(|k| self.append(k));
        let value = message.payload().map(|v| self.append(v));
        let headers = match message.headers() {
            Some(headers) => headers
                .iter()
                .map(|h| (Arc::from(h.key), h.value.map(|v| self.append(v))))
                .collect(),
            None => Vec::new(),
        };
        self.pending.push(Pending {
            topic,
            partition: message.partition(),
            offset: message.offset(),
            timestamp: message.timestamp().to_millis(),
            key,
            value,
            headers,
        });
    }

    fn append(&mut self, bytes: &[u8]) -> Span {
        let start = self.buffer.len();
        self.buffer.extend_from_slice(bytes);
        (start, self.buffer.len())
    }

    /// Freezes the buffer and returns the records; the builder is empty again afterwards.
    ///
    /// The records take the filled part of the buffer; the builder keeps the allocation's spare
    /// capacity, and once the records of earlier batches are dropped the next batch's appends
    /// reclaim the whole allocation (`BytesMut::reserve` reuses a buffer no one else holds), so a
    /// steady stream of batches allocates nothing new.
    pub fn finish(&mut self) -> Vec<RawRecord> {
        let buffer: Bytes = self.buffer.split().freeze();
        let slice = |range: Option<Span>| range.map(|(s, e)| buffer.slice(s..e));
        self.pending
            .drain(..)
            .map(|p| RawRecord {
                topic: p.topic,
                partition: p.partition,
                offset: p.offset,
                timestamp: p.timestamp,
                key: slice(p.key),
                value: slice(p.value),
                headers: p
                    .headers
                    .into_iter()
                    .map(|(key, value)| Header {
                        key,
                        value: slice(value),
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_reused_across_batches() {
        let mut builder = BatchBuilder::with_capacity(16, 4096);
        let value = vec![7u8; 1000];
        let first_ptr = {
            builder.push(&message("t", 0, None, Some(&value)));
            let records = builder.finish();
            records[0].value.as_ref().unwrap().as_ptr() as usize
        };
        // Earlier batches' records are gone: every later batch lands in the same allocation
        // (its spare part, or the whole of it reclaimed), never in a new one.
        for round in 0..5 {
            for i in 0..3 {
                builder.push(&message("t", i, None, Some(&value)));
            }
            let records = builder.finish();
            let ptr = records[0].value.as_ref().unwrap().as_ptr() as usize;
            assert!(
                (first_ptr..first_ptr + 4096).contains(&ptr),
                "batch {round} got a new buffer"
            );
        }
    }
    use rdkafka::message::{Header as KafkaHeader, OwnedHeaders, OwnedMessage, Timestamp};

    fn message(topic: &str, offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> OwnedMessage {
        OwnedMessage::new(
            value.map(<[u8]>::to_vec),
            key.map(<[u8]>::to_vec),
            topic.to_owned(),
            Timestamp::CreateTime(1_700_000_000_000 + offset),
            0,
            offset,
            Some(OwnedHeaders::new().insert(KafkaHeader {
                key: "h",
                value: Some(b"hv".as_slice()),
            })),
        )
    }

    #[test]
    fn records_are_slices_of_one_buffer() {
        let mut builder = BatchBuilder::with_capacity(2, 64);
        builder.push(&message("t", 7, Some(b"k1"), Some(b"value-1")));
        builder.push(&message("t", 8, None, Some(b"value-2")));
        builder.push(&message("u", 9, Some(b"k3"), None));
        assert_eq!(builder.len(), 3);
        let records = builder.finish();
        assert!(builder.is_empty());

        assert_eq!(records[0].key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(records[0].value.as_deref(), Some(&b"value-1"[..]));
        assert_eq!(records[0].offset, 7);
        assert_eq!(records[0].timestamp, Some(1_700_000_000_007));
        assert_eq!(records[0].headers[0].value.as_deref(), Some(&b"hv"[..]));
        assert_eq!(records[1].key, None);
        assert_eq!(&*records[2].topic, "u");
        assert_eq!(records[2].value, None);
        // Same topic, same allocation.
        assert!(Arc::ptr_eq(&records[0].topic, &records[1].topic));
        // Value slices point into one buffer: the second starts where the first one's header ends.
        let base = records[0].key.as_ref().unwrap().as_ptr();
        let v2 = records[1].value.as_ref().unwrap().as_ptr();
        assert_eq!(v2 as usize - base as usize, "k1value-1hv".len());
        assert_eq!(records[0].size(), 2 + 7 + 1 + 2);
    }
}
