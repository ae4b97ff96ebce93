//! Avro schema → Connect schema, as Confluent's `AvroData.toConnectSchema` reads it: the
//! `connect.*` properties restore what Avro cannot say (INT8/INT16, names of non-records,
//! versions, docs, parameters, defaults), logical types become Connect's logical types, and Avro
//! types Connect lacks are represented Confluent's way (enum → STRING with parameters, fixed →
//! BYTES with `connect.fixed.size`, unions → `io.confluent.connect.avro.Union` structs).

use std::collections::HashSet;
use std::sync::Arc;

use crate::avro::json::Json;
use crate::avro::model::{AvroSchema, Kind, Node};
use crate::avro::names::{
    CONNECT_DEFAULT_PROP, CONNECT_DOC_PROP, CONNECT_INTERNAL_TYPE_PROP, CONNECT_NAME_PROP,
    CONNECT_PARAMETERS_PROP, CONNECT_TYPE_PROP, CONNECT_VERSION_PROP, DECIMAL_PRECISION_DEFAULT,
    DECIMAL_PRECISION_PARAM, DEFAULT_FULL_NAME, ENUM_DEFAULT_PREFIX, ENUM_DOC_PREFIX, ENUM_PARAM,
    FIELD_DEFAULT_FLAG, FIELD_DOC_PREFIX, FIXED_SIZE_PARAM, MAP_ENTRY_NAME, NAMESPACE,
    RECORD_DOC_PARAM, UNION_NAME,
};
use crate::error::Problem;
use connect_api::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use connect_api::data::{
    Decimal, Logical, Schema, SchemaBuilder, SchemaRef, Str, Struct, Type, Value,
};

/// The Connect schema of an Avro schema; `version` (the registry's version of the schema) is
/// used when the schema has no `connect.version`.
pub(crate) fn connect_schema(
    avro: &AvroSchema,
    version: Option<i32>,
) -> Result<SchemaRef, Problem> {
    let mut budget = MAX_SCHEMA_NODES;
    convert(&avro.root, false, None, version, &mut budget)
}

/// Most Connect schema nodes one Avro schema may expand to. Each use of a named Avro type
/// becomes its own Connect schema, so a hostile schema of types that each use the previous one
/// twice would otherwise expand exponentially.
pub(crate) const MAX_SCHEMA_NODES: usize = 100_000;

fn invalid(reason: impl Into<String>) -> Problem {
    Problem::InvalidSchema(reason.into())
}

