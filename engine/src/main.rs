//! The `wharf` binary.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use engine::runtime::{ShardConfig, ShardPool};
use engine::smoke::{self, SmokeConfig};

#[derive(Debug, Parser)]
#[command(name = "wharf", version, about = "Kafka Connect compatible worker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Produce records from one shard, consume them on another, check order and count.
    Smoke {
        /// Kafka bootstrap servers.
        #[arg(long, env = "KAFKA_BOOTSTRAP", default_value = "127.0.0.1:9092")]
        bootstrap: String,
        /// Topic to use (created with `--partitions` if missing).
        #[arg(long, default_value = "wharf-smoke")]
        topic: String,
        #[arg(long, default_value_t = 3)]
        partitions: i32,
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        /// Bytes per record value.
        #[arg(long, default_value_t = 200)]
        value_size: usize,
        /// Shards (executor threads); default one per core.
        #[arg(long)]
        shards: Option<usize>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wharf: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Smoke {
            bootstrap,
            topic,
            partitions,
            records,
            value_size,
            shards,
        } => {
            let mut shard_config = ShardConfig::per_core();
            if let Some(n) = shards {
                shard_config.shards = n;
            }
            let pool = ShardPool::start(&shard_config)?;
            println!(
                "smoke: {records} records of {value_size} B through {topic} ({partitions} partitions) \
                 at {bootstrap}, {} shard(s)",
                pool.len()
            );
            let report = smoke::run(
                &pool,
                &SmokeConfig {
                    bootstrap,
                    topic,
                    partitions,
                    records,
                    value_size,
                    idle_timeout: Duration::from_secs(30),
                },
            )?;
            let mb = (report.consumed as f64 * report.value_size as f64) / 1e6;
            println!(
                "smoke: produced {} in {:.2?}, consumed {} in order in {:.2?}: {:.0} records/s, {:.1} MB/s",
                report.produced,
                report.produce_elapsed,
                report.consumed,
                report.consume_elapsed,
                report.records_per_sec(),
                mb / report.consume_elapsed.as_secs_f64().max(f64::EPSILON),
            );
            pool.shutdown();
            Ok(())
        }
    }
}
