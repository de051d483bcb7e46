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
    /// Commit concurrent operations together (default). `false` is the slow, naive baseline.
    pub group_commit: bool,
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
            group_commit: true,
        }
    }
}

impl Config {
    /// Reads a TOML file; every key is optional.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
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
}
