//! Avro schemas as the converter uses them: a tree with every property kept (`connect.*`,
//! `logicalType`, ...), named types resolved, and facts the codec needs precomputed.
//!
//! The text is first checked by `apache-avro`'s parser, so names, symbols, sizes and unions are
//! validated by a complete Avro implementation; this tree is then read from the same text with
//! the crate's JSON reader, which keeps object members in document order (Connect parameters are
//! ordered). Recursive schemas are refused: Connect schemas cannot express them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::avro::json::Json;
use connect_api::data::{MAX_DEPTH, Str};

/// A parsed Avro schema and its text.
#[derive(Debug)]
pub(crate) struct AvroSchema {
    /// The text as given.
    pub(crate) text: Arc<str>,
    /// The text without insignificant whitespace, to recognise the same schema written twice.
    pub(crate) normalized: Arc<str>,
    pub(crate) root: Node,
}

impl AvroSchema {
    /// Parses and validates a schema.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        apache_avro::Schema::parse_str(text).map_err(|e| e.to_string())?;
        let json = Json::parse(text)?;
        let mut parser = Parser::default();
        let root = parser.node(&json, None, 0)?;
        let mut normalized = Vec::with_capacity(text.len());
        json.write(&mut normalized, false);
        Ok(Self {
            text: text.into(),
            normalized: String::from_utf8_lossy(&normalized).into(),
            root,
        })
    }

    /// The full name of the top-level record, as RecordNameStrategy names subjects; `None` for
    /// other schemas.
    pub(crate) fn record_name(&self) -> Option<String> {
        match &self.root.kind {
            Kind::Record(r) => Some(r.name.full()),
            _ => None,
        }
    }
}

/// One schema node: its kind and its properties (shared by every use of a named type).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) props: Arc<Props>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Array(Box<Node>, Items),
    Map(Box<Node>, Items),
    Union(Vec<Node>),
    Record(Arc<Record>),
    Enum(Arc<Enum>),
    Fixed(Arc<Fixed>),
}

/// Facts about the items of an array or map that guard the decoder against hostile counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Items {
    /// An item may be encoded in zero bytes (null, an empty record, `fixed` of size 0), so a
    /// block count cannot be checked against the bytes left.
    pub(crate) may_be_empty: bool,
}

#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) fields: Vec<Field>,
    /// Every field may encode in zero bytes (computed once: named types are shared, so walking
    /// them again at each use could take exponential time on a hostile schema).
    may_be_empty: bool,
}

#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) doc: Option<String>,
    pub(crate) default: Option<Json>,
    pub(crate) schema: Node,
    pub(crate) props: Props,
}

#[derive(Debug)]
pub(crate) struct Enum {
    pub(crate) name: Name,
    pub(crate) doc: Option<String>,
    pub(crate) symbols: Vec<Str>,
    pub(crate) default: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Fixed {
    pub(crate) name: Name,
    pub(crate) size: usize,
}

/// A named type's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

impl Name {
    pub(crate) fn full(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Properties other than the ones Avro itself defines, in document order.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Props(pub(crate) Vec<(String, Json)>);

impl Props {
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }
}

impl Node {
    /// The Avro type name: `int`, `record`, ...
    pub(crate) fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Float => "float",
            Kind::Double => "double",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::Array(..) => "array",
            Kind::Map(..) => "map",
            Kind::Union(_) => "union",
            Kind::Record(_) => "record",
            Kind::Enum(_) => "enum",
            Kind::Fixed(_) => "fixed",
        }
    }

    /// The name of a named type.
    pub(crate) fn name(&self) -> Option<&Name> {
        match &self.kind {
            Kind::Record(r) => Some(&r.name),
            Kind::Enum(e) => Some(&e.name),
            Kind::Fixed(f) => Some(&f.name),
            _ => None,
        }
    }

    /// Whether a value of this schema can take zero bytes.
    fn may_be_empty(&self) -> bool {
        match &self.kind {
            Kind::Null => true,
            Kind::Record(r) => r.may_be_empty,
            Kind::Fixed(f) => f.size == 0,
            _ => false,
        }
    }
}

fn primitive(name: &str) -> Option<Kind> {
    Some(match name {
        "null" => Kind::Null,
        "boolean" => Kind::Boolean,
        "int" => Kind::Int,
        "long" => Kind::Long,
        "float" => Kind::Float,
        "double" => Kind::Double,
        "bytes" => Kind::Bytes,
        "string" => Kind::String,
        _ => return None,
    })
}

