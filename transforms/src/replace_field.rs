//! `ReplaceField`: keeps (`include`), drops (`exclude`, which wins) and renames
//! (`renames=old:new,...`) top-level fields of a Struct or schemaless map.
//!
//! The pre-3.0 names `whitelist` and `blacklist` are still read when `include` / `exclude` are
//! not set (Kafka Connect 4.x dropped them).

use std::collections::{HashMap, HashSet};

use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Value};

use super::config::PluginConfig;
use super::util::{
    Ctx, Fail, SchemaCache, Side, build_schema, copy_basics, field_value, into_map, java_split,
    require_struct,
};
use super::{ConnectRecord, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigKey, ConfigType};

pub(crate) const DOC: &str = "Filter or rename fields.";

const EXCLUDE: &str = "exclude";
const INCLUDE: &str = "include";
const RENAMES: &str = "renames";
const BLACKLIST: &str = "blacklist";
const WHITELIST: &str = "whitelist";
const REPLACE_NULL: &str = "replace.null.with.default";
const PURPOSE: &str = "field replacement";

pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            EXCLUDE,
            ConfigType::List,
            "",
            "Fields to exclude. This takes precedence over the fields to include.",
        ),
        ConfigKey::optional(
            INCLUDE,
            ConfigType::List,
            "",
            "Fields to include. If specified, only these fields will be used.",
        ),
        ConfigKey::optional(RENAMES, ConfigType::List, "", "Field rename mappings."),
        ConfigKey::optional(
            REPLACE_NULL,
            ConfigType::Boolean,
            "true",
            "Whether to replace fields that have a default value and that are null to the \
             default value. When set to true, the default value is used, otherwise null is used.",
        ),
        ConfigKey::optional(
            BLACKLIST,
            ConfigType::List,
            "",
            "Deprecated. Use exclude instead.",
        ),
        ConfigKey::optional(
            WHITELIST,
            ConfigType::List,
            "",
            "Deprecated. Use include instead.",
        ),
    ])
}

fn parse_renames(items: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut renames: Vec<(String, String)> = Vec::new();
    for mapping in items {
        let [from, to] = java_split(mapping, ':')[..] else {
            return Err(format!("Invalid rename mapping: {mapping}"));
        };
        match renames.iter_mut().find(|(f, _)| f == from) {
            Some(slot) => slot.1 = to.to_owned(),
            None => renames.push((from.to_owned(), to.to_owned())),
        }
    }
    Ok(renames)
}

/// The derived schema and, for each of its fields, the index of the input field it comes from.
type Derived = (SchemaRef, std::sync::Arc<[usize]>);

#[derive(Debug)]
struct ReplaceField {
    ctx: Ctx,
    side: Side,
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: HashMap<String, Str>,
    replace_null: bool,
    schemas: SchemaCache<Derived>,
}

pub(crate) fn build(cfg: &mut PluginConfig<'_>, side: Side) -> Option<Box<dyn Transform>> {
    let mut list_or_deprecated = |key: &'static str, old: &'static str| {
        let used = if cfg.is_set(key) || !cfg.is_set(old) {
            key
        } else {
            old
        };
        // Kafka Connect 4.3: `ValidList.anyNonDuplicateValues(true, false)`.
        cfg.check_valid_list(used, true);
        cfg.list(used)
    };
    let exclude = list_or_deprecated(EXCLUDE, BLACKLIST).into_iter().collect();
    let include = list_or_deprecated(INCLUDE, WHITELIST).into_iter().collect();
    let items = cfg.list(RENAMES);
    let renames = match parse_renames(&items) {
        Ok(renames) => renames
            .into_iter()
            .map(|(from, to)| (from, Str::from(to)))
            .collect(),
        Err(reason) => {
            // Kafka Connect prints the parsed list as the invalid value.
            cfg.invalid(RENAMES, &format!("[{}]", items.join(", ")), reason);
            return None;
        }
    };
    let t: Box<dyn Transform> = Box::new(ReplaceField {
        ctx: Ctx { alias: cfg.alias() },
        side,
        exclude,
        include,
        renames,
        replace_null: cfg.boolean(REPLACE_NULL),
        schemas: SchemaCache::default(),
    });
    cfg.done(t)
}

impl Transform for ReplaceField {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        if self.side.get(&record).value.is_null() {
            return Ok(Some(record));
        }
        self.ctx
            .apply_side(self.side, record, |data| match data.schema {
                None => self.schemaless(data.value),
                Some(_) => self.with_schema(&data.value),
            })
    }
}

