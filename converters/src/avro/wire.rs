//! Confluent's wire format: byte 0 is the magic byte `0x00`, bytes 1–4 the schema id
//! (big-endian), then the Avro binary data. Lengths are checked before anything is read.

use bytes::Bytes;

use crate::error::{DataError, FrameProblem, Problem};

/// The first byte of every frame.
pub const MAGIC_BYTE: u8 = 0;
/// Magic byte plus schema id.
pub const HEADER_LEN: usize = 5;

/// Starts a frame for schema `id`; the Avro data is appended to it.
pub fn header(id: u32, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + capacity);
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
    out
}

/// The schema id of a frame read from `topic`.
pub fn schema_id(topic: &str, frame: &[u8]) -> Result<u32, DataError> {
    let fail = |problem| {
        DataError::at_root(Problem::NotConfluentFrame {
            topic: topic.to_owned(),
            problem,
        })
    };
    let (Some(&magic), Some(id)) = (frame.first(), frame.get(1..HEADER_LEN)) else {
        return Err(fail(FrameProblem::TooShort { len: frame.len() }));
    };
    if magic != MAGIC_BYTE {
        return Err(fail(FrameProblem::UnknownMagicByte(magic)));
    }
    let mut be = [0u8; 4];
    be.copy_from_slice(id);
    Ok(u32::from_be_bytes(be))
}

/// The Avro data of a frame, sharing its buffer.
pub fn payload(frame: &Bytes) -> Bytes {
    frame.slice(HEADER_LEN.min(frame.len())..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header() {
        let mut frame = header(0x0102_0304, 1);
        frame.push(42);
        assert_eq!(schema_id("t", &frame), Ok(0x0102_0304));
        assert_eq!(&payload(&Bytes::from(frame))[..], &[42]);
    }

    #[test]
    fn refuses_short_frames_and_wrong_magic() {
        for len in 0..HEADER_LEN {
            let err = schema_id("orders", &vec![0; len]).unwrap_err();
            assert_eq!(
                err.problem(),
                &Problem::NotConfluentFrame {
                    topic: "orders".into(),
                    problem: FrameProblem::TooShort { len }
                }
            );
            assert!(err.to_string().contains("orders"), "{err}");
        }
        let err = schema_id("orders", &[1, 0, 0, 0, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("unknown magic byte 0x01"), "{err}");
        // A header alone is a frame with empty data.
        assert_eq!(schema_id("t", &[0, 0, 0, 0, 7]), Ok(7));
    }
}
