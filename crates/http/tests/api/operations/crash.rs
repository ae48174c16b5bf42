//! Replicas under load, one killed and one stopped: 3 `tollgate serve` (dispatchers inside) and
//! 1 `tollgate worker` on one database; batches of 100 events go round-robin, a failed batch is
//! sent again to the next replica as LiteLLM does. One replica is SIGKILLed at 40 % and
//! restarted, another SIGTERMed at 80 %. Then every event is stored once, reaches the OpenMeter
//! stand-in (which counts raw and distinct ids) and the embedded meters once, and no outbox row
//! is dead. (A reduced form of issue 15's crash test: no Lago stand-in, no Prometheus.)

use std::{
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::process::{Running, TempDir, free_port, tollgate, wait_for_exit};
use crate::{
    faults::stand_in::{Reply, StandIn},
    helpers::{TestDatabase, batch_body, distinct_events},
};

const REPLICAS: usize = 3;
const BATCHES: usize = 30;
const BATCH: usize = 100;

struct Cluster {
    db_url: String,
    openmeter: String,
    secret: String,
    temp: TempDir,
    ports: Vec<u16>,
}

impl Cluster {
    fn spawn_serve(&self, replica: usize) -> Running {
        let mut command = tollgate(&self.db_url, &self.temp.0.join(format!("data-{replica}")));
        command
            .arg("serve")
            .env(
                "TOLLGATE__SERVER__BIND",
                format!("127.0.0.1:{}", self.ports[replica]),
            )
            .env("TOLLGATE__SERVER__SHUTDOWN_DELAY_SECS", "1")
            .env("TOLLGATE__LITELLM__WEBHOOK_SECRETS", &self.secret)
            .env("TOLLGATE__INGEST__MAX_EVENT_AGE_DAYS", "36500")
            .env("TOLLGATE__DELIVERY__LEASE_SECS", "3")
            .env("TOLLGATE__OPENMETER__URL", &self.openmeter)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Running(command.spawn().expect("a replica starts"))
    }
}

async fn ready(client: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && response.status().as_u16() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "replica on {port} never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_and_a_stopped_replica_lose_nothing_and_count_nothing_twice() {
    let db = TestDatabase::create().await;
    // Slow answers keep deliveries in flight, so the killed replica dies holding leases.
    let openmeter = StandIn::openmeter(|_| Reply::Slow(Duration::from_millis(300))).await;
    let cluster = Arc::new(Cluster {
        db_url: db.url.clone(),
        openmeter: openmeter.url(),
        secret: format!("whsec_{}", Uuid::new_v4().simple()),
        temp: TempDir::new(),
        ports: (0..REPLICAS).map(|_| free_port()).collect(),
    });
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");
    // Migrations first, so the replicas start on a ready schema.
    let migrated = tollgate(&db.url, &cluster.temp.0)
        .arg("migrate")
        .output()
        .expect("runs");
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let mut replicas: Vec<Running> = (0..REPLICAS).map(|r| cluster.spawn_serve(r)).collect();
    let worker_port = free_port();
    let _worker = Running(
        tollgate(&db.url, &cluster.temp.0.join("worker"))
            .arg("worker")
            .env("TOLLGATE__WORKER__BIND", format!("127.0.0.1:{worker_port}"))
            .env("TOLLGATE__DELIVERY__LEASE_SECS", "3")
            .env("TOLLGATE__OPENMETER__URL", &cluster.openmeter)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the worker starts"),
    );
    for port in &cluster.ports {
        ready(&client, *port).await;
    }

    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..BATCHES)
            .map(|_| batch_body(&distinct_events(BATCH)))
            .collect(),
    );
    let acknowledged = Arc::new(AtomicUsize::new(0));
    // Requests cut after they were sent (not refused at connect), by replica.
    let cut: Arc<Vec<AtomicUsize>> = Arc::new((0..REPLICAS).map(|_| AtomicUsize::new(0)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..3)
        .map(|_| {
            let cut = Arc::clone(&cut);
            let (client, cluster, bodies, acknowledged, next) = (
                client.clone(),
                Arc::clone(&cluster),
                Arc::clone(&bodies),
                Arc::clone(&acknowledged),
                Arc::clone(&next),
            );
            tokio::spawn(async move {
                let mut refused = 0;
                loop {
                    let batch = next.fetch_add(1, Ordering::SeqCst);
                    if batch >= BATCHES {
                        return refused;
                    }
                    let mut replica = batch % REPLICAS;
                    loop {
                        let port = cluster.ports[replica];
                        let answer = client
                            .post(format!("http://127.0.0.1:{port}/v1/webhooks/litellm"))
                            .bearer_auth(&cluster.secret)
                            .header("content-type", "application/json")
                            .body(bodies[batch].clone())
                            .send()
                            .await;
                        match answer {
                            Ok(response) if response.status().as_u16() == 202 => break,
                            Ok(response) => {
                                let status = response.status().as_u16();
                                assert_eq!(status, 503, "only 202 or 503");
                                assert!(response.headers().contains_key("retry-after"));
                                refused += 1;
                            }
                            // The killed or stopped replica: LiteLLM tries again elsewhere.
                            Err(error) => {
                                if !error.is_connect() {
                                    cut[replica].fetch_add(1, Ordering::SeqCst);
                                }
                                refused += 1;
                            }
                        }
                        replica = (replica + 1) % REPLICAS;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    let wait_for = |share: usize| {
        let acknowledged = Arc::clone(&acknowledged);
        async move {
            while acknowledged.load(Ordering::SeqCst) * 100 < BATCHES * share {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    wait_for(40).await;
    // Every row leased now, whoever holds it: more than the killed replica can hold.
    let leased = db
        .count_where(
            "outbox",
            "target = 'openmeter' AND state = 'pending' AND locked_until > now()",
        )
        .await;
    replicas[0].0.kill().expect("SIGKILL");
    let _ = replicas[0].0.wait();
    replicas[0] = cluster.spawn_serve(0);
    wait_for(80).await;
    let stopped = Command::new("kill")
        .args(["-TERM", &replicas[1].0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(stopped.success());
    let port = cluster.ports[1];
    // The signal takes a moment to arrive; then /readyz says 503 for the drain's second.
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let readyz = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .expect("the draining replica still answers");
        if readyz.status().as_u16() == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "never unready after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exit = wait_for_exit(&mut replicas[1].0, Duration::from_secs(40)).await;
    assert_eq!(exit.code(), Some(0), "the SIGTERMed replica exits 0");
    let mut refused = 0;
    for sender in senders {
        refused += sender.await.expect("the load generator does not panic");
    }
    assert_eq!(
        cut[1].load(Ordering::SeqCst),
        0,
        "the SIGTERMed replica answered every request it had taken"
    );
    let events = i64::try_from(BATCHES * BATCH).expect("small");
    assert_eq!(acknowledged.load(Ordering::SeqCst), BATCHES);
    eprintln!("{BATCHES} batches acknowledged; {refused} sends refused or cut and sent again");

    // Stored once each, whatever was sent twice.
    assert_eq!(
        db.count("usage_events").await,
        events,
        "refused and retried: {refused}"
    );
    assert_eq!(
        db.scalar_text("SELECT count(DISTINCT idempotency_key)::text AS value FROM usage_events")
            .await
            .as_deref(),
        Some(events.to_string().as_str())
    );
    // Delivered once each to the embedded meters, the killed replica's leases retaken.
    let checked = Instant::now();
    let deadline = checked + Duration::from_secs(60);
    while db.count_where("outbox", "state = 'pending'").await > 0 {
        assert!(Instant::now() < deadline, "pending rows remain");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "outbox empty {:?} after the counts were checked",
        checked.elapsed()
    );
    assert_eq!(db.count_where("outbox", "state = 'dead'").await, 0);
    assert_eq!(
        db.scalar_text(
            "SELECT sum(requests)::bigint::text AS value FROM usage_rollups \
             WHERE granularity = 'day'"
        )
        .await
        .as_deref(),
        Some(events.to_string().as_str()),
        "each event counted once by the embedded meters"
    );
    // OpenMeter keeps one of each id: every event reached it; a retaken lease may have sent a
    // few twice (OpenMeter deduplicates on the id).
    let stored = openmeter.stored();
    let sent: usize = openmeter.accepted().values().sum();
    eprintln!(
        "OpenMeter stand-in: {} distinct ids, {sent} accepted ({} sent again), {} requests",
        stored.len(),
        sent - stored.len(),
        openmeter.requests()
    );
    assert_eq!(stored.len(), BATCHES * BATCH);
    let again = i64::try_from(sent - stored.len()).expect("small");
    eprintln!("{leased} openmeter rows were leased when the replica was killed");
    assert!(
        again <= leased,
        "{again} ids sent again, more than the {leased} leased at the kill"
    );
    let keys: std::collections::BTreeSet<String> = db
        .texts("SELECT idempotency_key AS value FROM usage_events")
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        stored, keys,
        "the ids OpenMeter has are the stored events' keys"
    );
}
