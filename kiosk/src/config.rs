//! The kiosk's configuration: a TOML file, then command-line flags (and their environment variables)
//! over it; checked into a [`Config`] that cannot hold a wrong value.
//!
//! ```toml
//! server = "http://192.168.1.10:8080"
//! ca_file = "/etc/turno/office-ca.pem"             # for an https:// server with the office's own CA
//! public_url = "https://turno.comune.example.it"   # the QR's address; the server's by default
//! token = "…"                                       # the kiosk's device token
//! idle_timeout_secs = 60                            # at least 30
//! fullscreen = true
//! text_fallback = ["en"]                            # a service's text missing in a language: English, then Italian
//!
//! [printer]
//! driver = "network"
//! host = "192.168.1.50"
//! paper = 80
//! code_page = "PC858"          # the printer's character table (see `printer::PrinterConfig`)
//! code_page_number = 19        # the ESC t number this printer gives it; Epson's by default
//! ```
//!
//! `turno-kiosk print-test` prints a test page on the configured printer (only the `[printer]`
//! table and the printer flags are needed).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

use crate::controller::MIN_IDLE_TIMEOUT;
use crate::lang::Language;
use crate::printer::{CodePage, PaperWidth, PrinterConfig, PrinterDriver};

/// The kiosk's settings, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The office server, such as `http://127.0.0.1:8080`.
    pub server: String,
    /// The address citizens' phones reach the server at: the base of the QR code's status link.
    pub public_url: String,
    /// The kiosk's device token.
    pub token: String,
    /// A certificate authority to trust besides the system's, for an `https://` server whose
    /// certificate the office issued itself.
    pub ca_file: Option<PathBuf>,
    pub printer: PrinterConfig,
    pub idle_timeout: Duration,
    pub fullscreen: bool,
    /// Where a service's text missing in the citizen's language is looked for before Italian
    /// (`text_fallback = ["en"]`, the default; `[]` for Italian at once).
    pub text_fallback: Vec<Language>,
}

/// The TOML file; every key is optional there, flags may give the rest.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub server: Option<String>,
    pub public_url: Option<String>,
    pub token: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub printer: Option<PrinterConfig>,
    pub idle_timeout_secs: Option<u64>,
    pub fullscreen: Option<bool>,
    pub text_fallback: Option<Vec<String>>,
}

/// Turno's citizen kiosk: take a number, print the ticket, rate the visit.
#[derive(Debug, Default, Parser)]
#[command(name = "turno-kiosk", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A TOML configuration file; flags override it.
    #[arg(long, short, env = "TURNO_KIOSK_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// The office server's address.
    #[arg(long, env = "TURNO_KIOSK_SERVER")]
    pub server: Option<String>,
    /// The address printed in the ticket's QR code (default: the server's).
    #[arg(long, env = "TURNO_KIOSK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The kiosk's device token, from the back office (or the demo's credentials).
    #[arg(long, env = "TURNO_KIOSK_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A certificate authority (PEM) to trust for an https:// server, besides the system's.
    #[arg(long, env = "TURNO_KIOSK_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// The printer: network:HOST[:PORT], usb:VID:PID, serial:PATH[:BAUD], file:PATH or console.
    #[arg(long, global = true)]
    pub printer: Option<PrinterDriver>,
    /// Paper width in millimetres: 58 or 80.
    #[arg(long, global = true)]
    pub paper: Option<PaperWidth>,
    /// The printer's code page: TABLE or TABLE:N, where N is the ESC t number this printer gives the
    /// table (Epson's by default): PC858, PC850:2, WPC1252:16, ASCII…
    #[arg(long, global = true)]
    pub code_page: Option<CodePage>,
    /// Seconds without a touch before going back to the start (at least 30).
    #[arg(long)]
    pub idle_timeout: Option<u64>,
    /// Run in a window instead of full screen (development).
    #[arg(long)]
    pub windowed: bool,
}

/// What to do instead of running the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Print a test page on the configured printer: the code page's name and number, the Italian
    /// accented letters and € as text and as an image, a QR code and a barcode.
    PrintTest,
}

/// The printer settings of the file named by `args`, if any, with the printer flags laid over them
/// (for `print-test`, which needs neither server nor token).
pub fn load_printer(args: &Args) -> Result<PrinterConfig, String> {
    let file = match &args.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    Ok(printer_config(file.printer, args))
}

fn printer_config(file: Option<PrinterConfig>, args: &Args) -> PrinterConfig {
    let mut printer = file.unwrap_or(PrinterConfig::new(PrinterDriver::Console, PaperWidth::default()));
    if let Some(driver) = &args.printer {
        printer.driver = driver.clone();
    }
    if let Some(paper) = args.paper {
        printer.paper = paper;
    }
    if let Some(code_page) = args.code_page {
        printer.set_code_page(code_page);
    }
    printer
}

