//! A private PostgreSQL cluster that takes TLS connections only, and the certificates for it.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use uuid::Uuid;

/// A server certificate and its key, PEM.
pub struct ServerCertificate {
    pub cert: String,
    pub key: String,
}

pub struct Certificates {
    ca: String,
    other_ca: String,
    /// For `localhost`, signed by `ca`.
    pub server: ServerCertificate,
    /// For `localhost`, signed by `other_ca`.
    pub other_server: ServerCertificate,
}

fn make_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key")).expect("a CA")
}

fn server(issuer: &CertifiedIssuer<'static, KeyPair>) -> ServerCertificate {
    let key = KeyPair::generate().expect("a key");
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned()]).expect("server parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, issuer).expect("a certificate");
    ServerCertificate {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

impl Certificates {
    pub fn make() -> Self {
        let ca = make_ca("Tollgate test CA");
        let other_ca = make_ca("Another CA");
        Self {
            server: server(&ca),
            other_server: server(&other_ca),
            ca: ca.pem(),
            other_ca: other_ca.pem(),
        }
    }

    /// The CA's certificate written in `dir`; its path.
    pub fn ca_file(&self, dir: &Path) -> String {
        write(dir, "ca.pem", &self.ca)
    }

    pub fn other_ca_file(&self, dir: &Path) -> String {
        write(dir, "other-ca.pem", &self.other_ca)
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("a file");
    path.to_string_lossy().into_owned()
}

/// Debian's server binaries (`initdb`, `pg_ctl`), newest version first.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("Debian's PostgreSQL server is installed (/usr/lib/postgresql)")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("initdb under /usr/lib/postgresql/*/bin")
}

pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

impl Cluster {
    /// initdb, then start on a free port of 127.0.0.1 with TLS on and plain TCP refused.
    pub async fn start(certificate: &ServerCertificate) -> Self {
        let dir = std::env::temp_dir().join(format!("tollgate-tls-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a port")
            .port();
        let cluster = Self {
            dir,
            port,
            bin: bin_dir(),
        };
        cluster.chown();
        cluster.run(&[
            "initdb",
            "-D",
            &cluster.data().to_string_lossy(),
            "--auth=trust",
            "--username=postgres",
            "--no-sync",
        ]);
        std::fs::write(
            cluster.data().join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostssl all all ::1/128 trust\n\
             hostnossl all all 0.0.0.0/0 reject\n",
        )
        .expect("pg_hba.conf");
        cluster.install(certificate);
        cluster.pg_ctl_start().await;
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Stops, puts `certificate` in place, starts again.
    pub async fn restart_with(&mut self, certificate: &ServerCertificate) {
        self.run(&[
            "pg_ctl",
            "-D",
            &self.data().to_string_lossy(),
            "-m",
            "immediate",
            "-w",
            "stop",
        ]);
        self.install(certificate);
        self.pg_ctl_start().await;
    }

    fn install(&self, certificate: &ServerCertificate) {
        let cert = self.data().join("server.crt");
        let key = self.data().join("server.key");
        std::fs::write(&cert, &certificate.cert).expect("the certificate");
        std::fs::write(&key, &certificate.key).expect("the key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .expect("the key is private");
        }
        self.chown();
    }

    async fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off",
            self.port,
            self.dir.display()
        );
        self.run(&[
            "pg_ctl",
            "-D",
            &self.data().to_string_lossy(),
            "-o",
            &options,
            "-l",
            &self.dir.join("server.log").to_string_lossy(),
            "-w",
            "start",
        ]);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the cluster does not listen");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// PostgreSQL refuses to run as root: as root, the cluster belongs to `postgres`.
    fn as_root() -> bool {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| output.stdout.starts_with(b"0\n"))
    }

    fn chown(&self) {
        if Self::as_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&self.dir)
                .status()
                .expect("chown runs");
            assert!(status.success());
        }
    }

    fn run(&self, args: &[&str]) {
        let program = self.bin.join(args[0]);
        let mut command = if Self::as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command
            .args(&args[1..])
            .env_remove("PGDATA")
            .output()
            .expect("the PostgreSQL tool runs");
        assert!(
            output.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data();
        let mut command = if Self::as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let _ = command
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
