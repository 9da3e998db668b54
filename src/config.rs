//! Typed configuration: environment variables (CONTRACT.md §1), each overridable by a CLI
//! flag, validated once at start so a bad value fails fast with the variable's name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use url::Url;

use crate::domain::{Profile, TrustedProxies};
use crate::notify::NotifySettings;

/// Command line of the `area-clienti` binary.
#[derive(Debug, Parser)]
#[command(
    name = "area-clienti",
    version,
    about = "Area Clienti: il portale dei clienti business"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

/// What the binary does (CONTRACT.md §2).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, then serve HTTP and run the notification worker.
    Serve,
    /// Apply migrations and exit.
    Migrate,
    /// Load an idempotent demo company, then serve like `serve`.
    Demo,
    /// Ingest contracts from a JSON Lines file (one `POST /api/v1/contratti` body per line).
    Import {
        /// Path of the JSON Lines file.
        file: PathBuf,
    },
    /// Write a synthetic JSON Lines file of contracts for benchmarks (one company each,
    /// about 10 lines per company, one company with 20,000), to load with `import`.
    GenerateContracts {
        /// Number of companies (one contract each).
        #[arg(long)]
        companies: u32,
        /// Path of the JSON Lines file to write.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the random choices: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Servizio Clienti 191 staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account; the password is read from standard input.
    Add { username: String },
    /// The account can no longer log in; its sessions end.
    Disable { username: String },
    /// Remove the account's second factors; it enrols new ones at its next login.
    ResetFactors { username: String },
}

/// `MFA_REQUIRED_FOR`: stored profile names, comma-separated.
fn parse_profiles(list: &str) -> anyhow::Result<Vec<Profile>> {
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            Profile::parse(name).with_context(|| {
                format!(
                    "MFA_REQUIRED_FOR non valido: {name:?} non è un profilo (rappresentante_legale, amministratore_full, amministratore_light, utilizzatore)"
                )
            })
        })
        .collect()
}

