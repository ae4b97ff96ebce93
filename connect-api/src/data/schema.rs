//! Connect schemas: the type of a value plus optional, default, name, version, doc and
//! parameters, as in `org.apache.kafka.connect.data.Schema`.
//!
//! Schemas are immutable and shared as [`SchemaRef`] (`Arc<Schema>`): every record decoded with
//! the same schema points at the same allocation, and converters cache their work per schema.

use std::fmt;
use std::sync::{Arc, LazyLock};

use crate::data::error::{DataError, Problem, Trail};
use crate::data::logical::Logical;
use crate::data::validate::validate_at;
use crate::data::value::Value;

/// A shared, immutable schema.
pub type SchemaRef = Arc<Schema>;

/// The physical type of a schema, as Kafka Connect's `Schema.Type`. Closed on purpose, like
/// Kafka Connect's: converters and transforms match it exhaustively, so none can miss a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// IEEE 754 single precision.
    Float32,
    /// IEEE 754 double precision.
    Float64,
    /// true or false.
    Boolean,
    /// UTF-8 text.
    String,
    /// Raw bytes.
    Bytes,
    /// A list of values of one schema.
    Array,
    /// Key/value pairs with one key schema and one value schema.
    Map,
    /// Named fields, each with its own schema.
    Struct,
}

impl Type {
    /// Kafka Connect's name for the type (`INT32`, `STRUCT`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Int8 => "INT8",
            Self::Int16 => "INT16",
            Self::Int32 => "INT32",
            Self::Int64 => "INT64",
            Self::Float32 => "FLOAT32",
            Self::Float64 => "FLOAT64",
            Self::Boolean => "BOOLEAN",
            Self::String => "STRING",
            Self::Bytes => "BYTES",
            Self::Array => "ARRAY",
            Self::Map => "MAP",
            Self::Struct => "STRUCT",
        }
    }

    /// Whether values of this type hold no other values.
    pub const fn is_primitive(self) -> bool {
        !matches!(self, Self::Array | Self::Map | Self::Struct)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field of a struct schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    name: Arc<str>,
    index: usize,
    schema: SchemaRef,
}

impl Field {
    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Position of the field in its struct.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The field's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
}

/// A Connect schema. Build one with [`SchemaBuilder`] or take a shared primitive such as
/// [`Schema::int32`].
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    ty: Type,
    optional: bool,
    default: Option<Value>,
    name: Option<Arc<str>>,
    version: Option<i32>,
    doc: Option<Arc<str>>,
    parameters: Vec<(Arc<str>, Arc<str>)>,
    key: Option<SchemaRef>,
    value: Option<SchemaRef>,
    fields: Vec<Field>,
    logical: Option<Logical>,
}

impl Schema {
    const fn primitive(ty: Type, optional: bool) -> Self {
        Self {
            ty,
            optional,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            key: None,
            value: None,
            fields: Vec::new(),
            logical: None,
        }
    }

    /// The physical type.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Whether null is a valid value.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// The value used in place of null, if any.
    pub fn default_value(&self) -> Option<&Value> {
        self.default.as_ref()
    }

    /// The schema's name, e.g. `com.example.Order` or a logical type's name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The schema's version.
    pub fn version(&self) -> Option<i32> {
        self.version
    }

    /// The schema's documentation.
    pub fn doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }

    /// The parameters, in the order they were given.
    pub fn parameters(&self) -> &[(Arc<str>, Arc<str>)] {
        &self.parameters
    }

    /// One parameter.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// The key schema of a map.
    pub fn key_schema(&self) -> Option<&SchemaRef> {
        self.key.as_ref()
    }

    /// The element schema of an array, or the value schema of a map.
    pub fn value_schema(&self) -> Option<&SchemaRef> {
        self.value.as_ref()
    }

    /// The fields of a struct (empty for other types).
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// A struct field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| &*f.name == name)
    }

    /// The logical type, when the name is one of Kafka Connect's logical types and the
    /// physical type matches it.
    pub fn logical(&self) -> Option<Logical> {
        self.logical
    }

    /// A builder that starts from this schema, to derive a variant of it.
    pub fn to_builder(&self) -> SchemaBuilder {
        SchemaBuilder {
            schema: Self {
                logical: None,
                ..self.clone()
            },
        }
    }

    /// Whether both are equal apart from their own default values. A struct default is built
    /// before its schema has a default, so its schema can only ever match this way.
    pub fn eq_ignoring_default(&self, other: &Self) -> bool {
        self.ty == other.ty
            && self.optional == other.optional
            && self.name == other.name
            && self.version == other.version
            && self.doc == other.doc
            && self.parameters == other.parameters
            && self.key == other.key
            && self.value == other.value
            && self.fields == other.fields
    }
}

macro_rules! shared_primitives {
    ($($required:ident $optional:ident $ty:ident;)*) => {
        impl Schema {
            $(
                #[doc = concat!("The shared required `", stringify!($ty), "` schema.")]
                #[inline]
                pub fn $required() -> SchemaRef {
                    static SCHEMA: LazyLock<SchemaRef> =
                        LazyLock::new(|| Arc::new(Schema::primitive(Type::$ty, false)));
                    SCHEMA.clone()
                }

                #[doc = concat!("The shared optional `", stringify!($ty), "` schema.")]
                #[inline]
                pub fn $optional() -> SchemaRef {
                    static SCHEMA: LazyLock<SchemaRef> =
                        LazyLock::new(|| Arc::new(Schema::primitive(Type::$ty, true)));
                    SCHEMA.clone()
                }
            )*
        }
    };
}