impl Config {
    /// Reads the file named by the flags, if any, and lays the flags over it.
    pub fn load(args: Args) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        Config::merge(file, args)
    }

    pub fn merge(file: FileConfig, args: Args) -> Result<Config, String> {
        let printer = printer_config(file.printer, &args);
        let server = args
            .server
            .or(file.server)
            .ok_or("the server's address is missing: give --server or `server` in the file")?;
        let server = checked_url(&server)?;
        let public_url = match args.public_url.or(file.public_url) {
            Some(url) => checked_url(&url)?,
            None => server.clone(),
        };
        let token = args
            .token
            .or(file.token)
            .filter(|t| !t.trim().is_empty())
            .ok_or("the kiosk's device token is missing: give --token or `token` in the file")?;
        let idle = args.idle_timeout.or(file.idle_timeout_secs).unwrap_or(60);
        let idle_timeout = Duration::from_secs(idle);
        if idle_timeout < MIN_IDLE_TIMEOUT {
            return Err(format!(
                "the idle timeout must be at least {} seconds, not {idle}",
                MIN_IDLE_TIMEOUT.as_secs()
            ));
        }
        let fullscreen = !args.windowed && file.fullscreen.unwrap_or(true);
        let text_fallback = match file.text_fallback {
            None => crate::kiosk::DEFAULT_FALLBACKS.to_vec(),
            Some(codes) => codes
                .iter()
                .map(|c| c.parse::<Language>().map_err(|e| format!("text_fallback: {e}")))
                .collect::<Result<_, _>>()?,
        };
        Ok(Config {
            server,
            public_url,
            token: token.trim().to_owned(),
            ca_file: args.ca_file.or(file.ca_file),
            printer,
            idle_timeout,
            fullscreen,
            text_fallback,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The keys of the `[printer]` table: serde cannot refuse unknown ones there (the driver's keys are
/// flattened in), so a misspelt `code_page` would silently leave PC858.
const PRINTER_KEYS: [&str; 11] = [
    "driver",
    "host",
    "port",
    "vendor_id",
    "product_id",
    "path",
    "baud_rate",
    "paper",
    "code_page",
    "code_page_number",
    "missing_characters",
];

fn parse_file(text: &str) -> Result<FileConfig, String> {
    let file: FileConfig = toml::from_str(text).map_err(|e| e.to_string())?;
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    if let Some(printer) = table.get("printer").and_then(toml::Value::as_table)
        && let Some(key) = printer.keys().find(|k| !PRINTER_KEYS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown key `{key}` in [printer]; the keys are {}",
            PRINTER_KEYS.join(", ")
        ));
    }
    Ok(file)
}

fn checked_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let host = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    if host.is_some_and(|h| !h.is_empty()) {
        Ok(url.to_owned())
    } else {
        Err(format!("{url:?} is not an http:// or https:// address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn flags_override_the_file_and_the_public_url_defaults_to_the_server() {
        let f = file(
            "server = \"http://10.0.0.2:8080/\"\ntoken = \"abc\"\nidle_timeout_secs = 45\n\
             [printer]\ndriver = \"network\"\nhost = \"10.0.0.9\"\npaper = 58\n",
        );
        let c = Config::merge(
            f,
            Args {
                windowed: true,
                ..Args::default()
            },
        )
        .unwrap();
        assert_eq!(c.server, "http://10.0.0.2:8080");
        assert_eq!(c.public_url, "http://10.0.0.2:8080");
        assert_eq!(c.idle_timeout, Duration::from_secs(45));
        assert_eq!(c.printer.paper, PaperWidth::Mm58);
        assert!(!c.fullscreen);
        assert_eq!(c.ca_file, None);
        let c = Config::merge(
            file("server = \"https://a\"\ntoken = \"t\"\nca_file = \"/etc/turno/ca.pem\""),
            Args::default(),
        )
        .unwrap();
        assert_eq!(c.server, "https://a");
        assert_eq!(c.ca_file.as_deref(), Some(Path::new("/etc/turno/ca.pem")));
        let c = Config::merge(
            file("server = \"http://a\"\ntoken = \"t\""),
            Args {
                public_url: Some("https://turno.example.it".into()),
                printer: Some("console".parse().unwrap()),
                ..Args::default()
            },
        )
        .unwrap();
        assert_eq!(c.public_url, "https://turno.example.it");
        assert_eq!(c.printer.driver, PrinterDriver::Console);
        assert!(c.fullscreen);
    }

    #[test]
    fn wrong_settings_are_refused_with_a_reason() {
        let check = |text: &str, expected: &str| {
            let err = Config::merge(file(text), Args::default()).unwrap_err();
            assert!(err.contains(expected), "{err}");
        };
        check("token = \"t\"", "server");
        check("server = \"http://a\"", "token");
        check("server = \"ftp://a\"\ntoken = \"t\"", "http");
        check(
            "server = \"http://a\"\ntoken = \"t\"\nidle_timeout_secs = 10",
            "at least 30",
        );
        assert!(toml::from_str::<FileConfig>("colour = 1").is_err());
        let err = parse_file("[printer]\ndriver = \"console\"\ncodepage = \"PC850\"").unwrap_err();
        assert!(err.contains("`codepage`") && err.contains("code_page_number"), "{err}");
        let f = parse_file("[printer]\ndriver = \"console\"\ncode_page = \"PC850\"\ncode_page_number = 2").unwrap();
        assert_eq!(f.printer.unwrap().code_page().number, Some(2));
    }
}
