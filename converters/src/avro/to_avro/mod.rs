//! Connect schema → Avro schema text, as Confluent's `AvroData.fromConnectSchema` builds it and
//! Avro's Java `Schema.toString()` prints it, so the text registered is the text Confluent's
//! converter registers (same registry ids, same subjects' versions).
//!
//! Built in two steps like the Java code: a tree of Avro types (equal non-optional Connect
//! schemas map to one shared Avro type, unnamed structs are named `ConnectDefault`,
//! `ConnectDefault2`, ... in the order they are met), then the JSON text, where a named type
//! seen before is written as its name and a different type under a used name is an error
//! (Avro's "Can't redefine").

mod print;
mod tree;

use std::collections::HashSet;
use std::rc::Rc;

use crate::avro::json::Json;
use crate::avro::names::{
    CONNECT_DEFAULT_PROP, CONNECT_DOC_PROP, CONNECT_INTERNAL_TYPE_PROP, CONNECT_NAME_PROP,
    CONNECT_PARAMETERS_PROP, CONNECT_TYPE_PROP, CONNECT_VERSION_PROP, DECIMAL_PRECISION_DEFAULT,
    DECIMAL_PRECISION_PARAM, DEFAULT_NAME, FIELD_DEFAULT_FLAG, FIELD_DOC_PREFIX, FIXED_SIZE_PARAM,
    MAP_ENTRY_NAME, NAMESPACE, RECORD_DOC_PARAM, is_union_schema,
};
use crate::error::Problem;
use connect_api::data::logical::{
    DATE_NAME, DECIMAL_NAME, DECIMAL_SCALE_PARAMETER, TIME_NAME, TIMESTAMP_NAME,
};
use connect_api::data::{Schema, SchemaRef, Type, Value};
use print::Printer;
use tree::{Av, AvField, Named, Props, Shape};

/// The Avro schema text for a Connect schema.
pub(crate) fn avro_schema_text(schema: &Schema) -> Result<String, Problem> {
    let mut ctx = Context::default();
    let root = ctx.convert(schema, false)?;
    let mut out = Vec::with_capacity(256);
    Printer::default().write(&root, &mut out)?;
    String::from_utf8(out).map_err(|e| Problem::InvalidSchema(e.to_string()))
}

/// `AvroData`'s `FromConnectContext`.
#[derive(Default)]
struct Context {
    /// Avro types of the non-optional Connect schemas converted so far.
    converted: Vec<(SchemaRef, Av)>,
    seen_named: HashSet<String>,
    unnamed: usize,
}

impl Context {
    fn convert(&mut self, schema: &Schema, ignore_optional: bool) -> Result<Av, Problem> {
        let union = is_union_schema(schema);
        if !union
            && !schema.is_optional()
            && let Some((_, av)) = self.converted.iter().find(|(s, _)| **s == *schema)
        {
            return Ok(av.clone());
        }
        let mut connect_type = None;
        let decimal = schema
            .name()
            .is_some_and(|n| n.eq_ignore_ascii_case(DECIMAL_NAME));
        let mut base = match schema.ty() {
            Type::Int8 => {
                connect_type = Some("int8");
                Av::Primitive("int", Vec::new())
            }
            Type::Int16 => {
                connect_type = Some("int16");
                Av::Primitive("int", Vec::new())
            }
            Type::Int32 => Av::Primitive("int", Vec::new()),
            Type::Int64 => Av::Primitive("long", Vec::new()),
            Type::Float32 => Av::Primitive("float", Vec::new()),
            Type::Float64 => Av::Primitive("double", Vec::new()),
            Type::Boolean => Av::Primitive("boolean", Vec::new()),
            Type::String => Av::Primitive("string", Vec::new()),
            Type::Bytes => self.bytes(schema, decimal)?,
            Type::Array => {
                let items = schema
                    .value_schema()
                    .ok_or_else(|| missing("array items"))?;
                Av::Array(Box::new(self.convert(items, false)?), Vec::new())
            }
            Type::Map => self.map(schema)?,
            Type::Struct if union => {
                let mut members = Vec::new();
                if schema.is_optional() {
                    members.push(Av::Primitive("null", Vec::new()));
                }
                for field in schema.fields() {
                    members.push(self.convert(&*non_optional(field.schema())?, true)?);
                }
                Av::Union(members)
            }
            Type::Struct if schema.is_optional() => Av::Union(vec![
                Av::Primitive("null", Vec::new()),
                self.convert(&*non_optional(schema)?, false)?,
            ]),
            Type::Struct => self.record(schema)?,
        };
        let final_av = if matches!(base, Av::Union(_)) {
            base
        } else {
            let props = metadata(schema, connect_type, decimal)?;
            match &mut base {
                Av::Named(named) => {
                    // Built without metadata above; the metadata goes on the same definition.
                    let named = Rc::get_mut(named).ok_or_else(|| missing("unshared record"))?;
                    extend(&mut named.props, props);
                }
                other => {
                    if let Some(own) = other.props_mut() {
                        extend(own, props);
                    }
                }
            }
            if ignore_optional {
                base
            } else {
                maybe_optional(schema, base)
            }
        };
        if !schema.is_optional() {
            let key = std::sync::Arc::new(schema.clone());
            self.converted.push((key, final_av.clone()));
        }
        Ok(final_av)
    }

