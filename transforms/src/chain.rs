//! The transform chain of a connector: Kafka Connect's `transforms` / `predicates` keys.
//!
//! ```properties
//! transforms=route,mask
//! transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter
//! transforms.route.regex=(.*)-raw
//! transforms.route.replacement=$1
//! transforms.mask.type=MaskField$Value
//! transforms.mask.fields=ssn
//! transforms.mask.predicate=isPeople
//! transforms.mask.negate=false
//! predicates=isPeople
//! predicates.isPeople.type=TopicNameMatches
//! predicates.isPeople.pattern=people.*
//! ```
//!
//! Building checks everything at once and reports every bad key by its full name before any task
//! starts. Applying runs the stages in order; a stage whose predicate says no (or yes, with
//! `negate=true`) passes the record on untouched, and a dropped record ends the chain.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::catalog::{self, Builder, PluginInfo, PluginKind};
use super::config::{PluginConfig, java_list};
use super::{ConnectRecord, Predicate, Transform, TransformError};
use connect_api::config::{ConfigDef, ConfigErrors, ConfigKey, ConfigType, FieldError, Properties};

/// The `transforms` key: aliases of the transforms, in the order they apply.
pub const TRANSFORMS_CONFIG: &str = "transforms";
/// The `predicates` key: aliases of the predicates the transforms may use.
pub const PREDICATES_CONFIG: &str = "predicates";
/// The per-transform key naming its predicate.
pub const PREDICATE_CONFIG: &str = "predicate";
/// The per-transform key inverting its predicate.
pub const NEGATE_CONFIG: &str = "negate";

struct Stage {
    alias: Arc<str>,
    transform: Box<dyn Transform>,
    predicate: Option<Box<dyn Predicate>>,
    negate: bool,
}

/// A connector's transforms, ready to apply. `Send`, not `Sync`: build it anywhere, then use it
/// on one shard.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
}

impl fmt::Debug for TransformChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| &s.alias))
            .finish()
    }
}

impl TransformChain {
    /// A chain that passes every record on unchanged.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds the chain from a connector config; every bad key is reported.
    pub fn from_config(props: &Properties) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let chain = build(props, &mut errors);
        if errors.is_empty() {
            Ok(chain)
        } else {
            Err(ConfigErrors {
                subject: "transforms".to_owned(),
                errors,
            })
        }
    }

    /// Every problem with the `transforms` / `predicates` part of a connector config, by full
    /// key name (for `PUT /connector-plugins/{type}/config/validate`).
    pub fn validate(props: &Properties) -> Vec<FieldError> {
        let mut errors = Vec::new();
        build(props, &mut errors);
        errors
    }

    /// Runs the record through every stage. `Ok(None)`: a transform dropped it.
    pub fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        let mut record = record;
        for stage in &self.stages {
            if let Some(predicate) = &stage.predicate
                && predicate.test(&record) == stage.negate
            {
                continue;
            }
            match stage.transform.apply(record)? {
                Some(next) => record = next,
                None => return Ok(None),
            }
        }
        Ok(Some(record))
    }

    /// The transforms' aliases, in order.
    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|s| &*s.alias)
    }

    pub fn len(&self) -> usize {
        self.stages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }
}

/// A chain is itself a transform, so chains compose.
impl Transform for TransformChain {
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, TransformError> {
        TransformChain::apply(self, record)
    }
}

/// The keys every transform takes besides its own, without the `transforms.<alias>.` prefix
/// (Kafka Connect adds them to each transform's spec).
pub fn stage_config_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            PREDICATE_CONFIG,
            ConfigType::String,
            "",
            "The alias of a predicate used to determine whether to apply this transformation.",
        ),
        ConfigKey::optional(
            NEGATE_CONFIG,
            ConfigType::Boolean,
            "false",
            "Whether the configured predicate should be negated.",
        ),
    ])
}

fn error(errors: &mut Vec<FieldError>, key: &str, message: String) {
    errors.push(FieldError {
        key: key.to_owned(),
        message,
    });
}

