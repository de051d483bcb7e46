//! Who is calling: bearer tokens of signed-in users (clerks, admins) and of devices (kiosks, displays),
//! the extractors that check each route's role, password hashing, and the failed-login limiter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use turno_shared::api::{Device, User};
use turno_shared::domain::{DeviceKind, Role};

use crate::AppState;
use crate::error::{Error, Result};
use crate::store::office as cfg;

/// The bearer of a valid token.
#[derive(Clone, Debug)]
pub enum Principal {
    User(User),
    Device(Device),
}

/// The server keeps only this hash of a token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random token: 256 bits, hex.
pub fn new_token() -> String {
    format!("{}{}", crate::engine::random_token(), crate::engine::random_token())
}

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Runs password work (Argon2) on one thread of its own, one hash at a time. Each hash takes 19 MiB;
/// a burst of logins spread over many threads would leave that much resident per thread, so the
/// server's memory stays small only if they queue here.
pub async fn on_hasher<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static HASHER: OnceLock<Mutex<std::sync::mpsc::Sender<Job>>> = OnceLock::new();
    let sender = HASHER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("turno-hasher".into())
            .spawn(move || {
                for job in rx {
                    job();
                    release_freed_memory();
                }
            })
            .expect("the hashing thread starts");
        Mutex::new(tx)
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .map_err(|_| Error::internal("the hashing thread stopped"))?;
    rx.await.map_err(|_| Error::internal("a password check failed"))
}

/// Hands the memory of the last hash back to the operating system: glibc keeps freed blocks this large
/// in its heap otherwise, and the server's resident memory would grow by a hash's 19 MiB.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the system; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Resolved tokens, so that a busy counter does not hit the database on every request. Cleared on
/// logout, device revocation and any user change, so a revoked credential stops at once.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (Principal, Option<Timestamp>)>>,
}

impl TokenCache {
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn get(&self, hash: &str, now: Timestamp) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (p, expires) = entries.get(hash)?;
        expires.is_none_or(|e| e > now).then(|| p.clone())
    }

    fn put(&self, hash: String, p: Principal, expires: Option<Timestamp>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.clear();
        }
        entries.insert(hash, (p, expires));
    }
}

/// Resolves a bearer token to its principal.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal> {
    let hash = token_hash(token);
    let now = state.store.now();
    if let Some(p) = state.tokens.get(&hash, now) {
        return Ok(p);
    }
    let h = hash.clone();
    let found = state
        .store
        .read(move |c| {
            if let Some((user, expires)) = cfg::user_by_token(c, &h, now)? {
                return Ok(Some((Principal::User(user), Some(expires))));
            }
            Ok(cfg::device_by_token(c, &h)?.map(|d| (Principal::Device(d), None)))
        })
        .await?;
    let (p, expires) = found.ok_or(Error::Unauthenticated)?;
    state.tokens.put(hash, p.clone(), expires);
    Ok(p)
}

/// The bearer token of a request, from its `Authorization` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = bearer(parts).ok_or(Error::Unauthenticated)?.to_owned();
        authenticate(state, &token).await
    }
}

/// A kiosk device.
pub struct Kiosk(pub Device);

impl FromRequestParts<AppState> for Kiosk {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Device(d) if d.kind == DeviceKind::Kiosk => Ok(Kiosk(d)),
            _ => Err(Error::forbidden("this needs a kiosk's device token")),
        }
    }
}

/// A signed-in person: clerk or admin.
pub struct Person(pub User);

impl FromRequestParts<AppState> for Person {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User(u) => Ok(Person(u)),
            Principal::Device(_) => Err(Error::forbidden("this needs a clerk or back-office login")),
        }
    }
}

/// A back-office user.
pub struct Admin(pub User);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::User(u) if u.role == Role::Admin => Ok(Admin(u)),
            _ => Err(Error::forbidden("this needs a back-office login")),
        }
    }
}

/// Failed logins per username and per address; past the limit, logins wait for the window to pass.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    window: Duration,
}

const MAX_FAILURES_PER_USER: u32 = 5;
const MAX_FAILURES_PER_ADDRESS: u32 = 20;

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            failures: Mutex::default(),
            window: Duration::from_secs(300),
        }
    }
}

impl LoginLimiter {
    fn keys(username: &str, addr: Option<IpAddr>) -> [(String, u32); 2] {
        [
            (format!("user:{}", username.to_lowercase()), MAX_FAILURES_PER_USER),
            (
                format!("addr:{}", addr.map_or_else(|| "-".to_owned(), |a| a.to_string())),
                MAX_FAILURES_PER_ADDRESS,
            ),
        ]
    }

    /// Refuses when too many recent failures.
    pub fn check(&self, username: &str, addr: Option<IpAddr>) -> Result<()> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        for (key, max) in Self::keys(username, addr) {
            if let Some((n, since)) = map.get(&key)
                && *n >= max
            {
                let left = self.window.saturating_sub(now.duration_since(*since));
                return Err(Error::TooManyAttempts {
                    retry_after_secs: left.as_secs().max(1),
                });
            }
        }
        Ok(())
    }

    pub fn failed(&self, username: &str, addr: Option<IpAddr>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(username, addr) {
            map.entry(key).or_insert((0, Instant::now())).0 += 1;
        }
    }

    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("user:{}", username.to_lowercase()));
    }
}
