//! Shared pieces of wharf's benchmarks: sample records of known sizes ([`records`]) for the
//! criterion suites in `benches/`.

pub mod records;
