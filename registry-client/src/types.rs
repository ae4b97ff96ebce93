//! Schemas, versions and compatibility levels, and the JSON bodies of the REST API v1.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The format of a schema. The registry assumes Avro when a body carries no `schemaType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro (the registry's default).
    #[default]
    Avro,
    /// JSON Schema.
    Json,
    /// Protocol Buffers.
    Protobuf,
}

impl SchemaType {
    fn is_avro(&self) -> bool {
        *self == SchemaType::Avro
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        })
    }
}

/// A named reference from one schema to a version of another subject's schema
/// (Avro named types, JSON Schema `$ref`s, Protobuf imports).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referencing schema uses: a full Avro type name, a `$ref` URL, an import path.
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// The version of that subject.
    pub version: i32,
}

/// A schema as the registry stores it: its text, its format and its references.
///
/// Equality and hashing are textual; two spellings of the same Avro schema are two keys in the
/// client's caches (the registry itself decides whether they get the same id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema {
    /// The format of `schema`.
    pub schema_type: SchemaType,
    /// The schema text (for Avro and JSON Schema a JSON document, for Protobuf `.proto` source).
    pub schema: String,
    /// Schemas this one refers to.
    pub references: Vec<SchemaReference>,
}

impl Schema {
    /// A schema of the given type without references.
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        Schema {
            schema_type,
            schema: schema.into(),
            references: Vec::new(),
        }
    }

    /// An Avro schema.
    pub fn avro(schema: impl Into<String>) -> Self {
        Self::new(SchemaType::Avro, schema)
    }

    /// A JSON Schema.
    pub fn json(schema: impl Into<String>) -> Self {
        Self::new(SchemaType::Json, schema)
    }

    /// A Protobuf schema.
    pub fn protobuf(schema: impl Into<String>) -> Self {
        Self::new(SchemaType::Protobuf, schema)
    }

    /// The same schema with these references.
    #[must_use]
    pub fn with_references(mut self, references: Vec<SchemaReference>) -> Self {
        self.references = references;
        self
    }
}

/// A schema registered under a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// The subject.
    pub subject: String,
    /// The registry-wide schema id (the one in the Confluent wire format).
    pub id: u32,
    /// The version under `subject`.
    pub version: i32,
    /// The schema.
    pub schema: Schema,
}

/// A version of a subject: a number, or the newest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The newest version (`latest` in the API).
    Latest,
    /// A version number (1 and up).
    Number(i32),
}

impl From<i32> for Version {
    fn from(version: i32) -> Self {
        Version::Number(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A compatibility level (global or per subject), as Confluent names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    /// New schemas can read data written with the latest one.
    Backward,
    /// New schemas can read data written with every earlier one.
    BackwardTransitive,
    /// The latest schema can read data written with new ones.
    Forward,
    /// Every earlier schema can read data written with new ones.
    ForwardTransitive,
    /// Backward and forward against the latest schema.
    Full,
    /// Backward and forward against every earlier schema.
    FullTransitive,
    /// No checks.
    None,
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
            CompatibilityLevel::None => "NONE",
        })
    }
}

/// Body of register, lookup and compatibility requests. `schemaType` is left out for Avro and
/// `references` when empty, as registries older than Confluent 5.5 reject unknown fields.
#[derive(Debug, Serialize)]
pub(crate) struct SchemaRequest<'a> {
    schema: &'a str,
    #[serde(rename = "schemaType", skip_serializing_if = "SchemaType::is_avro")]
    schema_type: SchemaType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    references: &'a [SchemaReference],
}

impl<'a> From<&'a Schema> for SchemaRequest<'a> {
    fn from(schema: &'a Schema) -> Self {
        SchemaRequest {
            schema: &schema.schema,
            schema_type: schema.schema_type,
            references: &schema.references,
        }
    }
}

/// Answer of `POST /subjects/{s}/versions`.
#[derive(Debug, Deserialize)]
pub(crate) struct IdResponse {
    pub(crate) id: u32,
}

/// Answer of `GET /schemas/ids/{id}`.
#[derive(Debug, Deserialize)]
pub(crate) struct SchemaResponse {
    schema: String,
    #[serde(default, rename = "schemaType")]
    schema_type: SchemaType,
    #[serde(default)]
    references: Vec<SchemaReference>,
}

impl From<SchemaResponse> for Schema {
    fn from(r: SchemaResponse) -> Self {
        Schema {
            schema_type: r.schema_type,
            schema: r.schema,
            references: r.references,
        }
    }
}

/// Answer of `GET /subjects/{s}/versions/{v}` and `POST /subjects/{s}`.
#[derive(Debug, Deserialize)]
pub(crate) struct SubjectVersionResponse {
    subject: String,
    id: u32,
    version: i32,
    #[serde(flatten)]
    schema: SchemaResponse,
}

impl From<SubjectVersionResponse> for RegisteredSchema {
    fn from(r: SubjectVersionResponse) -> Self {
        RegisteredSchema {
            subject: r.subject,
            id: r.id,
            version: r.version,
            schema: r.schema.into(),
        }
    }
}

/// Answer of `POST /compatibility/subjects/{s}/versions/{v}`.
#[derive(Debug, Deserialize)]
pub(crate) struct CompatibilityResponse {
    pub(crate) is_compatible: bool,
}

/// `GET /config` answers `compatibilityLevel`, `PUT /config` echoes `compatibility`.
#[derive(Debug, Deserialize)]
pub(crate) struct ConfigResponse {
    #[serde(rename = "compatibilityLevel", alias = "compatibility")]
    pub(crate) compatibility_level: CompatibilityLevel,
}

/// Body of `PUT /config[/{s}]`.
#[derive(Debug, Serialize)]
pub(crate) struct ConfigRequest {
    pub(crate) compatibility: CompatibilityLevel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avro_requests_leave_out_type_and_empty_references() {
        let avro = Schema::avro(r#""string""#);
        let body = serde_json::to_value(SchemaRequest::from(&avro)).unwrap();
        assert_eq!(body, serde_json::json!({"schema": "\"string\""}));

        let json = Schema::json("{}").with_references(vec![SchemaReference {
            name: "other.json".into(),
            subject: "other".into(),
            version: 2,
        }]);
        let body = serde_json::to_value(SchemaRequest::from(&json)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"schema": "{}", "schemaType": "JSON",
                "references": [{"name": "other.json", "subject": "other", "version": 2}]})
        );
    }

    #[test]
    fn responses_default_to_avro_and_accept_both_config_spellings() {
        let r: SubjectVersionResponse =
            serde_json::from_str(r#"{"subject":"s","version":3,"id":7,"schema":"\"int\""}"#)
                .unwrap();
        let r = RegisteredSchema::from(r);
        assert_eq!((r.id, r.version), (7, 3));
        assert_eq!(r.schema, Schema::avro("\"int\""));

        let get: ConfigResponse =
            serde_json::from_str(r#"{"compatibilityLevel":"FULL_TRANSITIVE"}"#).unwrap();
        assert_eq!(get.compatibility_level, CompatibilityLevel::FullTransitive);
        let put: ConfigResponse =
            serde_json::from_str(r#"{"compatibility":"NONE","normalize":false}"#).unwrap();
        assert_eq!(put.compatibility_level, CompatibilityLevel::None);
    }

    #[test]
    fn versions_print_as_the_api_spells_them() {
        assert_eq!(Version::Latest.to_string(), "latest");
        assert_eq!(Version::from(4).to_string(), "4");
        assert_eq!(
            CompatibilityLevel::BackwardTransitive.to_string(),
            "BACKWARD_TRANSITIVE"
        );
    }
}
