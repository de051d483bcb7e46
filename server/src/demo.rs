//! The demo office: an Italian municipality with six services, five counters, clerks, a back-office
//! admin, a kiosk and a display, created in an empty database by `turno-server serve --demo`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use turno_shared::api::{CounterInput, Localized, Outcome, ServiceInput};
use turno_shared::domain::{DeviceKind, Role, WeeklyHours};

use crate::error::Result;
use crate::store::office as cfg;
use crate::{AppState, auth, history, setup};

pub const OFFICE_NAME: &str = "Comune di Valverde";

/// Demo users: username, display name, role, password.
pub const USERS: &[(&str, &str, Role, &str)] = &[
    ("admin", "Back office", Role::Admin, "admin-valverde"),
    ("mrossi", "Maria Rossi", Role::Clerk, "sportello1"),
    ("lbianchi", "Luca Bianchi", Role::Clerk, "sportello2"),
    ("gverdi", "Giulia Verdi", Role::Clerk, "sportello3"),
    ("fesposito", "Francesco Esposito", Role::Clerk, "sportello4"),
    ("aromano", "Anna Romano", Role::Clerk, "sportello5"),
];

fn outcome(code: &str, it: &str, en: &str) -> Outcome {
    Outcome {
        code: code.parse().expect("demo codes are valid"),
        label: Localized::it(it).with("en", en),
    }
}

fn docs(list: &[&str]) -> Vec<Localized> {
    list.iter().map(|d| Localized::it(*d)).collect()
}

