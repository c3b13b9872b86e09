//! The network range a request came from, as the audit trail keeps it.
//!
//! The trail records where a credential was used so that a detector can notice a credential
//! turning up somewhere new. It keeps the range, not the address: an IPv4 address is cut to its
//! /24 and an IPv6 address to its /48, which is enough to tell one office, data centre or cloud
//! region from another and says less about the person behind it. The address is a workforce
//! member's or an integration's, never a patient's.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The prefix length kept of an IPv4 address.
pub(crate) const IPV4_PREFIX: u8 = 24;

/// The prefix length kept of an IPv6 address.
pub(crate) const IPV6_PREFIX: u8 = 48;

/// A /24 IPv4 or /48 IPv6 network, written in CIDR form (`203.0.113.0/24`, `2001:db8:7::/48`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetworkRange {
    /// An IPv4 /24; the last octet is always zero.
    V4(Ipv4Addr),
    /// An IPv6 /48; the last 80 bits are always zero.
    V6(Ipv6Addr),
}

/// Why text is not a network range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkRangeError {
    /// Not `address/prefix`, or the address does not parse.
    #[error("a network range is written as an IPv4 /24 or an IPv6 /48 in CIDR form")]
    Malformed,
    /// The prefix length is not the one phiguard keeps, or host bits are set.
    #[error("a network range must be an IPv4 /24 or an IPv6 /48 with its host bits zero")]
    NotCanonical,
}

impl NetworkRange {
    /// The range an address lies in. An IPv4-mapped IPv6 address is treated as the IPv4
    /// address it carries, so one client is not two ranges depending on the socket.
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::of_v4(v4),
                None => {
                    let mut segments = v6.segments();
                    for segment in &mut segments[3..] {
                        *segment = 0;
                    }
                    NetworkRange::V6(Ipv6Addr::from(segments))
                }
            },
        }
    }

    fn of_v4(address: Ipv4Addr) -> Self {
        let [a, b, c, _] = address.octets();
        NetworkRange::V4(Ipv4Addr::new(a, b, c, 0))
    }

    /// Whether the range is loopback (`127.0.0.0/24`, `::/48` holding `::1`).
    pub fn is_loopback(self) -> bool {
        match self {
            NetworkRange::V4(v4) => v4.is_loopback(),
            NetworkRange::V6(v6) => v6.segments()[..3] == [0, 0, 0],
        }
    }
}

impl fmt::Display for NetworkRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkRange::V4(v4) => write!(f, "{v4}/{IPV4_PREFIX}"),
            NetworkRange::V6(v6) => write!(f, "{v6}/{IPV6_PREFIX}"),
        }
    }
}

impl fmt::Debug for NetworkRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetworkRange({self})")
    }
}

impl FromStr for NetworkRange {
    type Err = NetworkRangeError;

    fn from_str(s: &str) -> Result<Self, NetworkRangeError> {
        let (address, prefix) = s.split_once('/').ok_or(NetworkRangeError::Malformed)?;
        let address: IpAddr = address.parse().map_err(|_| NetworkRangeError::Malformed)?;
        let prefix: u8 = prefix.parse().map_err(|_| NetworkRangeError::Malformed)?;

        let expected = match address {
            IpAddr::V4(_) => IPV4_PREFIX,
            IpAddr::V6(_) => IPV6_PREFIX,
        };
        let range = NetworkRange::of(address);
        let same_family = matches!(
            (address, range),
            (IpAddr::V4(_), NetworkRange::V4(_)) | (IpAddr::V6(_), NetworkRange::V6(_))
        );
        if prefix != expected || !same_family || range.to_string() != s {
            return Err(NetworkRangeError::NotCanonical);
        }
        Ok(range)
    }
}

impl Serialize for NetworkRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NetworkRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(address: &str) -> NetworkRange {
        NetworkRange::of(address.parse().unwrap())
    }

    #[test]
    fn addresses_are_cut_to_their_range() {
        assert_eq!(range("203.0.113.77").to_string(), "203.0.113.0/24");
        assert_eq!(range("2001:db8:7:1::5").to_string(), "2001:db8:7::/48");
        assert_eq!(range("::ffff:198.51.100.9").to_string(), "198.51.100.0/24");
        assert!(range("127.0.0.1").is_loopback());
        assert!(range("::1").is_loopback());
        assert!(!range("198.51.100.9").is_loopback());
    }

    #[test]
    fn only_canonical_ranges_parse_back() {
        for text in ["203.0.113.0/24", "2001:db8:7::/48"] {
            assert_eq!(text.parse::<NetworkRange>().unwrap().to_string(), text);
        }
        for bad in [
            "203.0.113.7/24",
            "203.0.113.0/16",
            "203.0.113.0",
            "2001:db8:7:1::/48",
            "::ffff:198.51.100.0/48",
            "nonsense/24",
        ] {
            assert!(bad.parse::<NetworkRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_serialize_as_strings() {
        let json = serde_json::to_string(&range("10.1.2.3")).unwrap();
        assert_eq!(json, "\"10.1.2.0/24\"");
        assert_eq!(
            serde_json::from_str::<NetworkRange>(&json).unwrap(),
            range("10.1.2.3")
        );
    }
}
