//! Which client may log in: the client address, `X-Forwarded-For` from trusted proxies only, and
//! the allowed client networks.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

use crate::Refusal;

/// The most `X-Forwarded-For` entries read (a longer chain is refused).
const MAX_FORWARDED_HOPS: usize = 16;

/// The network rules of the gateway.
#[derive(Debug, Clone, Default)]
pub struct NetworkRules {
    allowed: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
}

impl NetworkRules {
    /// Clients in `allowed` may log in (every client when empty); `X-Forwarded-For` is believed only
    /// from a peer in `trusted_proxies`.
    pub fn new(allowed: Vec<IpNet>, trusted_proxies: Vec<IpNet>) -> Self {
        NetworkRules {
            allowed,
            trusted_proxies,
        }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries left of it
    /// were written by the client and are never believed.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> Result<IpAddr, Refusal> {
        let peer = canonical(peer);
        if !self.is_trusted_proxy(peer) {
            return Ok(peer);
        }
        let mut hops = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let value = value
                .to_str()
                .map_err(|_| Refusal::BadForwardedFor("it is not ASCII".into()))?;
            for entry in value.split(',') {
                let entry = entry.trim();
                let ip = parse_hop(entry)
                    .ok_or_else(|| Refusal::BadForwardedFor(format!("{:?} is not an IP address", truncate(entry))))?;
                hops.push(canonical(ip));
                if hops.len() > MAX_FORWARDED_HOPS {
                    return Err(Refusal::BadForwardedFor(format!(
                        "more than {MAX_FORWARDED_HOPS} addresses"
                    )));
                }
            }
        }
        // The right-most untrusted hop is the client as seen by the first trusted proxy.
        Ok(hops
            .iter()
            .rev()
            .copied()
            .find(|ip| !self.is_trusted_proxy(*ip))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer))
    }

    /// Refuses `ip` unless it is in an allowed network.
    pub fn check(&self, ip: IpAddr) -> Result<(), Refusal> {
        if self.allowed.is_empty() || self.allowed.iter().any(|net| net.contains(&canonical(ip))) {
            Ok(())
        } else {
            Err(Refusal::NetworkDenied { ip })
        }
    }

    fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// An address, optionally with a port (`192.0.2.1:443`, `[2001:db8::1]:443`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    entry.split_once(':').and_then(|(ip, _)| ip.parse().ok())
}

fn truncate(entry: &str) -> String {
    entry.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn rules() -> NetworkRules {
        NetworkRules::new(vec![net("203.0.113.0/24")], vec![net("10.0.1.0/24")])
    }

    #[test]
    fn the_peer_is_the_client_when_it_is_not_a_trusted_proxy() {
        // A client outside the proxies cannot claim an allowed address with X-Forwarded-For.
        let client = rules()
            .client_ip(ip("198.51.100.7"), &headers(&["203.0.113.5"]))
            .unwrap();
        assert_eq!(client, ip("198.51.100.7"));
        assert!(matches!(rules().check(client), Err(Refusal::NetworkDenied { .. })));
    }

    #[test]
    fn a_trusted_proxy_reports_the_client() {
        let client = rules().client_ip(ip("10.0.1.5"), &headers(&["203.0.113.5"])).unwrap();
        assert_eq!(client, ip("203.0.113.5"));
        rules().check(client).unwrap();
    }

    #[test]
    fn entries_the_client_wrote_are_ignored() {
        // The client sent "X-Forwarded-For: 203.0.113.9"; the proxy appended the real address.
        let client = rules()
            .client_ip(ip("10.0.1.5"), &headers(&["203.0.113.9, 198.51.100.7"]))
            .unwrap();
        assert_eq!(client, ip("198.51.100.7"));
        assert!(rules().check(client).is_err());
    }

    #[test]
    fn chains_of_trusted_proxies_are_walked_from_the_right() {
        let client = rules()
            .client_ip(ip("10.0.1.5"), &headers(&["198.51.100.1, 203.0.113.5", "10.0.1.9"]))
            .unwrap();
        assert_eq!(client, ip("203.0.113.5"));
    }

    #[test]
    fn malformed_forwarded_for_from_a_proxy_is_refused() {
        for bad in ["not-an-ip", "203.0.113.5, ", "unknown"] {
            let error = rules().client_ip(ip("10.0.1.5"), &headers(&[bad])).unwrap_err();
            assert!(matches!(error, Refusal::BadForwardedFor(_)), "{bad}");
        }
        let long = vec!["203.0.113.5"; 17].join(",");
        assert!(rules().client_ip(ip("10.0.1.5"), &headers(&[&long])).is_err());
    }

    #[test]
    fn ports_and_mapped_addresses_are_understood() {
        let client = rules()
            .client_ip(
                ip("::ffff:10.0.1.5"),
                &headers(&["[2001:db8::1]:443", "203.0.113.5:5000"]),
            )
            .unwrap();
        assert_eq!(client, ip("203.0.113.5"));
        rules().check(ip("::ffff:203.0.113.77")).unwrap();
    }

    #[test]
    fn no_allowed_networks_means_everyone() {
        NetworkRules::default().check(ip("198.51.100.7")).unwrap();
    }
}
