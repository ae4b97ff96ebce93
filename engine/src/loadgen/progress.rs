//! Live progress: a redrawn line on a terminal, a plain line every few seconds otherwise.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Prints progress for a count of records and bytes.
#[derive(Debug)]
pub struct Progress {
    label: &'static str,
    started: Instant,
    last: Instant,
    last_records: u64,
    last_bytes: u64,
    terminal: bool,
    target: Option<u64>,
}

impl Progress {
    pub fn new(label: &'static str, target: Option<u64>) -> Self {
        let now = Instant::now();
        Self {
            label,
            started: now,
            last: now,
            last_records: 0,
            last_bytes: 0,
            terminal: std::io::stderr().is_terminal(),
            target,
        }
    }

    /// Call often; prints at most twice a second (terminal) or every 5 s (otherwise).
    pub fn update(&mut self, records: u64, bytes: u64) {
        let every = if self.terminal {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(5)
        };
        let since = self.last.elapsed();
        if since < every {
            return;
        }
        let rate = (records - self.last_records) as f64 / since.as_secs_f64();
        let mb = (bytes - self.last_bytes) as f64 / since.as_secs_f64() / 1e6;
        let done = match self.target {
            Some(t) if t > 0 => {
                let width = 30;
                let filled = usize::try_from(records.min(t) * width / t).unwrap_or(0);
                let bar =
                    "#".repeat(filled) + &"-".repeat(usize::try_from(width).unwrap_or(0) - filled);
                format!("[{bar}] {records}/{t}")
            }
            _ => format!("{records} records"),
        };
        let line = format!(
            "{}: {done} {rate:>10.0} records/s {mb:>8.1} MB/s ({:.0?})",
            self.label,
            self.started.elapsed()
        );
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
        self.last = Instant::now();
        self.last_records = records;
        self.last_bytes = bytes;
    }

    /// Ends the progress line on a terminal.
    pub fn finish(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}
