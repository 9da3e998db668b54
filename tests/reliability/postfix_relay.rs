//! A private Postfix between the portal and the SMTP sink, for a test that stops and starts
//! the mail server: the machine's own Postfix (if any) is never touched. The instance lives in
//! a temporary directory (its own `main.cf`, `master.cf`, queue and data directories), listens
//! on a free port of 127.0.0.1 only, delivers nothing locally and relays everything to
//! `[127.0.0.1]:<sink port>`, retrying a deferred message every second or two. Dropping the
//! guard stops it and removes the directory, also when the test fails.
//!
//! The instance runs as `postfix -c DIR start-fg`, a child of the test: there is no syslog
//! here, and the `postfix` command of a daemonising `start` dies silently when it cannot
//! log; in the foreground it logs to its standard output (`maillog_file = /dev/stdout`),
//! which goes to `DIR/maillog`. Stopping is SIGTERM to that child (the master ends its
//! daemons). Postfix runs its master as root and its daemons as `postfix`; the `postfix
//! check` that `start-fg` runs first creates the queue subdirectories as it wants them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::process::free_port;

/// Longest any `postfix` command may take: a hung one fails the test instead of hanging it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

pub struct PostfixRelay {
    dir: PathBuf,
    port: u16,
    master: Option<Child>,
}

impl PostfixRelay {
    /// Writes a private instance relaying to the sink on `sink_port`, and starts it.
    pub async fn start(sink_port: u16) -> PostfixRelay {
        let dir =
            std::env::temp_dir().join(format!("area-clienti-postfix-{}", Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).expect("create the Postfix directory");
        // From here on, Drop stops the instance and removes the directory whatever happens.
        let mut relay = PostfixRelay {
            dir,
            port: free_port(),
            master: None,
        };
        relay.write_config(sink_port);
        std::fs::create_dir(relay.dir.join("queue")).expect("queue directory");
        std::fs::create_dir(relay.dir.join("data")).expect("data directory");
        run(Command::new("chown")
            .arg("postfix")
            .arg(relay.dir.join("data")));
        relay.start_server().await;
        relay
    }

    /// `smtp://127.0.0.1:PORT`: the portal's `SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the instance and waits until it answers on its port.
    pub async fn start_server(&mut self) {
        assert!(self.master.is_none(), "Postfix is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("maillog"))
            .expect("Postfix log file");
        let child = Command::new("postfix")
            .arg("-c")
            .arg(&self.dir)
            .arg("start-fg")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start postfix");
        self.master = Some(child);
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "Postfix did not listen on {} within {COMMAND_TIMEOUT:?}; its log:\n{}",
                self.port,
                self.log()
            );
            // Bounded poll (the deadline above): this state has no event to wait on.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the instance (its queue stays) and waits until the port refuses connections.
    pub async fn stop_server(&mut self) {
        self.terminate_master();
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_ok()
        {
            assert!(
                Instant::now() < deadline,
                "Postfix still listening after stop"
            );
            // Bounded poll (the deadline above): this state has no event to wait on.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many messages wait in Postfix's queue (files under its queue directories).
    pub fn queued(&self) -> usize {
        ["incoming", "active", "deferred"]
            .iter()
            .map(|queue| files_under(&self.dir.join("queue").join(queue)))
            .sum()
    }

    /// SIGTERM to the master (its pid from `queue/pid/master.pid`: `start-fg` may leave it
    /// running on its own), then waits (bounded) for it to end; SIGKILL if it does not.
    fn terminate_master(&mut self) {
        let pid_file = self.dir.join("queue/pid/master.pid");
        let master_pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok());
        if let Some(pid) = master_pid {
            let pid = pid.to_string();
            let alive = || {
                Command::new("kill")
                    .args(["-0", &pid])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + COMMAND_TIMEOUT;
            while alive() {
                if Instant::now() >= deadline {
                    let _ = Command::new("kill").args(["-KILL", &pid]).status();
                    break;
                }
                // A short bounded poll for the process to end: there is nothing to wait on.
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = std::fs::remove_file(&pid_file);
        }
        if let Some(mut command) = self.master.take() {
            let _ = command.kill();
            let _ = command.wait();
        }
    }

    /// `postqueue -f`: deliver the queue now, dead destinations and throttled transports
    /// included (Postfix otherwise waits for its own timers).
    pub fn flush(&self) {
        run(Command::new("postqueue").arg("-c").arg(&self.dir).arg("-f"));
    }

    /// Postfix's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    fn write_config(&self, sink_port: u16) {
        let dir = self.dir.display();
        let main_cf = format!(
            "compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = /dev/stdout
syslog_name = postfix-area-clienti-test
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = relay.portale.test
mydomain = portale.test
myorigin = portale.test
# Nothing is delivered on this machine: everything goes to the sink.
mydestination =
local_transport = error:local delivery is disabled
alias_maps =
alias_database =
relayhost = [127.0.0.1]:{sink_port}
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_tls_security_level = none
smtpd_tls_security_level = none
# A relay that was down is tried again within seconds, not Postfix's default minutes.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
transport_retry_time = 1s
smtp_connect_timeout = 5s
biff = no
"
        );
        // The daemons a relay needs, none chrooted (no copy of /etc in a jail to keep).
        let master_cf = format!(
            "127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
",
            port = self.port
        );
        std::fs::write(self.dir.join("main.cf"), main_cf).expect("write main.cf");
        std::fs::write(self.dir.join("master.cf"), master_cf).expect("write master.cf");
    }
}

impl Drop for PostfixRelay {
    fn drop(&mut self) {
        self.terminate_master();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                files_under(&entry.path())
            } else {
                1
            }
        })
        .sum()
}

/// Runs `command` to the end, at most [`COMMAND_TIMEOUT`] (through `timeout(1)`).
fn command_output(command: &mut Command) -> std::process::Output {
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    Command::new("timeout")
        .arg("--kill-after=5")
        .arg(COMMAND_TIMEOUT.as_secs().to_string())
        .arg(&program)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("run {program:?}: {e}"))
}

fn run(command: &mut Command) {
    let output = command_output(command);
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
