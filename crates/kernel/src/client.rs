//! The address of the client behind a request. A proxy in front of the server
//! (the TLS terminator the README recommends) makes every connection come from
//! its own address, so the client's is taken from `Forwarded` or
//! `X-Forwarded-For` — but only when the connection comes from a proxy the
//! operator configured: anyone else could write those headers to pose as any
//! address. Sign-in throttling and rate limits key on this address.

use std::net::IpAddr;

/// The client's address, put into the request's extensions by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address: the peer, or — when the peer is a trusted proxy — the
/// nearest address in the forwarding chain that is not itself a trusted proxy.
/// `Forwarded` (RFC 7239) is preferred over `X-Forwarded-For` when both are sent.
pub fn client_addr(
    peer: Option<IpAddr>,
    forwarded: Option<&str>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let chain: Vec<IpAddr> = match (forwarded, forwarded_for) {
        (Some(f), _) => parse_forwarded(f),
        (None, Some(x)) => x.split(',').filter_map(|s| parse_ip(s.trim())).collect(),
        (None, None) => Vec::new(),
    };
    // The chain grows to the right as each proxy appends the address it saw;
    // the rightmost entries were written by our own proxies.
    Some(
        chain
            .iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .or(chain.first())
            .copied()
            .unwrap_or(peer),
    )
}

fn parse_forwarded(value: &str) -> Vec<IpAddr> {
    value
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_ip(v.trim().trim_matches('"')))
                    .flatten()
            })
        })
        .collect()
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:80`
/// or a bare IPv6 address.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let proxy = [ip("10.0.0.1")];
        // From an untrusted peer the headers are ignored.
        assert_eq!(
            client_addr(Some(ip("198.51.100.7")), None, Some("203.0.113.5"), &proxy),
            Some(ip("198.51.100.7"))
        );
        // From the proxy, the client it saw.
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), None, Some("203.0.113.5"), &proxy),
            Some(ip("203.0.113.5"))
        );
        // A client that writes its own header cannot hide behind it: the proxy
        // appends the address it saw, and that one is taken.
        assert_eq!(
            client_addr(
                Some(ip("10.0.0.1")),
                None,
                Some("1.1.1.1, 203.0.113.5"),
                &proxy
            ),
            Some(ip("203.0.113.5"))
        );
        // Nothing forwarded: the proxy itself.
        assert_eq!(
            client_addr(Some(ip("10.0.0.1")), None, None, &proxy),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn rfc7239_forwarded_with_ports_and_ipv6() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            client_addr(
                Some(ip("10.0.0.1")),
                Some(r#"for="[2001:db8::9]:4711";proto=https, for=10.0.0.2"#),
                Some("9.9.9.9"),
                &proxies
            ),
            Some(ip("2001:db8::9"))
        );
        assert_eq!(parse_ip("192.0.2.60:8080"), Some(ip("192.0.2.60")));
        assert_eq!(parse_ip("unknown"), None);
    }
}
