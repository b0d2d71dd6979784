//! Which addresses an outgoing request may connect to (SSRF safety). A target that resolves to
//! a loopback, private, shared, link-local (the cloud metadata services live there), multicast,
//! reserved or documentation range is refused, for IPv4 and IPv6 alike, including IPv6 forms
//! that embed an IPv4 address (mapped, compatible, NAT64, 6to4). An administrator may allow
//! ranges in the configuration file (`[integrations] allow_networks`); nothing else opens one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::ValidationError;

/// A network written as `address/prefix` (a bare address is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// The first address.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Network {
    /// Parses `10.0.0.0/8`, `::1/128` or `127.0.0.1`.
    pub fn parse(raw: &str) -> Result<Network, ValidationError> {
        let bad = || {
            ValidationError::new(
                "invalid",
                format!("{raw:?} is not a network; write e.g. 10.1.0.0/16, 127.0.0.1 or fd00::/8"),
            )
        };
        let (addr, prefix) = match raw.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }

    /// Whether `ip` is inside (an IPv4 network also holds the IPv4-mapped IPv6 forms).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    if a[..full] != b[..full] {
        return false;
    }
    let rest = prefix % 8;
    rest == 0 || (a[full] ^ b[full]) & (0xffu8 << (8 - rest)) == 0
}

/// Why an IPv4 address is not public, if it is not.
fn v4_range(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "this network (0.0.0.0/8)",
        (127, _, _) => "loopback (127.0.0.0/8)",
        (10, _, _) => "private (10.0.0.0/8)",
        (172, 16..=31, _) => "private (172.16.0.0/12)",
        (192, 168, _) => "private (192.168.0.0/16)",
        (100, 64..=127, _) => "shared address space (100.64.0.0/10)",
        (169, 254, _) => "link-local and cloud metadata (169.254.0.0/16)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (224..=239, _, _) => "multicast (224.0.0.0/4)",
        (240..=255, _, _) => "reserved or broadcast (240.0.0.0/4)",
        _ => return None,
    })
}

/// The IPv4 address an IPv6 address carries, in the forms that route to it.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        // IPv4-compatible (deprecated): ::a.b.c.d, not :: or ::1.
        [0, 0, 0, 0, 0, 0, _, _] if ip.segments()[6] != 0 => Some(tail()),
        // NAT64, well-known and local-use prefixes.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] => Some(tail()),
        // 6to4: 2002:AABB:CCDD::/48.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Why an address may not be reached, or `None` when it is public.
pub fn refused_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return v4_range(v4).map(|_| "an IPv6 form of a non-public IPv4 address");
            }
            let s = v6.segments();
            Some(match s[0] {
                _ if v6.is_unspecified() => "unspecified (::)",
                _ if v6.is_loopback() => "loopback (::1)",
                0xfc00..=0xfdff => "unique local (fc00::/7)",
                0xfe80..=0xfebf => "link-local (fe80::/10)",
                0xfec0..=0xfeff => "site-local (fec0::/10)",
                0xff00..=0xffff => "multicast (ff00::/8)",
                0x2001 if s[1] == 0x0db8 => "documentation (2001:db8::/32)",
                0x2001 if s[1] < 0x0200 => "IETF special purpose (2001::/23)",
                0x0100 if s[1..4] == [0, 0, 0] => "discard-only (100::/64)",
                0 => "reserved (::/8)",
                _ => return None,
            })
        }
    }
}

/// Whether a connection to `ip` is allowed: a public address, or one inside an allowed network.
pub fn check(ip: IpAddr, allowed: &[Network]) -> Result<(), String> {
    match refused_range(ip) {
        None => Ok(()),
        Some(_) if allowed.iter().any(|n| n.contains(ip)) => Ok(()),
        Some(range) => Err(format!(
            "{ip} is {range}; an administrator may allow it in [integrations] allow_networks"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_public_ranges_are_refused_in_every_form() {
        for refused in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:a9fe:a9fe",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
        ] {
            assert!(refused_range(ip(refused)).is_some(), "{refused} passed");
        }
        for public in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2400:3200::1",
            "::ffff:8.8.8.8",
            "2002:808:808::",
        ] {
            assert_eq!(refused_range(ip(public)), None, "{public} was refused");
        }
    }

    #[test]
    fn allowed_networks_open_only_themselves() {
        let allowed = [
            Network::parse("127.0.0.1").unwrap(),
            Network::parse("10.8.0.0/16").unwrap(),
        ];
        assert!(check(ip("127.0.0.1"), &allowed).is_ok());
        assert!(check(ip("::ffff:127.0.0.1"), &allowed).is_ok());
        assert!(check(ip("127.0.0.2"), &allowed).is_err());
        assert!(check(ip("10.8.200.1"), &allowed).is_ok());
        assert!(check(ip("10.9.0.1"), &allowed).is_err());
        assert!(check(ip("::1"), &allowed).is_err());
        assert!(check(ip("8.8.8.8"), &[]).is_ok());
        let message = check(ip("169.254.169.254"), &[]).unwrap_err();
        assert!(message.contains("metadata"), "{message}");
    }

    #[test]
    fn networks_parse_with_bounded_prefixes() {
        assert_eq!(Network::parse("fd00::/8").unwrap().prefix, 8);
        assert_eq!(Network::parse("::1").unwrap().prefix, 128);
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("localhost").is_err());
        assert!(Network::parse("10.0.0.0/x").is_err());
    }
}
