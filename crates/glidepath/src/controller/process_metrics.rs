//! The process series Prometheus' client libraries export (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
//! `process_start_time_seconds`, `process_open_fds`, `process_max_fds`), read from `/proc` at
//! scrape time, so the CPU and memory panels of Flux's and Flagger's dashboards read Glidepath.
//!
//! Go-runtime series (`go_info`, `go_memstats_*`) are not exported: a Rust process has no Go
//! runtime, and a fake one would mislead whoever reads them.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// `USER_HZ`: the unit of `/proc/<pid>/stat` times, 100 on every Linux ABI.
const TICKS_PER_SECOND: f64 = 100.0;

/// What `/proc` says of this process.
#[derive(Debug, Default, PartialEq)]
pub struct Sample {
    pub cpu_seconds: f64,
    pub resident_bytes: f64,
    pub virtual_bytes: f64,
    pub start_time_seconds: f64,
    pub open_fds: Option<f64>,
    pub max_fds: Option<f64>,
}

/// Parse `/proc/self/stat` (after the command name, which may hold spaces or parentheses),
/// `/proc/self/status` (`VmRSS`, `VmSize` in kB) and `/proc/stat`'s `btime`.
pub fn parse(stat: &str, status: &str, proc_stat: &str) -> Option<Sample> {
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    // Fields 14, 15 (utime, stime) and 22 (starttime) of proc(5), counted from the state (3).
    let field = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
    let kb = |key: &str| {
        status.lines().find_map(|l| l.strip_prefix(key)?.trim().strip_suffix("kB")?.trim().parse::<f64>().ok())
    };
    let boot = proc_stat.lines().find_map(|l| l.strip_prefix("btime ")?.trim().parse::<f64>().ok())?;
    Some(Sample {
        cpu_seconds: (field(14)? + field(15)?) / TICKS_PER_SECOND,
        resident_bytes: kb("VmRSS:").unwrap_or_default() * 1024.0,
        virtual_bytes: kb("VmSize:").unwrap_or_default() * 1024.0,
        start_time_seconds: boot + field(22)? / TICKS_PER_SECOND,
        open_fds: None,
        max_fds: None,
    })
}

/// The soft "Max open files" limit from `/proc/self/limits`.
fn max_fds(limits: &str) -> Option<f64> {
    limits.lines().find_map(|l| l.strip_prefix("Max open files")?.split_whitespace().next()?.parse().ok())
}

fn sample() -> Option<Sample> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let mut s = parse(&read("/proc/self/stat")?, &read("/proc/self/status")?, &read("/proc/stat")?)?;
    s.open_fds = std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as f64);
    s.max_fds = read("/proc/self/limits").as_deref().and_then(max_fds);
    Some(s)
}

/// Registered once per registry; reads `/proc` on every scrape.
#[derive(Debug)]
pub struct Process;

impl Collector for Process {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = sample() else { return Ok(()) };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges = [
            ("process_resident_memory_bytes", "Resident memory size in bytes.", Some(s.resident_bytes)),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes.", Some(s.virtual_bytes)),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                Some(s.start_time_seconds),
            ),
            ("process_open_fds", "Number of open file descriptors.", s.open_fds),
            ("process_max_fds", "Maximum number of open file descriptors.", s.max_fds),
        ];
        for (name, help, value) in gauges {
            let Some(v) = value else { continue };
            let g = ConstGauge::new(v);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse_into_the_process_series() {
        // A command name with a space and a parenthesis, as proc(5) allows.
        let stat = "4242 (glide (x) path) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 \
                    12345 104857600 2560 18446744073709551615";
        let status = "Name:\tglidepath\nVmSize:\t  102400 kB\nVmRSS:\t   10240 kB\n";
        let s = parse(stat, status, "cpu  1 2 3\nbtime 1700000000\n").unwrap();
        assert_eq!(s.cpu_seconds, 3.0);
        assert_eq!(s.resident_bytes, 10240.0 * 1024.0);
        assert_eq!(s.virtual_bytes, 102400.0 * 1024.0);
        assert_eq!(s.start_time_seconds, 1_700_000_000.0 + 123.45);
        assert_eq!(max_fds("Limit Soft Hard Units\nMax open files 1024 4096 files\n"), Some(1024.0));
    }

    #[test]
    fn this_process_exports_its_cpu_and_memory() {
        let mut reg = prometheus_client::registry::Registry::default();
        reg.register_collector(Box::new(Process));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &reg).unwrap();
        assert!(text.contains("\nprocess_cpu_seconds_total "), "{text}");
        let rss = text.lines().find_map(|l| l.strip_prefix("process_resident_memory_bytes ")).unwrap();
        assert!(rss.parse::<f64>().unwrap() > 1e6, "{text}");
        assert!(text.contains("\nprocess_open_fds "), "{text}");
    }
}
