//! The server's configuration in one struct: defaults, then a TOML file, then environment and flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; use `0.0.0.0:8080` so kiosks and consoles on the office network reach it.
    pub listen: SocketAddr,
    /// The SQLite database file.
    pub db: PathBuf,
    /// The office's name, printed on tickets and shown on screens.
    pub office_name: String,
    /// The office's time zone (IANA name): it decides when an office day starts.
    pub timezone: String,
    /// After this many priority (or overdue) calls in a row a counter calls a normal ticket.
    pub priority_ratio: u32,
    /// How many hours a clerk's or admin's login lasts.
    pub login_hours: u32,
    /// Reverse proxies (their addresses) whose `X-Forwarded-For` header names the client: login
    /// throttling counts per client address. Empty: every peer is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Serve HTTPS with this certificate chain (PEM) and [`Config::tls_key`]; both or neither.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of [`Config::tls_cert`].
    pub tls_key: Option<PathBuf>,
    /// Connection limits and timeouts.
    pub limits: LimitsConfig,
    /// How long personal and operational data is kept.
    pub retention: Retention,
    /// Commit concurrent operations together (default). `false` is the slow, naive baseline.
    pub group_commit: bool,
    /// `[central]`: ship the statistics' data to the city's centre (none by default).
    pub central: Option<CentralConfig>,
    /// Never in production: weaker durability, for the power-cut test's negative control only.
    #[serde(skip)]
    pub synchronous: crate::store::Synchronous,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: PathBuf::from("turno.db"),
            office_name: "Comune".to_owned(),
            timezone: "Europe/Rome".to_owned(),
            priority_ratio: 3,
            login_hours: 12,
            trusted_proxies: Vec::new(),
            tls_cert: None,
            tls_key: None,
            limits: LimitsConfig::default(),
            retention: Retention::default(),
            group_commit: true,
            central: None,
            synchronous: crate::store::Synchronous::Full,
        }
    }
}

/// `[central]`: where the city's centre is, and this office's code there.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentralConfig {
    /// The centre's PostgreSQL, `postgres://user:password@host:port/database`.
    pub url: String,
    /// This office's code at the centre (lower-case letters, digits and `-`, such as `anagrafe-nord`).
    pub office: String,
}

impl CentralConfig {
    pub fn check(&self) -> Result<(), String> {
        let code_ok = !self.office.is_empty()
            && self.office.len() <= 40
            && self
                .office
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !code_ok {
            return Err(format!(
                "central.office {:?}: use 1 to 40 lower-case letters, digits and '-'",
                self.office
            ));
        }
        self.url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| format!("central.url: {e}"))?;
        Ok(())
    }
}

/// `[limits]`: how many connections, and how long a client may take.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Seconds a client has to send a request's headers; also how long an idle connection stays open.
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    pub body_timeout_secs: u64,
    /// Seconds a request may take in all (live-event streams excepted).
    pub request_timeout_secs: u64,
    /// Connections open at once.
    pub max_connections: usize,
    /// Connections open at once from one client address (trusted proxies excepted).
    pub max_connections_per_address: usize,
    /// Seconds between keep-alive comments on live-event streams; each time, the stream's credentials
    /// are checked again, so a revoked one stops receiving within this period.
    pub stream_keepalive_secs: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            body_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 4096,
            max_connections_per_address: 512,
            stream_keepalive_secs: 15,
        }
    }
}

/// `[retention]`: what the daily maintenance removes, and when.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Months after which clerks' notes on tickets and the reasons of pauses are erased. The tickets
    /// themselves (numbers, times, outcomes) and the ratings stay for the statistics: they hold no
    /// personal data.
    pub notes_months: u32,
    /// Months after which printer alerts are deleted.
    pub alerts_months: u32,
    /// Days of live events kept for clients that reconnect; one away longer reloads everything.
    pub feed_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            notes_months: 12,
            alerts_months: 12,
            feed_days: 7,
        }
    }
}

impl Config {
    /// Reads a TOML file; every key is optional.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(config)
    }

    /// Refuses settings that cannot work together.
    pub fn check(&self) -> Result<(), String> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err("give both tls_cert and tls_key, or neither".into());
        }
        let l = &self.limits;
        if l.header_timeout_secs == 0 || l.header_timeout_secs > 60 {
            return Err("limits.header_timeout_secs runs from 1 to 60".into());
        }
        if l.body_timeout_secs == 0 || l.request_timeout_secs == 0 || l.stream_keepalive_secs == 0 {
            return Err("timeouts must be at least 1 second".into());
        }
        if l.max_connections == 0 || l.max_connections_per_address == 0 {
            return Err("connection limits must be at least 1".into());
        }
        if let Some(central) = &self.central {
            central.check()?;
        }
        if self.retention.feed_days == 0 || self.retention.notes_months == 0 || self.retention.alerts_months == 0 {
            return Err("retention periods must be at least 1".into());
        }
        Ok(())
    }

    /// The connection limits for [`crate::serve::serve`].
    pub fn serve_limits(&self) -> crate::serve::Limits {
        crate::serve::Limits {
            header_timeout: std::time::Duration::from_secs(self.limits.header_timeout_secs),
            max_connections: self.limits.max_connections,
            max_connections_per_address: self.limits.max_connections_per_address,
            shutdown_grace: std::time::Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_sets_only_what_it_names() {
        let c: Config = toml::from_str("office_name = \"Comune di Prova\"\npriority_ratio = 2").unwrap();
        assert_eq!(c.office_name, "Comune di Prova");
        assert_eq!(c.priority_ratio, 2);
        assert_eq!(c.timezone, "Europe/Rome");
        assert!(toml::from_str::<Config>("unknown_key = 1").is_err());
    }

    #[test]
    fn the_central_section_is_checked() {
        let c: Config =
            toml::from_str("[central]\nurl = \"postgres://turno@127.0.0.1:5432/city\"\noffice = \"anagrafe-nord\"")
                .unwrap();
        assert!(c.check().is_ok());
        let bad: Config = toml::from_str("[central]\nurl = \"postgres://x@h/db\"\noffice = \"Anagrafe Nord\"").unwrap();
        assert!(bad.check().unwrap_err().contains("central.office"));
        let bad: Config = toml::from_str("[central]\nurl = \"postgres://x@h:notaport/db\"\noffice = \"a\"").unwrap();
        assert!(bad.check().unwrap_err().contains("central.url"));
    }
}
