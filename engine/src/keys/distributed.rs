//! The `worker.properties` keys of a distributed worker (Kafka Connect's `DistributedConfig` and
//! the REST server's advertised-address keys), with Kafka Connect's names, defaults and checks.
//! The standalone worker's keys ([`super::worker`]) apply as well.

use connect_api::config::{
    Config, ConfigDef, ConfigErrors, ConfigKey, ConfigType, Importance, Properties, Validator,
};

use super::worker;

pub const GROUP_ID: &str = "group.id";
pub const CONFIG_TOPIC: &str = "config.storage.topic";
pub const CONFIG_REPLICATION: &str = "config.storage.replication.factor";
pub const OFFSET_TOPIC: &str = worker::OFFSET_TOPIC;
pub const OFFSET_PARTITIONS: &str = worker::OFFSET_PARTITIONS;
pub const OFFSET_REPLICATION: &str = worker::OFFSET_REPLICATION;
pub const STATUS_TOPIC: &str = "status.storage.topic";
pub const STATUS_PARTITIONS: &str = "status.storage.partitions";
pub const STATUS_REPLICATION: &str = "status.storage.replication.factor";
pub const HEARTBEAT_INTERVAL_MS: &str = "heartbeat.interval.ms";
pub const SESSION_TIMEOUT_MS: &str = "session.timeout.ms";
pub const REBALANCE_TIMEOUT_MS: &str = "rebalance.timeout.ms";
pub const WORKER_SYNC_TIMEOUT_MS: &str = "worker.sync.timeout.ms";
pub const WORKER_UNSYNC_BACKOFF_MS: &str = "worker.unsync.backoff.ms";
pub const SCHEDULED_REBALANCE_MAX_DELAY_MS: &str = "scheduled.rebalance.max.delay.ms";
pub const CONNECT_PROTOCOL: &str = "connect.protocol";
pub const REST_ADVERTISED_HOST_NAME: &str = "rest.advertised.host.name";
pub const REST_ADVERTISED_PORT: &str = "rest.advertised.port";
pub const REST_ADVERTISED_LISTENER: &str = "rest.advertised.listener";
pub const KEY_GENERATION_ALGORITHM: &str = "inter.worker.key.generation.algorithm";
pub const KEY_SIZE: &str = "inter.worker.key.size";
pub const KEY_TTL_MS: &str = "inter.worker.key.ttl.ms";
pub const SIGNATURE_ALGORITHM: &str = "inter.worker.signature.algorithm";
pub const VERIFICATION_ALGORITHMS: &str = "inter.worker.verification.algorithms";

/// The HMAC wharf signs and checks internal requests with (KIP-507); Kafka Connect's default.
pub const HMAC_SHA256: &str = "HmacSHA256";

/// Replication factors: Kafka's KIP-464 rule, a positive count or -1 for the broker's default.
fn replication(name: &'static str, doc: &'static str) -> ConfigKey {
    ConfigKey::optional(name, ConfigType::Short, "3", doc)
        .importance(Importance::Low)
        .validate(Validator::Custom(|raw| match raw.trim().parse::<i16>() {
            Ok(n) if n >= 1 || n == -1 => Ok(()),
            _ => Err(
                "Replication factor must be positive or -1 to use the broker's default".to_owned(),
            ),
        }))
}

/// Partition counts: positive, or -1 for the broker's default.
fn partitions(name: &'static str, default: &'static str, doc: &'static str) -> ConfigKey {
    ConfigKey::optional(name, ConfigType::Int, default, doc)
        .importance(Importance::Low)
        .validate(Validator::Custom(|raw| match raw.trim().parse::<i32>() {
            Ok(n) if n >= 1 || n == -1 => Ok(()),
            _ => Err(
                "Number of partitions must be positive, or -1 to use the broker's default"
                    .to_owned(),
            ),
        }))
}

fn millis(name: &'static str, default: &'static str, doc: &'static str) -> ConfigKey {
    ConfigKey::optional(name, ConfigType::Int, default, doc).validate(Validator::Range {
        min: 0,
        max: i64::from(i32::MAX),
    })
}

