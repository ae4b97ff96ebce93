//! Helpers for the transforms' unit tests.

use connect_api::data::{SchemaAndValue, SchemaRef, Struct, Value};

use super::catalog;
use super::{ConnectRecord, Predicate, Transform, TransformError};
use connect_api::config::{FieldError, Properties};

pub(crate) fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(crate) fn transform(class: &str, pairs: &[(&str, &str)]) -> Box<dyn Transform> {
    catalog::find(class)
        .unwrap_or_else(|| panic!("no plugin {class}"))
        .build_transform("t", &props(pairs))
        .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn predicate(class: &str, pairs: &[(&str, &str)]) -> Box<dyn Predicate> {
    catalog::find(class)
        .unwrap()
        .build_predicate("p", &props(pairs))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The config errors of a plugin, as (key, message).
pub(crate) fn config_errors(class: &str, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let info = catalog::find(class).unwrap();
    let errors: Vec<FieldError> = match info.kind() {
        catalog::PluginKind::Transformation => match info.build_transform("t", &props(pairs)) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors,
        },
        catalog::PluginKind::Predicate => match info.build_predicate("p", &props(pairs)) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors,
        },
    };
    errors.into_iter().map(|e| (e.key, e.message)).collect()
}

pub(crate) fn sv(schema: Option<SchemaRef>, value: impl Into<Value>) -> SchemaAndValue {
    SchemaAndValue::new(schema, value.into())
}

/// A record of topic `test`, partition 0, timestamp 1000.
pub(crate) fn record(key: SchemaAndValue, value: SchemaAndValue) -> ConnectRecord {
    ConnectRecord {
        kafka_partition: Some(0),
        timestamp: Some(1000),
        ..ConnectRecord::new("test", key, value)
    }
}

pub(crate) fn value_record(value: SchemaAndValue) -> ConnectRecord {
    record(SchemaAndValue::default(), value)
}

pub(crate) fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

pub(crate) fn structure(schema: &SchemaRef, fields: &[(&str, Value)]) -> Value {
    let mut s = Struct::new(schema.clone()).unwrap();
    for (name, value) in fields {
        s.put(name, value.clone()).unwrap();
    }
    Value::Struct(s)
}

pub(crate) fn apply(t: &dyn Transform, record: ConnectRecord) -> ConnectRecord {
    t.apply(record)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("record dropped")
}

pub(crate) fn data_error(t: &dyn Transform, record: ConnectRecord) -> TransformError {
    let err = t.apply(record).expect_err("expected an error");
    assert!(err.is_data(), "{err}");
    err
}

/// The message of a data error.
pub(crate) fn data_message(t: &dyn Transform, record: ConnectRecord) -> String {
    match data_error(t, record) {
        TransformError::Data { message, .. } => message,
        other => panic!("{other}"),
    }
}
