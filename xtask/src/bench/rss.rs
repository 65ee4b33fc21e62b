//! The server's resident memory, read from `/proc`, sampled while a scenario runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Current resident set size of `pid`, in bytes (Linux only; 0 elsewhere).
pub fn current(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

/// The memory `pid` holds of its own (`RssAnon`: heap and stacks), in bytes: its RSS
/// without the pages of files it maps, which are the operating system's page cache.
pub fn owned(pid: u32) -> u64 {
    status_field(pid, "RssAnon:")
}

fn status_field(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples a process's RSS every 20 ms until stopped, keeping the peak.
#[derive(Debug)]
pub struct PeakSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    /// Starts sampling the RSS of `pid`.
    pub fn start(pid: u32) -> Self {
        Self::start_with(pid, current)
    }

    /// Starts sampling `read(pid)`.
    pub fn start_with(pid: u32, read: fn(u32) -> u64) -> Self {
        let peak = Arc::new(AtomicU64::new(read(pid)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak, stop) = (peak.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(read(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Self {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the peak RSS in bytes.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}
