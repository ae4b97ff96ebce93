//! Every built-in transform and predicate: its Kafka Connect class name, the short names it
//! also answers to, its config spec, and how to build it. `GET /connector-plugins` lists these
//! (type `transformation` / `predicate`) and config validation reads their specs.
//!
//! A plugin is found by its full class name (`org.apache.kafka.connect.transforms.Cast$Value`),
//! by the class name without the package (`Cast$Value`), or, for classes that are not `$Key` /
//! `$Value` variants, by the simple name Kafka Connect 3.x/4.x aliases them with (`RegexRouter`,
//! `TopicNameMatches`).

use std::fmt;
use std::sync::Arc;

use super::config::PluginConfig;
use super::util::Side;
use super::{Predicate, Transform};
use super::{
    cast, drop_headers, extract_field, filter, flatten, header_from, hoist_field, insert_field,
    insert_header, mask_field, predicates, regex_router, replace_field, set_schema_metadata,
    timestamp_converter, timestamp_router, value_to_key,
};
use connect_api::config::{ConfigDef, ConfigErrors, Properties};

/// Which kind of plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    Transformation,
    Predicate,
}

impl PluginKind {
    /// The `type` Kafka Connect's REST API shows.
    pub fn rest_name(self) -> &'static str {
        match self {
            Self::Transformation => "transformation",
            Self::Predicate => "predicate",
        }
    }
}

pub(crate) type BuildTransform = fn(&mut PluginConfig<'_>) -> Option<Box<dyn Transform>>;
pub(crate) type BuildPredicate = fn(&mut PluginConfig<'_>) -> Option<Box<dyn Predicate>>;

/// How to build a plugin.
#[derive(Clone, Copy)]
pub(crate) enum Builder {
    Transform(BuildTransform),
    Predicate(BuildPredicate),
}

/// One built-in plugin.
#[derive(Clone, Copy)]
pub struct PluginInfo {
    /// Kafka Connect's class name.
    pub class: &'static str,
    /// Other names the plugin answers to.
    pub aliases: &'static [&'static str],
    /// What the plugin does (Kafka Connect's overview doc).
    pub doc: &'static str,
    config_def: fn() -> ConfigDef,
    pub(crate) builder: Builder,
}

impl fmt::Debug for PluginInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginInfo")
            .field("class", &self.class)
            .field("aliases", &self.aliases)
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

impl PluginInfo {
    pub fn kind(&self) -> PluginKind {
        match self.builder {
            Builder::Transform(_) => PluginKind::Transformation,
            Builder::Predicate(_) => PluginKind::Predicate,
        }
    }

    /// The keys the plugin reads (without the `transforms.<alias>.` prefix).
    pub fn config_def(&self) -> ConfigDef {
        (self.config_def)()
    }

    /// Whether `name` is this plugin's class name or one of its aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        self.class == name || self.aliases.contains(&name)
    }

    /// Builds the transform from its own keys (no prefix), as a connector config's
    /// `transforms.<alias>.*` would give them. Errors name the keys without prefix.
    pub fn build_transform(
        &self,
        alias: &str,
        props: &Properties,
    ) -> Result<Box<dyn Transform>, ConfigErrors> {
        let Builder::Transform(build) = self.builder else {
            return Err(not_a(self, alias, "transformation"));
        };
        let mut cfg = PluginConfig::new(Arc::from(alias), "", props, self.config_def());
        let built = build(&mut cfg);
        match built {
            Some(t) if !cfg.has_errors() => Ok(t),
            _ => Err(errors(alias, cfg)),
        }
    }

    /// Builds the predicate from its own keys (no prefix).
    pub fn build_predicate(
        &self,
        alias: &str,
        props: &Properties,
    ) -> Result<Box<dyn Predicate>, ConfigErrors> {
        let Builder::Predicate(build) = self.builder else {
            return Err(not_a(self, alias, "predicate"));
        };
        let mut cfg = PluginConfig::new(Arc::from(alias), "", props, self.config_def());
        let built = build(&mut cfg);
        match built {
            Some(p) if !cfg.has_errors() => Ok(p),
            _ => Err(errors(alias, cfg)),
        }
    }
}

fn not_a(info: &PluginInfo, alias: &str, kind: &str) -> ConfigErrors {
    ConfigErrors {
        subject: format!("{} {alias}", info.kind().rest_name()),
        errors: vec![connect_api::config::FieldError {
            key: "type".to_owned(),
            message: format!("{} is not a {kind}", info.class),
        }],
    }
}

fn errors(alias: &str, cfg: PluginConfig<'_>) -> ConfigErrors {
    ConfigErrors {
        subject: format!("transform {alias}"),
        errors: cfg.into_errors(),
    }
}