/// The keys a distributed worker reads on top of the standalone ones.
pub fn distributed_def() -> ConfigDef {
    ConfigDef::new([
        ConfigKey::required(
            GROUP_ID,
            ConfigType::String,
            "A unique string that identifies the Connect cluster group this worker belongs to.",
        )
        .importance(Importance::High)
        .validate(Validator::NonEmpty),
        ConfigKey::required(
            CONFIG_TOPIC,
            ConfigType::String,
            "The name of the Kafka topic where connector configurations are stored",
        )
        .importance(Importance::High)
        .validate(Validator::NonEmpty),
        replication(
            CONFIG_REPLICATION,
            "Replication factor used when creating the configuration storage topic",
        ),
        ConfigKey::required(
            OFFSET_TOPIC,
            ConfigType::String,
            "The name of the Kafka topic where source connector offsets are stored",
        )
        .importance(Importance::High)
        .validate(Validator::NonEmpty),
        partitions(
            OFFSET_PARTITIONS,
            "25",
            "The number of partitions used when creating the offset storage topic",
        ),
        replication(
            OFFSET_REPLICATION,
            "Replication factor used when creating the offset storage topic",
        ),
        ConfigKey::required(
            STATUS_TOPIC,
            ConfigType::String,
            "The name of the Kafka topic where connector and task status are stored",
        )
        .importance(Importance::High)
        .validate(Validator::NonEmpty),
        partitions(
            STATUS_PARTITIONS,
            "5",
            "The number of partitions used when creating the status storage topic",
        ),
        replication(
            STATUS_REPLICATION,
            "Replication factor used when creating the status storage topic",
        ),
        millis(
            HEARTBEAT_INTERVAL_MS,
            "3000",
            "The expected time between heartbeats to the group coordinator when using Kafka's group management facilities.",
        ),
        millis(
            SESSION_TIMEOUT_MS,
            "10000",
            "The timeout used to detect worker failures.",
        ),
        millis(
            REBALANCE_TIMEOUT_MS,
            "60000",
            "The maximum allowed time for each worker to join the group once a rebalance has begun.",
        ),
        millis(
            WORKER_SYNC_TIMEOUT_MS,
            "3000",
            "When the worker is out of sync with other workers and needs to resynchronize configurations, wait up to this amount of time before giving up, leaving the group, and waiting a backoff period before rejoining.",
        ),
        millis(
            WORKER_UNSYNC_BACKOFF_MS,
            "300000",
            "When the worker is out of sync with other workers and fails to catch up within worker.sync.timeout.ms, leave the Connect cluster for this long before rejoining.",
        ),
        millis(
            SCHEDULED_REBALANCE_MAX_DELAY_MS,
            "300000",
            "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks to the group. During this period the connectors and tasks of the departed workers remain unassigned.",
        ),
        ConfigKey::optional(
            CONNECT_PROTOCOL,
            ConfigType::String,
            "sessioned",
            "Compatibility mode for Kafka Connect Protocol",
        )
        .importance(Importance::Low)
        .validate(Validator::OneOf(&["eager", "compatible", "sessioned"])),
        ConfigKey::optional(
            REST_ADVERTISED_HOST_NAME,
            ConfigType::String,
            "",
            "If this is set, this is the hostname that will be given out to other workers to connect to.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            REST_ADVERTISED_PORT,
            ConfigType::Int,
            "",
            "If this is set, this is the port that will be given out to other workers to connect to.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            REST_ADVERTISED_LISTENER,
            ConfigType::String,
            "",
            "Sets the advertised listener (HTTP or HTTPS) which will be given to other workers to use.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            KEY_GENERATION_ALGORITHM,
            ConfigType::String,
            HMAC_SHA256,
            "The algorithm to use for generating internal request keys. wharf supports HmacSHA256.",
        )
        .importance(Importance::Low)
        .validate(Validator::OneOf(&[HMAC_SHA256])),
        ConfigKey::optional(
            KEY_SIZE,
            ConfigType::Int,
            "",
            "The size of the key to use for signing internal requests, in bits. If empty, 256.",
        )
        .importance(Importance::Low),
        ConfigKey::optional(
            KEY_TTL_MS,
            ConfigType::Int,
            "3600000",
            "The TTL of generated session keys used for internal request validation (in milliseconds)",
        )
        .importance(Importance::Low)
        .validate(Validator::Range { min: 0, max: i64::from(i32::MAX) }),
        ConfigKey::optional(
            SIGNATURE_ALGORITHM,
            ConfigType::String,
            HMAC_SHA256,
            "The algorithm used to sign internal requests. wharf supports HmacSHA256.",
        )
        .importance(Importance::Low)
        .validate(Validator::OneOf(&[HMAC_SHA256])),
        ConfigKey::optional(
            VERIFICATION_ALGORITHMS,
            ConfigType::List,
            HMAC_SHA256,
            "A list of permitted algorithms for verifying internal requests, which must include the algorithm used for the inter.worker.signature.algorithm property.",
        )
        .importance(Importance::Low),
    ])
}