fn convert(
    node: &Node,
    force_optional: bool,
    field_default: Option<&Json>,
    version: Option<i32>,
    budget: &mut usize,
) -> Result<SchemaRef, Problem> {
    *budget = budget.checked_sub(1).ok_or_else(|| {
        invalid(format!(
            "the schema expands to more than {MAX_SCHEMA_NODES} Connect schemas"
        ))
    })?;
    let props = &node.props;
    let logical = props.str("logicalType");
    let is = |name: &str| logical.is_some_and(|l| l.eq_ignore_ascii_case(name));
    let mut builder = match &node.kind {
        Kind::Boolean => SchemaBuilder::boolean(),
        Kind::Bytes | Kind::Fixed(_) => {
            let mut builder = if is("decimal") {
                let scale = props.get("scale").and_then(Json::int_value).unwrap_or(0);
                let mut builder = decimal_schema(scale);
                if let Some(precision) = props.get("precision") {
                    let precision = precision
                        .as_i64()
                        .ok_or_else(|| invalid("decimal precision must be a JSON integer"))?;
                    if precision != i64::from(DECIMAL_PRECISION_DEFAULT) {
                        builder = builder.parameter(DECIMAL_PRECISION_PARAM, precision.to_string());
                    }
                }
                builder
            } else {
                SchemaBuilder::bytes()
            };
            if let Kind::Fixed(fixed) = &node.kind {
                builder = builder.parameter(FIXED_SIZE_PARAM, fixed.size.to_string());
            }
            builder
        }
        Kind::Double => SchemaBuilder::float64(),
        Kind::Float => SchemaBuilder::float32(),
        Kind::Int => match (props.str(CONNECT_TYPE_PROP), logical) {
            (None, None) => SchemaBuilder::int32(),
            (_, Some(_)) if is("date") => date_schema(),
            (_, Some(_)) if is("time-millis") => time_schema(),
            (_, Some(_)) => SchemaBuilder::int32(),
            (Some("int8"), None) => SchemaBuilder::int8(),
            (Some("int16"), None) => SchemaBuilder::int16(),
            (Some(other), None) => {
                return Err(invalid(format!(
                    "unknown connect.type \"{other}\" on an int"
                )));
            }
        },
        Kind::Long if is("timestamp-millis") => timestamp_schema(),
        Kind::Long => SchemaBuilder::int64(),
        Kind::String => SchemaBuilder::string(),
        Kind::Array(items, _) => match map_entry(items)? {
            Some((key, value)) => SchemaBuilder::map(
                convert(key, false, None, None, budget)?,
                convert(value, false, None, None, budget)?,
            ),
            None => SchemaBuilder::array(convert(items, false, None, None, budget)?),
        },
        Kind::Map(values, _) => SchemaBuilder::map(
            Schema::string(),
            convert(values, false, None, None, budget)?,
        ),
        Kind::Record(record) => {
            let mut builder = SchemaBuilder::struct_();
            if let Some(doc) = &record.doc {
                builder = builder.parameter(RECORD_DOC_PARAM, doc.as_str());
            }
            for field in &record.fields {
                if let Some(doc) = &field.doc {
                    builder = builder
                        .parameter(format!("{FIELD_DOC_PREFIX}{}", field.name), doc.as_str());
                }
                let mut schema =
                    convert(&field.schema, false, field.default.as_ref(), None, budget)?;
                if let Some(params) = field.props.get(CONNECT_PARAMETERS_PROP) {
                    schema = with_field_parameters(schema, params)?;
                }
                builder = builder.field(field.name.as_str(), schema);
            }
            builder
        }
        Kind::Enum(e) => {
            let mut builder = SchemaBuilder::string();
            if let Some(doc) = &e.doc {
                builder =
                    builder.parameter(format!("{ENUM_DOC_PREFIX}{}", e.name.name), doc.as_str());
            }
            if let Some(default) = &e.default {
                builder = builder.parameter(
                    format!("{ENUM_DEFAULT_PREFIX}{}", e.name.name),
                    default.as_str(),
                );
            }
            builder = builder.parameter(ENUM_PARAM, e.name.full());
            for symbol in &e.symbols {
                builder = builder.parameter(format!("{ENUM_PARAM}.{symbol}"), symbol.as_str());
            }
            builder
        }
        Kind::Union(members) => {
            let non_null: Vec<&Node> = members
                .iter()
                .filter(|m| !matches!(m.kind, Kind::Null))
                .collect();
            match (members.len(), non_null.as_slice()) {
                (1, [only]) => return convert(only, false, None, None, budget),
                (2, [only]) => return convert(only, true, None, None, budget),
                _ => {}
            }
            let mut builder = SchemaBuilder::struct_().name(UNION_NAME);
            let mut names = HashSet::new();
            for member in members {
                if matches!(member.kind, Kind::Null) {
                    builder = builder.optional();
                    continue;
                }
                let name = union_member_name(member);
                if !names.insert(name.clone()) {
                    return Err(invalid(format!(
                        "two union members map to the Connect union field \"{name}\""
                    )));
                }
                builder = builder.field(name, convert(member, true, None, None, budget)?);
            }
            builder
        }
        Kind::Null => {
            return Err(invalid(
                "standalone null schemas are not supported by this converter",
            ));
        }
    };

    if let Some(doc) = props.str(CONNECT_DOC_PROP) {
        builder = builder.doc(doc);
    }
    // Logical types carry their own version (1); it wins over the ones below.
    let has_version = matches!(
        &node.kind,
        Kind::Int | Kind::Long | Kind::Bytes | Kind::Fixed(_)
    ) && logical_builder(&node.kind, logical);
    if !has_version {
        match props.get(CONNECT_VERSION_PROP) {
            Some(v) => {
                let v = v
                    .as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| invalid("connect.version must be an integer"))?;
                builder = builder.version(v);
            }
            None => {
                if let Some(v) = version.filter(|v| *v >= 0) {
                    builder = builder.version(v);
                }
            }
        }
    }
    if let Some(params) = props.get(CONNECT_PARAMETERS_PROP) {
        let Json::Object(params) = params else {
            return Err(invalid("connect.parameters must be a JSON object"));
        };
        for (key, value) in params {
            let value = value
                .as_str()
                .ok_or_else(|| invalid("connect.parameters values must be strings"))?;
            builder = builder.parameter(key.as_str(), value);
        }
    }
    for (key, value) in &props.0 {
        if key.starts_with("avro") {
            builder = builder.parameter(key.as_str(), value.to_parameter());
        }
    }
    let connect_default = props.get(CONNECT_DEFAULT_PROP);
    let default = match field_default {
        None => connect_default,
        Some(d) => {
            if connect_default.is_none() {
                builder = builder.parameter(FIELD_DEFAULT_FLAG, "true");
            }
            Some(d)
        }
    };

    let name = match props.get(CONNECT_NAME_PROP) {
        Some(Json::String(name)) => Some(name.clone()),
        Some(_) => return Err(invalid("connect.name must be a string")),
        None => match &node.kind {
            Kind::Record(_) | Kind::Enum(_) => node.name().map(|n| n.full()),
            Kind::Fixed(_) if !is("decimal") => node.name().map(|n| n.full()),
            _ => None,
        },
    };
    if let Some(name) = name.filter(|n| !n.starts_with(DEFAULT_FULL_NAME)) {
        let own = builder
            .clone()
            .build()
            .ok()
            .and_then(|s| s.name().map(str::to_owned));
        match own {
            Some(own) if own != name => {
                return Err(invalid(format!(
                    "mismatched names: {own} (logical type) and {name} (connect.name)"
                )));
            }
            Some(_) => {}
            None => builder = builder.name(name),
        }
    }
    if force_optional {
        builder = builder.optional();
    }

    let plain = builder
        .clone()
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    // Like AvroData, a default that cannot be read is ignored rather than failing the schema.
    if let Some(default) = default
        && let Ok(value) = default_value(&plain, node, default)
        && !value.is_null()
        && let Ok(with_default) = builder.default_value(value).build()
    {
        return Ok(with_default);
    }
    Ok(plain)
}

