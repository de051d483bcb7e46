//! The console's settings: a TOML file in the user's configuration folder
//! (`$XDG_CONFIG_HOME/turno/console.toml`, or `--config`), remembering the server's address, its
//! certificate authority, the last username and counter and the auto-call choice; flags over it.
//!
//! ```toml
//! server = "https://turno.comune.example.it:8443"
//! ca_file = "/etc/turno/office-ca.pem"   # for a server whose certificate the office issued
//! last_username = "mrossi"
//! last_counter = 1
//! auto_call = false
//! fullscreen = false
//! ```

use std::path::{Path, PathBuf};

use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::controller::Settings;

/// Turno's clerk console: call, serve and record every visit at a counter.
#[derive(Debug, Default, Parser)]
#[command(name = "turno-console", version)]
pub struct Args {
    /// The settings file (default: `$XDG_CONFIG_HOME/turno/console.toml`); created when missing.
    #[arg(long, short, env = "TURNO_CONSOLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// The office server's address, such as http://192.168.1.10:8080 (remembered).
    #[arg(long, env = "TURNO_CONSOLE_SERVER")]
    pub server: Option<String>,
    /// A certificate authority (PEM) to trust for an https:// server, besides the system's (remembered).
    #[arg(long, env = "TURNO_CONSOLE_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Run in a window (the default) rather than full screen, even if the file says full screen.
    #[arg(long)]
    pub windowed: bool,
    /// Run full screen.
    #[arg(long, conflicts_with = "windowed")]
    pub fullscreen: bool,
}

/// The file, every key optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_counter: Option<i64>,
    pub auto_call: bool,
    pub fullscreen: bool,
}

/// The console's settings, checked, and where they are saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub path: PathBuf,
    pub ca_file: Option<PathBuf>,
    pub fullscreen: bool,
    pub settings: Settings,
    file: FileConfig,
}

/// `$XDG_CONFIG_HOME/turno/console.toml`, else `~/.config/turno/console.toml`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("turno").join("console.toml")
}

impl Config {
    /// Reads the file (a missing one is empty) and lays the flags over it.
    pub fn load(args: Args) -> Result<Config, String> {
        let path = args.config.clone().unwrap_or_else(default_path);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Config::merge(path, file, args)
    }

    pub fn merge(path: PathBuf, file: FileConfig, args: Args) -> Result<Config, String> {
        let server = args
            .server
            .clone()
            .or(file.server.clone())
            .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
        let server = server.trim().trim_end_matches('/').to_owned();
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(format!("{server:?} is not an http:// or https:// address"));
        }
        let ca_file = args.ca_file.clone().or(file.ca_file.clone());
        let fullscreen = args.fullscreen || (!args.windowed && file.fullscreen);
        Ok(Config {
            settings: Settings {
                server,
                last_username: file.last_username.clone().unwrap_or_default(),
                last_counter: file.last_counter,
                auto_call: file.auto_call,
            },
            path,
            ca_file,
            fullscreen,
            file,
        })
    }

    /// Writes `settings` (and the CA file in use) back to the file, keeping its other keys.
    pub fn save(&mut self, settings: &Settings) -> Result<(), String> {
        self.settings = settings.clone();
        self.file.server = Some(settings.server.clone());
        self.file.ca_file = self.ca_file.clone();
        self.file.last_username = Some(settings.last_username.clone()).filter(|u| !u.is_empty());
        self.file.last_counter = settings.last_counter;
        self.file.auto_call = settings.auto_call;
        write(&self.path, &self.file)
    }
}

fn write(path: &Path, file: &FileConfig) -> Result<(), String> {
    let text = toml::to_string(file).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, format!("# Turno clerk console: written by the console.\n{text}"))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_and_saving_keeps_what_the_console_learnt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/console.toml");
        let mut c = Config::load(Args {
            config: Some(path.clone()),
            ..Args::default()
        })
        .unwrap();
        assert_eq!(c.settings.server, "http://127.0.0.1:8080");
        assert!(!c.fullscreen);
        let settings = Settings {
            server: "http://10.0.0.2:8080".into(),
            last_username: "mrossi".into(),
            last_counter: Some(3),
            auto_call: true,
        };
        c.save(&settings).unwrap();
        let again = Config::load(Args {
            config: Some(path.clone()),
            ca_file: Some("/etc/turno/ca.pem".into()),
            ..Args::default()
        })
        .unwrap();
        assert_eq!(again.settings, settings);
        assert_eq!(again.ca_file.as_deref(), Some(Path::new("/etc/turno/ca.pem")));
        let flagged = Config::load(Args {
            config: Some(path),
            server: Some("https://turno.example.it/".into()),
            fullscreen: true,
            ..Args::default()
        })
        .unwrap();
        assert_eq!(flagged.settings.server, "https://turno.example.it");
        assert!(flagged.fullscreen);
    }

    #[test]
    fn wrong_settings_are_refused_with_a_reason() {
        let err = Config::merge(
            "x.toml".into(),
            FileConfig {
                server: Some("ftp://a".into()),
                ..FileConfig::default()
            },
            Args::default(),
        )
        .unwrap_err();
        assert!(err.contains("http"), "{err}");
        assert!(toml::from_str::<FileConfig>("colour = 1").is_err());
    }
}
