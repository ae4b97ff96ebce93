//! Repeated keys in a map read from an array of `[key, value]` pairs.
//!
//! Kafka Connect collects the pairs into a `java.util.HashMap`, so a key equal to an earlier one
//! (by Java's `equals`) replaces that entry's value: `[[1,2],[1,3]]` reads as `{1=3}`. This
//! converter does the same, keeping the key at its first position (the order of a `HashMap` is
//! arbitrary anyway). Java's `equals` on the values a JSON key can read as:
//!
//! - floats compare by bits with every NaN alike (`Double.equals`): NaN equals NaN;
//! - a decimal compares with its scale (`BigDecimal.equals`): 1.5 and 1.50 are two keys;
//! - a `byte[]` compares by identity: two BYTES keys are never equal, so both are kept, except
//!   as the direct field of a struct key, which `Arrays.deepEquals` compares by content;
//! - arrays element by element, maps as sets of entries, structs by schema and fields.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use connect_api::data::Value;

/// Collects map entries, replacing the value of a repeated key.
#[derive(Debug)]
pub(crate) struct PairMap {
    entries: Vec<(Value, Value)>,
    /// Hash of a key → positions in `entries`, once there are enough entries to need it.
    index: Option<HashMap<u64, Vec<usize>>>,
}

/// Up to this many entries, a repeated key is found by a linear scan.
const SCAN_LIMIT: usize = 16;

impl PairMap {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
            index: None,
        }
    }

    /// `HashMap.put(key, value)`.
    pub(crate) fn put(&mut self, key: Value, value: Value) {
        if self.index.is_none() && self.entries.len() >= SCAN_LIMIT {
            let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
            for (at, (k, _)) in self.entries.iter().enumerate() {
                index.entry(key_hash(k)).or_default().push(at);
            }
            self.index = Some(index);
        }
        let earlier = match &mut self.index {
            None => self.entries.iter().position(|(k, _)| java_equals(k, &key)),
            Some(index) => {
                let slots = index.entry(key_hash(&key)).or_default();
                let found = slots.iter().copied().find(|&at| {
                    self.entries
                        .get(at)
                        .is_some_and(|(k, _)| java_equals(k, &key))
                });
                if found.is_none() {
                    slots.push(self.entries.len());
                }
                found
            }
        };
        match earlier.and_then(|at| self.entries.get_mut(at)) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub(crate) fn into_value(self) -> Value {
        Value::Map(self.entries)
    }
}

/// Java's `a.equals(b)` for the values of one key schema.
fn java_equals(a: &Value, b: &Value) -> bool {
    equals(a, b, false)
}

/// `in_struct`: `a` and `b` are struct fields, compared by `Arrays.deepEquals`, which looks
/// into a `byte[]`.
fn equals(a: &Value, b: &Value, in_struct: bool) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => {
            float_bits(f64::from(*x)) == float_bits(f64::from(*y))
        }
        (Value::Float64(x), Value::Float64(y)) => float_bits(*x) == float_bits(*y),
        (Value::Bytes(x), Value::Bytes(y)) => in_struct && x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equals(x, y, false))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| equals(k, k2, false) && equals(v, v2, false))
                })
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.schema() == y.schema()
                && x.values().len() == y.values().len()
                && x.values()
                    .iter()
                    .zip(y.values())
                    .all(|(x, y)| equals(x, y, true))
        }
        // Every other kind compares by value, as its Java class does.
        _ => a == b,
    }
}

/// `Double.doubleToLongBits`: the bits, with every NaN the same.
fn float_bits(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        v.to_bits()
    }
}

/// A hash consistent with [`java_equals`].
fn key_hash(key: &Value) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hash_into(key, &mut hasher);
    hasher.finish()
}

fn hash_into(key: &Value, h: &mut impl Hasher) {
    std::mem::discriminant(key).hash(h);
    match key {
        Value::Null | Value::Bytes(_) => {}
        Value::Boolean(v) => v.hash(h),
        Value::Int8(v) => v.hash(h),
        Value::Int16(v) => v.hash(h),
        Value::Int32(v) | Value::Date(v) | Value::Time(v) => v.hash(h),
        Value::Int64(v) | Value::Timestamp(v) => v.hash(h),
        Value::Float32(v) => float_bits(f64::from(*v)).hash(h),
        Value::Float64(v) => float_bits(*v).hash(h),
        Value::String(s) => s.as_str().hash(h),
        Value::Decimal(d) => d.hash(h),
        Value::Array(items) => items.iter().for_each(|v| hash_into(v, h)),
        // Entry order does not count; the length is enough to spread maps out.
        Value::Map(entries) => entries.len().hash(h),
        Value::Struct(s) => s.values().iter().for_each(|v| hash_into(v, h)),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use connect_api::data::{Decimal, Schema, SchemaBuilder, Struct};

    fn collect(pairs: Vec<(Value, Value)>) -> Value {
        let mut map = PairMap::with_capacity(pairs.len());
        for (k, v) in pairs {
            map.put(k, v);
        }
        map.into_value()
    }

    #[test]
    fn a_repeated_key_keeps_its_place_and_the_last_value() {
        let pairs = vec![
            (Value::Int32(1), Value::Int32(2)),
            (Value::Int32(3), Value::Int32(4)),
            (Value::Int32(1), Value::Int32(5)),
        ];
        assert_eq!(
            collect(pairs),
            Value::Map(vec![
                (Value::Int32(1), Value::Int32(5)),
                (Value::Int32(3), Value::Int32(4)),
            ])
        );
    }

    #[test]
    fn many_entries_use_the_index() {
        let mut pairs: Vec<(Value, Value)> = (0..100)
            .map(|i| (Value::Int64(i), Value::Int64(i)))
            .collect();
        pairs.extend((0..100).map(|i| (Value::Int64(i), Value::Int64(-i))));
        let Value::Map(entries) = collect(pairs) else {
            panic!()
        };
        assert_eq!(entries.len(), 100);
        assert!(entries.iter().all(|(k, v)| match (k, v) {
            (Value::Int64(k), Value::Int64(v)) => *v == -*k,
            _ => false,
        }));
    }

    #[test]
    fn java_equality() {
        let nan = Value::Float64(f64::NAN);
        assert!(java_equals(&nan, &Value::Float64(-f64::NAN)));
        assert!(!java_equals(&Value::Float64(0.0), &Value::Float64(-0.0)));
        assert!(!java_equals(
            &Value::Decimal(Decimal::new(15, 1)),
            &Value::Decimal(Decimal::new(150, 2))
        ));
        let bytes = Value::Bytes(Bytes::from_static(b"\x01"));
        assert!(!java_equals(&bytes, &bytes.clone()));
        let schema = SchemaBuilder::struct_()
            .field("b", Schema::bytes())
            .build()
            .unwrap();
        let s = Struct::new(schema).unwrap().with("b", bytes).unwrap();
        assert!(java_equals(&Value::Struct(s.clone()), &Value::Struct(s)));
        let map = |v: i32| Value::Map(vec![("a".into(), v.into()), ("b".into(), 2.into())]);
        let reordered = Value::Map(vec![("b".into(), 2.into()), ("a".into(), 1.into())]);
        assert!(java_equals(&map(1), &reordered));
        assert!(!java_equals(&map(3), &reordered));
    }
}