/// Named types by full name; `None` while a record is being defined.
#[derive(Default)]
struct Parser {
    names: HashMap<String, Option<Node>>,
}

impl Parser {
    fn node(&mut self, json: &Json, space: Option<&str>, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(format!("schema nested deeper than {MAX_DEPTH} levels"));
        }
        match json {
            Json::String(name) => self.named_or_primitive(name, space, Props::default()),
            Json::Array(members) => {
                let members = members
                    .iter()
                    .map(|m| self.node(m, space, depth + 1))
                    .collect::<Result<_, _>>()?;
                Ok(plain(Kind::Union(members), Props::default()))
            }
            Json::Object(members) => self.complex(json, members, space, depth),
            other => {
                let mut text = Vec::new();
                other.write(&mut text, false);
                Err(format!("not a schema: {}", String::from_utf8_lossy(&text)))
            }
        }
    }

    fn named_or_primitive(
        &mut self,
        name: &str,
        space: Option<&str>,
        props: Props,
    ) -> Result<Node, String> {
        if let Some(kind) = primitive(name) {
            return Ok(plain(kind, props));
        }
        let qualified = match space {
            Some(ns) if !name.contains('.') => format!("{ns}.{name}"),
            _ => name.to_owned(),
        };
        let found = self.names.get(&qualified).or_else(|| self.names.get(name));
        match found {
            Some(Some(node)) => Ok(node.clone()),
            Some(None) => Err(format!(
                "recursive schemas are not supported ({name} refers to itself)"
            )),
            None => Err(format!("undefined name: {name}")),
        }
    }

    fn complex(
        &mut self,
        json: &Json,
        members: &[(String, Json)],
        space: Option<&str>,
        depth: usize,
    ) -> Result<Node, String> {
        let ty = json
            .get("type")
            .and_then(Json::as_str)
            .ok_or("a schema object needs a string \"type\"")?;
        let reserved: &[&str] = match ty {
            "record" | "error" => &["type", "name", "namespace", "doc", "fields", "aliases"],
            "enum" => &[
                "type",
                "name",
                "namespace",
                "doc",
                "symbols",
                "aliases",
                "default",
            ],
            "fixed" => &["type", "name", "namespace", "doc", "size", "aliases"],
            "array" => &["type", "items"],
            "map" => &["type", "values"],
            _ => &["type"],
        };
        let props = Props(
            members
                .iter()
                .filter(|(k, _)| !reserved.contains(&k.as_str()))
                .cloned()
                .collect(),
        );
        let doc = json.get("doc").and_then(Json::as_str).map(str::to_owned);
        match ty {
            "record" | "error" => {
                let name = name_of(json, space)?;
                let full = name.full();
                self.names.insert(full.clone(), None);
                let fields = json
                    .get("fields")
                    .and_then(|f| match f {
                        Json::Array(fields) => Some(fields),
                        _ => None,
                    })
                    .ok_or("a record needs \"fields\"")?;
                let inner = name.namespace.clone();
                let fields: Vec<Field> = fields
                    .iter()
                    .map(|f| self.field(f, inner.as_deref(), depth))
                    .collect::<Result<_, _>>()?;
                let may_be_empty = fields.iter().all(|f| f.schema.may_be_empty());
                let record = Record {
                    name,
                    doc,
                    fields,
                    may_be_empty,
                };
                let node = plain(Kind::Record(Arc::new(record)), props);
                self.names.insert(full, Some(node.clone()));
                Ok(node)
            }
            "enum" => {
                let name = name_of(json, space)?;
                let symbols = match json.get("symbols") {
                    Some(Json::Array(symbols)) => symbols
                        .iter()
                        .map(|s| s.as_str().map(Str::from))
                        .collect::<Option<_>>()
                        .ok_or("enum symbols must be strings")?,
                    _ => return Err("an enum needs \"symbols\"".into()),
                };
                let default = json
                    .get("default")
                    .and_then(Json::as_str)
                    .map(str::to_owned);
                let full = name.full();
                let node = plain(
                    Kind::Enum(Arc::new(Enum {
                        name,
                        doc,
                        symbols,
                        default,
                    })),
                    props,
                );
                self.names.insert(full, Some(node.clone()));
                Ok(node)
            }
            "fixed" => {
                let name = name_of(json, space)?;
                let size = json
                    .get("size")
                    .and_then(Json::as_i64)
                    .and_then(|s| usize::try_from(s).ok())
                    .ok_or("a fixed needs a non-negative integer \"size\"")?;
                let full = name.full();
                let node = plain(Kind::Fixed(Arc::new(Fixed { name, size })), props);
                self.names.insert(full, Some(node.clone()));
                Ok(node)
            }
            "array" => {
                let items = json.get("items").ok_or("an array needs \"items\"")?;
                let items = self.node(items, space, depth + 1)?;
                let facts = Items {
                    may_be_empty: items.may_be_empty(),
                };
                Ok(plain(Kind::Array(Box::new(items), facts), props))
            }
            "map" => {
                let values = json.get("values").ok_or("a map needs \"values\"")?;
                let values = self.node(values, space, depth + 1)?;
                let facts = Items {
                    may_be_empty: values.may_be_empty(),
                };
                Ok(plain(Kind::Map(Box::new(values), facts), props))
            }
            other => self.named_or_primitive(other, space, props),
        }
    }

    fn field(&mut self, json: &Json, space: Option<&str>, depth: usize) -> Result<Field, String> {
        let Json::Object(members) = json else {
            return Err("a record field must be an object".into());
        };
        let name = json
            .get("name")
            .and_then(Json::as_str)
            .ok_or("a record field needs a \"name\"")?
            .to_owned();
        let ty = json
            .get("type")
            .ok_or_else(|| format!("field {name} needs a \"type\""))?;
        let schema = self.node(ty, space, depth + 1)?;
        let reserved = ["name", "type", "doc", "default", "order", "aliases"];
        Ok(Field {
            doc: json.get("doc").and_then(Json::as_str).map(str::to_owned),
            default: json.get("default").cloned(),
            schema,
            props: Props(
                members
                    .iter()
                    .filter(|(k, _)| !reserved.contains(&k.as_str()))
                    .cloned()
                    .collect(),
            ),
            name,
        })
    }
}

