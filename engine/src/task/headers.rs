//! Record headers as transforms see them. Header bytes are read as a string when they are UTF-8
//! and as bytes otherwise, and written back the same way (Kafka Connect's SimpleHeaderConverter
//! also infers numbers, booleans, maps and lists from the text; wharf keeps such headers as
//! strings, which writes the same bytes back).

use std::sync::Arc;

use bytes::Bytes;
use connect_api::data::{Schema, SchemaAndValue, Str, Value};

use crate::record::Header;
use transforms::ConnectHeader;

/// Raw headers to Connect headers.
pub fn to_connect(headers: &[Header]) -> Vec<ConnectHeader> {
    headers
        .iter()
        .map(|h| {
            let value = match &h.value {
                None => SchemaAndValue::new(None, Value::Null),
                Some(bytes) => match Str::from_utf8(bytes.clone()) {
                    Ok(s) => SchemaAndValue::new(Some(Schema::optional_string()), Value::String(s)),
                    Err(_) => SchemaAndValue::new(
                        Some(Schema::optional_bytes()),
                        Value::Bytes(bytes.clone()),
                    ),
                },
            };
            ConnectHeader::new(Arc::clone(&h.key), value)
        })
        .collect()
}

/// Connect headers back to bytes; values that are neither text nor bytes are written as their
/// schemaless JSON text.
pub fn to_raw(headers: Vec<ConnectHeader>) -> Vec<Header> {
    headers
        .into_iter()
        .map(|h| {
            let value = match h.value.value {
                Value::Null => None,
                Value::String(s) => Some(s.into_bytes()),
                Value::Bytes(b) => Some(b),
                other => Some(Bytes::from(crate::task::headers::text_of(&other))),
            };
            Header { key: h.key, value }
        })
        .collect()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Boolean(b) => b.to_string(),
        Value::Int8(n) => n.to_string(),
        Value::Int16(n) => n.to_string(),
        Value::Int32(n) | Value::Date(n) | Value::Time(n) => n.to_string(),
        Value::Int64(n) | Value::Timestamp(n) => n.to_string(),
        Value::Float32(n) => n.to_string(),
        Value::Float64(n) => n.to_string(),
        Value::Decimal(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_bytes_round_trip() {
        let raw = vec![
            Header {
                key: Arc::from("a"),
                value: Some(Bytes::from_static(b"text")),
            },
            Header {
                key: Arc::from("b"),
                value: Some(Bytes::from_static(&[0xff, 0x00])),
            },
            Header {
                key: Arc::from("c"),
                value: None,
            },
        ];
        assert_eq!(to_raw(to_connect(&raw)), raw);
    }
}
