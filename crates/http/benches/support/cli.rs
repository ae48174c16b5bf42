//! Both generators are also run by `cargo test --benches` / `--all-targets`, with no flag of
//! theirs (and maybe with test harness flags they do not know): they then only check
//! themselves. These decide which run it is, and start the single-threaded runtime (the bench
//! machine has 2 cores shared with Tollgate and PostgreSQL, so the generator stays lean).

/// Whether one of `flags` is on the command line, as `--flag` or `--flag=value`.
pub fn has_any_flag(flags: &[&str]) -> bool {
    std::env::args().skip(1).any(|arg| {
        let flag = arg.split('=').next().unwrap_or_default();
        flags.contains(&flag)
    })
}

/// A current-thread tokio runtime; exits with status 2 (after saying why) when there is none.
pub fn runtime_or_exit(program: &str) -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{program}: tokio runtime: {e}");
            std::process::exit(2);
        }
    }
}
