//! `worker.properties`: the keys Kafka Connect's standalone worker reads, with its defaults.

use connect_api::config::{
    Config, ConfigDef, ConfigErrors, ConfigKey, ConfigType, Importance, Properties, Validator,
};

pub const BOOTSTRAP_SERVERS: &str = "bootstrap.servers";
pub const KEY_CONVERTER: &str = "key.converter";
pub const VALUE_CONVERTER: &str = "value.converter";
pub const OFFSET_FILE: &str = "offset.storage.file.filename";
pub const OFFSET_FLUSH_INTERVAL_MS: &str = "offset.flush.interval.ms";
pub const OFFSET_TOPIC: &str = "offset.storage.topic";
pub const OFFSET_PARTITIONS: &str = "offset.storage.partitions";
pub const OFFSET_REPLICATION: &str = "offset.storage.replication.factor";
pub const SHARDS: &str = "wharf.shards";
pub const LISTENERS: &str = "listeners";
pub const ADMIN_LISTENERS: &str = "admin.listeners";
pub const BUFFER_MAX_BYTES: &str = "wharf.task.buffer.max.bytes";
pub const CONFIG_PROVIDERS: &str = "config.providers";
pub const REST_EXTENSIONS: &str = "rest.extension.classes";
pub const REST_USERS_FILE: &str = "wharf.rest.basic.auth.users.file";
pub const SECURITY_PROTOCOL: &str = "security.protocol";
pub const REST_REQUEST_MAX_BYTES: &str = "wharf.rest.request.max.bytes";
/// The default of [`REST_REQUEST_MAX_BYTES`]: 32 MiB.
pub const DEFAULT_REST_REQUEST_MAX_BYTES: u64 = 32 << 20;

/// Kafka Connect's default for `offset.flush.interval.ms`.
const DEFAULT_FLUSH_INTERVAL_MS: &str = "60000";

pub fn worker_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::optional(
            BOOTSTRAP_SERVERS,
            ConfigType::List,
            "localhost:9092",
            "A list of host/port pairs used to establish the initial connection to the Kafka cluster.",
        )
        .importance(Importance::High),
        ConfigKey::optional(
            KEY_CONVERTER,
            ConfigType::Class,
            "org.apache.kafka.connect.json.JsonConverter",
            "Converter class for record keys; connectors may override it.",
        ),
        ConfigKey::optional(
            VALUE_CONVERTER,
            ConfigType::Class,
            "org.apache.kafka.connect.json.JsonConverter",
            "Converter class for record values; connectors may override it.",
        ),
        ConfigKey::optional(OFFSET_FILE, ConfigType::String, "", "File to store source offsets in (standalone mode).")
            .importance(Importance::High),
        ConfigKey::optional(
            OFFSET_TOPIC,
            ConfigType::String,
            "",
            "Kafka topic to store source offsets in (Kafka Connect's format); used when no offset file is set.",
        ),
        ConfigKey::optional(OFFSET_PARTITIONS, ConfigType::Int, "25", "Partitions of the offsets topic when it is created.")
            .importance(Importance::Low)
            .validate(Validator::Range { min: 1, max: 10_000 }),
        ConfigKey::optional(
            OFFSET_REPLICATION,
            ConfigType::Int,
            "3",
            "Replication factor of the offsets topic when it is created.",
        )
        .importance(Importance::Low)
        .validate(Validator::Range { min: 1, max: 1000 }),
        ConfigKey::optional(
            OFFSET_FLUSH_INTERVAL_MS,
            ConfigType::Long,
            DEFAULT_FLUSH_INTERVAL_MS,
            "Interval at which to commit task offsets.",
        )
        .validate(Validator::Range { min: 1, max: i64::MAX }),
        ConfigKey::optional(
            LISTENERS,
            ConfigType::List,
            "http://:8083",
            "List of comma-separated URIs the REST API will listen on (http:// or https://; an https listener takes listeners.https.ssl.keystore.* in PEM, and listeners.https.ssl.client.auth with a PEM truststore for mutual TLS). An empty host binds all interfaces.",
        ),
        ConfigKey::optional(
            ADMIN_LISTENERS,
            ConfigType::List,
            "",
            "List of comma-separated URIs the admin endpoints (/admin/loggers) listen on (http:// or https://, an https one with admin.listeners.https.ssl.* else the worker's ssl.*), served there only. Not set: they are served on listeners; set to an empty value: not served at all.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            CONFIG_PROVIDERS,
            ConfigType::List,
            "",
            "Names of config providers (config.providers.<name>.class: FileConfigProvider, EnvVarConfigProvider, DirectoryConfigProvider; config.providers.<name>.param.*). Connector configs may then hold ${<name>:path:key} placeholders, resolved when tasks start and never shown.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            REST_EXTENSIONS,
            ConfigType::List,
            "",
            "REST extensions; org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension turns on HTTP basic authentication with the users of wharf.rest.basic.auth.users.file.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            REST_USERS_FILE,
            ConfigType::String,
            "",
            "The REST API's users for basic authentication: lines of user: credential, the credential a hash printed by wharf hash-password (or the password itself, as Kafka Connect's properties file has it).",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            REST_REQUEST_MAX_BYTES,
            ConfigType::Long,
            "33554432",
            "The largest request body the REST API takes; a larger one is answered 413 naming this key.",
        )
        .importance(Importance::Low)
        .validate(Validator::Range { min: 1024, max: 1 << 31 }),
        ConfigKey::optional(
            SECURITY_PROTOCOL,
            ConfigType::String,
            "PLAINTEXT",
            "How the worker's own clients (internal topics, group membership) reach the brokers: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, with sasl.mechanism, sasl.jaas.config and ssl.* as in Kafka; tasks' clients take the same keys under producer. and consumer.",
        )
        .importance(Importance::Medium),
        ConfigKey::optional(
            BUFFER_MAX_BYTES,
            ConfigType::Long,
            "4194304",
            "Most bytes of records the Kafka client buffers per task (sink: prefetched, source: unacknowledged); bounds memory under backlog. 4 MiB keeps a local broker's full speed; raise it for brokers far away.",
        )
        .validate(Validator::Range { min: 1024, max: 2_097_151 * 1024 }),
        ConfigKey::optional(SHARDS, ConfigType::Int, "0", "Executor threads (shards); 0 means one per core.")
            .validate(Validator::Range { min: 0, max: 1024 }),
    ])
}

