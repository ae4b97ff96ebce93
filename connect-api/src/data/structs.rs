//! [`Struct`]: a value of a `STRUCT` schema, with one slot per field.

use crate::data::error::{DataError, Problem, Trail};
use crate::data::schema::{Field, SchemaRef, Type};
use crate::data::validate::{validate_at, validate_struct_fields};
use crate::data::value::Value;

/// A struct value: its schema and one value per field, in field order ([`Value::Null`] when
/// unset). Like Kafka Connect's `Struct`, [`put`](Self::put) checks each value against its
/// field's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    schema: SchemaRef,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct of a `STRUCT` schema.
    pub fn new(schema: SchemaRef) -> Result<Self, DataError> {
        if schema.ty() != Type::Struct {
            return Err(DataError::at_root(Problem::Mismatch {
                expected: "a STRUCT schema".into(),
                found: schema.ty().name().into(),
            }));
        }
        let values = vec![Value::Null; schema.fields().len()];
        Ok(Self { schema, values })
    }

    /// A struct from values already known to fit the schema, in field order.
    pub fn from_parts(schema: SchemaRef, values: Vec<Value>) -> Self {
        Self { schema, values }
    }

    /// The struct's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Sets a field, checking the value against the field's schema.
    pub fn put(&mut self, field: &str, value: impl Into<Value>) -> Result<&mut Self, DataError> {
        let value = value.into();
        let index = self.lookup(field)?.index();
        let root = Trail::root("");
        if let Some(f) = self.schema.fields().get(index) {
            validate_at(f.schema(), &value, &root.field(f.name()))?;
        }
        if let Some(slot) = self.values.get_mut(index) {
            *slot = value;
        }
        Ok(self)
    }

    /// [`put`](Self::put), builder style.
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Result<Self, DataError> {
        self.put(field, value)?;
        Ok(self)
    }

    /// A field's value, or its default when the value is null. `None` if there is no such field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        let f = self.schema.field(field)?;
        let value = self.values.get(f.index())?;
        match (value, f.schema().default_value()) {
            (Value::Null, Some(default)) => Some(default),
            _ => Some(value),
        }
    }

    /// A field's value as set, without falling back to the default.
    pub fn get_without_default(&self, field: &str) -> Option<&Value> {
        let f = self.schema.field(field)?;
        self.values.get(f.index())
    }

    /// The values in field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Fields with their values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Field, &Value)> {
        self.schema.fields().iter().zip(&self.values)
    }

    /// Checks that every required field without default is set and every value fits.
    pub fn validate(&self) -> Result<(), DataError> {
        validate_struct_fields(self, &Trail::root(""), 0)
    }

    fn lookup(&self, field: &str) -> Result<&Field, DataError> {
        self.schema
            .field(field)
            .ok_or_else(|| DataError::at_root(Problem::NoSuchField(field.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaBuilder};

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .field("id", Schema::int64())
            .field(
                "n",
                SchemaBuilder::int32()
                    .optional()
                    .default_value(7)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn put_checks_values() {
        let mut s = Struct::new(schema()).unwrap();
        let err = s.put("id", "x").unwrap_err();
        assert_eq!(err.path().as_str(), "id");
        let err = s.put("nope", 1i64).unwrap_err();
        assert!(matches!(err.problem(), Problem::NoSuchField(_)));
        s.put("id", 5i64).unwrap();
        assert_eq!(s.get("id"), Some(&Value::Int64(5)));
        assert_eq!(s.get("n"), Some(&Value::Int32(7)));
        assert_eq!(s.get_without_default("n"), Some(&Value::Null));
    }

    #[test]
    fn validate_wants_required_fields() {
        let s = Struct::new(schema()).unwrap();
        let err = s.validate().unwrap_err();
        assert_eq!(err.path().as_str(), "id");
        assert!(s.with("id", 1i64).unwrap().validate().is_ok());
        assert!(Struct::new(Schema::int32()).is_err());
    }
}