/// Whether the node becomes one of Connect's logical types (which fix the version to 1).
fn logical_builder(kind: &Kind, logical: Option<&str>) -> bool {
    let Some(l) = logical else { return false };
    let l = l.to_ascii_lowercase();
    match kind {
        Kind::Int => l == "date" || l == "time-millis",
        Kind::Long => l == "timestamp-millis",
        Kind::Bytes | Kind::Fixed(_) => l == "decimal",
        _ => false,
    }
}

/// The key and value schemas when `items` is Confluent's map entry record.
fn map_entry(items: &Node) -> Result<Option<(&Node, &Node)>, Problem> {
    let Kind::Record(record) = &items.kind else {
        return Ok(None);
    };
    let named =
        record.name.name == MAP_ENTRY_NAME && record.name.namespace.as_deref() == Some(NAMESPACE);
    if !named && items.props.str(CONNECT_INTERNAL_TYPE_PROP) != Some(MAP_ENTRY_NAME) {
        return Ok(None);
    }
    let field = |name: &str| record.fields.iter().find(|f| f.name == name);
    match (record.fields.len(), field("key"), field("value")) {
        (2, Some(key), Some(value)) => Ok(Some((&key.schema, &value.schema))),
        _ => Err(invalid(
            "a map encoded as an array of key-value records needs exactly the fields key and value",
        )),
    }
}

/// The Connect union field name of a union member: a named type's simple name, else the type.
pub(crate) fn union_member_name(member: &Node) -> String {
    match member.name() {
        Some(name) => name.name.clone(),
        None => member.type_name().to_owned(),
    }
}

/// `AvroData.applyFieldLevelParams`: field-level `connect.parameters` added to a field's schema.
fn with_field_parameters(schema: SchemaRef, params: &Json) -> Result<SchemaRef, Problem> {
    let Json::Object(params) = params else {
        return Ok(schema);
    };
    let same = params
        .iter()
        .all(|(k, v)| schema.parameter(k) == Some(v.to_parameter().as_str()));
    if same {
        return Ok(schema);
    }
    let mut builder = schema.to_builder();
    for (k, v) in params {
        builder = builder.parameter(k.as_str(), v.to_parameter());
    }
    builder.build().map_err(|e| invalid(e.to_string()))
}

