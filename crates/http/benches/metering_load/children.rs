//! The Tollgate processes under test, started by the generator (`--children` copies of the
//! command after `--`) so that they can be pointed at the fake OpenMeter it runs; their pids
//! go to `--child-pid-file` for the caller's cleanup.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, StatusCode};

use crate::args::Args;
use crate::support::http::Target;
use crate::{BoxError, err};

pub struct Children {
    procs: Vec<Child>,
}

impl Children {
    pub fn spawn(args: &Args, env: &[(&str, String)]) -> Result<Self, BoxError> {
        let (program, rest) = args
            .child
            .split_first()
            .ok_or_else(|| err("no child command: pass the Tollgate command after `--`"))?;
        let mut procs = Vec::new();
        for _ in 0..args.children.max(1) {
            let mut cmd = Command::new(program);
            cmd.args(rest).stdin(Stdio::null());
            for (k, v) in env {
                cmd.env(k, v);
            }
            match &args.child_log {
                Some(path) => {
                    let log = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)?;
                    cmd.stdout(log.try_clone()?).stderr(log);
                }
                None => {
                    cmd.stdout(Stdio::null()).stderr(Stdio::null());
                }
            }
            procs.push(
                cmd.spawn()
                    .map_err(|e| err(format!("cannot start {program}: {e}")))?,
            );
        }
        let children = Self { procs };
        if let Some(path) = &args.child_pid_file {
            let pids: Vec<String> = children.pids().iter().map(u32::to_string).collect();
            std::fs::write(path, pids.join("\n") + "\n")?;
        }
        Ok(children)
    }

    pub fn pids(&self) -> Vec<u32> {
        self.procs.iter().map(Child::id).collect()
    }

    pub fn check_alive(&mut self) -> Result<(), BoxError> {
        for p in &mut self.procs {
            if let Some(status) = p.try_wait()? {
                return Err(err(format!(
                    "child {} exited early ({status}): see its log",
                    p.id()
                )));
            }
        }
        Ok(())
    }

    /// Waits for `GET /readyz` = 200 from `target` while the children live (90 s at most).
    pub async fn wait_ready(&mut self, target: &Target) -> Result<(), BoxError> {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            self.check_alive()?;
            if let Ok(mut s) = target.connect().await
                && let Ok(req) = target.request(Method::GET, "/readyz", "", Bytes::new())
                && let Ok((status, _)) = target.send(&mut s, req).await
                && status == StatusCode::OK
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(err("the child did not become ready within 90 s"))
    }

    /// SIGTERM, then up to 15 s for a clean stop, then SIGKILL.
    pub async fn stop(mut self) {
        for p in &self.procs {
            let _ = Command::new("kill")
                .args(["-TERM", &p.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        for p in &mut self.procs {
            while Instant::now() < deadline && matches!(p.try_wait(), Ok(None)) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if matches!(p.try_wait(), Ok(None)) {
                eprintln!(
                    "metering_load: child {} ignored SIGTERM; killing it",
                    p.id()
                );
                let _ = p.kill();
                let _ = p.wait();
            }
        }
    }
}
