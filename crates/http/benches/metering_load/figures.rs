//! What every mode measures alike: latencies (up to 600 s: the lag of a backlog can be long)
//! and CPU use, of the children together and of PostgreSQL with the backends and workers it
//! reaped (they come and go between two samples).

use hdrhistogram::Histogram;

use crate::support::latency;
use crate::support::proc::{
    CpuSample, CpuUse, cores, postgres_cpu_ticks, proc_cpu_ticks, stat_ticks,
};
use crate::support::results::Results;

pub fn new_hist() -> Histogram<u64> {
    latency::histogram(600_000_000)
}

/// utime + stime + cutime + cstime: with the children the process has reaped.
fn proc_cpu_ticks_with_reaped(pid: &str) -> Option<u64> {
    stat_ticks(pid, 11..=14)
}

pub fn cpu_sample(children: &[u32]) -> CpuSample {
    CpuSample::take(
        Some(
            children
                .iter()
                .filter_map(|p| proc_cpu_ticks(&p.to_string()))
                .sum(),
        ),
        Some(postgres_cpu_ticks(proc_cpu_ticks_with_reaped).unwrap_or(0)),
    )
}

/// Prints the CPU use of the measured window and puts it as `<prefix>.cpu_*_pct`; `child`
/// names the children in the line (worker, serve).
pub fn report_cpu(out: &mut Results, prefix: &str, cpu: &CpuUse, child: &str) {
    let cpu = [
        cpu.generator.unwrap_or(0.0),
        cpu.server.unwrap_or(0.0),
        cpu.postgres.unwrap_or(0.0),
        cpu.machine.unwrap_or(-1.0),
    ];
    println!(
        "    cpu ({:.0}% = all cores): generator {:.0}%, {child} {:.0}%, postgres {:.0}%, whole machine {:.0}%",
        cores() * 100.0,
        cpu[0],
        cpu[1],
        cpu[2],
        cpu[3]
    );
    for (name, v) in ["generator", "child", "postgres", "machine"]
        .iter()
        .zip(cpu)
    {
        out.put(&format!("{prefix}.cpu_{name}_pct"), format!("{v:.0}"));
    }
}