fn plain(kind: Kind, props: Props) -> Node {
    Node {
        kind,
        props: Arc::new(props),
    }
}

/// A named type's name per the Avro specification: a dotted name carries its namespace,
/// otherwise the `namespace` attribute or the enclosing namespace applies.
fn name_of(json: &Json, space: Option<&str>) -> Result<Name, String> {
    let raw = json
        .get("name")
        .and_then(Json::as_str)
        .ok_or("a named type needs a \"name\"")?;
    if let Some((ns, name)) = raw.rsplit_once('.') {
        return Ok(Name {
            name: name.to_owned(),
            namespace: Some(ns.to_owned()).filter(|ns| !ns.is_empty()),
        });
    }
    let namespace = match json.get("namespace") {
        Some(Json::String(ns)) => Some(ns.clone()).filter(|ns| !ns.is_empty()),
        _ => space.map(str::to_owned),
    };
    Ok(Name {
        name: raw.to_owned(),
        namespace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_and_namespaces() {
        let schema = AvroSchema::parse(
            r#"{"type":"record","name":"Outer","namespace":"a.b","fields":[
                {"name":"x","type":{"type":"fixed","name":"F","size":2}},
                {"name":"y","type":"F"},
                {"name":"z","type":{"type":"record","name":"c.Inner","fields":[]}},
                {"name":"w","type":{"type":"int","connect.type":"int8"}}]}"#,
        )
        .unwrap();
        assert_eq!(schema.record_name().as_deref(), Some("a.b.Outer"));
        let Kind::Record(outer) = &schema.root.kind else {
            panic!()
        };
        assert_eq!(outer.fields[1].schema.name().unwrap().full(), "a.b.F");
        assert_eq!(outer.fields[2].schema.name().unwrap().full(), "c.Inner");
        assert_eq!(
            outer.fields[3].schema.props.str("connect.type"),
            Some("int8")
        );
    }

    #[test]
    fn refuses_recursion_and_invalid_schemas() {
        let err = AvroSchema::parse(
            r#"{"type":"record","name":"L","fields":[{"name":"next","type":["null","L"]}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("recursive"), "{err}");
        assert!(AvroSchema::parse(r#"{"type":"record","name":"a-b","fields":[]}"#).is_err());
        assert!(AvroSchema::parse("nope").is_err());
    }
}
