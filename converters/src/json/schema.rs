//! Connect schemas as JSON, in Kafka Connect's layout (`JsonConverter.asJsonSchema` /
//! `asConnectSchema`). Keys come in this order, absent ones left out:
//! `type`, then `items` (array) or `keys`,`values` (map) or `fields` (struct), then `optional`,
//! `name`, `version`, `doc`, `parameters`, `default`, and for a struct field its name as `field`.
//! JSON type names are Kafka's: `int8`..`int64`, `float` (FLOAT32), `double` (FLOAT64),
//! `boolean`, `string`, `bytes`, `array`, `map`, `struct`.

use std::sync::Arc;

use crate::error::{DataError, Problem};
use crate::json::decode::Decoder;
use crate::json::encode::Encoder;
use crate::shared::json_parse::{Member, Node, member};
use crate::shared::json_text::{push_int, push_string};
use connect_api::data::Trail;
use connect_api::data::{MAX_DEPTH, Schema, SchemaBuilder, SchemaRef, Type};

fn json_type_name(ty: Type) -> &'static str {
    match ty {
        Type::Int8 => "int8",
        Type::Int16 => "int16",
        Type::Int32 => "int32",
        Type::Int64 => "int64",
        Type::Float32 => "float",
        Type::Float64 => "double",
        Type::Boolean => "boolean",
        Type::String => "string",
        Type::Bytes => "bytes",
        Type::Array => "array",
        Type::Map => "map",
        Type::Struct => "struct",
    }
}

/// Writes `schema` as JSON; `depth` containers are open around it.
pub(crate) fn write_schema(
    enc: &Encoder,
    out: &mut Vec<u8>,
    schema: &Schema,
    field_name: Option<&str>,
    trail: &Trail<'_>,
    depth: usize,
) -> Result<(), DataError> {
    if depth >= MAX_DEPTH {
        return Err(trail.error(Problem::TooDeep(MAX_DEPTH)));
    }
    let inner = depth + 1;
    out.extend_from_slice(b"{\"type\":");
    push_string(out, json_type_name(schema.ty()));
    match schema.ty() {
        Type::Array => {
            out.extend_from_slice(b",\"items\":");
            write_child(enc, out, schema.value_schema(), trail, "items", inner)?;
        }
        Type::Map => {
            out.extend_from_slice(b",\"keys\":");
            write_child(enc, out, schema.key_schema(), trail, "keys", inner)?;
            out.extend_from_slice(b",\"values\":");
            write_child(enc, out, schema.value_schema(), trail, "values", inner)?;
        }
        Type::Struct => {
            if inner >= MAX_DEPTH {
                return Err(trail.error(Problem::TooDeep(MAX_DEPTH)));
            }
            out.extend_from_slice(b",\"fields\":[");
            for (i, field) in schema.fields().iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let field_trail = trail.field(field.name());
                write_schema(
                    enc,
                    out,
                    field.schema(),
                    Some(field.name()),
                    &field_trail,
                    inner + 1,
                )?;
            }
            out.push(b']');
        }
        _ => {}
    }
    write_attributes(enc, out, schema, field_name, trail, inner)
}

/// Everything after the children: `optional`, `name`, `version`, `doc`, `parameters`,
/// `default`, `field`, and the closing brace.
#[inline(never)]
fn write_attributes(
    enc: &Encoder,
    out: &mut Vec<u8>,
    schema: &Schema,
    field_name: Option<&str>,
    trail: &Trail<'_>,
    inner: usize,
) -> Result<(), DataError> {
    out.extend_from_slice(if schema.is_optional() {
        b",\"optional\":true"
    } else {
        b",\"optional\":false"
    });
    if let Some(name) = schema.name() {
        out.extend_from_slice(b",\"name\":");
        push_string(out, name);
    }
    if let Some(version) = schema.version() {
        out.extend_from_slice(b",\"version\":");
        push_int(out, i64::from(version));
    }
    if let Some(doc) = schema.doc() {
        out.extend_from_slice(b",\"doc\":");
        push_string(out, doc);
    }
    if !schema.parameters().is_empty() {
        out.extend_from_slice(b",\"parameters\":{");
        for (i, (k, v)) in schema.parameters().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_string(out, k);
            out.push(b':');
            push_string(out, v);
        }
        out.push(b'}');
    }
    if let Some(default) = schema.default_value() {
        out.extend_from_slice(b",\"default\":");
        enc.value(out, Some(schema), default, &trail.field("default"), inner)?;
    }
    if let Some(name) = field_name {
        out.extend_from_slice(b",\"field\":");
        push_string(out, name);
    }
    out.push(b'}');
    Ok(())
}