impl ReplaceField {
    fn keep(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    fn renamed<'n>(&'n self, name: &'n str) -> &'n str {
        self.renames.get(name).map_or(name, Str::as_str)
    }

    /// Kafka Connect's `applySchemaless`, except where it would lose data without a word:
    ///
    /// - A key that is not a string fails the record (Kafka Connect's cast to `String` throws);
    ///   a null key is kept when `include` is empty, as in Kafka Connect.
    /// - Two entries that end up with the same name (`renames=a:b` over `{a, b}`) fail the
    ///   record. Kafka Connect keeps whichever its `HashMap` happens to visit last and drops the
    ///   other; with a schema the same config fails (`field name duplication`), and so does this.
    ///   See `docs/compat.md ("Transforms")`.
    fn schemaless(&self, value: Value) -> Result<SchemaAndValue, Fail> {
        let entries = into_map(value, PURPOSE)?;
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
        // Output name (`None` for the null key) -> input name, to name both sides of a collision.
        // Without renames the output names are a subset of the (distinct) input names.
        let mut sources: HashMap<Option<Str>, Option<Str>> = HashMap::new();
        let renaming = !self.renames.is_empty();
        for (key, value) in entries {
            let (from, to) = match key {
                Value::Null if self.include.is_empty() => (None, None),
                Value::Null => continue,
                Value::String(name) if !self.keep(&name) => continue,
                Value::String(name) => {
                    let to = self.renames.get(name.as_str()).unwrap_or(&name).clone();
                    (Some(name), Some(to))
                }
                other => {
                    return Err(Fail::new(format!(
                        "Only string keys supported in maps without schema for [{PURPOSE}], \
                         found: {}",
                        other.kind_name()
                    )));
                }
            };
            if renaming && let Some(earlier) = sources.insert(to.clone(), from.clone()) {
                return Err(Fail::new(format!(
                    "Renaming would give map entries {} and {} the same name {} for [{PURPOSE}]",
                    key_text(earlier.as_ref()),
                    key_text(from.as_ref()),
                    key_text(to.as_ref())
                )));
            }
            out.push((to.map_or(Value::Null, Value::String), value));
        }
        Ok(SchemaAndValue::new(None, Value::Map(out)))
    }

    fn with_schema(&self, value: &Value) -> Result<SchemaAndValue, Fail> {
        let value = require_struct(value, PURPOSE)?;
        let (updated, sources) = self
            .schemas
            .get_or_try_insert(value.schema(), || self.derive(value.schema()))?;
        let mut out = Struct::new(updated.clone())?;
        let fields = value.schema().fields();
        for (target, &source) in updated.fields().iter().zip(sources.iter()) {
            let (Some(field), Some(raw)) = (fields.get(source), value.values().get(source)) else {
                continue;
            };
            let v = field_value(field, raw, self.replace_null);
            out.put(target.name(), v)
                .map_err(|e| Fail::from(e).in_field(target.name()))?;
        }
        Ok(SchemaAndValue::new(Some(updated), Value::Struct(out)))
    }

    fn derive(&self, schema: &Schema) -> Result<Derived, Fail> {
        let mut builder = copy_basics(schema, SchemaBuilder::struct_());
        let mut sources = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            if self.keep(field.name()) {
                builder = builder.field(self.renamed(field.name()), field.schema().clone());
                sources.push(i);
            }
        }
        Ok((build_schema(builder)?, sources.into()))
    }
}

