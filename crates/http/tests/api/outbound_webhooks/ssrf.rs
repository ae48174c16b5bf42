//! Without `allow_private_targets`, nothing inside the network is reached: not at creation,
//! not at send time, not when a name that was public when saved points inside later.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;
use tollgate_adapters::{
    outbound_webhooks::HttpWebhookSender,
    postgres::{
        PgWebhookDeliveryQueue, PgWebhookEndpointStore, outbound_webhooks::sealing::SecretSealer,
    },
};
use tollgate_application::{
    PortError,
    ports::{AuditContext, HostResolver, SystemClock},
    services::outbound_webhooks::{
        EndpointRequest, OutboundWebhookService,
        worker::{WebhookWorker, WebhookWorkerSettings},
    },
};
use tollgate_domain::organization::OrganizationId;

use super::{ENDPOINTS, owner, receiver::Receiver, wait_attempts};
use crate::{
    helpers::TestApp,
    identity::support::{call, expect_error, expect_status, org_id, pool, send},
};

async fn spawn_public_only() -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.outbound_webhooks.idle_poll_ms = 50;
        settings.billing.close_every_secs = 0;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_when_saved_and_when_sent() {
    let app = spawn_public_only().await;
    let owner = owner(&app).await;
    for url in [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "http://93.184.216.34/hook",
    ] {
        let request = call(&app, Method::POST, ENDPOINTS, &owner).json(&json!({ "url": url }));
        let (_, body) = expect_status(send(request).await, 422).await;
        assert_eq!(body["error"]["code"], "unsafe_url", "{url}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("public") || m.contains("https")),
            "{body}"
        );
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);

    // An endpoint saved with a public address, pointed inside afterwards (as an operator with
    // database access, or a bug, could): the worker refuses at send time.
    let receiver = Receiver::start(vec![]).await;
    let request = call(&app, Method::POST, ENDPOINTS, &owner)
        .json(&json!({ "url": "https://93.184.216.34/hook" }));
    let (_, created) = expect_status(send(request).await, 201).await;
    let id = created["id"].as_str().expect("an id").to_owned();
    for target in [
        format!("https://127.0.0.1:{}/hook", receiver.port),
        "https://10.0.0.1/hook".to_owned(),
        format!("https://[::1]:{}/hook", receiver.port),
    ] {
        app.texts(&format!(
            "WITH u AS (UPDATE webhook_endpoints SET url = '{target}' RETURNING 1)
             SELECT NULL::text AS value FROM u"
        ))
        .await;
        let path = format!("{ENDPOINTS}/{id}/test");
        let (_, queued) =
            expect_status(send(call(&app, Method::POST, &path, &owner)).await, 202).await;
        let message = queued["message_id"].as_str().expect("a message").to_owned();
        wait_attempts(&app, &message, 1, Duration::from_secs(10)).await;
        let error = app
            .scalar_text(&format!(
                "SELECT a.error AS value FROM webhook_attempts a
                 JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.message_id = '{message}'"
            ))
            .await
            .expect("the refusal is recorded");
        assert!(error.contains("not public"), "{target}: {error}");
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    let other = format!("{ENDPOINTS}/{id}");
    expect_error(
        send(
            call(&app, Method::PATCH, &other, &owner).json(&json!({ "url": "https://[fd00::1]/" })),
        )
        .await,
        422,
        "unsafe_url",
    )
    .await;
}

/// Answers a public address the first `public_for` times, then loopback: DNS rebinding.
struct Rebinding {
    asked: AtomicUsize,
    public_for: usize,
}

#[async_trait]
impl HostResolver for Rebinding {
    async fn resolve(&self, _: &str, _: u16) -> Result<Vec<IpAddr>, PortError> {
        let asked = self.asked.fetch_add(1, Ordering::SeqCst);
        let ip = if asked < self.public_for {
            "93.184.216.34"
        } else {
            "127.0.0.1"
        };
        Ok(vec![ip.parse().expect("an address")])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_public_when_saved_and_private_when_sent_is_refused() {
    // The app's own worker stays off: this test drives one with the rebinding resolver.
    let app = TestApp::spawn_with(|settings| {
        settings.delivery.run_in_server = false;
        settings.billing.close_every_secs = 0;
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    let pool = pool(&app);
    let sealer = Arc::new(SecretSealer::new(&[9; 32]).expect("a key"));
    let resolver = Arc::new(Rebinding {
        asked: AtomicUsize::new(0),
        public_for: 1,
    });
    let service = OutboundWebhookService::new(
        Arc::new(PgWebhookEndpointStore::new(
            pool.clone(),
            Arc::clone(&sealer),
        )),
        resolver.clone(),
        Arc::new(SystemClock),
        false,
    );
    let organization = OrganizationId::from_uuid(org_id(&app, "default").await);
    let url = format!("https://rebind.example:{}/hook", receiver.port);
    let (endpoint, _) = service
        .create(
            organization,
            EndpointRequest {
                url,
                description: String::new(),
                event_types: Vec::new(),
            },
            &AuditContext::default(),
        )
        .await
        .expect("public when saved");
    let message = service
        .send_test(organization, endpoint.id)
        .await
        .expect("queued")
        .expect("the endpoint exists");
    let worker = WebhookWorker::new(
        Arc::new(PgWebhookDeliveryQueue::new(pool, sealer)),
        Arc::new(HttpWebhookSender::new(resolver.clone(), false)),
        Arc::new(SystemClock),
    );
    let settings = WebhookWorkerSettings {
        lease: Duration::from_secs(60),
        idle_poll: Duration::from_millis(10),
        batch: 10,
    };
    assert_eq!(worker.run_once(&settings).await.expect("a round"), 1);
    assert_eq!(
        resolver.asked.load(Ordering::SeqCst),
        2,
        "resolved again at send time"
    );
    let error = app
        .scalar_text(&format!(
            "SELECT a.error AS value FROM webhook_attempts a
             JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.message_id = '{message}'"
        ))
        .await
        .expect("the refusal is recorded");
    assert!(error.contains("non-public address (127.0.0.1)"), "{error}");
    assert!(receiver.received().is_empty());
}