shared_primitives! {
    int8 optional_int8 Int8;
    int16 optional_int16 Int16;
    int32 optional_int32 Int32;
    int64 optional_int64 Int64;
    float32 optional_float32 Float32;
    float64 optional_float64 Float64;
    boolean optional_boolean Boolean;
    string optional_string String;
    bytes optional_bytes Bytes;
}

/// Builds a [`Schema`], like Kafka Connect's `SchemaBuilder`. Setters never fail; [`build`]
/// checks the whole schema (field names, default value, logical parameters) at once.
///
/// [`build`]: SchemaBuilder::build
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    fn of(ty: Type) -> Self {
        Self {
            schema: Schema::primitive(ty, false),
        }
    }

    /// A primitive type or a struct; arrays and maps need [`array`](Self::array) /
    /// [`map`](Self::map).
    pub fn new(ty: Type) -> Self {
        Self::of(ty)
    }

    /// An `INT8` schema.
    pub fn int8() -> Self {
        Self::of(Type::Int8)
    }

    /// An `INT16` schema.
    pub fn int16() -> Self {
        Self::of(Type::Int16)
    }

    /// An `INT32` schema.
    pub fn int32() -> Self {
        Self::of(Type::Int32)
    }

    /// An `INT64` schema.
    pub fn int64() -> Self {
        Self::of(Type::Int64)
    }

    /// A `FLOAT32` schema.
    pub fn float32() -> Self {
        Self::of(Type::Float32)
    }

    /// A `FLOAT64` schema.
    pub fn float64() -> Self {
        Self::of(Type::Float64)
    }

    /// A `BOOLEAN` schema.
    pub fn boolean() -> Self {
        Self::of(Type::Boolean)
    }

    /// A `STRING` schema.
    pub fn string() -> Self {
        Self::of(Type::String)
    }

    /// A `BYTES` schema.
    pub fn bytes() -> Self {
        Self::of(Type::Bytes)
    }

    /// A `STRUCT` schema; add fields with [`field`](Self::field).
    pub fn struct_() -> Self {
        Self::of(Type::Struct)
    }

    /// An `ARRAY` of `items`.
    pub fn array(items: SchemaRef) -> Self {
        let mut builder = Self::of(Type::Array);
        builder.schema.value = Some(items);
        builder
    }

    /// A `MAP` from `keys` to `values`.
    pub fn map(keys: SchemaRef, values: SchemaRef) -> Self {
        let mut builder = Self::of(Type::Map);
        builder.schema.key = Some(keys);
        builder.schema.value = Some(values);
        builder
    }

    /// Null becomes a valid value.
    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }

    /// Null is not a valid value (the default).
    pub fn required(mut self) -> Self {
        self.schema.optional = false;
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.schema.name = Some(name.into());
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }

    /// Sets the documentation.
    pub fn doc(mut self, doc: impl Into<Arc<str>>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }

    /// Sets one parameter; a key set twice keeps its first position and its last value.
    pub fn parameter(mut self, key: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        let (key, value) = (key.into(), value.into());
        match self.schema.parameters.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.schema.parameters.push((key, value)),
        }
        self
    }

    /// Sets the value used in place of null; checked against the schema by
    /// [`build`](Self::build).
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        let value = value.into();
        self.schema.default = if value.is_null() { None } else { Some(value) };
        self
    }

    /// Appends a struct field.
    pub fn field(mut self, name: impl Into<Arc<str>>, schema: SchemaRef) -> Self {
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name: name.into(),
            index,
            schema,
        });
        self
    }

    /// Checks and freezes the schema.
    pub fn build(self) -> Result<SchemaRef, DataError> {
        let mut schema = self.schema;
        let root = Trail::root("");
        if schema.ty != Type::Struct && !schema.fields.is_empty() {
            return Err(root.error(Problem::InvalidSchema(format!(
                "a {} schema cannot have fields",
                schema.ty
            ))));
        }
        let mut names = std::collections::HashSet::with_capacity(schema.fields.len());
        if let Some(dup) = schema.fields.iter().find(|f| !names.insert(&*f.name)) {
            return Err(root.error(Problem::InvalidSchema(format!(
                "duplicate field name \"{}\"",
                dup.name
            ))));
        }
        schema.logical = Logical::detect(&schema).map_err(|p| root.error(p))?;
        if let Some(default) = schema.default.take() {
            let trail = root.field("default");
            validate_at(&schema, &default, &trail)?;
            schema.default = Some(default);
        }
        Ok(Arc::new(schema))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_are_shared() {
        assert!(Arc::ptr_eq(&Schema::int32(), &Schema::int32()));
        assert!(!Schema::int32().is_optional());
        assert!(Schema::optional_string().is_optional());
    }

    #[test]
    fn builds_a_struct() {
        let schema = SchemaBuilder::struct_()
            .name("com.example.Order")
            .version(2)
            .doc("an order")
            .parameter("a", "1")
            .parameter("b", "2")
            .parameter("a", "3")
            .field("id", Schema::int64())
            .field("note", Schema::optional_string())
            .build()
            .unwrap();
        assert_eq!(schema.fields().len(), 2);
        assert_eq!(schema.field("note").unwrap().index(), 1);
        assert_eq!(schema.parameter("a"), Some("3"));
        assert_eq!(&*schema.parameters()[0].0, "a");
    }

    #[test]
    fn rejects_duplicate_fields_and_bad_defaults() {
        let err = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("a", Schema::int64())
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("duplicate field name"), "{err}");
        let err = SchemaBuilder::int32()
            .default_value(Value::from("x"))
            .build()
            .unwrap_err();
        assert_eq!(err.path().as_str(), "default");
        let err = SchemaBuilder::int32()
            .field("a", Schema::int32())
            .build()
            .unwrap_err();
        assert!(matches!(err.problem(), Problem::InvalidSchema(_)));
    }
}
