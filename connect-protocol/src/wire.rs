//! Kafka's old-style (non-flexible) protocol types, as the Connect group protocol blobs use them.
//!
//! Mirrors `org.apache.kafka.common.protocol.types.{Type, ArrayOf, Schema}` (clients module). Every value is
//! big-endian; there are no varints and no tagged fields, even when the enclosing JoinGroup/SyncGroup request
//! is a flexible version.
//!
//! | type | layout | Java |
//! |---|---|---|
//! | INT16 / INT32 / INT64 | 2 / 4 / 8 bytes, signed | `Type.INT16` ... |
//! | STRING | int16 length (≥ 0, ≤ 32767) + UTF-8 bytes | `Type.STRING` |
//! | NULLABLE_BYTES | int32 length + bytes; any negative length = null | `Type.NULLABLE_BYTES` |
//! | ARRAY | int32 count + elements; with `ArrayOf.nullable` a negative count = null | `ArrayOf` |
//!
//! Reading checks what Java checks, in the same order (verified against `Type.java` and `ArrayOf.java` at
//! apache/kafka `1eb7644349cb`): a negative STRING length is an error; a STRING, BYTES or ARRAY length larger
//! than the bytes left is an error (for arrays Java compares the element *count* with the bytes left, which
//! also bounds the allocation); trailing bytes after the last field are ignored.
//!
//! `Schema(tolerateMissingFieldsWithDefaults = true, ...)`: when the buffer is already exhausted at the start
//! of a field that has a default, the field takes its default; a field cut in the middle is still an error
//! ([`Reader::or_default`]).
//!
//! Strings are decoded the way Java's `Utils.utf8` does (`new String(bytes, UTF_8)`): malformed sequences become
//! U+FFFD rather than failing, so a blob Java accepts is accepted here too.

use thiserror::Error;

/// Longest string `Type.STRING` can carry (`Short.MAX_VALUE` bytes).
pub const MAX_STRING_LEN: usize = i16::MAX as usize;