/// Raw settings as given by the environment or flags.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        default_value = "postgres://postgres@localhost:5432/area_clienti"
    )]
    pub database_url: String,
    #[arg(
        long,
        env = "BIND_ADDR",
        global = true,
        default_value = "127.0.0.1:8080"
    )]
    pub bind_addr: String,
    #[arg(
        long,
        env = "PUBLIC_BASE_URL",
        global = true,
        default_value = "http://localhost:8080"
    )]
    pub public_base_url: String,
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    #[arg(
        long,
        env = "MAIL_FROM",
        global = true,
        default_value = "Area Clienti <no-reply@localhost>"
    )]
    pub mail_from: String,
    #[arg(long, env = "SMS_GATEWAY_URL", global = true)]
    pub sms_gateway_url: Option<String>,
    /// `true`: a transport left unset stores its messages in the dev mailbox (`/dev/posta`).
    /// Without it `serve` refuses to start with a transport unset. `demo` sets it.
    #[arg(
        long,
        env = "DEV_MAILBOX",
        global = true,
        default_value_t = false,
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub dev_mailbox: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed: comma-separated addresses or
    /// CIDR networks. Empty: the TCP peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", global = true, default_value = "")]
    pub trusted_proxies: String,
    #[arg(long, env = "SMS_GATEWAY_TOKEN", global = true, hide_env_values = true)]
    pub sms_gateway_token: Option<String>,
    /// How long the SMS gateway may take to answer, in milliseconds; a slower answer is a
    /// temporary failure, retried.
    #[arg(
        long,
        env = "SMS_GATEWAY_TIMEOUT_MS",
        global = true,
        default_value_t = 10_000
    )]
    pub sms_gateway_timeout_ms: u64,
    #[arg(
        long,
        env = "INTERNAL_API_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub internal_api_token: Option<String>,
    /// Profiles that must use a second factor (CONTRACT.md §4b), comma-separated stored
    /// names; empty makes it optional for everyone.
    #[arg(
        long,
        env = "MFA_REQUIRED_FOR",
        global = true,
        default_value = "rappresentante_legale,amministratore_full"
    )]
    pub mfa_required_for: String,
    /// First retry delay of a failed delivery, in milliseconds; doubles at each attempt.
    #[arg(
        long,
        env = "OUTBOX_RETRY_BASE_MS",
        global = true,
        default_value_t = 5_000
    )]
    pub outbox_retry_base_ms: u64,
    /// Seconds a claimed message stays reserved to the worker delivering it (a crashed
    /// worker's messages are retried after this); deliveries are cut off at half of it.
    #[arg(long, env = "OUTBOX_LEASE_SECS", global = true, default_value_t = 120)]
    pub outbox_lease_secs: u64,
    /// Runs of a background job (the work behind a recovery request) before it is dropped.
    /// Messages are not bounded by it: they are retried until their link or code expires.
    #[arg(long, env = "OUTBOX_MAX_ATTEMPTS", global = true, default_value_t = 8)]
    pub outbox_max_attempts: i32,
    /// How long a client may take to send its complete request headers, in milliseconds;
    /// a slower one (a stalled or hostile client) is disconnected.
    #[arg(
        long,
        env = "HTTP_HEADER_READ_TIMEOUT_MS",
        global = true,
        default_value_t = 10_000
    )]
    pub http_header_read_timeout_ms: u64,
    /// Seconds between two deletions of expired sessions.
    #[arg(
        long,
        env = "SESSION_CLEANUP_INTERVAL_SECS",
        global = true,
        default_value_t = 300
    )]
    pub session_cleanup_interval_secs: u64,
    /// Days a closed company's personal data is kept before the worker erases it.
    #[arg(long, env = "RETENTION_DAYS", global = true, default_value_t = 365)]
    pub retention_days: u32,
    /// Days between two access reviews asked of the legal representative.
    #[arg(long, env = "ACCESS_REVIEW_DAYS", global = true, default_value_t = 90)]
    pub access_review_days: u32,
    /// Requests a minute one client address may make to the pages (a burst of as many is
    /// allowed); more are answered 429. 0 turns the cap off. Behind a reverse proxy it needs
    /// `TRUSTED_PROXIES`, or every client shares the proxy's address.
    #[arg(
        long,
        env = "CLIENT_REQUESTS_PER_MINUTE",
        global = true,
        default_value_t = 600
    )]
    pub client_requests_per_minute: u32,
    /// Whether `run_until` starts the outbox worker beside the server. Always on for the
    /// binary; in-process tests turn it off and run the pending work themselves.
    #[arg(skip = true)]
    pub background_worker: bool,
}

/// Validated configuration used by the application.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind_addr: SocketAddr,
    pub public_base_url: Url,
    pub internal_api_token: Option<SecretString>,
    pub notify: NotifySettings,
    /// See [`Settings::background_worker`].
    pub background_worker: bool,
    /// Profiles that cannot reach a page without a second factor.
    pub mfa_required_for: Vec<Profile>,
    /// Whose `X-Forwarded-For` names the client (`web::kit::client`).
    pub trusted_proxies: TrustedProxies,
    /// See [`Settings::http_header_read_timeout_ms`].
    pub header_read_timeout: Duration,
    /// See [`Settings::session_cleanup_interval_secs`].
    pub session_cleanup_interval: Duration,
    /// `RETENTION_DAYS`, on the portal's clock.
    pub retention: time::Duration,
    /// `ACCESS_REVIEW_DAYS`, on the portal's clock.
    pub access_review_interval: time::Duration,
    /// See [`Settings::client_requests_per_minute`].
    pub client_requests_per_minute: u32,
}