    fn bytes(&mut self, schema: &Schema, decimal: bool) -> Result<Av, Problem> {
        let mut props = Vec::new();
        if decimal {
            let scale = int_param(schema, DECIMAL_SCALE_PARAMETER)?.unwrap_or(0);
            let precision =
                int_param(schema, DECIMAL_PRECISION_PARAM)?.unwrap_or(DECIMAL_PRECISION_DEFAULT);
            props.push(("scale".to_owned(), Json::Int(scale.into())));
            props.push(("precision".to_owned(), Json::Int(precision.into())));
        }
        if let (Some(name), Some(size)) = (schema.name(), schema.parameter(FIXED_SIZE_PARAM)) {
            let size = size
                .parse()
                .map_err(|_| Problem::InvalidSchema(format!("{FIXED_SIZE_PARAM} \"{size}\"")))?;
            let (namespace, name) = split_name(name);
            return Ok(Av::Named(Rc::new(Named {
                name,
                namespace,
                doc: None,
                shape: Shape::Fixed(size),
                props,
            })));
        }
        Ok(Av::Primitive("bytes", props))
    }

    fn map(&mut self, schema: &Schema) -> Result<Av, Problem> {
        let keys = schema.key_schema().ok_or_else(|| missing("map keys"))?;
        let values = schema.value_schema().ok_or_else(|| missing("map values"))?;
        if keys.ty() == Type::String && !keys.is_optional() {
            return Ok(Av::Map(Box::new(self.convert(values, false)?), Vec::new()));
        }
        let (namespace, name, props) = match schema.name() {
            None => (
                Some(NAMESPACE.to_owned()),
                MAP_ENTRY_NAME.to_owned(),
                Vec::new(),
            ),
            Some(full) => {
                let (namespace, name) = split_name(full);
                let props = vec![(
                    CONNECT_INTERNAL_TYPE_PROP.to_owned(),
                    Json::String(MAP_ENTRY_NAME.to_owned()),
                )];
                (namespace, name, props)
            }
        };
        let fields = vec![
            self.field("key", keys, None)?,
            self.field("value", values, None)?,
        ];
        let entry = Av::Named(Rc::new(Named {
            name,
            namespace,
            doc: None,
            shape: Shape::Record(fields),
            props,
        }));
        Ok(Av::Array(Box::new(entry), Vec::new()))
    }

    fn record(&mut self, schema: &Schema) -> Result<Av, Problem> {
        let (namespace, name) = match schema.name() {
            Some(full) => split_name(full),
            None => {
                self.unnamed += 1;
                let name = match self.unnamed {
                    1 => DEFAULT_NAME.to_owned(),
                    n => format!("{DEFAULT_NAME}{n}"),
                };
                (Some(NAMESPACE.to_owned()), name)
            }
        };
        let mut fields = Vec::with_capacity(schema.fields().len());
        for field in schema.fields() {
            let doc = schema.parameter(&format!("{FIELD_DOC_PREFIX}{}", field.name()));
            fields.push(self.field(field.name(), field.schema(), doc)?);
        }
        Ok(Av::Named(Rc::new(Named {
            name,
            namespace,
            doc: schema.parameter(RECORD_DOC_PARAM).map(str::to_owned),
            shape: Shape::Record(fields),
            props: Vec::new(),
        })))
    }