/// The aliases listed under `key`, each once. Like `ConnectorConfig`, the list keeps empty
/// items: `transforms=f,` names an alias `""`, whose missing `transforms..type` is then an error.
fn aliases(props: &Properties, key: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let raw = props.get(key).map_or("", String::as_str);
    let mut list = java_list(raw);
    let before = list.len();
    // ConfigException prints the parsed list, as Java's `List.toString`.
    let parsed = format!("[{}]", list.join(", "));
    let mut seen = std::collections::HashSet::new();
    list.retain(|a| seen.insert(a.clone()));
    if list.len() != before {
        error(
            errors,
            key,
            format!("Invalid value {parsed} for configuration {key}: Duplicate alias provided."),
        );
    }
    list
}

/// The plugin named by a `.type` key, if it names one of the right kind.
fn plugin(
    props: &Properties,
    type_key: &str,
    kind: PluginKind,
    errors: &mut Vec<FieldError>,
) -> Option<&'static PluginInfo> {
    let Some(name) = props.get(type_key) else {
        error(
            errors,
            type_key,
            format!("Missing required configuration \"{type_key}\" which has no default value."),
        );
        return None;
    };
    let invalid =
        |reason: String| format!("Invalid value {name} for configuration {type_key}: {reason}");
    match catalog::find(name) {
        None => {
            let message = invalid(format!("Class {} could not be found.", name.trim()));
            error(errors, type_key, message);
            None
        }
        Some(info) if info.kind() != kind => {
            let message = invalid(format!(
                "{} is a {}, not a {}",
                info.class,
                info.kind().rest_name(),
                kind.rest_name()
            ));
            error(errors, type_key, message);
            None
        }
        Some(info) => Some(info),
    }
}

fn build_predicate(
    info: &PluginInfo,
    alias: &str,
    props: &Properties,
    errors: &mut Vec<FieldError>,
) -> Option<Box<dyn Predicate>> {
    let Builder::Predicate(build) = info.builder else {
        return None;
    };
    let prefix = format!("{PREDICATES_CONFIG}.{alias}.");
    let mut cfg = PluginConfig::new(Arc::from(alias), &prefix, props, info.config_def());
    let built = build(&mut cfg);
    errors.extend(cfg.into_errors());
    built
}

