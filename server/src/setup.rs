//! Setting an office up and looking after it from the command line: the first administrator on a new
//! database, users and password resets, the check that stops the demo's published passwords from
//! reaching the office network, and files that hold secrets.

use std::io::Write;
use std::path::Path;

use turno_shared::domain::{Code, Role};

use turno_shared::api::UserInput;

use crate::AppState;
use crate::auth;
use crate::backoffice;
use crate::demo;
use crate::error::{Error, Result};
use crate::store::office as cfg;

/// The username of the administrator created on first run.
pub const FIRST_ADMIN: &str = "admin";

/// A random password of 20 characters in four groups (about 100 bits), from letters and digits that
/// cannot be mistaken for one another: `k7Wq-…`.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    let mut out = String::with_capacity(24);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        // 256 is not a multiple of 56: the first 32 letters are a little likelier, which costs a
        // fraction of a bit over twenty characters.
        out.push(ALPHABET[usize::from(*b) % ALPHABET.len()] as char);
    }
    out
}

/// Creates a user with a random password; returns the password, shown to the caller only.
pub async fn create_user(state: &AppState, username: &str, display_name: &str, role: Role) -> Result<String> {
    let username: Code = username.trim().to_lowercase().parse()?;
    let display_name = display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 80 {
        return Err(Error::invalid("a display name must hold 1 to 80 characters"));
    }
    let password = random_password();
    let secret = password.clone();
    let hash = state.hasher.run(move || auth::hash_password(&secret)).await??;
    let input = UserInput {
        username,
        display_name,
        role,
        password: None,
        active: true,
    };
    state
        .store
        .write(move |ctx| backoffice::create_user(ctx, None, input, &hash).map(drop))
        .await?;
    Ok(password)
}

/// Gives a user a new random password, reactivates them and signs them out everywhere; returns the
/// password.
pub async fn reset_password(state: &AppState, username: &str) -> Result<String> {
    let username = username.trim().to_lowercase();
    let password = random_password();
    let secret = password.clone();
    let hash = state.hasher.run(move || auth::hash_password(&secret)).await??;
    state
        .store
        .write(move |ctx| backoffice::reset_password(ctx, None, &username, &hash).map(drop))
        .await?;
    state.tokens.clear();
    Ok(password)
}

/// On a database without users, creates the first administrator; returns their password, to be
/// shown once. `None` when the office already has users.
pub async fn first_run(state: &AppState) -> Result<Option<String>> {
    let empty = state.store.read(|c| Ok(cfg::list_users(c)?.is_empty())).await?;
    if !empty {
        return Ok(None);
    }
    create_user(state, FIRST_ADMIN, "Amministratore", Role::Admin)
        .await
        .map(Some)
}

/// The demo users whose password is still the one published in the source code.
pub async fn published_passwords_in_use(state: &AppState) -> Result<Vec<String>> {
    let users = state.store.read(cfg::users_with_hashes).await?;
    let mut in_use = Vec::new();
    for (username, _, _, password) in demo::USERS {
        let Some((_, hash)) = users.iter().find(|(u, _)| u.username.as_str() == *username) else {
            continue;
        };
        let hash = hash.clone();
        let published = *password;
        if state
            .hasher
            .run(move || auth::verify_password(published, &hash))
            .await?
        {
            in_use.push((*username).to_owned());
        }
    }
    Ok(in_use)
}

/// Refuses to serve the office network while published passwords open the door: a demo office may
/// listen on the loopback address only, until every demo password has been changed.
pub async fn check_exposure(
    state: &AppState,
    listen: std::net::SocketAddr,
    db: &Path,
) -> std::result::Result<(), String> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    let in_use = published_passwords_in_use(state).await.map_err(|e| e.to_string())?;
    if in_use.is_empty() {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {listen}: the demo office's published passwords still open these accounts: {}.\n\
             Anyone on the network could sign in with them. Either listen on 127.0.0.1 only (--listen 127.0.0.1:8080),\n\
             or give each account a new password first:\n{}",
        in_use.join(", "),
        in_use
            .iter()
            .map(|u| format!("  turno-server admin reset-password --db {} {u}", db.display()))
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

/// Writes a file that holds secrets (passwords, device tokens) readable by its owner only.
pub fn write_secret_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An existing file keeps its mode when opened: narrow it too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_passwords_are_long_and_differ() {
        let a = random_password();
        let b = random_password();
        assert_ne!(a, b);
        assert_eq!(a.len(), 23);
        assert_eq!(a.matches('-').count(), 3);
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()));
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
    }
}
