//! CPU use from /proc (Linux), sampled at the start and the end of a measured window: of the
//! generator itself, of the server under test (Tollgate, or the ingest stub receiver), of
//! every `postgres` process on the machine (other users of a shared server count too) and of
//! the whole machine. In percent of one core: 2 cores busy = 200 %.

use std::time::Instant;

/// utime + stime of a process, all threads, in clock ticks (USER_HZ, 100 on Linux).
pub fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    stat_ticks(pid, 11..=12)
}

/// The sum of the fields `fields` of `/proc/<pid>/stat`, counted from 0 after the command
/// name: 11 utime, 12 stime, 13 cutime, 14 cstime (of the children it reaped).
pub fn stat_ticks(pid: &str, mut fields: std::ops::RangeInclusive<usize>) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let values: Vec<&str> = rest.split_whitespace().collect();
    fields.try_fold(0, |sum, i| Some(sum + values.get(i)?.parse::<u64>().ok()?))
}

/// `ticks` of every process named `postgres`; `None` when /proc cannot be listed.
pub fn postgres_cpu_ticks(ticks: fn(&str) -> Option<u64>) -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let comm = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map(|(c, _)| c);
        if comm == Some("postgres") {
            total += ticks(pid).unwrap_or(0);
        }
    }
    Some(total)
}

/// (busy, total) jiffies of the whole machine.
fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

pub fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

pub struct CpuSample {
    pub at: Instant,
    generator: Option<u64>,
    server: Option<u64>,
    postgres: Option<u64>,
    machine: Option<(u64, u64)>,
}

impl CpuSample {
    /// Now, with the ticks of the server and of PostgreSQL as the caller counts them.
    pub fn take(server: Option<u64>, postgres: Option<u64>) -> Self {
        Self {
            at: Instant::now(),
            generator: proc_cpu_ticks("self"),
            server,
            postgres,
            machine: machine_cpu(),
        }
    }

    /// CPU use from `earlier` to this sample; `None` for what could not be read.
    pub fn since(&self, earlier: &Self) -> CpuUse {
        let secs = self.at.duration_since(earlier.at).as_secs_f64().max(1e-3);
        let pct = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?) as f64 / secs);
        let machine = match (earlier.machine, self.machine) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                Some((b1 - b0) as f64 / (t1 - t0) as f64 * 100.0 * cores())
            }
            _ => None,
        };
        CpuUse {
            generator: pct(earlier.generator, self.generator),
            server: pct(earlier.server, self.server),
            postgres: pct(earlier.postgres, self.postgres),
            machine,
        }
    }
}

/// CPU use between two samples, in percent of one core.
pub struct CpuUse {
    pub generator: Option<f64>,
    pub server: Option<f64>,
    pub postgres: Option<f64>,
    pub machine: Option<f64>,
}
