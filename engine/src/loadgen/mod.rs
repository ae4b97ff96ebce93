//! `wharf loadgen`: a load generator for Kafka pipelines.
//!
//! `produce` writes seeded records at a target rate or flat out, each stamped with its send
//! time; `measure` consumes a topic and reports end-to-end latency percentiles (from an
//! hdrhistogram) and throughput — point it at the output topic of a pipeline, or at the topic
//! `produce` writes, to measure the broker alone. Both print live progress and a final result,
//! also as JSON (`--json`) for scripts.

mod measure;
mod payload;
mod produce;
mod progress;

use std::time::Duration;

pub use measure::{MeasureArgs, MeasureReport, measure};
pub use payload::{Format, Payloads};
pub use produce::{KeyDistribution, ProduceArgs, ProduceReport, produce};

/// Parses `10s`, `500ms`, `2m` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: f64 = number.parse().map_err(|_| format!("bad duration {text}"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit in {text} (use ms, s, m or h)")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("3 weeks").is_err());
    }
}
