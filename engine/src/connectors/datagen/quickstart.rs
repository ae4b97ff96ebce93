//! The built-in quickstart data sets — users, pageviews, orders — shaped like the Confluent
//! datagen quickstarts, with a nested struct and logical types in `orders`.
//!
//! Record `n` of a data set depends only on the seed and `n` ([`generate`]), so a test can
//! recompute what any record must be, and a restarted task continues the same sequence.

use std::sync::LazyLock;

use connect_api::data::logical::{date_schema, timestamp_schema};
use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, SchemaRef, Str, Struct, Value};

/// A quickstart data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quickstart {
    Users,
    Pageviews,
    Orders,
}

impl Quickstart {
    pub const NAMES: &'static [&'static str] = &["users", "pageviews", "orders"];

    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "users" => Some(Self::Users),
            "pageviews" => Some(Self::Pageviews),
            "orders" => Some(Self::Orders),
            _ => None,
        }
    }

    /// The value schema (built once, shared).
    pub fn schema(self) -> SchemaRef {
        match self {
            Self::Users => USERS.clone(),
            Self::Pageviews => PAGEVIEWS.clone(),
            Self::Orders => ORDERS.clone(),
        }
    }
}

// The schemas are built from constants, so building cannot fail; if it did, the stand-in schema
// would make every record fail validation in the converter, never panic.
fn build(builder: SchemaBuilder) -> SchemaRef {
    builder
        .build()
        .unwrap_or_else(|_| Schema::optional_string())
}

static USERS: LazyLock<SchemaRef> = LazyLock::new(|| {
    build(
        SchemaBuilder::struct_()
            .name("ksql.users")
            .field("registertime", Schema::int64())
            .field("userid", Schema::string())
            .field("regionid", Schema::string())
            .field("gender", Schema::string()),
    )
});

static PAGEVIEWS: LazyLock<SchemaRef> = LazyLock::new(|| {
    build(
        SchemaBuilder::struct_()
            .name("ksql.pageviews")
            .field("viewtime", Schema::int64())
            .field("userid", Schema::string())
            .field("pageid", Schema::string()),
    )
});

static ADDRESS: LazyLock<SchemaRef> = LazyLock::new(|| {
    build(
        SchemaBuilder::struct_()
            .name("ksql.address")
            .field("city", Schema::string())
            .field("state", Schema::string())
            .field("zipcode", Schema::int64()),
    )
});

static ORDERS: LazyLock<SchemaRef> = LazyLock::new(|| {
    build(
        SchemaBuilder::struct_()
            .name("ksql.orders")
            .field("ordertime", build(timestamp_schema()))
            .field("orderdate", build(date_schema()))
            .field("orderid", Schema::int32())
            .field("itemid", Schema::string())
            .field("orderunits", Schema::float64())
            .field("address", ADDRESS.clone()),
    )
});

/// SplitMix64: tiny, fast, and good enough to make varied test data from (seed, n).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, n: u64) -> Self {
        Self(seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.next_u64() % items.len() as u64).unwrap_or(0);
        items.get(i).copied().unwrap_or_default()
    }
}

const CITIES: &[(&str, &str)] = &[
    ("San Jose", "CA"),
    ("Austin", "TX"),
    ("Portland", "OR"),
    ("Zürich", "ZH"),
    ("São Paulo", "SP"),
];

/// 2024-01-01T00:00:00Z: generated times fall in the year after it.
const EPOCH_MS: i64 = 1_704_067_200_000;

/// Record `n` of `set` for `seed`: its key (a string) and value.
pub fn generate(set: Quickstart, seed: u64, n: u64) -> (SchemaAndValue, SchemaAndValue) {
    let mut rng = Rng::new(seed, n);
    let time = EPOCH_MS + i64::try_from(rng.range(0, 365 * 86_400_000)).unwrap_or(0);
    let text = |s: String| Value::String(Str::from(s));
    let (key, fields): (String, Vec<(&str, Value)>) = match set {
        Quickstart::Users => {
            let user = format!("User_{}", rng.range(1, 9));
            (
                user.clone(),
                vec![
                    ("registertime", Value::Int64(time)),
                    ("userid", text(user)),
                    ("regionid", text(format!("Region_{}", rng.range(1, 9)))),
                    (
                        "gender",
                        text(rng.pick(&["MALE", "FEMALE", "OTHER"]).to_owned()),
                    ),
                ],
            )
        }
        Quickstart::Pageviews => {
            let page = format!("Page_{}", rng.range(1, 99));
            (
                page.clone(),
                vec![
                    ("viewtime", Value::Int64(time)),
                    ("userid", text(format!("User_{}", rng.range(1, 9)))),
                    ("pageid", text(page)),
                ],
            )
        }
        Quickstart::Orders => {
            let (city, state) = CITIES
                .get(usize::try_from(rng.next_u64() % CITIES.len() as u64).unwrap_or(0))
                .copied()
                .unwrap_or(("", ""));
            let address = Struct::new(ADDRESS.clone()).and_then(|s| {
                s.with("city", text(city.to_owned()))?
                    .with("state", text(state.to_owned()))?
                    .with(
                        "zipcode",
                        Value::Int64(i64::try_from(rng.range(10_000, 99_999)).unwrap_or(0)),
                    )
            });
            let orderid = i32::try_from(n % i32::MAX as u64).unwrap_or(0);
            (
                orderid.to_string(),
                vec![
                    ("ordertime", Value::Timestamp(time)),
                    (
                        "orderdate",
                        Value::Date(i32::try_from(time / 86_400_000).unwrap_or(0)),
                    ),
                    ("orderid", Value::Int32(orderid)),
                    ("itemid", text(format!("Item_{}", rng.range(1, 999)))),
                    (
                        "orderunits",
                        Value::Float64(rng.range(1, 10_000) as f64 / 100.0),
                    ),
                    ("address", address.map_or(Value::Null, Value::Struct)),
                ],
            )
        }
    };
    let schema = set.schema();
    let mut value = match Struct::new(schema.clone()) {
        Ok(s) => s,
        Err(_) => return (SchemaAndValue::default(), SchemaAndValue::default()),
    };
    for (field, v) in fields {
        // Every field name and type above matches the schema.
        let _ = value.put(field, v);
    }
    (
        SchemaAndValue::new(Some(Schema::string()), text(key)),
        SchemaAndValue::new(Some(schema), Value::Struct(value)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_reproducible_and_valid() {
        for set in [Quickstart::Users, Quickstart::Pageviews, Quickstart::Orders] {
            for n in 0..200 {
                let (k1, v1) = generate(set, 42, n);
                let (k2, v2) = generate(set, 42, n);
                assert_eq!((&k1, &v1), (&k2, &v2));
                connect_api::data::validate(v1.schema.as_ref().unwrap(), &v1.value).unwrap();
                let Value::Struct(s) = &v1.value else {
                    panic!("struct")
                };
                assert!(
                    s.values().iter().all(|v| *v != Value::Null),
                    "{set:?} {n}: {s:?}"
                );
            }
            assert_ne!(generate(set, 42, 0), generate(set, 43, 0));
        }
    }
}
