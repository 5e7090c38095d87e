//! The address a request comes from: the TCP peer, unless that peer is one of the configured `trusted_proxies`,
//! whose `Forwarded` (RFC 7239) or `X-Forwarded-For` header then names the client. Throttling, rate limits and
//! the audit log all take it from here, so a client cannot pick the address it is counted under.

use std::net::IpAddr;

use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpRequest;

/// The proxies whose forwarding headers are believed: addresses or CIDR ranges.
#[derive(Debug, Default, Clone)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `192.0.2.7`, `::1`, `fd00::/8`.
    pub fn parse(entries: &[String]) -> anyhow::Result<TrustedProxies> {
        let parsed = entries
            .iter()
            .map(|entry| {
                let (address, bits) = match entry.split_once('/') {
                    Some((address, bits)) => (address, Some(bits)),
                    None => (entry.as_str(), None),
                };
                let address: IpAddr = address.trim().parse().map_err(|_| {
                    anyhow::anyhow!("trusted_proxies: {entry:?} is not an address or CIDR range")
                })?;
                let max = if address.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(bits) => bits
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| {
                            anyhow::anyhow!("trusted_proxies: {entry:?} has a bad prefix length")
                        })?,
                    None => max,
                };
                Ok((address, bits))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(TrustedProxies(parsed))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0
            .iter()
            .any(|(network, bits)| in_network(address, *network, *bits))
    }

    /// The client behind `peer`: the nearest address in the forwarding chain that is not a trusted proxy.
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        // Each proxy appends the address it received from, so the chain is read from the right.
        let chain = forwarded_for(headers);
        chain
            .iter()
            .rev()
            .copied()
            .find(|hop| !self.contains(*hop))
            .or_else(|| chain.first().copied())
            .unwrap_or(peer)
    }
}

/// The client address of `req` under the node's trusted proxies.
pub fn of(req: &HttpRequest, proxies: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(proxies.client_of(canonical(peer), req.headers()))
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn in_network(address: IpAddr, network: IpAddr, bits: u8) -> bool {
    let (address, network, width) = match (address, canonical(network)) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || (address >> shift) == (network >> shift)
}

/// The addresses of `Forwarded: for=` (RFC 7239 §5.2), else of `X-Forwarded-For`, in order; unparsable hops (an
/// obfuscated identifier, `unknown`) end the chain there.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name| {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let forwarded = values(header::FORWARDED);
    let hops: Vec<&str> = if forwarded.is_empty() {
        values(header::HeaderName::from_static("x-forwarded-for"))
    } else {
        forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for").then_some(value.trim())
                })
            })
            .collect()
    };
    hops.into_iter()
        .map_while(parse_hop)
        .map(canonical)
        .collect()
}

/// `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim_matches('"');
    if let Ok(address) = hop.parse() {
        return Some(address);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let stranger: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(proxies.client_of(stranger, &spoofed), stranger);
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        // A client's own X-Forwarded-For entry (left) is ignored: the proxy appended the real peer.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.5")]);
        assert_eq!(
            proxies.client_of(proxy, &chain),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let forwarded = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(
            proxies.client_of(proxy, &forwarded),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(proxies.client_of(proxy, &HeaderMap::new()), proxy);
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.internal".into()]).is_err());
        assert!(TrustedProxies::parse(&["0.0.0.0/0".into()])
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
    }
}