/// Parses a distributed worker's properties: the standalone keys (without the standalone-only
/// offset file) and the distributed ones, every bad key reported at once.
pub fn parse(props: &Properties) -> Result<Config, ConfigErrors> {
    let def = worker::worker_def()
        .keys()
        .iter()
        .filter(|k| distributed_def().key(k.name).is_none() && k.name != worker::OFFSET_FILE)
        .cloned()
        .collect::<Vec<_>>();
    let def = ConfigDef::new(def).extend(&distributed_def());
    let mut config = def.parse("worker", props);
    if let Ok(c) = &config {
        let signing = c
            .string(SIGNATURE_ALGORITHM)
            .unwrap_or(HMAC_SHA256)
            .trim()
            .to_owned();
        if !c.list(VERIFICATION_ALGORITHMS).contains(&signing) {
            config = Err(ConfigErrors {
                subject: "worker".to_owned(),
                errors: vec![connect_api::config::FieldError {
                    key: VERIFICATION_ALGORITHMS.to_owned(),
                    message: format!(
                        "Signature algorithm '{signing}' must be present in {VERIFICATION_ALGORITHMS} list."
                    ),
                }],
            });
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            ("bootstrap.servers", "127.0.0.1:9092"),
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "connect-configs"),
            ("offset.storage.topic", "connect-offsets"),
            ("status.storage.topic", "connect-status"),
        ]
    }

    #[test]
    fn kafka_connect_defaults() {
        let c = parse(&props(&minimal())).unwrap();
        assert_eq!(c.int(OFFSET_PARTITIONS), Some(25));
        assert_eq!(c.int(STATUS_PARTITIONS), Some(5));
        assert_eq!(c.int(CONFIG_REPLICATION), Some(3));
        assert_eq!(c.int(HEARTBEAT_INTERVAL_MS), Some(3000));
        assert_eq!(c.int(SESSION_TIMEOUT_MS), Some(10_000));
        assert_eq!(c.int(REBALANCE_TIMEOUT_MS), Some(60_000));
        assert_eq!(c.int(SCHEDULED_REBALANCE_MAX_DELAY_MS), Some(300_000));
        assert_eq!(c.string(CONNECT_PROTOCOL), Some("sessioned"));
        assert_eq!(c.int(KEY_TTL_MS), Some(3_600_000));
    }

    #[test]
    fn required_keys_are_named() {
        let err = parse(&props(&[("bootstrap.servers", "127.0.0.1:9092")])).unwrap_err();
        let keys: Vec<&str> = err.errors.iter().map(|e| e.key.as_str()).collect();
        for key in [GROUP_ID, CONFIG_TOPIC, OFFSET_TOPIC, STATUS_TOPIC] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }

    #[test]
    fn bad_values_are_refused_as_kafka_connect_refuses_them() {
        let mut p = minimal();
        p.push(("connect.protocol", "fancy"));
        p.push(("config.storage.replication.factor", "0"));
        p.push(("status.storage.partitions", "-1"));
        let err = parse(&props(&p)).unwrap_err();
        let keys: Vec<&str> = err.errors.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&CONNECT_PROTOCOL), "{err}");
        assert!(keys.contains(&CONFIG_REPLICATION), "{err}");
        assert!(
            !keys.contains(&STATUS_PARTITIONS),
            "-1 is the broker default: {err}"
        );

        let mut p = minimal();
        p.push(("inter.worker.verification.algorithms", "HmacSHA1"));
        let err = parse(&props(&p)).unwrap_err();
        assert!(err.to_string().contains("must be present"), "{err}");
    }
}