    /// `AvroData.addAvroRecordField`.
    fn field(
        &mut self,
        name: &str,
        schema: &Schema,
        doc: Option<&str>,
    ) -> Result<AvField, Problem> {
        let default = match schema.default_value() {
            Some(v) => Some(default_json(schema, v)?),
            None if schema.is_optional() => Some(Json::Null),
            None => None,
        };
        let seen_before = schema
            .name()
            .is_some_and(|n| !self.seen_named.insert(n.to_owned()));
        let ty = self.convert(schema, false)?;
        let mut props = Vec::new();
        if seen_before
            && ty.is_named()
            && let Some(params) = parameters(schema)
        {
            props.push((CONNECT_PARAMETERS_PROP.to_owned(), params));
        }
        Ok(AvField {
            name: name.to_owned(),
            // Avro's Java Field drops a default that does not fit the field's type.
            default: default.filter(|d| valid_default(&ty, d)),
            ty,
            doc: doc.map(str::to_owned),
            props,
        })
    }
}

fn missing(what: &str) -> Problem {
    Problem::InvalidSchema(format!("schema without {what}"))
}

fn extend(props: &mut Props, more: Props) {
    for (k, v) in more {
        if !props.iter().any(|(key, _)| *key == k) {
            props.push((k, v));
        }
    }
}

fn int_param(schema: &Schema, key: &str) -> Result<Option<i32>, Problem> {
    schema
        .parameter(key)
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| Problem::InvalidSchema(format!("parameter {key}=\"{v}\"")))
        })
        .transpose()
}

/// A copy of the schema that is not optional (`AvroData.nonOptional`).
fn non_optional(schema: &Schema) -> Result<SchemaRef, Problem> {
    schema
        .to_builder()
        .required()
        .build()
        .map_err(|e| Problem::InvalidSchema(e.to_string()))
}

/// Splits `a.b.C` into namespace `a.b` and name `C`.
fn split_name(full: &str) -> (Option<String>, String) {
    match full.rsplit_once('.') {
        Some((ns, name)) => (Some(ns.to_owned()), name.to_owned()),
        None => (None, full.to_owned()),
    }
}

/// Connect parameters as a JSON object, without the internal field-default flag.
fn parameters(schema: &Schema) -> Option<Json> {
    let params: Vec<(String, Json)> = schema
        .parameters()
        .iter()
        .filter(|(k, _)| &**k != FIELD_DEFAULT_FLAG)
        .map(|(k, v)| (k.to_string(), Json::String(v.to_string())))
        .collect();
    (!params.is_empty()).then_some(Json::Object(params))
}

/// The `connect.*` properties, the logical type and the `avro*` parameters of a non-union type,
/// in the order `AvroData` adds them.
fn metadata(schema: &Schema, connect_type: Option<&str>, decimal: bool) -> Result<Props, Problem> {
    let mut props: Props = Vec::new();
    if let Some(doc) = schema.doc() {
        props.push((CONNECT_DOC_PROP.into(), Json::String(doc.into())));
    }
    if let Some(version) = schema.version() {
        props.push((CONNECT_VERSION_PROP.into(), Json::Int(version.into())));
    }
    if let Some(params) = parameters(schema) {
        props.push((CONNECT_PARAMETERS_PROP.into(), params));
    }
    if let Some(default) = schema.default_value()
        && schema.parameter(FIELD_DEFAULT_FLAG).is_none()
    {
        props.push((CONNECT_DEFAULT_PROP.into(), default_json(schema, default)?));
    }
    if let Some(name) = schema.name() {
        props.push((CONNECT_NAME_PROP.into(), Json::String(name.into())));
    }
    if let Some(ty) = connect_type {
        props.push((CONNECT_TYPE_PROP.into(), Json::String(ty.into())));
    }
    let logical = match schema.name() {
        _ if decimal => Some("decimal"),
        Some(n) if n.eq_ignore_ascii_case(TIME_NAME) => Some("time-millis"),
        Some(n) if n.eq_ignore_ascii_case(TIMESTAMP_NAME) => Some("timestamp-millis"),
        Some(n) if n.eq_ignore_ascii_case(DATE_NAME) => Some("date"),
        _ => None,
    };
    if let Some(logical) = logical {
        props.push(("logicalType".into(), Json::String(logical.into())));
    }
    for (key, value) in schema.parameters() {
        if key.starts_with("avro") && !props.iter().any(|(k, _)| **k == **key) {
            props.push((key.to_string(), Json::String(value.to_string())));
        }
    }
    Ok(props)
}

