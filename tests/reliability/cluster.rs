//! A private PostgreSQL cluster for a test that stops and starts the database server: the
//! shared server at 127.0.0.1:5432 is never touched. The cluster lives in a temporary
//! directory, listens on a free port of 127.0.0.1 (and a socket in that directory) with
//! trust authentication, and is stopped and deleted when the guard is dropped, also when
//! the test fails.
//!
//! [`PrivateCluster::standby_of`] makes a streaming standby of such a cluster
//! (`pg_basebackup -R`), for the failover tests.
//!
//! PostgreSQL refuses to run as root: when the tests run as root, its programs run as the
//! `postgres` user through `runuser`, and the directory belongs to that user.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use uuid::Uuid;

use crate::process::free_port;

pub struct PrivateCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
    /// `-c` settings added at every start (a standby's `primary_conninfo`).
    extra_options: std::sync::Mutex<String>,
}

impl PrivateCluster {
    /// Creates the cluster (`initdb`) and starts it (`pg_ctl start`, waiting until ready).
    /// Its default `pg_hba.conf` lets 127.0.0.1 replicate, so it can have standbys.
    pub fn start() -> PrivateCluster {
        let cluster = PrivateCluster::empty();
        let data = cluster.data_dir();
        cluster.pg(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
                "-N",
            ],
        );
        cluster.start_server();
        cluster
    }

    /// A streaming standby of `primary` (`pg_basebackup -R`: standby.signal and
    /// primary_conninfo), started on its own port and ready for read-only connections.
    pub fn standby_of(primary: &PrivateCluster) -> PrivateCluster {
        let standby = PrivateCluster::empty();
        let port = primary.port.to_string();
        standby.pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &standby.data_dir(),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        standby.start_server();
        standby
    }

    /// A directory of its own and a port, nothing in it yet.
    fn empty() -> PrivateCluster {
        let bin = server_bin_dir();
        let dir = std::env::temp_dir().join(format!("area-clienti-pg-{}", Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).expect("create the cluster directory");
        // From here on, Drop removes the directory whatever happens.
        let cluster = PrivateCluster {
            dir,
            bin,
            port: free_port(),
            as_postgres_user: running_as_root(),
            extra_options: std::sync::Mutex::new(String::new()),
        };
        if cluster.as_postgres_user {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(&cluster.dir));
        }
        cluster
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Promotes a standby to primary and waits until it accepts writes.
    pub fn promote(&self) {
        self.pg(
            "pg_ctl",
            &["-D", &self.data_dir(), "-w", "-t", "60", "promote"],
        );
    }

    /// Starts this stopped former primary again as a standby of `new_primary`, the way an
    /// administrator brings a demoted primary back after a clean switchover: it follows
    /// the new timeline and accepts only read-only connections.
    pub fn start_as_standby_of(&self, new_primary: &PrivateCluster) {
        let signal = self.dir.join("data").join("standby.signal");
        std::fs::write(&signal, "").expect("write standby.signal");
        if self.as_postgres_user {
            run(Command::new("chown").arg("postgres:postgres").arg(&signal));
        }
        *self
            .extra_options
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = format!(
            " -c \"primary_conninfo=host=127.0.0.1 port={} user=postgres\"",
            new_primary.port
        );
        self.start_server();
    }

    /// `postgres://postgres@127.0.0.1:PORT`, without a database.
    pub fn server_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off{}",
            self.port,
            self.dir.display(),
            self.extra_options
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        );
        let log = self.dir.join("server.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir(),
                "-l",
                &log.display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server the way an administrator restarting it does (`-m fast`: clients
    /// are disconnected, open transactions rolled back) and waits until it is down.
    pub fn stop_server(&self) {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir(),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "stop",
            ],
        );
    }

    fn data_dir(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// Runs a PostgreSQL program, as `postgres` when the tests run as root; panics with its
    /// output when it fails.
    fn pg(&self, program: &str, args: &[&str]) -> Output {
        run(&mut self.command(program, args))
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        // Not the test's working directory, which `postgres` may not be allowed to enter.
        command.args(args).current_dir(&self.dir);
        command
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        // Immediate: nothing here needs to survive, and it cannot hang on clients.
        let _ = self
            .command(
                "pg_ctl",
                &[
                    "-D",
                    &self.data_dir(),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "30",
                    "stop",
                ],
            )
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The directory of `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/N/bin` (Debian
/// and Ubuntu), else what `pg_config --bindir` says.
fn server_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|dir| Path::new(dir).join("initdb").exists());
    from_pg_config.expect(
        "no PostgreSQL server programs (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin \
         or pg_config --bindir: install the PostgreSQL server package",
    )
}