fn services() -> Vec<ServiceInput> {
    let service = |code: &str,
                   prefix: char,
                   it: &str,
                   en: &str,
                   info: &str,
                   documents: &[&str],
                   outcomes: Vec<Outcome>,
                   target: u32| ServiceInput {
        code: code.parse().expect("demo codes are valid"),
        prefix: turno_shared::domain::ServicePrefix::new(prefix).expect("demo prefixes are letters"),
        name: Localized::it(it).with("en", en),
        info: Localized::it(info),
        documents: docs(documents),
        outcomes,
        target_wait_minutes: Some(target),
        daily_cap: Some(200),
        hours: WeeklyHours::always(),
        closed_days: Vec::new(),
        active: true,
    };
    vec![
        service(
            "anagrafe",
            'A',
            "Anagrafe – Carta d'identità",
            "Registry office – Identity card",
            "Rilascio della carta d'identità elettronica (CIE), certificati anagrafici, cambi di residenza e di \
             indirizzo. La CIE viene spedita a casa entro 6 giorni lavorativi. Il costo della CIE è di € 22,21, \
             pagabile con carta o bancomat allo sportello.",
            &[
                "Carta d'identità scaduta o denuncia di smarrimento/furto",
                "Una fototessera recente, a colori, su sfondo bianco",
                "Tessera sanitaria (codice fiscale)",
                "Per i minori: presenza di entrambi i genitori",
            ],
            vec![
                outcome("cie_richiesta", "CIE richiesta", "ID card requested"),
                outcome("certificato", "Certificato rilasciato", "Certificate issued"),
                outcome(
                    "residenza",
                    "Cambio di residenza avviato",
                    "Change of residence started",
                ),
                outcome("incompleta", "Documentazione incompleta", "Missing documents"),
                outcome("informazioni", "Solo informazioni", "Information only"),
            ],
            20,
        ),
        service(
            "stato_civile",
            'B',
            "Stato civile",
            "Civil status",
            "Denunce di nascita, pubblicazioni e celebrazione di matrimoni e unioni civili, denunce di morte, \
             riconoscimento della cittadinanza italiana, estratti e certificati di stato civile.",
            &[
                "Documento di identità valido",
                "Per la nascita: attestazione di nascita rilasciata dall'ospedale",
                "Per il matrimonio: documenti di identità di entrambi gli sposi",
            ],
            vec![
                outcome("atto", "Atto redatto", "Record drawn up"),
                outcome("certificato", "Certificato rilasciato", "Certificate issued"),
                outcome("appuntamento", "Fissato un appuntamento", "Appointment booked"),
                outcome("informazioni", "Solo informazioni", "Information only"),
            ],
            30,
        ),
        service(
            "tributi",
            'C',
            "Tributi – IMU e TARI",
            "Local taxes – IMU and TARI",
            "Informazioni e calcolo di IMU e TARI, dichiarazioni di inizio, variazione e cessazione \
             dell'utenza TARI, rateizzazioni, rimborsi, verifica di avvisi di accertamento.",
            &[
                "Documento di identità valido",
                "Codice fiscale dell'intestatario",
                "Visura catastale o dati dell'immobile",
                "Avviso di pagamento o di accertamento ricevuto",
            ],
            vec![
                outcome("calcolo", "Calcolo effettuato", "Tax computed"),
                outcome("dichiarazione", "Dichiarazione presentata", "Declaration filed"),
                outcome("rateizzazione", "Rateizzazione concessa", "Instalments granted"),
                outcome("informazioni", "Solo informazioni", "Information only"),
            ],
            25,
        ),
        service(
            "servizi_sociali",
            'D',
            "Servizi sociali",
            "Social services",
            "Ascolto e orientamento, contributi economici, assegno di inclusione, assistenza domiciliare, \
             agevolazioni per famiglie, anziani e persone con disabilità. Per un colloquio con l'assistente \
             sociale si fissa un appuntamento.",
            &[
                "Documento di identità valido",
                "Attestazione ISEE in corso di validità",
                "Eventuale certificazione di invalidità",
            ],
            vec![
                outcome("domanda", "Domanda presentata", "Application filed"),
                outcome(
                    "appuntamento",
                    "Appuntamento con l'assistente sociale",
                    "Appointment with a social worker",
                ),
                outcome("informazioni", "Solo informazioni", "Information only"),
            ],
            30,
        ),
        service(
            "protocollo",
            'E',
            "Protocollo",
            "Records office",
            "Consegna di domande, istanze, esposti e documenti indirizzati al Comune, con rilascio della \
             ricevuta di protocollo.",
            &[
                "Il documento da protocollare, firmato",
                "Una copia se si desidera il timbro di ricevuta",
            ],
            vec![
                outcome("protocollato", "Documento protocollato", "Document registered"),
                outcome("respinto", "Documento non ricevibile", "Document not accepted"),
            ],
            10,
        ),
        service(
            "urp",
            'F',
            "URP – Relazioni con il pubblico",
            "Public relations office",
            "Informazioni su uffici, servizi e procedimenti del Comune, accesso agli atti, segnalazioni, \
             reclami e suggerimenti, modulistica.",
            &["Documento di identità per l'accesso agli atti"],
            vec![
                outcome("informazioni", "Informazioni fornite", "Information given"),
                outcome("segnalazione", "Segnalazione registrata", "Report recorded"),
                outcome(
                    "accesso_atti",
                    "Richiesta di accesso agli atti",
                    "Access to records requested",
                ),
            ],
            15,
        ),
    ]
}

/// Counters: name and services by code, in order of preference.
const COUNTERS: &[(&str, &[&str])] = &[
    ("Sportello 1", &["anagrafe", "stato_civile"]),
    ("Sportello 2", &["anagrafe", "urp"]),
    ("Sportello 3", &["tributi", "protocollo"]),
    ("Sportello 4", &["servizi_sociali", "urp"]),
    ("Sportello 5", &["protocollo", "urp", "anagrafe"]),
];

fn credentials_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".demo-credentials.txt");
    db.with_file_name(name)
}

/// The device tokens of a freshly created demo office (the server keeps only their hashes).
pub struct DemoTokens {
    pub kiosk: String,
    pub display: String,
}

/// Where the demo's kiosk settings are written, beside the database.
pub fn kiosk_config_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".kiosk.toml");
    db.with_file_name(name)
}