impl Config {
    /// Parses and checks every setting, naming the variable at fault.
    pub fn from_settings(s: &Settings) -> anyhow::Result<Config> {
        let bind_addr = s
            .bind_addr
            .parse()
            .with_context(|| format!("BIND_ADDR non valido: {:?}", s.bind_addr))?;
        let public_base_url = parse_base_url(&s.public_base_url)?;
        crate::db::targets::Targets::parse(&s.database_url)?;
        let sms_gateway_url = s
            .sms_gateway_url
            .as_deref()
            .map(|u| Url::parse(u).with_context(|| format!("SMS_GATEWAY_URL non valido: {u:?}")))
            .transpose()?;
        if s.outbox_lease_secs < 2 {
            bail!("OUTBOX_LEASE_SECS deve essere almeno 2");
        }
        if s.sms_gateway_timeout_ms < 1 {
            bail!("SMS_GATEWAY_TIMEOUT_MS deve essere almeno 1");
        }
        if s.outbox_max_attempts < 1 {
            bail!("OUTBOX_MAX_ATTEMPTS deve essere almeno 1");
        }
        let trusted_proxies = TrustedProxies::parse(&s.trusted_proxies).map_err(|entry| {
            anyhow::anyhow!(
                "TRUSTED_PROXIES non valido: {entry:?} non è un indirizzo IP né una rete CIDR (ad esempio 127.0.0.1, 10.0.0.0/8, ::1)"
            )
        })?;
        if s.http_header_read_timeout_ms < 1 {
            bail!("HTTP_HEADER_READ_TIMEOUT_MS deve essere almeno 1");
        }
        if s.session_cleanup_interval_secs < 1 {
            bail!("SESSION_CLEANUP_INTERVAL_SECS deve essere almeno 1");
        }
        if s.retention_days < 1 {
            bail!("RETENTION_DAYS deve essere almeno 1");
        }
        if s.access_review_days < 1 {
            bail!("ACCESS_REVIEW_DAYS deve essere almeno 1");
        }
        let secret = |v: &Option<String>| {
            v.as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| SecretString::from(t.to_owned()))
        };
        Ok(Config {
            database_url: s.database_url.clone(),
            bind_addr,
            public_base_url,
            internal_api_token: secret(&s.internal_api_token),
            notify: NotifySettings {
                smtp_url: secret(&s.smtp_url),
                mail_from: s.mail_from.clone(),
                sms_gateway_url,
                sms_gateway_token: secret(&s.sms_gateway_token),
                sms_timeout: Duration::from_millis(s.sms_gateway_timeout_ms),
                retry_base: Duration::from_millis(s.outbox_retry_base_ms),
                max_attempts: s.outbox_max_attempts,
                lease: Duration::from_secs(s.outbox_lease_secs),
                dev_mailbox: s.dev_mailbox,
            },
            background_worker: s.background_worker,
            mfa_required_for: parse_profiles(&s.mfa_required_for)?,
            trusted_proxies,
            header_read_timeout: Duration::from_millis(s.http_header_read_timeout_ms),
            session_cleanup_interval: Duration::from_secs(s.session_cleanup_interval_secs),
            retention: time::Duration::days(i64::from(s.retention_days)),
            access_review_interval: time::Duration::days(i64::from(s.access_review_days)),
            client_requests_per_minute: s.client_requests_per_minute,
        })
    }

    /// Whether users of `profile` must use a second factor.
    pub fn mfa_required(&self, profile: Profile) -> bool {
        self.mfa_required_for.contains(&profile)
    }

    /// Cookies get `Secure` (and the `__Host-` prefix) only when the portal is served over https.
    pub fn is_https(&self) -> bool {
        self.public_base_url.scheme() == "https"
    }

    /// Absolute link for a path, e.g. `/attivazione/{token}`.
    pub fn link(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.public_base_url.as_str().trim_end_matches('/'),
            path
        )
    }
}

