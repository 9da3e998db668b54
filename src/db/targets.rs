//! `DATABASE_URL` in libpq's multi-host form (CONTRACT.md §1):
//! `postgres://user:pass@h1:5432,h2:5433/db?target_session_attrs=read-write`.
//!
//! sqlx parses one host only, so the host list is split here into one single-host URL per
//! host, each keeping the user, password, database and the other parameters as written.
//! A URL with one host is passed on exactly as given (only `target_session_attrs` is taken
//! out, which sqlx would log as unknown).

use anyhow::{Context, bail};

/// More hosts than any replicated setup has; a longer list is a mistake in the variable.
const MAX_HOSTS: usize = 16;
const PARAMETER: &str = "target_session_attrs";

/// The servers `DATABASE_URL` names, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// One single-host URL per host, in the order written.
    urls: Vec<String>,
    /// `host:port` of each, for logs.
    names: Vec<String>,
    /// Connections are accepted only on a server that accepts writes: always with several
    /// hosts (the portal writes), and with one host when `target_session_attrs` asks for it.
    writable_only: bool,
    /// The URL as given with its password hidden, for logs and messages.
    redacted: String,
}

impl Targets {
    /// Parses `DATABASE_URL`; the error says what is wrong without repeating the password.
    pub fn parse(url: &str) -> anyhow::Result<Targets> {
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!("DATABASE_URL deve iniziare con postgres:// (o postgresql://)");
        };
        if !matches!(scheme, "postgres" | "postgresql") {
            bail!("DATABASE_URL deve iniziare con postgres:// (o postgresql://)");
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        // The password may contain '@' only percent-encoded, but take the last '@' as
        // libpq does.
        let (userinfo, host_list) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(userinfo), hosts),
            None => (None, authority),
        };
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail, None),
        };
        let mut writable_only = false;
        let mut kept_parameters = Vec::new();
        let mut parameter_given = false;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key != PARAMETER {
                kept_parameters.push(pair);
                continue;
            }
            parameter_given = true;
            writable_only = match value {
                "read-write" | "primary" => true,
                "any" => false,
                other => bail!(
                    "DATABASE_URL: target_session_attrs={other:?} non è ammesso: il portale scrive, \
                     usa read-write (o togli il parametro)"
                ),
            };
        }
        let hosts: Vec<&str> = host_list.split(',').collect();
        if hosts.len() > MAX_HOSTS {
            bail!("DATABASE_URL nomina più di {MAX_HOSTS} server");
        }
        let credentials = userinfo.map_or(String::new(), |u| format!("{u}@"));
        let redacted_credentials = userinfo.map_or(String::new(), |u| match u.split_once(':') {
            Some((user, _)) => format!("{user}:***@"),
            None => format!("{u}@"),
        });
        let redacted = format!("{scheme}://{redacted_credentials}{host_list}{tail}");
        let query = match kept_parameters.is_empty() {
            true => String::new(),
            false => format!("?{}", kept_parameters.join("&")),
        };

        if hosts.len() == 1 {
            let url = match parameter_given {
                false => url.to_owned(), // exactly as given
                true => format!("{scheme}://{credentials}{host_list}{path}{query}"),
            };
            return Ok(Targets {
                names: vec![host_name(host_list)],
                urls: vec![url],
                writable_only,
                redacted,
            });
        }

        if kept_parameters
            .iter()
            .any(|p| matches!(p.split('=').next(), Some("host" | "hostaddr" | "port")))
        {
            bail!(
                "DATABASE_URL con più server: indica host e porte solo prima del database, non nei parametri"
            );
        }
        let mut urls = Vec::with_capacity(hosts.len());
        let mut names = Vec::with_capacity(hosts.len());
        for host in hosts {
            check_host(host)
                .with_context(|| format!("DATABASE_URL: server {host:?} non valido"))?;
            urls.push(format!("{scheme}://{credentials}{host}{path}{query}"));
            names.push(host_name(host));
        }
        Ok(Targets {
            urls,
            names,
            writable_only: true,
            redacted,
        })
    }

    pub fn len(&self) -> usize {
        self.urls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// The single-host URL of host `index` (as sqlx parses it).
    pub fn url(&self, index: usize) -> &str {
        &self.urls[index]
    }

    /// `host:port` of host `index`, for logs.
    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// Whether a read-only server (a standby, a demoted primary) must be refused.
    pub fn writable_only(&self) -> bool {
        self.writable_only
    }

    /// The URL as given, password hidden.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

/// A host of a list: `name`, `name:port` or `[v6]:port`, never empty.
fn check_host(host: &str) -> anyhow::Result<()> {
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => {
            let (address, after) = v6.split_once(']').context("manca la ]")?;
            if address.is_empty() {
                bail!("indirizzo vuoto");
            }
            (address, after.strip_prefix(':'))
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    if name.is_empty() {
        bail!("nome vuoto");
    }
    if let Some(port) = port {
        port.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .context("porta non valida")?;
    }
    Ok(())
}

fn host_name(host: &str) -> String {
    match host {
        "" => "localhost".to_owned(),
        h if h.ends_with(']') || !h.contains(':') => format!("{h}:5432"),
        h => h.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_host_url_is_passed_on_exactly_as_given() {
        for url in [
            "postgres://postgres@localhost:5432/area_clienti",
            "postgresql://u:p%40ss@db.example.it/ac?sslmode=require",
            "postgres:///ac",
        ] {
            let targets = Targets::parse(url).unwrap();
            assert_eq!((targets.len(), targets.url(0)), (1, url));
            assert!(!targets.writable_only());
        }
    }

    #[test]
    fn several_hosts_become_one_url_each_keeping_user_database_and_parameters() {
        let targets = Targets::parse(
            "postgres://app:s3cret@h1:5432,h2:5433,[::1]:5434,h4/area_clienti?sslmode=require&target_session_attrs=read-write&application_name=ac",
        )
        .unwrap();
        assert_eq!(targets.len(), 4);
        assert_eq!(
            targets.url(1),
            "postgres://app:s3cret@h2:5433/area_clienti?sslmode=require&application_name=ac"
        );
        assert_eq!(
            targets.url(2),
            "postgres://app:s3cret@[::1]:5434/area_clienti?sslmode=require&application_name=ac"
        );
        assert_eq!(
            (targets.name(0), targets.name(2), targets.name(3)),
            ("h1:5432", "[::1]:5434", "h4:5432")
        );
        assert!(targets.writable_only(), "several hosts: only the primary");
        for url in &targets.urls {
            sqlx::postgres::PgConnectOptions::from_str(url).expect("sqlx parses each");
        }
    }

    #[test]
    fn several_hosts_always_look_for_the_writable_one_even_without_the_parameter() {
        let targets = Targets::parse("postgres://u@h1,h2/db").unwrap();
        assert!(targets.writable_only());
        assert_eq!(targets.url(0), "postgres://u@h1/db");
    }

    #[test]
    fn read_write_on_one_host_is_honoured_and_taken_out_of_the_url() {
        let targets =
            Targets::parse("postgres://u@h1:5432/db?target_session_attrs=read-write").unwrap();
        assert_eq!(targets.url(0), "postgres://u@h1:5432/db");
        assert!(targets.writable_only());
        let any =
            Targets::parse("postgres://u@h1/db?sslmode=disable&target_session_attrs=any").unwrap();
        assert_eq!(any.url(0), "postgres://u@h1/db?sslmode=disable");
        assert!(!any.writable_only());
    }

    #[test]
    fn the_password_never_appears_in_the_redacted_form() {
        let targets = Targets::parse("postgres://app:s3cret@h1:5432,h2:5433/db").unwrap();
        assert_eq!(targets.redacted(), "postgres://app:***@h1:5432,h2:5433/db");
        let error = Targets::parse("postgres://app:s3cret@h1:99999,h2/db")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("s3cret"), "{error}");
    }

    #[test]
    fn malformed_lists_and_session_attributes_a_writer_cannot_use_are_refused() {
        for bad in [
            "mysql://u@h1/db",
            "h1:5432/db",
            "postgres://u@h1,,h2/db",
            "postgres://u@h1:0,h2/db",
            "postgres://u@h1:port,h2/db",
            "postgres://u@h1,[::1/db",
            "postgres://u@h1,h2/db?port=5433",
            "postgres://u@h1/db?target_session_attrs=read-only",
            "postgres://u@h1,h2/db?target_session_attrs=standby",
        ] {
            assert!(Targets::parse(bad).is_err(), "{bad} accepted");
        }
        let many = (0..=MAX_HOSTS)
            .map(|i| format!("h{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(Targets::parse(&format!("postgres://u@{many}/db")).is_err());
    }

    use std::str::FromStr;
}
