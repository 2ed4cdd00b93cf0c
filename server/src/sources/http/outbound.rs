//! Where a source may send the server (S4.1): https only, and never to a loopback,
//! private, link-local, unique-local, shared, multicast or unspecified address (a cloud
//! metadata endpoint, an internal service) unless the operator allowed that host with
//! `--allow-source-host HOST[:PORT]`. The address check applies after DNS resolution, on
//! every connection the client opens, so a name that resolves to an internal address
//! later is refused too; redirects never leave the host they started on. Bodies are
//! capped while they are read, and a run stops past a number of pages (S4.2).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use url::Url;

/// The outbound limits of a server.
#[derive(Debug, Clone)]
pub struct Outbound {
    allowed: Arc<Vec<Allowed>>,
    /// Largest response body read, in bytes.
    pub max_body_bytes: u64,
    /// Most pages one run may fetch.
    pub max_pages: u64,
}

/// A host the operator allowed, on any port or on one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    host: String,
    port: Option<u16>,
}

impl Allowed {
    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        let bad = || format!("`{text}` is not HOST or HOST:PORT");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            match after.strip_prefix(':') {
                Some(port) => (host.to_owned(), Some(port.parse().map_err(|_| bad())?)),
                None if after.is_empty() => (host.to_owned(), None),
                None => return Err(bad()),
            }
        } else if text.matches(':').count() == 1 {
            let (host, port) = text.split_once(':').ok_or_else(bad)?;
            (host.to_owned(), Some(port.parse().map_err(|_| bad())?))
        } else {
            (text.clone(), None)
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Allowed { host, port })
    }
}

impl Outbound {
    /// `allowed` as given on the command line (`HOST` or `HOST:PORT`).
    pub fn new(allowed: &[String], max_body_bytes: u64, max_pages: u64) -> Result<Self, String> {
        Ok(Outbound {
            allowed: Arc::new(
                allowed
                    .iter()
                    .map(|a| Allowed::parse(a))
                    .collect::<Result<_, _>>()?,
            ),
            max_body_bytes,
            max_pages,
        })
    }

    /// Whether the operator allowed `host` (on `port`).
    pub fn allows(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        self.allowed
            .iter()
            .any(|a| a.host == host && (a.port.is_none() || a.port == port))
    }

    /// Checks a URL before a request: https unless its host is allowed, and no internal
    /// address written into it. The message says what to change, never what is there.
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default();
        if self.allows(host, port) {
            return Ok(());
        }
        if url.scheme() != "https" {
            return Err(format!(
                "{}://{host} is refused: sources must use https (an operator may allow a host \
                 with --allow-source-host)",
                url.scheme()
            ));
        }
        if let Some(ip) = literal_ip(host)
            && internal(ip)
        {
            return Err(format!(
                "{host} is an internal address: refused unless an operator allows it"
            ));
        }
        Ok(())
    }

    /// Checks a source URL as a setting is saved: the URL itself, and where its host
    /// resolves now (a name that does not resolve yet is not refused: DNS may change).
    pub async fn check_source_url(&self, text: &str) -> Result<(), String> {
        let url = Url::parse(text).map_err(|_| format!("`{text}` is not a URL"))?;
        self.check_url(&url)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        if self.allows(&host, url.port_or_known_default()) || literal_ip(&host).is_some() {
            return Ok(());
        }
        let lookup = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::lookup_host((host.as_str(), 443)),
        )
        .await;
        if let Ok(Ok(addrs)) = lookup
            && addrs.into_iter().any(|a| internal(a.ip()))
        {
            return Err(format!(
                "{host} resolves to an internal address: refused unless an operator allows it"
            ));
        }
        Ok(())
    }

    /// The resolver the HTTP client connects through.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            outbound: self.clone(),
        })
    }
}

fn literal_ip(host: &str) -> Option<IpAddr> {
    host.trim_matches(['[', ']']).parse().ok()
}

/// Whether an address is not on the public internet.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b)
        }
    }
}

/// A connection the policy refused: final, never worth another attempt.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Resolves names for the HTTP client and keeps only what the policy allows: every
/// address of an allowed host, public addresses of any other.
#[derive(Debug)]
pub struct GuardedResolver {
    outbound: Outbound,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let outbound = self.outbound.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            // The port was checked with the URL; here the host alone decides.
            let allowed = outbound.allowed.iter().any(|a| a.host == host);
            let kept: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| allowed || !internal(a.ip()))
                .collect();
            if kept.is_empty() {
                return Err(Box::new(Refused(format!(
                    "{host} resolves to an internal address: refused unless an operator allows it"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s4_1_internal_addresses_are_told_apart() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "151.101.1.1", "2606:4700::1111"] {
            assert!(!internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn s4_1_http_and_internal_hosts_are_refused_unless_allowed() {
        let none = Outbound::new(&[], 1, 1).unwrap();
        let check = |p: &Outbound, u: &str| p.check_url(&Url::parse(u).unwrap());
        assert!(check(&none, "http://api.clever.com").is_err());
        assert!(check(&none, "https://169.254.169.254/latest").is_err());
        assert!(check(&none, "https://[::1]:8443/").is_err());
        assert!(check(&none, "https://api.clever.com/v3.0").is_ok());
        let some = Outbound::new(&["127.0.0.1:8080".into(), "sis.local".into()], 1, 1).unwrap();
        assert!(check(&some, "http://127.0.0.1:8080/x").is_ok());
        assert!(
            check(&some, "http://127.0.0.1:9090/x").is_err(),
            "another port"
        );
        assert!(check(&some, "http://sis.local:1234/").is_ok());
    }
}
