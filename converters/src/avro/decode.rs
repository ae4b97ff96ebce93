//! Avro binary → Connect values, walking the writer's Avro schema and the Connect schema derived
//! from it side by side. Strings and bytes in the result are slices of the input buffer.
//!
//! Hostile input is refused, never trusted: every length and block count is checked against the
//! bytes left before anything is read or allocated (items that may encode in zero bytes are
//! capped at [`MAX_EMPTY_ITEMS`] per array or map), varints longer than their type allows,
//! booleans other than 0 and 1, union indexes out of range, symbols out of range and invalid
//! UTF-8 are errors. Recursion is bounded by the schema's depth, which the schema parser limits.

use bytes::Bytes;

use crate::avro::model::{Items, Kind, Node};
use crate::avro::names::is_union_schema;
use crate::avro::to_connect::union_member_name;
use connect_api::data::{Decimal, Logical, Schema, SchemaRef, Str, Struct, Type, Value};

/// Most items of a zero-byte type (such as `null`) one array or map may hold: their count
/// cannot be checked against the input's length.
pub(crate) const MAX_EMPTY_ITEMS: usize = 1 << 20;

/// A cursor over the record bytes.
pub(crate) struct Reader<'a> {
    input: &'a Bytes,
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a Bytes, pos: usize) -> Self {
        Self { input, pos }
    }

    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or_else(|| format!("data ends at byte {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| {
                format!(
                    "{n} bytes announced at byte {}, {} left",
                    self.pos,
                    self.remaining()
                )
            })?;
        let slice = self.input.get(self.pos..end).ok_or("out of bounds")?;
        self.pos = end;
        Ok(slice)
    }

    /// `n` bytes as a slice of the input buffer.
    fn slice(&mut self, n: usize) -> Result<Bytes, String> {
        let start = self.pos;
        self.take(n)?;
        Ok(self.input.slice(start..self.pos))
    }

    /// The rest of the input.
    pub(crate) fn rest(&mut self) -> Bytes {
        let start = self.pos.min(self.input.len());
        self.pos = self.input.len();
        self.input.slice(start..)
    }

    fn long(&mut self) -> Result<i64, String> {
        let mut z: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err("varint longer than 64 bits".into());
            }
            z |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
            }
        }
        Err("varint longer than 64 bits".into())
    }

    fn int(&mut self) -> Result<i32, String> {
        let n = self.long()?;
        i32::try_from(n).map_err(|_| format!("{n} is out of range for an Avro int"))
    }

    fn len(&mut self) -> Result<usize, String> {
        let n = self.long()?;
        let len = usize::try_from(n).map_err(|_| format!("negative length {n}"))?;
        if len > self.remaining() {
            return Err(format!(
                "length {len} at byte {} exceeds the {} bytes left",
                self.pos,
                self.remaining()
            ));
        }
        Ok(len)
    }

    /// The item count of the next array or map block; 0 ends the list.
    fn block(&mut self, items: Items, total: usize) -> Result<usize, String> {
        let n = self.long()?;
        let count = if n < 0 {
            // A negative count is followed by the block's size in bytes.
            self.len()?;
            n.checked_neg().ok_or("invalid block count")?
        } else {
            n
        };
        let count = usize::try_from(count).map_err(|_| "invalid block count".to_owned())?;
        let limit = if items.may_be_empty {
            MAX_EMPTY_ITEMS.saturating_sub(total)
        } else {
            self.remaining()
        };
        if count > limit {
            return Err(format!(
                "block of {count} items at byte {} cannot fit the {} bytes left",
                self.pos,
                self.remaining()
            ));
        }
        Ok(count)
    }
}

