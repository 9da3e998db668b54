//! The client's address: what every per-client limit (login throttle, recovery and resend
//! caps) keys on, and what the audit, the session list and "Nuovo accesso" show.
//!
//! It is the TCP peer, unless the peer is a trusted reverse proxy (`TRUSTED_PROXIES`):
//! then `X-Forwarded-For` is read from the right, since each proxy appends the address it
//! saw, and only the entries our own proxies wrote can be believed. The client is the
//! rightmost hop that is not a trusted proxy; everything to its left was written by the
//! client itself and may be forged.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;

use crate::domain::TrustedProxies;
use crate::web::AppState;

/// Hops read from the right before giving up: a longer chain of trusted proxies is a
/// misconfiguration (or a forged header), and the peer is then the safer answer.
const MAX_HOPS: usize = 16;

/// The client's address as resolved above, when the server knows the peer.
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| {
            resolve(
                ci.0.ip(),
                parts.headers.get_all("x-forwarded-for"),
                &state.config.trusted_proxies,
            )
            .to_string()
        });
        Ok(ClientAddr(addr))
    }
}

/// The client of a request that came from `peer` with these `X-Forwarded-For` headers (in
/// the order received; several headers count as one list). Without a trusted peer the
/// header is never read; a header that cannot be read back to an untrusted hop gives the
/// peer.
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a HeaderValue>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let mut hops = Vec::new();
    for value in forwarded_for {
        let Ok(text) = value.to_str() else {
            tracing::debug!("X-Forwarded-For is not ASCII: using the proxy's address");
            return peer;
        };
        hops.extend(text.split(',').map(str::trim).filter(|hop| !hop.is_empty()));
    }
    let mut leftmost_trusted = None;
    for hop in hops.iter().rev().take(MAX_HOPS) {
        let Some(addr) = parse_hop(hop) else {
            tracing::debug!(
                "X-Forwarded-For has an entry that is not an address: using the proxy's address"
            );
            return peer;
        };
        if !trusted.contains(addr) {
            return addr;
        }
        leftmost_trusted = Some(addr);
    }
    match leftmost_trusted {
        // Every hop is one of ours (e.g. a health check from the proxy host itself).
        Some(addr) if hops.len() <= MAX_HOPS => addr,
        _ => peer,
    }
}

/// One entry: an address, possibly with a port (`198.51.100.7:4711`, `[2001:db8::1]:4711`)
/// or in brackets (`[2001:db8::1]`), as some proxies write them.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let addr = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })?;
    Some(addr.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(peer: &str, headers: &[&str], trusted: &str) -> String {
        let values: Vec<HeaderValue> = headers
            .iter()
            .map(|h| HeaderValue::from_bytes(h.as_bytes()).unwrap())
            .collect();
        resolve(
            peer.parse().unwrap(),
            &values,
            &TrustedProxies::parse(trusted).unwrap(),
        )
        .to_string()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(client("198.51.100.7", &["203.0.113.9"], ""), "198.51.100.7");
        assert_eq!(
            client("198.51.100.7", &["203.0.113.9"], "127.0.0.1,10.0.0.0/8"),
            "198.51.100.7"
        );
        assert_eq!(client("::1", &["203.0.113.9"], "127.0.0.1"), "::1");
    }

    #[test]
    fn behind_one_proxy_the_last_hop_is_the_client_and_forged_hops_to_its_left_are_ignored() {
        assert_eq!(
            client("127.0.0.1", &["203.0.113.9"], "127.0.0.1"),
            "203.0.113.9"
        );
        assert_eq!(
            client("127.0.0.1", &["10.9.9.9, 1.1.1.1,203.0.113.9"], "127.0.0.1"),
            "203.0.113.9"
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_from_the_right() {
        assert_eq!(
            client(
                "10.0.0.2",
                &["192.0.2.1, 203.0.113.9, 10.0.0.7, 10.0.0.3"],
                "10.0.0.0/8"
            ),
            "203.0.113.9"
        );
    }

    #[test]
    fn several_headers_are_one_list_in_order() {
        assert_eq!(
            client(
                "10.0.0.2",
                &["192.0.2.1", "203.0.113.9, 10.0.0.3"],
                "10.0.0.0/8"
            ),
            "203.0.113.9"
        );
        assert_eq!(
            client(
                "10.0.0.2",
                &["203.0.113.9, 10.0.0.3", "192.0.2.1"],
                "10.0.0.0/8"
            ),
            "192.0.2.1"
        );
    }

    #[test]
    fn ipv6_hops_with_ports_or_brackets_and_ipv4_mapped_peers() {
        let trusted = "::1, 2001:db8:1::/48, 127.0.0.1";
        assert_eq!(client("::1", &["2001:db8:2::5"], trusted), "2001:db8:2::5");
        assert_eq!(
            client(
                "2001:db8:1::1",
                &["[2001:db8:2::5]:4711, 2001:db8:1::9"],
                trusted
            ),
            "2001:db8:2::5"
        );
        assert_eq!(
            client("::1", &["[2001:db8:2::5]"], trusted),
            "2001:db8:2::5"
        );
        assert_eq!(
            client("::1", &["198.51.100.7:4711"], trusted),
            "198.51.100.7"
        );
        assert_eq!(
            client("::ffff:127.0.0.1", &["::ffff:198.51.100.7"], trusted),
            "198.51.100.7",
            "IPv4 seen through a dual-stack socket is IPv4"
        );
    }

    #[test]
    fn all_hops_trusted_gives_the_leftmost() {
        assert_eq!(
            client("10.0.0.2", &["10.0.0.5, 10.0.0.3"], "10.0.0.0/8"),
            "10.0.0.5"
        );
    }

    #[test]
    fn no_header_or_an_empty_one_gives_the_peer() {
        assert_eq!(client("127.0.0.1", &[], "127.0.0.1"), "127.0.0.1");
        assert_eq!(client("127.0.0.1", &["", " , "], "127.0.0.1"), "127.0.0.1");
    }

    #[test]
    fn garbage_where_an_address_must_be_gives_the_peer() {
        for garbage in [
            "unknown",
            "203.0.113.9; DROP TABLE",
            "203.0.113.256",
            "<script>",
            "203.0.113.9 10.0.0.1",
            "2001:db8::zz",
        ] {
            assert_eq!(
                client("127.0.0.1", &[garbage], "127.0.0.1"),
                "127.0.0.1",
                "{garbage}"
            );
        }
        assert_eq!(
            client("127.0.0.1", &["\u{e8}"], "127.0.0.1"),
            "127.0.0.1",
            "not ASCII"
        );
        // Garbage to the left of the client was written by the client: it changes nothing.
        assert_eq!(
            client("127.0.0.1", &["unknown, 203.0.113.9"], "127.0.0.1"),
            "203.0.113.9"
        );
    }

    #[test]
    fn an_endless_chain_of_trusted_hops_gives_the_peer() {
        let long = vec!["10.0.0.9"; MAX_HOPS + 1].join(", ");
        assert_eq!(client("10.0.0.2", &[&long], "10.0.0.0/8"), "10.0.0.2");
    }
}