fn build(props: &Properties, errors: &mut Vec<FieldError>) -> TransformChain {
    let transforms = aliases(props, TRANSFORMS_CONFIG, errors);
    let predicate_aliases = aliases(props, PREDICATES_CONFIG, errors);

    // Each listed predicate is checked once; every transform using it gets its own instance.
    let mut predicates: HashMap<&str, &'static PluginInfo> = HashMap::new();
    for alias in &predicate_aliases {
        let type_key = format!("{PREDICATES_CONFIG}.{alias}.type");
        if let Some(info) = plugin(props, &type_key, PluginKind::Predicate, errors)
            && build_predicate(info, alias, props, errors).is_some()
        {
            predicates.insert(alias, info);
        }
    }

    let mut stages = Vec::with_capacity(transforms.len());
    for alias in &transforms {
        let prefix = format!("{TRANSFORMS_CONFIG}.{alias}.");
        let info = plugin(
            props,
            &format!("{prefix}type"),
            PluginKind::Transformation,
            errors,
        );
        let predicate_key = format!("{prefix}{PREDICATE_CONFIG}");
        let negate_key = format!("{prefix}{NEGATE_CONFIG}");
        let predicate_alias = props
            .get(&predicate_key)
            .map(|p| p.trim())
            .filter(|p| !p.is_empty());

        let mut ok = true;
        let mut negate = false;
        if let Some(raw) = props.get(&negate_key) {
            match raw.trim().to_ascii_lowercase().as_str() {
                "true" => negate = true,
                "false" => {}
                _ => {
                    ok = false;
                    error(
                        errors,
                        &negate_key,
                        format!(
                            "Invalid value {raw} for configuration {negate_key}: Expected value \
                             to be either true or false"
                        ),
                    );
                }
            }
            if predicate_alias.is_none() {
                ok = false;
                error(
                    errors,
                    &negate_key,
                    format!(
                        "Config '{negate_key}' was provided but there is no config \
                         '{predicate_key}' defining a predicate to be negated."
                    ),
                );
            }
        }

        let mut predicate = None;
        if let Some(p) = predicate_alias {
            if !predicate_aliases.iter().any(|a| a == p) {
                ok = false;
                error(
                    errors,
                    &predicate_key,
                    format!(
                        "Invalid value {p} for configuration {predicate_key}: no predicate with \
                         alias {p} is listed in '{PREDICATES_CONFIG}'"
                    ),
                );
            } else if let Some(info) = predicates.get(p) {
                let mut ignored = Vec::new();
                predicate = build_predicate(info, p, props, &mut ignored);
            }
            ok &= predicate.is_some();
        }

        let Some(info) = info else { continue };
        let Builder::Transform(build) = info.builder else {
            continue;
        };
        let alias: Arc<str> = Arc::from(alias.as_str());
        let mut cfg = PluginConfig::new(alias.clone(), &prefix, props, info.config_def());
        let transform = build(&mut cfg);
        errors.extend(cfg.into_errors());
        if let (Some(transform), true) = (transform, ok) {
            stages.push(Stage {
                alias,
                transform,
                predicate,
                negate,
            });
        }
    }
    TransformChain { stages }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use connect_api::data::{Schema, SchemaBuilder, Value};

    fn chain(pairs: &[(&str, &str)]) -> TransformChain {
        TransformChain::from_config(&props(pairs)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn errors(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        TransformChain::validate(&props(pairs))
            .into_iter()
            .map(|e| (e.key, e.message))
            .collect()
    }

    fn on_topic(topic: &str, value: Value) -> ConnectRecord {
        let mut r = value_record(sv(None, value));
        r.topic = topic.into();
        r
    }

    #[test]
    fn chains_are_send() {
        fn send<T: Send>() {}
        send::<TransformChain>();
    }

    #[test]
    fn empty_config_passes_records_through() {
        let c = chain(&[]);
        assert!(c.is_empty());
        let r = on_topic("t", Value::Int32(1));
        assert_eq!(c.apply(r.clone()).unwrap(), Some(r));
    }

    #[test]
    fn stages_run_in_order_with_predicates() {
        let c = chain(&[
            ("transforms", "hoist,route,drop"),
            (
                "transforms.hoist.type",
                "org.apache.kafka.connect.transforms.HoistField$Value",
            ),
            ("transforms.hoist.field", "v"),
            ("transforms.route.type", "RegexRouter"),
            ("transforms.route.regex", "(.*)-raw"),
            ("transforms.route.replacement", "$1"),
            ("transforms.drop.type", "Filter"),
            ("transforms.drop.predicate", "isOrders"),
            ("transforms.drop.negate", "true"),
            ("predicates", "isOrders"),
            (
                "predicates.isOrders.type",
                "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            ),
            ("predicates.isOrders.pattern", "orders"),
        ]);
        assert_eq!(c.aliases().collect::<Vec<_>>(), ["hoist", "route", "drop"]);
        let out = c
            .apply(on_topic("orders-raw", Value::Int32(1)))
            .unwrap()
            .unwrap();
        assert_eq!(&*out.topic, "orders");
        assert_eq!(out.value.value, map(&[("v", Value::Int32(1))]));
        // Not an orders topic: negated predicate is true, Filter drops it.
        assert_eq!(
            c.apply(on_topic("users-raw", Value::Int32(1))).unwrap(),
            None
        );
    }

    #[test]
    fn every_bad_key_is_reported_with_its_full_name() {
        let found = errors(&[
            ("transforms", "cast,route,ins,nope,dup,dup,neg,pred"),
            ("transforms.cast.type", "Cast$Value"),
            ("transforms.cast.spec", "a:int99"),
            ("transforms.route.type", "RegexRouter"),
            ("transforms.route.regex", "(oops"),
            ("transforms.ins.type", "InsertField$Value"),
            ("transforms.nope.type", "com.example.Nope"),
            ("transforms.dup.type", "Filter"),
            ("transforms.neg.type", "Filter"),
            ("transforms.neg.negate", "true"),
            ("transforms.pred.type", "Filter"),
            ("transforms.pred.predicate", "missing"),
            ("predicates", "bad"),
            ("predicates.bad.type", "TopicNameMatches"),
        ]);
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "transforms",
                "predicates.bad.pattern",
                "transforms.cast.spec",
                "transforms.route.regex",
                "transforms.route.replacement",
                "transforms.ins.type",
                "transforms.nope.type",
                "transforms.neg.negate",
                "transforms.pred.predicate",
            ],
            "{found:#?}"
        );
        assert_eq!(found[2].1, "Invalid type found in casting spec: int99");
        assert_eq!(
            found[4].1,
            "Missing required configuration \"transforms.route.replacement\" which has no \
             default value."
        );
        assert_eq!(
            found[6].1,
            "Invalid value com.example.Nope for configuration transforms.nope.type: Class \
             com.example.Nope could not be found."
        );
        assert_eq!(
            found[7].1,
            "Config 'transforms.neg.negate' was provided but there is no config \
             'transforms.neg.predicate' defining a predicate to be negated."
        );
        let err = TransformChain::from_config(&props(&[("transforms", "x")])).unwrap_err();
        assert_eq!(err.errors[0].key, "transforms.x.type");
    }

    #[test]
    fn empty_aliases_are_refused() {
        // ConnectorConfig keeps the empty item of `f,`: alias "" has no `transforms..type`.
        let found = errors(&[("transforms", "f,"), ("transforms.f.type", "Filter")]);
        assert_eq!(
            found,
            [(
                "transforms..type".to_owned(),
                "Missing required configuration \"transforms..type\" which has no default \
                 value."
                    .to_owned()
            )]
        );
        let found = errors(&[("predicates", ",p"), ("predicates.p.type", "HasHeaderKey")]);
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["predicates..type", "predicates.p.name"],
            "{found:#?}"
        );
        assert_eq!(
            errors(&[("transforms", "f,f"), ("transforms.f.type", "Filter")])[0].1,
            "Invalid value [f, f] for configuration transforms: Duplicate alias provided."
        );
        assert!(
            chain(&[
                ("transforms", " f , g "),
                ("transforms.f.type", "Filter"),
                ("transforms.g.type", "Filter")
            ])
            .aliases()
            .eq(["f", "g"])
        );
    }

    #[test]
    fn kinds_must_match() {
        let found = errors(&[
            ("transforms", "a"),
            ("transforms.a.type", "TopicNameMatches"),
            ("predicates", "p"),
            ("predicates.p.type", "Filter"),
        ]);
        let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["predicates.p.type", "transforms.a.type"]);
    }

    #[test]
    fn data_errors_name_alias_topic_and_field() {
        let c = chain(&[
            ("transforms", "castIt"),
            ("transforms.castIt.type", "Cast$Value"),
            ("transforms.castIt.spec", "n:int32"),
        ]);
        let schema = SchemaBuilder::struct_()
            .field("n", Schema::string())
            .build()
            .unwrap();
        let value = structure(&schema, &[("n", "abc".into())]);
        let mut r = value_record(sv(Some(schema), value));
        r.topic = "orders".into();
        let err = c.apply(r).unwrap_err();
        assert!(err.is_data());
        assert_eq!(err.class(), connect_api::ErrorClass::BadData);
        assert_eq!(
            err.to_string(),
            "transform castIt failed on a record of topic orders (field n): Value (abc) was out \
             of range for requested data type"
        );
    }
}