/// `AvroData.maybeMakeOptional`: null first, unless a default must match the first branch.
fn maybe_optional(schema: &Schema, base: Av) -> Av {
    if !schema.is_optional() {
        return base;
    }
    let null = Av::Primitive("null", Vec::new());
    if schema.default_value().is_some() {
        Av::Union(vec![base, null])
    } else {
        Av::Union(vec![null, base])
    }
}

/// `AvroData.defaultValueFromConnect`: a Connect value as Avro's JSON form of a default.
fn default_json(schema: &Schema, value: &Value) -> Result<Json, Problem> {
    let bad = || Problem::InvalidSchema(format!("default value {value:?} does not fit its schema"));
    Ok(match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int8(i) => Json::Int((*i).into()),
        Value::Int16(i) => Json::Int((*i).into()),
        Value::Int32(i) | Value::Date(i) | Value::Time(i) => Json::Int((*i).into()),
        Value::Int64(i) | Value::Timestamp(i) => Json::Int(*i),
        Value::Float32(f) => Json::Float(*f),
        Value::Float64(f) => Json::Double(*f),
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(latin1(b)),
        Value::Decimal(d) => Json::String(latin1(&d.to_unscaled_bytes())),
        Value::Array(items) => {
            let items_schema = schema.value_schema().ok_or_else(bad)?;
            Json::Array(
                items
                    .iter()
                    .map(|v| default_json(items_schema, v))
                    .collect::<Result<_, _>>()?,
            )
        }
        Value::Map(entries) => {
            let keys = schema.key_schema().ok_or_else(bad)?;
            let values = schema.value_schema().ok_or_else(bad)?;
            if keys.ty() == Type::String && !keys.is_optional() {
                let mut members = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = k.as_str().ok_or_else(bad)?;
                    members.push((key.to_owned(), default_json(values, v)?));
                }
                Json::Object(members)
            } else {
                let mut pairs = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    pairs.push(Json::Array(vec![
                        default_json(keys, k)?,
                        default_json(values, v)?,
                    ]));
                }
                Json::Array(pairs)
            }
        }
        Value::Struct(s) => {
            let mut members = Vec::with_capacity(schema.fields().len());
            for field in schema.fields() {
                let v = s.get(field.name()).unwrap_or(&Value::Null);
                let json = default_json(field.schema(), v)?;
                if is_union_schema(schema) {
                    return Ok(json);
                }
                members.push((field.name().to_owned(), json));
            }
            Json::Object(members)
        }
    })
}

/// Bytes as a string of the characters U+0000..U+00FF (Avro's JSON form of bytes).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Avro Java's `Schema.isValidDefault`.
fn valid_default(ty: &Av, default: &Json) -> bool {
    match ty {
        Av::Primitive(name, _) => match *name {
            "string" | "bytes" => matches!(default, Json::String(_)),
            "int" => default.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            "long" => default.as_i64().is_some(),
            "float" | "double" => default.is_number(),
            "boolean" => matches!(default, Json::Bool(_)),
            "null" => matches!(default, Json::Null),
            _ => false,
        },
        Av::Array(items, _) => match default {
            Json::Array(elements) => elements.iter().all(|e| valid_default(items, e)),
            _ => false,
        },
        Av::Map(values, _) => match default {
            Json::Object(members) => members.iter().all(|(_, v)| valid_default(values, v)),
            _ => false,
        },
        Av::Union(members) => members.first().is_some_and(|m| valid_default(m, default)),
        Av::Named(named) => match &named.shape {
            Shape::Fixed(_) => matches!(default, Json::String(_)),
            Shape::Record(fields) => {
                matches!(default, Json::Object(_))
                    && fields
                        .iter()
                        .all(|f| match default.get(&f.name).or(f.default.as_ref()) {
                            Some(v) => valid_default(&f.ty, v),
                            None => false,
                        })
            }
        },
    }
}