fn parse_base_url(raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw).with_context(|| format!("PUBLIC_BASE_URL non valido: {raw:?}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        bail!(
            "PUBLIC_BASE_URL deve essere un indirizzo http(s) completo, ad esempio https://area-clienti.example.it"
        );
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Cli::try_parse_from(["area-clienti", "serve"])
            .unwrap()
            .settings
    }

    #[test]
    fn defaults_are_the_contract_ones() {
        let config = Config::from_settings(&settings()).unwrap();
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8080");
        assert!(!config.is_https());
        assert!(
            config.background_worker,
            "the binary always runs the worker"
        );
        assert_eq!(config.link("/accedi"), "http://localhost:8080/accedi");
        assert_eq!(
            config.mfa_required_for,
            [Profile::LegalRepresentative, Profile::AdminFull]
        );
        assert_eq!(config.retention, time::Duration::days(365));
        assert_eq!(config.access_review_interval, time::Duration::days(90));
    }

    #[test]
    fn mfa_required_for_takes_stored_profile_names_or_nothing() {
        let mut s = settings();
        s.mfa_required_for = " utilizzatore , amministratore_light".into();
        let config = Config::from_settings(&s).unwrap();
        assert!(config.mfa_required(Profile::User) && !config.mfa_required(Profile::AdminFull));
        s.mfa_required_for = String::new();
        assert!(
            Config::from_settings(&s)
                .unwrap()
                .mfa_required_for
                .is_empty()
        );
        s.mfa_required_for = "amministratore".into();
        let err = Config::from_settings(&s).unwrap_err().to_string();
        assert!(err.contains("MFA_REQUIRED_FOR"), "{err}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let mut s = settings();
        s.public_base_url = "ftp://x".into();
        let err = Config::from_settings(&s).unwrap_err().to_string();
        assert!(err.contains("PUBLIC_BASE_URL"), "{err}");
        let mut s = settings();
        s.bind_addr = "nowhere".into();
        assert!(
            Config::from_settings(&s)
                .unwrap_err()
                .to_string()
                .contains("BIND_ADDR")
        );
        let mut s = settings();
        s.database_url = "postgres://app:s3cret@db1:5432,db2:0/area_clienti".into();
        let err = format!("{:#}", Config::from_settings(&s).unwrap_err());
        assert!(
            err.contains("DATABASE_URL") && !err.contains("s3cret"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_are_parsed_at_start_and_a_bad_entry_is_named() {
        assert!(
            Config::from_settings(&settings())
                .unwrap()
                .trusted_proxies
                .is_empty()
        );
        let mut s = settings();
        s.trusted_proxies = "127.0.0.1, 10.0.0.0/8".into();
        let trusted = Config::from_settings(&s).unwrap().trusted_proxies;
        assert!(trusted.contains("10.1.2.3".parse().unwrap()));
        s.trusted_proxies = "127.0.0.1, proxy.interno".into();
        let err = Config::from_settings(&s).unwrap_err().to_string();
        assert!(
            err.contains("TRUSTED_PROXIES") && err.contains("proxy.interno"),
            "{err}"
        );
    }

    #[test]
    fn a_transport_left_unset_is_refused_unless_dev_mailbox_is_true() {
        let parsed = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            Config::from_settings(&cli.settings).unwrap().notify
        };
        let neither = parsed(&["area-clienti", "serve"]);
        assert!(!neither.dev_mailbox, "off by default");
        let err = neither.check_transports().unwrap_err().to_string();
        assert!(
            err.contains("SMTP_URL e SMS_GATEWAY_URL") && err.contains("DEV_MAILBOX"),
            "{err}"
        );
        let sms_only = parsed(&[
            "area-clienti",
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "serve",
        ]);
        let err = sms_only.check_transports().unwrap_err().to_string();
        assert!(err.starts_with("SMS_GATEWAY_URL non impostato"), "{err}");
        let both = parsed(&[
            "area-clienti",
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--sms-gateway-url",
            "http://127.0.0.1:9000/sms",
            "serve",
        ]);
        assert!(both.check_transports().is_ok());
        let dev = parsed(&["area-clienti", "--dev-mailbox", "true", "serve"]);
        assert!(dev.dev_mailbox && dev.check_transports().is_ok());
    }

    #[test]
    fn empty_token_means_api_disabled() {
        let mut s = settings();
        s.internal_api_token = Some(String::new());
        assert!(
            Config::from_settings(&s)
                .unwrap()
                .internal_api_token
                .is_none()
        );
    }
}
