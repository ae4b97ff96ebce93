//! Sample records for converter benchmarks: a flat struct of six fields (an id, two short
//! strings, a double, a flag, a timestamp) and a free-text note whose length sets the size.
//! [`Size::Small`] is about 100 bytes and [`Size::Large`] about 1 KB as schemaless JSON; other
//! formats are somewhat smaller (Avro) or larger (JSON with the schema envelope), and each
//! benchmark reports the bytes of its own format.

use connect_api::data::logical::timestamp_schema;
use connect_api::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};
use converters::DataError;

/// A record size class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// About 100 bytes.
    Small,
    /// About 1 KB.
    Large,
}

impl Size {
    /// Both sizes, small first.
    pub const ALL: [Self; 2] = [Self::Small, Self::Large];

    /// A label for benchmark ids: `100B`, `1KB`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Small => "100B",
            Self::Large => "1KB",
        }
    }

    /// Length of the note field that brings the schemaless JSON text to the size.
    const fn note_len(self) -> usize {
        match self {
            Self::Small => 8,
            Self::Large => 920,
        }
    }
}

/// The schema of the sample records, named like a real topic's value schema.
pub fn schema() -> Result<SchemaRef, DataError> {
    SchemaBuilder::struct_()
        .name("com.example.bench.Event")
        .field("id", Schema::int64())
        .field("user", Schema::string())
        .field("email", Schema::optional_string())
        .field("amount", Schema::float64())
        .field("active", Schema::boolean())
        .field("created", timestamp_schema().build()?)
        .field("note", Schema::optional_string())
        .build()
}

/// A record of `schema()` of the given size.
pub fn value(schema: &SchemaRef, size: Size) -> Result<Value, DataError> {
    let note: String = "lorem ipsum dolor sit amet "
        .chars()
        .cycle()
        .take(size.note_len())
        .collect();
    let record = Struct::new(schema.clone())
        .and_then(|s| s.with("id", 1_234_567_890_i64))
        .and_then(|s| s.with("user", "ada.lovelace"))
        .and_then(|s| s.with("email", "ada@example.com"))
        .and_then(|s| s.with("amount", 1_234.5_f64))
        .and_then(|s| s.with("active", true))
        .and_then(|s| s.with("created", Value::Timestamp(1_700_000_000_000)))
        .and_then(|s| s.with("note", note))?;
    Ok(Value::Struct(record))
}