/// Creates the demo office if the database has none; returns the credentials to print. `listen` is the
/// server's address, written with the kiosk token into the kiosk's settings beside the database.
pub async fn ensure(
    state: &AppState,
    db: &Path,
    listen: SocketAddr,
    scheme: &str,
    history_days: u32,
) -> Result<String> {
    let path = credentials_path(db);
    let empty = state
        .store
        .read(|c| Ok(cfg::list_users(c)?.is_empty() && cfg::list_services(c)?.is_empty()))
        .await?;
    if !empty {
        return Ok(std::fs::read_to_string(&path).unwrap_or_else(|_| {
            "The database already holds an office; demo credentials were not found beside it.".to_owned()
        }));
    }
    let DemoTokens { kiosk, display } = create(state).await?;
    let today = state.office.local(state.store.now()).date();
    let past = history::generate(
        state,
        today,
        history::Options {
            days: history_days,
            tickets_per_day: 140,
            seed: 2026,
        },
    )
    .await?;
    let mut text = format!("Demo office \"{OFFICE_NAME}\" created");
    if past > 0 {
        text.push_str(&format!(
            ", with {history_days} past office days of generated history ({past} tickets) for the statistics"
        ));
    }
    text.push_str(".\n\nUsers (username / password):\n");
    for (username, name, role, password) in USERS {
        text.push_str(&format!("  {username:<10} / {password:<15} {name} ({role})\n"));
    }
    text.push_str(&format!(
        "\nDevice tokens:\n  kiosk   (Totem ingresso):        {kiosk}\n  display (Monitor sala d'attesa): {display}\n"
    ));
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        listen.ip().to_string()
    };
    text.push_str(&format!(
        "\nWaiting-room board (open it in a browser, full screen):\n  {scheme}://{host}:{port}/board?token={display}\n\
         \nBack office (dashboard, statistics, exports; sign in as admin):\n  {scheme}://{host}:{port}/backoffice\n",
        port = listen.port()
    ));
    let kiosk_toml = format!(
        "# The demo kiosk: cargo run --release -p turno-kiosk -- --config {} --windowed\n\
         server = \"{scheme}://{host}:{port}\"\ntoken = \"{kiosk}\"\n\n[printer]\ndriver = \"console\"\npaper = 80\n",
        kiosk_config_path(db).display(),
        port = listen.port(),
    );
    if let Err(e) = setup::write_secret_file(&kiosk_config_path(db), &kiosk_toml) {
        tracing::warn!(error = %e, "cannot save the demo kiosk's settings");
    }
    if let Err(e) = setup::write_secret_file(&path, &text) {
        tracing::warn!(error = %e, path = %path.display(), "cannot save the demo credentials");
    } else {
        text.push_str(&format!("\n(saved in {})\n", path.display()));
    }
    Ok(text)
}

/// Writes the demo office into the store.
pub async fn create(state: &AppState) -> Result<DemoTokens> {
    let store = &state.store;
    let mut users = Vec::new();
    for (username, name, role, password) in USERS {
        let hash = state.hasher.run(move || auth::hash_password(password)).await??;
        users.push((*username, *name, *role, hash));
    }
    let kiosk = auth::new_token();
    let display = auth::new_token();
    let (kh, dh) = (auth::token_hash(&kiosk), auth::token_hash(&display));
    store
        .write(move |ctx| {
            let c = ctx.conn;
            let mut ids = Vec::new();
            for s in services() {
                ids.push((s.code.to_string(), cfg::insert_service(c, &s)?));
            }
            for (name, codes) in COUNTERS {
                let services = codes
                    .iter()
                    .filter_map(|code| ids.iter().find(|(c, _)| c == code).map(|(_, id)| *id))
                    .collect();
                cfg::insert_counter(
                    c,
                    &CounterInput {
                        name: (*name).to_owned(),
                        services,
                        active: true,
                    },
                )?;
            }
            for (username, name, role, hash) in &users {
                cfg::insert_user(c, username, name, *role, hash, true)?;
            }
            cfg::insert_device(c, "Totem ingresso", DeviceKind::Kiosk, &kh, ctx.now())?;
            cfg::insert_device(c, "Monitor sala d'attesa", DeviceKind::Display, &dh, ctx.now())?;
            Ok(())
        })
        .await?;
    Ok(DemoTokens { kiosk, display })
}