/// A malformed, truncated or unencodable blob. `field` names the schema field (Java's field key, e.g.
/// `config-offset`), `offset` the byte at which it starts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer bytes are left than the fixed-size part of the field needs.
    #[error("field '{field}' at byte {offset}: needs {needed} bytes, only {available} left")]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// A STRING length or non-nullable ARRAY count is negative.
    #[error("field '{field}' at byte {offset}: length {length} cannot be negative")]
    NegativeLength {
        field: &'static str,
        offset: usize,
        length: i64,
    },
    /// A length prefix claims more bytes than the blob has left.
    #[error("field '{field}' at byte {offset}: length {length} but only {available} bytes left")]
    LengthExceedsRemaining {
        field: &'static str,
        offset: usize,
        length: usize,
        available: usize,
    },
    /// The version header is below 0 (`checkVersionCompatibility`: "Unsupported subscription version").
    #[error("unsupported Connect protocol version {0}")]
    UnsupportedVersion(i16),
    /// A string longer than 32767 bytes cannot be written as `Type.STRING`.
    #[error(
        "field '{field}': string of {length} bytes is longer than the maximum {MAX_STRING_LEN}"
    )]
    StringTooLong { field: &'static str, length: usize },
    /// An array or byte string with more than `i32::MAX` elements cannot be written.
    #[error("field '{field}': {length} elements do not fit an int32 count")]
    TooManyElements { field: &'static str, length: usize },
}

/// Appends old-style values to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn int16(&mut self, v: i16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn int32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn int64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// `Type.STRING`: int16 length + UTF-8.
    pub fn string(&mut self, field: &'static str, v: &str) -> Result<&mut Self, WireError> {
        let len = v.len();
        if len > MAX_STRING_LEN {
            return Err(WireError::StringTooLong { field, length: len });
        }
        self.int16(len as i16);
        self.buf.extend_from_slice(v.as_bytes());
        Ok(self)
    }

    /// `Type.NULLABLE_BYTES`: int32 length + bytes, −1 for null.
    pub fn nullable_bytes(
        &mut self,
        field: &'static str,
        v: Option<&[u8]>,
    ) -> Result<&mut Self, WireError> {
        match v {
            None => {
                self.int32(-1);
            }
            Some(b) => {
                self.int32(count(field, b.len())?);
                self.buf.extend_from_slice(b);
            }
        }
        Ok(self)
    }

    /// The int32 element count that starts an `ArrayOf`; the caller writes the elements.
    pub fn array_len(&mut self, field: &'static str, len: usize) -> Result<&mut Self, WireError> {
        self.int32(count(field, len)?);
        Ok(self)
    }

    /// A null `ArrayOf.nullable` (count −1).
    pub fn null_array(&mut self) -> &mut Self {
        self.int32(-1)
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

fn count(field: &'static str, len: usize) -> Result<i32, WireError> {
    i32::try_from(len).map_err(|_| WireError::TooManyElements { field, length: len })
}

/// Reads old-style values from a byte slice, naming the field and byte of any failure.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Byte offset of the next read.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn has_remaining(&self) -> bool {
        self.pos < self.buf.len()
    }

    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], WireError> {
        let available = self.remaining();
        if n > available {
            return Err(WireError::Truncated {
                field,
                offset: self.pos,
                needed: n,
                available,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn fixed<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    pub fn int16(&mut self, field: &'static str) -> Result<i16, WireError> {
        Ok(i16::from_be_bytes(self.fixed(field)?))
    }

    pub fn int32(&mut self, field: &'static str) -> Result<i32, WireError> {
        Ok(i32::from_be_bytes(self.fixed(field)?))
    }

    pub fn int64(&mut self, field: &'static str) -> Result<i64, WireError> {
        Ok(i64::from_be_bytes(self.fixed(field)?))
    }

    /// `Type.STRING`.
    pub fn string(&mut self, field: &'static str) -> Result<String, WireError> {
        let start = self.pos;
        let len = self.int16(field)?;
        if len < 0 {
            return Err(WireError::NegativeLength {
                field,
                offset: start,
                length: len.into(),
            });
        }
        let len = len as usize;
        if len > self.remaining() {
            return Err(WireError::LengthExceedsRemaining {
                field,
                offset: start,
                length: len,
                available: self.remaining(),
            });
        }
        let bytes = self.take(field, len)?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    /// `Type.NULLABLE_BYTES`: any negative length is null, as in Java.
    pub fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, WireError> {
        let start = self.pos;
        let len = self.int32(field)?;
        if len < 0 {
            return Ok(None);
        }
        let len = len as usize;
        if len > self.remaining() {
            return Err(WireError::LengthExceedsRemaining {
                field,
                offset: start,
                length: len,
                available: self.remaining(),
            });
        }
        Ok(Some(self.take(field, len)?))
    }

    /// The count that starts an `ArrayOf`: `None` for a null nullable array. Like Java, a count larger than
    /// the bytes left is rejected before any element is read.
    pub fn array_len(
        &mut self,
        field: &'static str,
        nullable: bool,
    ) -> Result<Option<usize>, WireError> {
        let start = self.pos;
        let n = self.int32(field)?;
        if n < 0 {
            if nullable {
                return Ok(None);
            }
            return Err(WireError::NegativeLength {
                field,
                offset: start,
                length: n.into(),
            });
        }
        let n = n as usize;
        if n > self.remaining() {
            return Err(WireError::LengthExceedsRemaining {
                field,
                offset: start,
                length: n,
                available: self.remaining(),
            });
        }
        Ok(Some(n))
    }

    /// Reads an `ArrayOf(element)`, `None` when nullable and null.
    pub fn array<T>(
        &mut self,
        field: &'static str,
        nullable: bool,
        mut element: impl FnMut(&mut Self) -> Result<T, WireError>,
    ) -> Result<Option<Vec<T>>, WireError> {
        let Some(n) = self.array_len(field, nullable)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(element(self)?);
        }
        Ok(Some(out))
    }

    /// Java's `tolerateMissingFieldsWithDefaults`: if nothing is left, the field takes `default`; otherwise it
    /// is read (and a partial field is still an error).
    pub fn or_default<T>(
        &mut self,
        default: T,
        read: impl FnOnce(&mut Self) -> Result<T, WireError>,
    ) -> Result<T, WireError> {
        if self.has_remaining() {
            read(self)
        } else {
            Ok(default)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_round_trip_big_endian() {
        let mut w = Writer::new();
        w.int16(-2).int32(0x0102_0304).int64(-1);
        w.string("s", "hé").expect("short string");
        w.nullable_bytes("b", None).expect("null");
        w.nullable_bytes("b", Some(&[9, 8])).expect("bytes");
        w.array_len("a", 2).expect("count");
        w.null_array();
        let bytes = w.into_bytes();
        assert_eq!(&bytes[..6], &[0xFF, 0xFE, 1, 2, 3, 4]);
        let mut r = Reader::new(&bytes);
        assert_eq!(r.int16("x").expect("i16"), -2);
        assert_eq!(r.int32("x").expect("i32"), 0x0102_0304);
        assert_eq!(r.int64("x").expect("i64"), -1);
        assert_eq!(r.string("s").expect("str"), "hé");
        assert_eq!(r.nullable_bytes("b").expect("null"), None);
        assert_eq!(r.nullable_bytes("b").expect("bytes"), Some(&[9u8, 8][..]));
        // Count 2 but only 4 bytes (the null array) left: allowed, 2 <= 4.
        assert_eq!(r.array_len("a", false).expect("count"), Some(2));
        assert_eq!(r.array_len("a", true).expect("null"), None);
        assert!(!r.has_remaining());
    }

    #[test]
    fn truncated_names_field_and_byte() {
        let mut r = Reader::new(&[0, 1, 0]);
        r.int16("version").expect("header");
        let err = r.int64("config-offset").expect_err("short");
        assert_eq!(
            err,
            WireError::Truncated {
                field: "config-offset",
                offset: 2,
                needed: 8,
                available: 1
            }
        );
        assert!(err.to_string().contains("config-offset"));
        assert!(err.to_string().contains("byte 2"));
    }

    #[test]
    fn string_length_checks() {
        assert!(matches!(
            Reader::new(&[0xFF, 0xFF]).string("url"),
            Err(WireError::NegativeLength {
                field: "url",
                offset: 0,
                length: -1
            })
        ));
        assert!(matches!(
            Reader::new(&[0, 5, b'a']).string("url"),
            Err(WireError::LengthExceedsRemaining {
                length: 5,
                available: 1,
                ..
            })
        ));
        let long = "x".repeat(MAX_STRING_LEN + 1);
        assert!(matches!(
            Writer::new().string("url", &long),
            Err(WireError::StringTooLong { .. })
        ));
        // Malformed UTF-8 decodes lossily, as Java's String constructor does.
        assert_eq!(
            Reader::new(&[0, 1, 0xFF]).string("s").expect("lossy"),
            "\u{FFFD}"
        );
    }

    #[test]
    fn arrays_negative_and_oversized() {
        assert!(matches!(
            Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF]).array_len("tasks", false),
            Err(WireError::NegativeLength { field: "tasks", .. })
        ));
        assert!(matches!(
            Reader::new(&[0x7F, 0xFF, 0xFF, 0xFF]).array_len("tasks", true),
            Err(WireError::LengthExceedsRemaining { .. })
        ));
        assert!(matches!(
            Reader::new(&[0, 0, 0, 9, 1]).nullable_bytes("allocation"),
            Err(WireError::LengthExceedsRemaining {
                field: "allocation",
                ..
            })
        ));
    }

    #[test]
    fn missing_trailing_fields_take_defaults() {
        let mut r = Reader::new(&[0, 0, 0, 7]);
        assert_eq!(r.or_default(0, |r| r.int32("delay")).expect("present"), 7);
        assert_eq!(r.or_default(0, |r| r.int32("delay")).expect("missing"), 0);
        // A field cut in the middle is not "missing".
        let mut r = Reader::new(&[0, 0]);
        assert!(r.or_default(0, |r| r.int32("delay")).is_err());
    }
}