/// A map key as an error message shows it.
fn key_text(key: Option<&Str>) -> String {
    key.map_or_else(|| "null".to_owned(), |name| format!("'{name}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    const VALUE: &str = "org.apache.kafka.connect.transforms.ReplaceField$Value";

    fn schema() -> SchemaRef {
        SchemaBuilder::struct_()
            .name("s")
            .field("dont", Schema::string())
            .field("abc", Schema::int32())
            .field("foo", Schema::boolean())
            .field("etc", Schema::string())
            .build()
            .unwrap()
    }

    fn value(schema: &SchemaRef) -> Value {
        structure(
            schema,
            &[
                ("dont", "whatever".into()),
                ("abc", Value::Int32(42)),
                ("foo", Value::Boolean(true)),
                ("etc", "etc".into()),
            ],
        )
    }

    #[test]
    fn schemaless() {
        // Kafka Connect's ReplaceFieldTest.schemaless.
        let t = transform(
            VALUE,
            &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")],
        );
        let input = map(&[
            ("dont", "whatever".into()),
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true)),
            ("etc", "etc".into()),
        ]);
        let out = apply(&*t, value_record(sv(None, input)));
        assert_eq!(
            out.value.value,
            map(&[
                ("xyz", Value::Int32(42)),
                ("bar", Value::Boolean(true)),
                ("etc", "etc".into())
            ])
        );
    }

    #[test]
    fn with_schema() {
        // Kafka Connect's ReplaceFieldTest.withSchema.
        let t = transform(
            VALUE,
            &[("include", "abc,foo"), ("renames", "abc:xyz,foo:bar")],
        );
        let schema = schema();
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value(&schema))));
        let s = out.value.value.as_struct().unwrap();
        assert_eq!(s.schema().name(), Some("s"));
        let names: Vec<&str> = s.schema().fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["xyz", "bar"]);
        assert_eq!(s.get("xyz"), Some(&Value::Int32(42)));
        assert_eq!(s.get("bar"), Some(&Value::Boolean(true)));
    }

    #[test]
    fn deprecated_names_still_work() {
        let t = transform(VALUE, &[("blacklist", "dont,etc")]);
        let schema = schema();
        let out = apply(&*t, value_record(sv(Some(schema.clone()), value(&schema))));
        let names: Vec<&str> = out
            .value
            .value
            .as_struct()
            .unwrap()
            .schema()
            .fields()
            .iter()
            .map(|f| f.name())
            .collect();
        assert_eq!(names, ["abc", "foo"]);
    }

    #[test]
    fn bad_renames_are_config_errors() {
        let errors = config_errors(VALUE, &[("renames", "abc:xyz,foo")]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "renames");
        assert!(
            errors[0].1.contains("Invalid rename mapping: foo"),
            "{errors:?}"
        );
        let t = transform(VALUE, &[("exclude", "x")]);
        assert!(
            data_message(&*t, value_record(sv(None, Value::Int32(1)))).starts_with(
                "Only Map objects supported in absence of schema for [field replacement]"
            )
        );
    }

    #[test]
    fn schemaless_renames_never_merge_entries() {
        let t = transform(VALUE, &[("renames", "a:b")]);
        let input = map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]);
        assert_eq!(
            data_message(&*t, value_record(sv(None, input))),
            "Renaming would give map entries 'a' and 'b' the same name 'b' for [field replacement]"
        );
        // The entry already called `b` is excluded: nothing collides.
        let t = transform(VALUE, &[("renames", "a:b"), ("exclude", "b")]);
        let input = map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]);
        let out = apply(&*t, value_record(sv(None, input)));
        assert_eq!(out.value.value, map(&[("b", Value::Int32(1))]));
        // A swap keeps both entries.
        let t = transform(VALUE, &[("renames", "a:b,b:a")]);
        let input = map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]);
        let out = apply(&*t, value_record(sv(None, input)));
        assert_eq!(
            out.value.value,
            map(&[("b", Value::Int32(1)), ("a", Value::Int32(2))])
        );
        let t = transform(VALUE, &[("renames", "a:c,b:c")]);
        let input = map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]);
        assert!(data_error(&*t, value_record(sv(None, input))).is_data());
    }

    #[test]
    fn schemaless_keys_must_be_strings() {
        // Kafka Connect casts every key to String: anything else fails the record.
        let t = transform(VALUE, &[("exclude", "x")]);
        let input = Value::Map(vec![
            ("a".into(), Value::Int32(1)),
            (Value::Int32(7), Value::Int32(2)),
        ]);
        assert_eq!(
            data_message(&*t, value_record(sv(None, input))),
            "Only string keys supported in maps without schema for [field replacement], found: \
             INT32 value"
        );
        // A null key is a String in Java: kept unless `include` names the fields to keep.
        let input = Value::Map(vec![(Value::Null, Value::Int32(2))]);
        let out = apply(&*t, value_record(sv(None, input.clone())));
        assert_eq!(out.value.value, input);
        let t = transform(VALUE, &[("include", "a")]);
        let out = apply(&*t, value_record(sv(None, input)));
        assert_eq!(out.value.value, Value::Map(vec![]));
    }

    #[test]
    fn field_lists_are_valid_lists() {
        // Kafka Connect 4.3: `ValidList.anyNonDuplicateValues(true, false)`.
        for (key, value, message) in [
            (
                "include",
                "a,a",
                "Configuration 'include' values must not be duplicated.",
            ),
            (
                "include",
                "a,",
                "Configuration 'include' values must not be empty.",
            ),
            (
                "exclude",
                "a,,b",
                "Configuration 'exclude' values must not be empty.",
            ),
            (
                "blacklist",
                "a,a",
                "Configuration 'blacklist' values must not be duplicated.",
            ),
        ] {
            let errors = config_errors(VALUE, &[(key, value)]);
            assert_eq!(errors.len(), 1, "{key}={value}: {errors:?}");
            assert_eq!(errors[0].1, message, "{key}={value}");
        }
        assert!(config_errors(VALUE, &[("include", ""), ("exclude", " ")]).is_empty());
        let errors = config_errors(VALUE, &[("renames", "a:b,")]);
        assert_eq!(
            errors[0].1,
            "Invalid value [a:b, ] for configuration renames: Invalid rename mapping: "
        );
    }
}