/// `AvroData.defaultValueFromAvro`: an Avro JSON default as a Connect value of `schema`.
fn default_value(schema: &SchemaRef, node: &Node, json: &Json) -> Result<Value, Problem> {
    let bad = || invalid("default value does not fit its schema");
    if matches!(json, Json::Null) {
        return Ok(Value::Null);
    }
    let value = match &node.kind {
        Kind::Int => {
            let i = json.int_value().ok_or_else(bad)?;
            match (schema.ty(), schema.logical()) {
                (_, Some(Logical::Date)) => Value::Date(i),
                (_, Some(Logical::Time)) => Value::Time(i),
                #[allow(clippy::cast_possible_truncation, reason = "Java's (byte) cast")]
                (Type::Int8, _) => Value::Int8(i as i8),
                #[allow(clippy::cast_possible_truncation, reason = "Java's shortValue")]
                (Type::Int16, _) => Value::Int16(i as i16),
                (Type::Int32, _) => Value::Int32(i),
                _ => return Err(bad()),
            }
        }
        Kind::Long => {
            #[allow(clippy::cast_possible_truncation, reason = "Jackson's longValue")]
            let i = json
                .as_i64()
                .or_else(|| json.as_f64().map(|d| d as i64))
                .ok_or_else(bad)?;
            match schema.logical() {
                Some(Logical::Timestamp) => Value::Timestamp(i),
                _ => Value::Int64(i),
            }
        }
        #[allow(clippy::cast_possible_truncation, reason = "Java's (float) cast")]
        Kind::Float => Value::Float32(json.as_f64().ok_or_else(bad)? as f32),
        Kind::Double => Value::Float64(json.as_f64().ok_or_else(bad)?),
        Kind::Boolean => match json {
            Json::Bool(b) => Value::Boolean(*b),
            _ => return Err(bad()),
        },
        Kind::String | Kind::Enum(_) => Value::String(Str::from(json.as_str().ok_or_else(bad)?)),
        Kind::Bytes | Kind::Fixed(_) => {
            let text = json.as_str().ok_or_else(bad)?;
            let bytes = text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).map_err(|_| bad()))
                .collect::<Result<Vec<u8>, _>>()?;
            match schema.logical() {
                Some(Logical::Decimal { scale }) => {
                    Value::Decimal(Decimal::from_unscaled_bytes(&bytes, scale)?)
                }
                _ => Value::Bytes(bytes.into()),
            }
        }
        Kind::Array(items, _) => {
            let Json::Array(elements) = json else {
                return Err(bad());
            };
            if schema.ty() != Type::Array {
                return Err(bad());
            }
            let items_schema = schema.value_schema().ok_or_else(bad)?;
            Value::Array(
                elements
                    .iter()
                    .map(|e| default_value(items_schema, items, e))
                    .collect::<Result<_, _>>()?,
            )
        }
        Kind::Map(values, _) => {
            let Json::Object(members) = json else {
                return Err(bad());
            };
            let values_schema = schema.value_schema().ok_or_else(bad)?;
            let mut entries = Vec::with_capacity(members.len());
            for (k, v) in members {
                entries.push((
                    Value::String(Str::from(k.as_str())),
                    default_value(values_schema, values, v)?,
                ));
            }
            Value::Map(entries)
        }
        Kind::Record(record) => {
            if !matches!(json, Json::Object(_)) {
                return Err(bad());
            }
            let mut result = Struct::new(Arc::clone(schema)).map_err(|e| e.problem().clone())?;
            for field in &record.fields {
                let connect = schema.field(&field.name).ok_or_else(bad)?;
                let member = json.get(&field.name).unwrap_or(&Json::Null);
                let value = default_value(connect.schema(), &field.schema, member)?;
                result
                    .put(&field.name, value)
                    .map_err(|e| e.problem().clone())?;
            }
            Value::Struct(result)
        }
        // A union's default belongs to its first member; Confluent's reading of it never fits
        // the union struct, so it is dropped there too.
        Kind::Union(_) | Kind::Null => return Err(bad()),
    };
    Ok(value)
}
