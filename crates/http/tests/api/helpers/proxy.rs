//! A TCP proxy in front of PostgreSQL that can simulate an outage: `go_down` cuts every open
//! connection and refuses new ones until `go_up`.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    task::{AbortHandle, JoinHandle},
};

#[derive(Default)]
struct Links {
    down: bool,
    open: Vec<AbortHandle>,
}

pub struct PgProxy {
    pub address: SocketAddr,
    links: Arc<Mutex<Links>>,
    acceptor: JoinHandle<()>,
}

impl PgProxy {
    /// Listens on an ephemeral port of 127.0.0.1 and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy can bind");
        let address = listener.local_addr().expect("proxy has an address");
        let links = Arc::new(Mutex::new(Links::default()));
        let acceptor = tokio::spawn(accept(listener, upstream, Arc::clone(&links)));
        Self {
            address,
            links,
            acceptor,
        }
    }

    /// Closes every forwarded connection; new ones are closed as soon as they are accepted.
    pub fn go_down(&self) {
        let mut links = self.links.lock().expect("proxy lock");
        links.down = true;
        for link in links.open.drain(..) {
            link.abort();
        }
    }

    pub fn go_up(&self) {
        self.links.lock().expect("proxy lock").down = false;
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.go_down();
    }
}

async fn accept(listener: TcpListener, upstream: String, links: Arc<Mutex<Links>>) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let mut links = links.lock().expect("proxy lock");
        if links.down {
            drop(inbound);
            continue;
        }
        links.open.retain(|link| !link.is_finished());
        let upstream = upstream.clone();
        let link = tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
        links.open.push(link.abort_handle());
    }
}
