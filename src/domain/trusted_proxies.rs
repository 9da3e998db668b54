//! `TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` the portal believes
//! (CONTRACT.md §1). Everything else about the client's address is in `web::kit::client`.

use std::net::IpAddr;

use ipnet::IpNet;

/// Addresses and networks of trusted reverse proxies; empty trusts nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated addresses (`127.0.0.1`, `::1`) or CIDR networks (`10.0.0.0/8`);
    /// spaces around entries and empty entries are ignored. The error names the bad entry.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| entry.to_owned())
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `addr` is one of the proxies. An IPv4 address seen as IPv6
    /// (`::ffff:10.0.0.1`, on a dual-stack listener) counts as the IPv4 one.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|net| net.contains(&addr))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&entries.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_of_both_families_with_spaces() {
        let trusted =
            TrustedProxies::parse(" 127.0.0.1 , 10.0.0.0/8,,::1, 2001:db8::/32 ").unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(trusted.contains(ip("10.200.3.4")));
        assert!(!trusted.contains(ip("11.0.0.1")));
        assert!(trusted.contains(ip("::1")));
        assert!(trusted.contains(ip("2001:db8:ffff::1")));
        assert!(!trusted.contains(ip("2001:db9::1")));
        assert!(trusted.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6");
    }

    #[test]
    fn a_network_written_with_host_bits_means_the_whole_network() {
        let trusted = TrustedProxies::parse("192.168.1.77/24").unwrap();
        assert!(trusted.contains(ip("192.168.1.1")));
        assert_eq!(trusted.to_string(), "192.168.1.0/24");
    }

    #[test]
    fn empty_trusts_nobody_and_garbage_names_the_entry() {
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(
            !TrustedProxies::parse(" ")
                .unwrap()
                .contains(ip("127.0.0.1"))
        );
        for bad in ["localhost", "10.0.0.0/33", "1.2.3", "10.0.0.1:80", "*"] {
            assert_eq!(
                TrustedProxies::parse(&format!("127.0.0.1,{bad}")),
                Err(bad.to_owned())
            );
        }
    }
}
