//! One shard produces through rdkafka's FutureProducer driven by the glommio runtime, another
//! consumes with StreamConsumer; every record must arrive once, in order per partition, with its
//! key and value intact.

use std::time::Duration;

use engine::kafka::{self, Sender, ShardConsumer, ShardProducer, TopicSpec};
use engine::runtime::{ShardConfig, ShardPool};
use integration_tests::{bootstrap, unique};
use rdkafka::consumer::Consumer;
use rdkafka::{Message, Offset, TopicPartitionList};

const RECORDS: u64 = 100_000;
const PARTITIONS: i32 = 4;

fn key(seq: u64) -> String {
    format!("key-{seq}")
}

fn value(seq: u64) -> String {
    // Varying lengths, so a value attached to the wrong record cannot go unnoticed.
    format!(
        "value-{seq}-{}",
        "x".repeat(usize::try_from(seq % 97).unwrap())
    )
}

/// Records go to partition `seq % PARTITIONS`, so each partition must see an arithmetic sequence.
async fn produce(bootstrap: String, topic: String) -> u64 {
    let producer: ShardProducer =
        kafka::create_producer(&kafka::producer_config(&bootstrap)).unwrap();
    let mut sender = Sender::new(producer, 50_000);
    let topic: std::rc::Rc<str> = std::rc::Rc::from(topic.as_str());
    for seq in 0..RECORDS {
        let partition = i32::try_from(seq % u64::try_from(PARTITIONS).unwrap()).unwrap();
        sender
            .send(
                &topic,
                Some(key(seq).as_str()),
                Some(value(seq).as_str()),
                Some(partition),
            )
            .await
            .unwrap();
    }
    sender.flush().await.unwrap().acked
}

/// Returns, per partition, the (offset, key, value) triples in the order they arrived.
async fn consume(bootstrap: String, topic: String) -> Vec<Vec<(i64, String, String)>> {
    let consumer: ShardConsumer = kafka::consumer_config(&bootstrap, &unique("roundtrip"))
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        assignment
            .add_partition_offset(&topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut seen = vec![Vec::new(); usize::try_from(PARTITIONS).unwrap()];
    let mut total = 0;
    while total < RECORDS {
        let message =
            glommio::timer::timeout(Duration::from_secs(60), async { Ok(consumer.recv().await) })
                .await
                .expect("a record within 60 s")
                .expect("consumer error");
        let text = |b: Option<&[u8]>| String::from_utf8(b.expect("present").to_vec()).unwrap();
        seen[usize::try_from(message.partition()).unwrap()].push((
            message.offset(),
            text(message.key()),
            text(message.payload()),
        ));
        total += 1;
    }
    seen
}

#[test]
fn shard_to_shard_roundtrip_keeps_count_order_keys_and_values() {
    let bootstrap = bootstrap();
    let topic = unique("roundtrip");
    futures::executor::block_on(kafka::ensure_topic(
        &bootstrap,
        &TopicSpec {
            name: &topic,
            partitions: PARTITIONS,
            replication_factor: 1,
            configs: Vec::new(),
        },
    ))
    .unwrap();

    let pool = ShardPool::start(&ShardConfig {
        shards: 2,
        ..ShardConfig::default()
    })
    .unwrap();
    let producing = pool
        .spawn_on(0, {
            let (b, t) = (bootstrap.clone(), topic.clone());
            move || produce(b, t)
        })
        .unwrap();
    let consuming = pool
        .spawn_on(1, {
            let (b, t) = (bootstrap.clone(), topic.clone());
            move || consume(b, t)
        })
        .unwrap();
    let (acked, seen) = futures::executor::block_on(futures::future::join(producing, consuming));
    assert_eq!(acked.unwrap(), RECORDS);
    let seen = seen.unwrap();

    let partitions = u64::try_from(PARTITIONS).unwrap();
    for (partition, records) in seen.iter().enumerate() {
        let first = u64::try_from(partition).unwrap();
        let expected: Vec<u64> = (first..RECORDS)
            .step_by(usize::try_from(partitions).unwrap())
            .collect();
        assert_eq!(
            records.len(),
            expected.len(),
            "record count of partition {partition}"
        );
        for (i, ((offset, k, v), seq)) in records.iter().zip(&expected).enumerate() {
            assert_eq!(
                *offset,
                i64::try_from(i).unwrap(),
                "offsets of partition {partition} are dense"
            );
            assert_eq!(
                k,
                &key(*seq),
                "key at partition {partition} offset {offset}"
            );
            assert_eq!(
                v,
                &value(*seq),
                "value at partition {partition} offset {offset}"
            );
        }
    }
    assert_eq!(
        seen.iter().map(Vec::len).sum::<usize>(),
        usize::try_from(RECORDS).unwrap()
    );
    pool.shutdown();
}