/// Every built-in, transformations first, in class-name order.
pub fn plugins() -> &'static [PluginInfo] {
    PLUGINS
}

/// A plugin by class name or alias.
pub fn find(name: &str) -> Option<&'static PluginInfo> {
    let name = name.trim();
    PLUGINS.iter().find(|p| p.answers_to(name))
}

macro_rules! keyed {
    ($module:ident, $name:literal) => {
        [
            PluginInfo {
                class: concat!("org.apache.kafka.connect.transforms.", $name, "$Key"),
                aliases: &[concat!($name, "$Key")],
                doc: $module::DOC,
                config_def: $module::config_def,
                builder: Builder::Transform(|cfg| $module::build(cfg, Side::Key)),
            },
            PluginInfo {
                class: concat!("org.apache.kafka.connect.transforms.", $name, "$Value"),
                aliases: &[concat!($name, "$Value")],
                doc: $module::DOC,
                config_def: $module::config_def,
                builder: Builder::Transform(|cfg| $module::build(cfg, Side::Value)),
            },
        ]
    };
}

macro_rules! single {
    ($module:ident, $name:literal) => {
        PluginInfo {
            class: concat!("org.apache.kafka.connect.transforms.", $name),
            aliases: &[$name],
            doc: $module::DOC,
            config_def: $module::config_def,
            builder: Builder::Transform($module::build),
        }
    };
}

macro_rules! predicate {
    ($module:ident, $name:literal) => {
        PluginInfo {
            class: concat!("org.apache.kafka.connect.transforms.predicates.", $name),
            aliases: &[$name],
            doc: predicates::$module::DOC,
            config_def: predicates::$module::config_def,
            builder: Builder::Predicate(predicates::$module::build),
        }
    };
}

const KEYED: [[PluginInfo; 2]; 10] = [
    keyed!(cast, "Cast"),
    keyed!(extract_field, "ExtractField"),
    keyed!(flatten, "Flatten"),
    keyed!(header_from, "HeaderFrom"),
    keyed!(hoist_field, "HoistField"),
    keyed!(insert_field, "InsertField"),
    keyed!(mask_field, "MaskField"),
    keyed!(replace_field, "ReplaceField"),
    keyed!(set_schema_metadata, "SetSchemaMetadata"),
    keyed!(timestamp_converter, "TimestampConverter"),
];

static PLUGINS: &[PluginInfo] = &[
    KEYED[0][0],
    KEYED[0][1],
    single!(drop_headers, "DropHeaders"),
    KEYED[1][0],
    KEYED[1][1],
    single!(filter, "Filter"),
    KEYED[2][0],
    KEYED[2][1],
    KEYED[3][0],
    KEYED[3][1],
    KEYED[4][0],
    KEYED[4][1],
    KEYED[5][0],
    KEYED[5][1],
    single!(insert_header, "InsertHeader"),
    KEYED[6][0],
    KEYED[6][1],
    single!(regex_router, "RegexRouter"),
    KEYED[7][0],
    KEYED[7][1],
    KEYED[8][0],
    KEYED[8][1],
    KEYED[9][0],
    KEYED[9][1],
    single!(timestamp_router, "TimestampRouter"),
    single!(value_to_key, "ValueToKey"),
    predicate!(has_header_key, "HasHeaderKey"),
    predicate!(record_is_tombstone, "RecordIsTombstone"),
    predicate!(topic_name_matches, "TopicNameMatches"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_class_and_alias() {
        let p = find("org.apache.kafka.connect.transforms.InsertField$Value").unwrap();
        assert_eq!(p.kind(), PluginKind::Transformation);
        assert!(std::ptr::eq(p, find("InsertField$Value").unwrap()));
        assert_eq!(
            find("RegexRouter").unwrap().class,
            "org.apache.kafka.connect.transforms.RegexRouter"
        );
        let p = find("org.apache.kafka.connect.transforms.predicates.TopicNameMatches").unwrap();
        assert_eq!(p.kind(), PluginKind::Predicate);
        assert!(find("InsertField").is_none());
        assert!(find("com.example.Nope").is_none());
    }

    #[test]
    fn every_kafka_built_in_is_listed_once() {
        let classes: Vec<&str> = plugins().iter().map(|p| p.class).collect();
        let unique: std::collections::BTreeSet<&str> = classes.iter().copied().collect();
        assert_eq!(classes.len(), unique.len());
        assert_eq!(
            plugins()
                .iter()
                .filter(|p| p.kind() == PluginKind::Transformation)
                .count(),
            26
        );
        assert_eq!(
            plugins()
                .iter()
                .filter(|p| p.kind() == PluginKind::Predicate)
                .count(),
            3
        );
    }
}