fn write_child(
    enc: &Encoder,
    out: &mut Vec<u8>,
    child: Option<&SchemaRef>,
    trail: &Trail<'_>,
    key: &str,
    depth: usize,
) -> Result<(), DataError> {
    let trail = trail.field(key);
    match child {
        Some(child) => write_schema(enc, out, child, None, &trail, depth),
        None => Err(trail.error(Problem::InvalidSchema(format!("missing {key} schema")))),
    }
}

fn invalid(trail: &Trail<'_>, reason: impl Into<String>) -> DataError {
    trail.error(Problem::InvalidSchema(reason.into()))
}

/// Reads a schema (`None` for JSON `null`), as Kafka Connect's `asConnectSchema`: unknown keys
/// are ignored, `optional` counts only when it is `true`, non-text `name`/`doc` are ignored, and
/// a STRUCT schema with a non-null default is an error.
pub(crate) fn read_schema(
    dec: &Decoder<'_>,
    node: &Node<'_>,
    trail: &Trail<'_>,
) -> Result<Option<SchemaRef>, DataError> {
    match node {
        Node::Null => Ok(None),
        Node::Object(members) => read_object(dec, members, trail).map(Some),
        _ => Err(invalid(trail, "schema must contain 'type' field")),
    }
}

fn required_child(
    dec: &Decoder<'_>,
    members: &[Member<'_>],
    key: &'static str,
    trail: &Trail<'_>,
) -> Result<SchemaRef, DataError> {
    let child_trail = trail.field(key);
    if let Some(m) = member(members, key)
        && let Some(schema) = read_schema(dec, &m.value, &child_trail)?
    {
        return Ok(schema);
    }
    Err(missing_child(trail, key))
}

#[inline(never)]
fn missing_child(trail: &Trail<'_>, key: &str) -> DataError {
    invalid(trail, format!("schema did not specify the {key} type"))
}

/// The type and the child schemas: the recursive part of reading a schema, kept apart from the
/// rest so that each level of nesting costs little stack.
enum Shape {
    Primitive(Type),
    Array(SchemaRef),
    Map(SchemaRef, SchemaRef),
    Struct(Vec<(Arc<str>, SchemaRef)>),
}

fn read_object(
    dec: &Decoder<'_>,
    members: &[Member<'_>],
    trail: &Trail<'_>,
) -> Result<SchemaRef, DataError> {
    let shape = read_shape(dec, members, trail)?;
    finish(dec, members, shape, trail)
}

fn read_shape(
    dec: &Decoder<'_>,
    members: &[Member<'_>],
    trail: &Trail<'_>,
) -> Result<Shape, DataError> {
    let Some(Node::String(type_name)) = member(members, "type").map(|m| &m.value) else {
        return Err(invalid(trail, "schema must contain 'type' field"));
    };
    let shape = match &**type_name {
        "array" => Shape::Array(required_child(dec, members, "items", trail)?),
        "map" => {
            let keys = required_child(dec, members, "keys", trail)?;
            Shape::Map(keys, required_child(dec, members, "values", trail)?)
        }
        "struct" => Shape::Struct(read_fields(dec, members, trail)?),
        other => Shape::Primitive(primitive(other).ok_or_else(|| unknown_type(trail, other))?),
    };
    Ok(shape)
}

#[inline(never)]
fn unknown_type(trail: &Trail<'_>, name: &str) -> DataError {
    invalid(trail, format!("unknown schema type: {name}"))
}

fn primitive(name: &str) -> Option<Type> {
    Some(match name {
        "boolean" => Type::Boolean,
        "int8" => Type::Int8,
        "int16" => Type::Int16,
        "int32" => Type::Int32,
        "int64" => Type::Int64,
        "float" => Type::Float32,
        "double" => Type::Float64,
        "bytes" => Type::Bytes,
        "string" => Type::String,
        _ => return None,
    })
}

fn read_fields(
    dec: &Decoder<'_>,
    members: &[Member<'_>],
    trail: &Trail<'_>,
) -> Result<Vec<(Arc<str>, SchemaRef)>, DataError> {
    let fields_trail = trail.field("fields");
    let Some(Node::Array(fields)) = member(members, "fields").map(|m| &m.value) else {
        return Err(invalid(trail, "struct schema's \"fields\" is not an array"));
    };
    let mut out = Vec::with_capacity(fields.len());
    for (i, field) in fields.iter().enumerate() {
        let field_trail = fields_trail.index(i);
        let name = match field {
            Node::Object(m) => match member(m, "field").map(|m| &m.value) {
                Some(Node::String(name)) => Arc::from(&**name),
                _ => return Err(invalid(&field_trail, "struct field name not specified")),
            },
            _ => return Err(invalid(&field_trail, "struct field is not an object")),
        };
        let schema = read_schema(dec, field, &field_trail)?
            .ok_or_else(|| invalid(&field_trail, "struct field without schema"))?;
        out.push((name, schema));
    }
    Ok(out)
}

/// Everything but the children: optional, name, version, doc, parameters, default.
#[inline(never)]
fn finish(
    dec: &Decoder<'_>,
    members: &[Member<'_>],
    shape: Shape,
    trail: &Trail<'_>,
) -> Result<SchemaRef, DataError> {
    let shape_ty = match &shape {
        Shape::Primitive(ty) => *ty,
        Shape::Array(_) => Type::Array,
        Shape::Map(..) => Type::Map,
        Shape::Struct(_) => Type::Struct,
    };
    let mut builder = match shape {
        Shape::Primitive(ty) => SchemaBuilder::new(ty),
        Shape::Array(items) => SchemaBuilder::array(items),
        Shape::Map(keys, values) => SchemaBuilder::map(keys, values),
        Shape::Struct(fields) => fields
            .into_iter()
            .fold(SchemaBuilder::struct_(), |b, (name, schema)| {
                b.field(name, schema)
            }),
    };
    if let Some(Node::Bool(true)) = member(members, "optional").map(|m| &m.value) {
        builder = builder.optional();
    }
    if let Some(Node::String(name)) = member(members, "name").map(|m| &m.value) {
        builder = builder.name(&**name);
    }
    if let Some(Node::Number(n)) = member(members, "version").map(|m| &m.value)
        && n.integral
    {
        let version = n
            .text
            .parse()
            .map_err(|_| invalid(trail, format!("version {} is out of range", n.text)))?;
        builder = builder.version(version);
    }
    if let Some(Node::String(doc)) = member(members, "doc").map(|m| &m.value) {
        builder = builder.doc(&**doc);
    }
    if let Some(Node::Object(params)) = member(members, "parameters").map(|m| &m.value) {
        for p in params {
            let Node::String(value) = &p.value else {
                return Err(invalid(trail, "schema parameters must have string values"));
            };
            builder = builder.parameter(&*p.key, &**value);
        }
    }
    if let Some(default) = member(members, "default") {
        let default_trail = trail.field("default");
        if matches!(shape_ty, Type::Struct) && !matches!(default.value, Node::Null) {
            return Err(struct_default(&default_trail));
        }
        let without_default = builder.clone().build().map_err(|e| relocate(e, trail))?;
        let value = dec.value(Some(&without_default), Some(&default.value), &default_trail)?;
        builder = builder.default_value(value);
    }
    builder.build().map_err(|e| relocate(e, trail))
}

/// Kafka Connect cannot read a STRUCT schema's default: it builds the default `Struct` with the
/// schema as it is before the default is set, which then never equals the schema it is the
/// default of ("Invalid default value: Struct schemas do not match").
#[inline(never)]
fn struct_default(trail: &Trail<'_>) -> DataError {
    invalid(
        trail,
        "a STRUCT schema cannot have a default value (Kafka Connect's JsonConverter refuses it)",
    )
}

/// A builder error is reported at the root of the schema being built; put it where it is.
fn relocate(e: DataError, trail: &Trail<'_>) -> DataError {
    let inner = e.path().as_str();
    let mut path = trail.path().as_str().to_owned();
    if !inner.is_empty() {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(inner);
    }
    e.with_path(crate::error::Path::from_string(path))
}
