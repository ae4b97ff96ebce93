//! Kafka Connect's built-in predicates (`org.apache.kafka.connect.transforms.predicates`). A
//! transform with `predicate=<alias>` applies only to records the predicate accepts (or, with
//! `negate=true`, rejects).

pub(crate) mod has_header_key;
pub(crate) mod record_is_tombstone;
pub(crate) mod topic_name_matches;
