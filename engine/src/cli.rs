//! The `wharf` command line: `standalone`, `distributed`, `docs`, `loadgen`, `smoke`. [`main`] is the whole
//! program, given the plugins it runs, so a binary of one's own is one line (see
//! [`plugins`](crate::plugins)).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::keys::worker as worker_config;
use crate::modes::standalone::{self, Standalone};
use crate::plugins::Plugins;
use crate::runtime::{ShardConfig, ShardPool};
use crate::smoke::{self, SmokeConfig};

#[derive(Debug, Parser)]
#[command(name = "wharf", version, about = "Kafka Connect compatible worker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load generator: `produce` records stamped with their send time, or `measure` end-to-end
    /// latency and throughput of a topic.
    Loadgen {
        #[command(subcommand)]
        mode: LoadgenMode,
        /// Print the result as JSON on stdout.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Print the plugin reference (every config key of the worker and each connector) as Markdown.
    Docs,
    /// Read a password from standard input and print its hash for the REST API's users file
    /// (`wharf.rest.basic.auth.users.file`: `user: <hash>`).
    HashPassword,
    /// Run connectors in one process: worker.properties, then connector configs
    /// (.properties, or .json as POST /connectors takes them). Stops cleanly on SIGINT/SIGTERM.
    Standalone {
        worker: PathBuf,
        connectors: Vec<PathBuf>,
    },
    /// Run a distributed worker (worker.properties with group.id and the config, offsets and
    /// status topics): it joins the Connect group, runs what it is assigned and serves the REST API.
    /// Stops cleanly on SIGINT/SIGTERM.
    Distributed { worker: PathBuf },
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

#[derive(Debug, Subcommand)]
enum LoadgenMode {
    Produce(crate::loadgen::ProduceArgs),
    Measure(crate::loadgen::MeasureArgs),
}

/// Runs the `wharf` command line with `plugins`.
pub fn main(plugins: Plugins) -> ExitCode {
    let logs = crate::logging::LogLevels::install();
    match run(Cli::parse(), Arc::new(plugins), logs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wharf: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, plugins: Arc<Plugins>, logs: crate::logging::LogLevels) -> anyhow::Result<()> {
    match cli.command {
        Command::Loadgen { mode, json } => run_loadgen(mode, json),
        Command::Docs => {
            print!("{}", crate::docs::plugin_reference(&plugins));
            Ok(())
        }
        Command::HashPassword => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']);
            anyhow::ensure!(!password.is_empty(), "no password on standard input");
            println!(
                "{}",
                crate::rest::auth::hash_password(password).map_err(anyhow::Error::msg)?
            );
            Ok(())
        }
        Command::Standalone { worker, connectors } => {
            run_standalone(plugins, &worker, &connectors, logs)
        }
        Command::Distributed { worker } => run_distributed(plugins, &worker, logs),
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

/// The worker's properties file with its own config provider placeholders resolved, as Kafka's
/// `AbstractConfig` resolves a worker config (connector configs are resolved when used).
fn load_worker_props(path: &std::path::Path) -> anyhow::Result<connect_api::config::Properties> {
    use connect_api::config::providers::ConfigProviders;
    let raw = connect_api::config::properties::load(path)?;
    ConfigProviders::from_worker(&raw)
        .and_then(|providers| providers.resolve(&raw))
        .map_err(|e| anyhow::anyhow!("worker config {}: {}: {}", path.display(), e.key, e.message))
}

fn run_standalone(
    plugins: Arc<Plugins>,
    worker: &std::path::Path,
    connectors: &[PathBuf],
    logs: crate::logging::LogLevels,
) -> anyhow::Result<()> {
    let worker_props = load_worker_props(worker)?;
    let rest = worker_config::rest_address(&worker_config::parse(&worker_props)?)
        .map_err(anyhow::Error::msg)?;
    let connector_props = connectors
        .iter()
        .map(|p| standalone::load_connector_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let running = Standalone::start_with(plugins, &worker_props, &connector_props)?;
    tracing::info!(
        message = "Standalone worker started.",
        tasks = running.tasks().len(),
        shards = running.shards()
    );
    let control = standalone::control_runtime()?;
    let herder = running.herder().clone();
    let cluster = running.cluster();
    control.block_on(async move {
        let (stop_rest, rest_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = match rest {
            Some(addr) => Some(
                crate::rest::spawn(addr, cluster, logs.clone(), async {
                    let _ = rest_stopped.await;
                })
                .await
                .map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut report = tokio::time::interval(Duration::from_secs(10));
        report.tick().await;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = report.tick() => {
                    for (id, _, stats) in herder.task_stats() {
                        tracing::info!(message = "Task progress.", task = %id, records = stats.records(), bytes = stats.bytes());
                    }
                }
            }
        }
        let _ = stop_rest.send(());
        if let Some(server) = server {
            let _ = server.await;
        }
        anyhow::Ok(())
    })?;
    tracing::info!(message = "Stopping: flushing and committing every task.");
    let mut failed = 0;
    for (id, outcome) in running.stop() {
        match outcome {
            Ok(()) => tracing::info!(message = "Task stopped.", task = %id),
            Err(error) => {
                failed += 1;
                tracing::error!(message = "Task failed.", task = %id, %error);
            }
        }
    }
    anyhow::ensure!(failed == 0, "{failed} task(s) failed");
    Ok(())
}

/// `wharf distributed worker.properties`: a [`DistributedWorker`] serving the REST API on
/// `listeners` until SIGINT/SIGTERM, then a clean shutdown (REST stopped, tasks flushed and
/// committed, the group left).
///
/// [`DistributedWorker`]: crate::modes::distributed::worker::DistributedWorker
fn run_distributed(
    plugins: Arc<Plugins>,
    worker: &std::path::Path,
    logs: crate::logging::LogLevels,
) -> anyhow::Result<()> {
    use crate::modes::distributed::worker::DistributedWorker;
    let worker_props = load_worker_props(worker)?;
    let rest = worker_config::rest_address(&crate::keys::distributed::parse(&worker_props)?)
        .map_err(anyhow::Error::msg)?;
    let running = Arc::new(DistributedWorker::start(plugins, &worker_props)?);
    tracing::info!(message = "Distributed worker started.", url = %running.url());
    let control = standalone::control_runtime()?;
    let cluster: Arc<dyn crate::herder::Cluster> = Arc::clone(&running) as _;
    control.block_on(async move {
        let (stop_rest, rest_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = match rest {
            Some(addr) => Some(
                crate::rest::spawn(addr, cluster, logs.clone(), async {
                    let _ = rest_stopped.await;
                })
                .await
                .map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        let _ = stop_rest.send(());
        if let Some(server) = server {
            let _ = server.await;
        }
        anyhow::Ok(())
    })?;
    control.shutdown_timeout(Duration::from_secs(10));
    tracing::info!(message = "Stopping: flushing and committing every task, leaving the group.");
    match Arc::try_unwrap(running) {
        Ok(running) => running.shutdown(),
        // A REST call still holds the worker: the last holder's drop shuts it down the same way.
        Err(running) => drop(running),
    }
    Ok(())
}

fn run_loadgen(mode: LoadgenMode, json: bool) -> anyhow::Result<()> {
    let pool = ShardPool::start(&ShardConfig::default())?;
    let report = match mode {
        LoadgenMode::Produce(args) => {
            let r = pool.run_on(0, move || crate::loadgen::produce(args))??;
            if !json {
                println!(
                    "produced {} records ({:.1} MB) in {:.2} s: {:.0} records/s, {:.1} MB/s",
                    r.records,
                    r.bytes as f64 / 1e6,
                    r.seconds,
                    r.records_per_sec,
                    r.mb_per_sec
                );
            }
            serde_json::to_value(r)?
        }
        LoadgenMode::Measure(args) => {
            let r = pool.run_on(0, move || crate::loadgen::measure(args))??;
            if !json {
                println!(
                    "measured {} records in {:.2} s: {:.0} records/s, {:.1} MB/s; latency ms p50 {:.1} p90 {:.1} p99 {:.1} p99.9 {:.1} max {:.1}{}",
                    r.records,
                    r.seconds,
                    r.records_per_sec,
                    r.mb_per_sec,
                    r.latency_ms_p50,
                    r.latency_ms_p90,
                    r.latency_ms_p99,
                    r.latency_ms_p999,
                    r.latency_ms_max,
                    if r.unreadable > 0 {
                        format!(" ({} records without a send time)", r.unreadable)
                    } else {
                        String::new()
                    }
                );
            }
            serde_json::to_value(r)?
        }
    };
    if json {
        println!("{report}");
    }
    pool.shutdown();
    Ok(())
}
