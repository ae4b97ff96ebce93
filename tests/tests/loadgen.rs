//! The load generator against the real broker: what `produce` writes, `measure` reads back with
//! a send time for every record.

use std::time::Duration;

use engine::loadgen::{Format, KeyDistribution, MeasureArgs, ProduceArgs, measure, produce};
use engine::runtime::{ShardConfig, ShardPool};
use integration_tests::{bootstrap, unique};

#[test]
fn produce_then_measure_every_format() {
    let pool = ShardPool::start(&ShardConfig {
        shards: 1,
        pin: false,
        ..ShardConfig::default()
    })
    .unwrap();
    for format in [
        Format::String,
        Format::Json,
        Format::JsonSchema,
        Format::Avro,
    ] {
        let topic = unique("loadgen");
        let produce_args = ProduceArgs {
            bootstrap: bootstrap(),
            topic: topic.clone(),
            partitions: 2,
            records: Some(2000),
            duration: None,
            rate: 0,
            value_size: 300,
            format,
            keys: KeyDistribution::Uniform,
            key_count: 10,
            seed: 1,
            registry: Some(integration_tests::registry_url()),
        };
        let produced = pool
            .run_on(0, move || produce(produce_args))
            .unwrap()
            .unwrap();
        assert_eq!(produced.records, 2000);
        assert!(
            produced.bytes >= 2000 * 250,
            "{format:?}: {} bytes",
            produced.bytes
        );

        let measure_args = MeasureArgs {
            bootstrap: bootstrap(),
            topic,
            records: Some(2000),
            duration: None,
            idle: Duration::from_secs(20),
            from_beginning: true,
            format,
            registry: Some(integration_tests::registry_url()),
        };
        let measured = pool
            .run_on(0, move || measure(measure_args))
            .unwrap()
            .unwrap();
        assert_eq!(measured.records, 2000, "{format:?}");
        assert_eq!(measured.unreadable, 0, "{format:?}");
        assert!(
            measured.latency_ms_p50 > 0.0 && measured.latency_ms_p50 <= measured.latency_ms_max
        );
        assert!(measured.latency_ms_p99 <= measured.latency_ms_max);
    }
    pool.shutdown();
}