/// Parses and validates worker properties.
pub fn parse(props: &Properties) -> Result<Config, ConfigErrors> {
    worker_def().parse("worker", props)
}

/// Client settings given with a prefix (`producer.`, `consumer.`), prefix removed.
pub fn prefixed<'a>(
    props: &'a Properties,
    prefix: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    props
        .iter()
        .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
}

/// The REST API's bind address from `listeners` (first `http://` or `https://host:port`; empty host = all
/// interfaces), or a message naming the bad value.
pub fn rest_address(
    config: &connect_api::config::Config,
) -> Result<Option<std::net::SocketAddr>, String> {
    let listeners = config.list(LISTENERS);
    let Some(first) = listeners.first() else {
        return Ok(None);
    };
    listener_address(LISTENERS, first).map(Some)
}

/// Where the admin endpoints listen (`admin.listeners`, each `http://` or `https://host:port`),
/// each with whether it is HTTPS: `None` when the key is not set (they share `listeners`), an
/// empty list when it is set empty (they are not served).
pub fn admin_addresses(
    props: &Properties,
) -> Result<Option<Vec<(std::net::SocketAddr, bool)>>, String> {
    let Some(raw) = props.get(ADMIN_LISTENERS) else {
        return Ok(None);
    };
    connect_api::config::split_list(raw)
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let https = l.to_ascii_lowercase().starts_with("https://");
            listener_address(ADMIN_LISTENERS, l).map(|addr| (addr, https))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The bind address of listener `uri` of `key`.
fn listener_address(key: &str, uri: &str) -> Result<std::net::SocketAddr, String> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("{key}: only http:// and https:// listeners are supported, got {uri}")
        })?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("{key}: {uri} has no port"))?;
    let host = match host.trim_matches(['[', ']']) {
        "" => "0.0.0.0",
        "localhost" => "127.0.0.1",
        h => h,
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{key}: bad port in {uri}"))?;
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("{key}: host of {uri} must be an IP address or localhost"))?;
    Ok(std::net::SocketAddr::new(ip, port))
}