/// Reads one value of `schema` written with `node`.
pub(crate) fn value(r: &mut Reader<'_>, node: &Node, schema: &SchemaRef) -> Result<Value, String> {
    Ok(match &node.kind {
        Kind::Null => Value::Null,
        Kind::Boolean => match r.byte()? {
            0 => Value::Boolean(false),
            1 => Value::Boolean(true),
            b => return Err(format!("boolean byte {b}")),
        },
        Kind::Int => {
            let i = r.int()?;
            match (schema.logical(), schema.ty()) {
                (Some(Logical::Date), _) => Value::Date(i),
                (Some(Logical::Time), _) => Value::Time(i),
                (_, Type::Int8) => Value::Int8(
                    i8::try_from(i).map_err(|_| format!("{i} is out of range for INT8"))?,
                ),
                (_, Type::Int16) => Value::Int16(
                    i16::try_from(i).map_err(|_| format!("{i} is out of range for INT16"))?,
                ),
                _ => Value::Int32(i),
            }
        }
        Kind::Long => {
            let i = r.long()?;
            match schema.logical() {
                Some(Logical::Timestamp) => Value::Timestamp(i),
                _ => Value::Int64(i),
            }
        }
        Kind::Float => {
            let b = r.take(4)?;
            let mut a = [0u8; 4];
            a.copy_from_slice(b);
            Value::Float32(f32::from_le_bytes(a))
        }
        Kind::Double => {
            let b = r.take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            Value::Float64(f64::from_le_bytes(a))
        }
        Kind::String => {
            let n = r.len()?;
            string(r.slice(n)?)?
        }
        Kind::Bytes => {
            let n = r.len()?;
            bytes(r.slice(n)?, schema)?
        }
        Kind::Fixed(fixed) => bytes(r.slice(fixed.size)?, schema)?,
        Kind::Enum(e) => {
            let i = r.int()?;
            let symbol = usize::try_from(i)
                .ok()
                .and_then(|i| e.symbols.get(i))
                .ok_or_else(|| format!("enum index {i} out of range"))?;
            Value::String(symbol.clone())
        }
        Kind::Union(members) => {
            let i = r.int()?;
            let member = usize::try_from(i)
                .ok()
                .and_then(|i| members.get(i))
                .ok_or_else(|| format!("union index {i} out of range"))?;
            if matches!(member.kind, Kind::Null) {
                Value::Null
            } else if is_union_schema(schema) {
                union_struct(r, member, schema)?
            } else {
                value(r, member, schema)?
            }
        }
        Kind::Array(items, facts) => match schema.ty() {
            Type::Map => map_entries(r, items, *facts, schema)?,
            _ => {
                let items_schema = child(schema.value_schema())?;
                let mut out = Vec::new();
                loop {
                    let count = r.block(*facts, out.len())?;
                    if count == 0 {
                        break;
                    }
                    out.reserve(count);
                    for _ in 0..count {
                        out.push(value(r, items, items_schema)?);
                    }
                }
                Value::Array(out)
            }
        },
        Kind::Map(values, facts) => {
            let values_schema = child(schema.value_schema())?;
            let mut out = Vec::new();
            loop {
                let count = r.block(*facts, out.len())?;
                if count == 0 {
                    break;
                }
                out.reserve(count);
                for _ in 0..count {
                    let n = r.len()?;
                    let key = string(r.slice(n)?)?;
                    out.push((key, value(r, values, values_schema)?));
                }
            }
            Value::Map(out)
        }
        Kind::Record(record) => {
            let fields = schema.fields();
            if fields.len() != record.fields.len() {
                return Err("the Connect schema does not match the Avro record".into());
            }
            let mut values = Vec::with_capacity(fields.len());
            for (avro, connect) in record.fields.iter().zip(fields) {
                values.push(value(r, &avro.schema, connect.schema())?);
            }
            Value::Struct(Struct::from_parts(schema.clone(), values))
        }
    })
}

fn child(schema: Option<&SchemaRef>) -> Result<&SchemaRef, String> {
    schema.ok_or_else(|| "the Connect schema does not match the Avro schema".to_owned())
}

fn string(bytes: Bytes) -> Result<Value, String> {
    Str::from_utf8(bytes)
        .map(Value::String)
        .map_err(|e| format!("invalid UTF-8 in a string: {e}"))
}

fn bytes(bytes: Bytes, schema: &Schema) -> Result<Value, String> {
    match schema.logical() {
        Some(Logical::Decimal { scale }) => Decimal::from_unscaled_bytes(&bytes, scale)
            .map(Value::Decimal)
            .map_err(|p| p.to_string()),
        _ => Ok(Value::Bytes(bytes)),
    }
}

/// A member of a general union, as Connect's union struct with that member's field set.
fn union_struct(r: &mut Reader<'_>, member: &Node, schema: &SchemaRef) -> Result<Value, String> {
    let name = union_member_name(member);
    let field = schema
        .field(&name)
        .ok_or_else(|| format!("the Connect union has no field {name}"))?;
    let mut values = vec![Value::Null; schema.fields().len()];
    let v = value(r, member, field.schema())?;
    if let Some(slot) = values.get_mut(field.index()) {
        *slot = v;
    }
    Ok(Value::Struct(Struct::from_parts(schema.clone(), values)))
}

/// Confluent's array of key/value records as a Connect map.
fn map_entries(
    r: &mut Reader<'_>,
    items: &Node,
    facts: Items,
    schema: &SchemaRef,
) -> Result<Value, String> {
    let (Kind::Record(entry), Some(key_schema), Some(value_schema)) =
        (&items.kind, schema.key_schema(), schema.value_schema())
    else {
        return Err("the Connect map does not match the Avro array".into());
    };
    let mut out = Vec::new();
    loop {
        let count = r.block(facts, out.len())?;
        if count == 0 {
            break;
        }
        out.reserve(count);
        for _ in 0..count {
            let (mut key, mut val) = (Value::Null, Value::Null);
            for field in &entry.fields {
                match field.name.as_str() {
                    "key" => key = value(r, &field.schema, key_schema)?,
                    _ => val = value(r, &field.schema, value_schema)?,
                }
            }
            out.push((key, val));
        }
    }
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_refuse_overlong_and_truncated_input() {
        let over = Bytes::from_static(&[0xff; 11]);
        assert!(Reader::new(&over, 0).long().is_err());
        let cut = Bytes::from_static(&[0x80]);
        assert!(Reader::new(&cut, 0).long().is_err());
        let max = Bytes::from_static(&[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(Reader::new(&max, 0).long(), Ok(i64::MAX));
        let min = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(Reader::new(&min, 0).long(), Ok(i64::MIN));
    }

    #[test]
    fn lengths_are_checked_against_the_input() {
        // A length of 2^62 followed by nothing.
        let data =
            Bytes::from_static(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
        assert!(Reader::new(&data, 0).len().is_err());
        let negative = Bytes::from_static(&[0x01]);
        assert!(Reader::new(&negative, 0).len().is_err());
    }
}
