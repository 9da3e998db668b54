//! A real nginx (Debian's `nginx-light`) in front of the portal, as an operator runs it:
//! its own configuration in a temporary directory (pid, logs and temp paths all inside),
//! listening on a free port of 127.0.0.1, passing every request to the portal with
//! `X-Forwarded-For: $proxy_add_x_forwarded_for`. One process (`master_process off`,
//! `daemon off`), killed and its directory removed when the guard is dropped, also when
//! the test fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Longest wait for nginx to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Nginx {
    /// `http://127.0.0.1:PORT`: where clients connect.
    pub address: String,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// Starts nginx in front of `upstream` (`127.0.0.1:PORT` of the portal) and waits until
    /// it accepts connections.
    pub fn start(upstream: SocketAddr) -> Nginx {
        let binary = nginx_binary();
        let dir =
            std::env::temp_dir().join(format!("area-clienti-nginx-{}", Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).expect("create the nginx directory");
        let port = free_port();
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(&dir, port, upstream)).expect("write nginx.conf");
        let child = Command::new(&binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            // Before the configuration is read, nginx logs to its compiled-in path.
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        // From here on, Drop kills it and removes the directory whatever happens.
        let mut nginx = Nginx {
            address: format!("http://127.0.0.1:{port}"),
            child,
            dir,
        };
        nginx.wait_until_listening(port);
        nginx
    }

    fn wait_until_listening(&mut self, port: u16) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("nginx exited at start ({status}):\n{}", self.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx does not listen on 127.0.0.1:{port} after {START_TIMEOUT:?}:\n{}",
                self.error_log()
            );
            // A bounded poll: nginx gives no readiness signal of its own.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The configuration of a reverse proxy in front of the portal. Body sizes and timeouts are
/// left to the portal (its own limits answer); requests are buffered (nginx's default, so
/// the portal answering a too-large body early is relayed, not a 502), answers are not.
fn config(dir: &Path, port: u16, upstream: SocketAddr) -> String {
    let d = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
    worker_connections 512;
}}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    client_max_body_size 0;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}
}}
"#
    )
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is not installed: apt-get install nginx-light (scripts/test.sh does it)")
}

/// A free port on 127.0.0.1 right now (bound, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}
