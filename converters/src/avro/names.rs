//! The names and properties by which Confluent's `AvroData` marks what Avro cannot say about a
//! Connect schema (`connect.*` properties, `io.confluent.connect.avro.*` parameters and type
//! names), shared by both schema directions and the binary codec.

use connect_api::data::Schema;

pub(crate) const NAMESPACE: &str = "io.confluent.connect.avro";
pub(crate) const DEFAULT_NAME: &str = "ConnectDefault";
pub(crate) const DEFAULT_FULL_NAME: &str = "io.confluent.connect.avro.ConnectDefault";
pub(crate) const MAP_ENTRY_NAME: &str = "MapEntry";
pub(crate) const UNION_NAME: &str = "io.confluent.connect.avro.Union";
pub(crate) const UNION_PARAM: &str = "org.apache.kafka.connect.data.Union";
pub(crate) const ENUM_PARAM: &str = "io.confluent.connect.avro.Enum";
pub(crate) const RECORD_DOC_PARAM: &str = "io.confluent.connect.avro.record.doc";
pub(crate) const FIELD_DOC_PREFIX: &str = "io.confluent.connect.avro.field.doc.";
pub(crate) const ENUM_DOC_PREFIX: &str = "io.confluent.connect.avro.enum.doc.";
pub(crate) const ENUM_DEFAULT_PREFIX: &str = "io.confluent.connect.avro.enum.default.";
pub(crate) const FIELD_DEFAULT_FLAG: &str = "io.confluent.connect.avro.field.default";
pub(crate) const CONNECT_NAME_PROP: &str = "connect.name";
pub(crate) const CONNECT_DOC_PROP: &str = "connect.doc";
pub(crate) const CONNECT_VERSION_PROP: &str = "connect.version";
pub(crate) const CONNECT_DEFAULT_PROP: &str = "connect.default";
pub(crate) const CONNECT_PARAMETERS_PROP: &str = "connect.parameters";
pub(crate) const CONNECT_TYPE_PROP: &str = "connect.type";
pub(crate) const CONNECT_INTERNAL_TYPE_PROP: &str = "connect.internal.type";
pub(crate) const FIXED_SIZE_PARAM: &str = "connect.fixed.size";
/// The Decimal parameter that sets the Avro precision.
pub const DECIMAL_PRECISION_PARAM: &str = "connect.decimal.precision";
/// The Avro precision of Decimals without [`DECIMAL_PRECISION_PARAM`].
pub const DECIMAL_PRECISION_DEFAULT: i32 = 64;

/// Whether a struct schema stands for an Avro union.
pub(crate) fn is_union_schema(schema: &Schema) -> bool {
    schema.name() == Some(UNION_NAME) || schema.parameter(UNION_PARAM).is_some()
}
