//! The API contract: Schemathesis (a property-based API tester, Python, pinned in `scripts/test`)
//! generates requests from `/api/v1/openapi.json` against the real server and checks every answer
//! against the document with every check it has: status codes and bodies as declared, every
//! schema-valid request accepted, every invalid one refused, no 5xx, authentication enforced. It runs
//! in four passes on one demo database, ordered so that no pass takes away the next one's credentials.

use std::path::{Path, PathBuf};
use std::process::Command;

use turno_tests::{ServerProcess, demo_password};

/// The `schemathesis` program: `$TURNO_SCHEMATHESIS`, else the one `scripts/test` installs.
fn schemathesis() -> PathBuf {
    if let Some(p) = std::env::var_os("TURNO_SCHEMATHESIS") {
        return PathBuf::from(p);
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/schemathesis/bin/schemathesis");
    assert!(
        installed.exists(),
        "Schemathesis is not installed: run the tests with `scripts/test` (it installs it in \
         target/tools/schemathesis), or set TURNO_SCHEMATHESIS to a schemathesis 4.32 program"
    );
    installed
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_keeps_the_openapi_contract() {
    let program = schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let server = tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &[]));
    let login = |username: &'static str| {
        let client = server.client();
        async move {
            client
                .login(username, demo_password(username))
                .await
                .unwrap_or_else(|e| panic!("{username} signs in: {e}"))
                .token
        }
    };
    let admin = login("admin").await;
    // Signing out in the first pass ends this clerk's session, not the admin's.
    let throwaway = login("lbianchi").await;
    // The admin stands in for a clerk: signed in at counter 1, where the generated requests for counter
    // actions (their ids start at 1) find a counter to act on.
    server
        .client()
        .with_token(&admin)
        .open_counter(1)
        .await
        .expect("the admin signs in at counter 1");
    let settings = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemathesis");
    let document = format!("{}/api/v1/openapi.json", server.url);
    let passes: [(&str, &str, &[&str]); 4] = [
        (
            "auth",
            &throwaway,
            &["--include-tag", "auth", "--phases", "examples,coverage,fuzzing"],
        ),
        ("office", &admin, &["--exclude-tag", "admin", "--exclude-tag", "auth"]),
        (
            "admin",
            &admin,
            &["--include-tag", "admin", "--exclude-operation-id", "revoke_device"],
        ),
        (
            "devices",
            &admin,
            &[
                "--include-operation-id",
                "revoke_device",
                "--include-operation-id",
                "create_device",
                "--include-operation-id",
                "list_devices",
            ],
        ),
    ];
    let mut failed = Vec::new();
    for (name, user_token, selection) in passes {
        let out = dir.path().join(format!("schemathesis-{name}"));
        std::fs::create_dir_all(&out).unwrap();
        let run = tokio::task::block_in_place(|| {
            Command::new(&program)
                .arg("--config-file")
                .arg(settings.join("schemathesis.toml"))
                .arg("run")
                .arg(&document)
                .args(["--checks", "all", "--no-color", "--report", "junit", "--report-dir"])
                .arg(&out)
                .args(selection)
                .current_dir(&out)
                .env("SCHEMATHESIS_HOOKS", settings.join("hooks.py"))
                .env("TURNO_ADMIN_TOKEN", &admin)
                .env("TURNO_USER_TOKEN", user_token)
                .env("TURNO_KIOSK_TOKEN", &server.kiosk_token)
                .env("TURNO_DISPLAY_TOKEN", &server.display_token)
                .output()
                .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
        });
        let printed = String::from_utf8_lossy(&run.stdout);
        let summary = printed.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        eprintln!("schemathesis pass {name}: {summary}");
        if !run.status.success() {
            failed.push(format!(
                "pass {name} failed ({}):\n{printed}\n{}",
                run.status,
                String::from_utf8_lossy(&run.stderr)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
