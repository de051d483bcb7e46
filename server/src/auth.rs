//! Who is calling: bearer tokens of signed-in users (clerks, admins) and of devices (kiosks, displays),
//! the extractors that check each route's role, password hashing, and the failed-login limiter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use turno_shared::api::{Device, ErrorCode, LoginRequest, LoginResponse, User};
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

/// How many password checks may wait for the hashing thread. One takes a few tens of milliseconds, so
/// a full queue is well under a second of work: a flood of logins is answered 503 beyond it rather
/// than delaying a clerk's login by minutes.
pub const MAX_QUEUED_HASHES: usize = 16;

type HashJob = Box<dyn FnOnce() + Send>;

/// Runs password work (Argon2) on one thread of its own, one hash at a time. Each hash takes 19 MiB;
/// a burst of logins spread over many threads would leave that much resident per thread, so the
/// server's memory stays small only if they queue here. At most [`MAX_QUEUED_HASHES`] wait.
#[derive(Clone)]
pub struct Hasher {
    jobs: tokio::sync::mpsc::Sender<HashJob>,
}

impl Hasher {
    /// Starts the hashing thread; it ends when the last handle is dropped.
    pub fn start() -> Self {
        let (jobs, mut rx) = tokio::sync::mpsc::channel::<HashJob>(MAX_QUEUED_HASHES);
        std::thread::Builder::new()
            .name("turno-hasher".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    job();
                    release_freed_memory();
                }
            })
            .expect("the hashing thread starts");
        Self { jobs }
    }

    fn job<T: Send + 'static>(
        work: impl FnOnce() -> T + Send + 'static,
    ) -> (HashJob, tokio::sync::oneshot::Receiver<T>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move || {
            let _ = tx.send(work());
        });
        (job, rx)
    }

    /// Runs `work` once a place in the queue is free (back-office work: setting a password).
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (job, rx) = Self::job(work);
        self.jobs
            .send(job)
            .await
            .map_err(|_| Error::internal("the hashing thread stopped"))?;
        rx.await.map_err(|_| Error::internal("a password hash failed"))
    }

    /// Runs `work`, or refuses with [`Error::Unavailable`] at once when the queue is full (logins).
    pub async fn try_run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (job, rx) = Self::job(work);
        self.jobs.try_send(job).map_err(|e| match e {
            tokio::sync::mpsc::error::TrySendError::Full(_) => {
                Error::Unavailable("too many sign-ins at once: try again in a moment".into())
            }
            tokio::sync::mpsc::error::TrySendError::Closed(_) => Error::internal("the hashing thread stopped"),
        })?;
        rx.await.map_err(|_| Error::internal("a password check failed"))
    }
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
/// logout, device revocation and any user change, so a revoked credential stops at once; an entry
/// also lives at most [`TokenCache::TTL`], so that changes made by another process (the `admin`
/// command) take effect within it.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    principal: Principal,
    /// When a login expires; devices do not.
    expires: Option<Timestamp>,
    cached_at: Instant,
}

impl TokenCache {
    pub const TTL: Duration = Duration::from_secs(30);

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn get(&self, hash: &str, now: Timestamp) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let c = entries.get(hash)?;
        (c.expires.is_none_or(|e| e > now) && c.cached_at.elapsed() < Self::TTL).then(|| c.principal.clone())
    }

    fn put(&self, hash: String, principal: Principal, expires: Option<Timestamp>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.clear();
        }
        entries.insert(
            hash,
            Cached {
                principal,
                expires,
                cached_at: Instant::now(),
            },
        );
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

/// Signs a person in: checks the password (throttled per username and address, and per address),
/// and stores a new login token. Unknown and inactive usernames cost the same hash as real ones, so
/// neither timing nor answer tells which usernames exist.
pub async fn login(state: &AppState, req: LoginRequest, client: IpAddr) -> Result<LoginResponse> {
    let username = req.username.trim().to_lowercase();
    let attempt = state.limiter.attempt(&username, client)?;
    let name = username.clone();
    let found = state.store.read(move |c| cfg::user_by_username(c, &name)).await?;
    let password = req.password;
    let counter = state.password_checks.clone();
    let checked = state
        .hasher
        .try_run(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (user, hash) = match found {
                Some((user, hash)) => (Some(user), hash),
                None => (None, dummy_hash().to_owned()),
            };
            let right = verify_password(&password, &hash);
            user.filter(|u| right && u.active)
        })
        .await;
    let user = match checked {
        Ok(Some(user)) => user,
        Ok(None) => {
            drop(attempt);
            return Err(Error::BadRequest {
                status: StatusCode::UNAUTHORIZED,
                code: ErrorCode::BadCredentials,
                message: "wrong username or password".into(),
            });
        }
        Err(e) => {
            attempt.withdrawn();
            return Err(e);
        }
    };
    attempt.succeeded();
    let token = new_token();
    let hash = token_hash(&token);
    let ttl = state.office.login_ttl;
    let user_id = user.id;
    let expires_at = state
        .store
        .write(move |ctx| {
            let expires = ctx.now().checked_add(ttl).map_err(Error::internal)?;
            cfg::delete_expired_tokens(ctx.conn, ctx.now())?;
            cfg::insert_token(ctx.conn, &hash, user_id, expires)?;
            Ok(expires)
        })
        .await?;
    Ok(LoginResponse {
        token,
        expires_at,
        user,
    })
}

/// A hash of no one's password, for unknown usernames to cost the same as known ones.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// Counts failed attempts per key in a window of time; a key that used up its allowance is refused
/// until the window passes. An attempt counts from the moment it is let through, before its outcome
/// is known, so that many attempts in flight at once cannot pass the check together.
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
    window: Duration,
}

#[derive(Debug)]
struct Entry {
    /// Failed attempts plus attempts still in flight.
    count: u32,
    since: Instant,
}

/// An attempt let through by a [`Throttle`]: say how it ended with [`Attempt::succeeded`]; dropped
/// otherwise, it counts as failed.
#[must_use]
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    /// Keys whose failures a success forgets.
    reset_on_success: Vec<String>,
    /// Every key the attempt counted against.
    keys: Vec<String>,
}

impl Throttle {
    pub fn new(window: Duration) -> Self {
        Self {
            entries: Mutex::default(),
            window,
        }
    }

    /// Lets an attempt through if none of `limits` (key, allowance) is used up, and counts it
    /// against each. Keys listed in `reset` are forgotten when the attempt succeeds.
    pub fn attempt(&self, limits: &[(String, u32)], reset: &[String]) -> Result<Attempt<'_>> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, e| now.duration_since(e.since) < self.window);
        for (key, max) in limits {
            if let Some(e) = map.get(key)
                && e.count >= *max
            {
                let left = self.window.saturating_sub(now.duration_since(e.since));
                return Err(Error::TooManyAttempts {
                    retry_after_secs: left.as_secs().max(1),
                });
            }
        }
        for (key, _) in limits {
            map.entry(key.clone()).or_insert(Entry { count: 0, since: now }).count += 1;
        }
        Ok(Attempt {
            throttle: self,
            reset_on_success: reset.to_vec(),
            keys: limits.iter().map(|(k, _)| k.clone()).collect(),
        })
    }
}

impl Attempt<'_> {
    /// The attempt succeeded: it does not count, and the failures of its reset keys are forgotten.
    pub fn succeeded(self) {
        let mut map = self.throttle.entries.lock().unwrap_or_else(|e| e.into_inner());
        for key in &self.reset_on_success {
            map.remove(key);
        }
        Self::uncount(&mut map, &self.keys);
    }

    /// The attempt was never judged (the server was too busy to check it): it does not count.
    pub fn withdrawn(self) {
        let mut map = self.throttle.entries.lock().unwrap_or_else(|e| e.into_inner());
        Self::uncount(&mut map, &self.keys);
    }

    fn uncount(map: &mut HashMap<String, Entry>, keys: &[String]) {
        for key in keys {
            if let Some(e) = map.get_mut(key) {
                e.count = e.count.saturating_sub(1);
            }
        }
    }
}

/// Failed logins allowed per username from one address, then per address for all usernames.
const MAX_FAILURES_PER_USER_AND_ADDRESS: u32 = 5;
const MAX_FAILURES_PER_ADDRESS: u32 = 30;
/// How long a used-up allowance lasts.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);

/// The login throttle: keyed on the username *and* the client's address, so that a stranger's
/// failures never lock the real clerk out at another desk; and on the address alone, so that one
/// machine cannot try many usernames.
pub struct LoginLimiter(Throttle);

impl Default for LoginLimiter {
    fn default() -> Self {
        Self(Throttle::new(LOGIN_WINDOW))
    }
}

impl LoginLimiter {
    pub fn attempt(&self, username: &str, addr: IpAddr) -> Result<Attempt<'_>> {
        let user_here = format!("user:{}@{addr}", username.to_lowercase());
        self.0.attempt(
            &[
                (user_here.clone(), MAX_FAILURES_PER_USER_AND_ADDRESS),
                (format!("addr:{addr}"), MAX_FAILURES_PER_ADDRESS),
            ],
            &[user_here],
        )
    }
}

/// Wrong rating codes a kiosk may send in [`RATING_WINDOW`]: enough for citizens who mistype, far
/// too few to guess the 25 bits of a rating code's check.
const MAX_RATING_FAILURES_PER_KIOSK: u32 = 20;
pub const RATING_WINDOW: Duration = Duration::from_secs(600);

/// Throttles failed rating-code lookups per kiosk.
pub struct RatingLimiter(Throttle);

impl Default for RatingLimiter {
    fn default() -> Self {
        Self(Throttle::new(RATING_WINDOW))
    }
}

impl RatingLimiter {
    pub fn attempt(&self, device_id: i64) -> Result<Attempt<'_>> {
        self.0
            .attempt(&[(format!("kiosk:{device_id}"), MAX_RATING_FAILURES_PER_KIOSK)], &[])
    }
}

/// The address of the client, as [`client_addr`] finds it.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        // Requests that did not come over a socket (tests calling the router) come from nowhere.
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(ClientAddr(client_addr(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The address of the client that sent a request: the peer's, or, when the peer is a trusted
/// reverse proxy, the address it names in `X-Forwarded-For` (the rightmost one that is not itself a
/// trusted proxy).
pub fn client_addr(peer: IpAddr, headers: &axum::http::HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted_proxies.contains(&ip) => continue,
            Ok(ip) => return ip,
            // A malformed entry: trust nothing to its left.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_count_before_their_outcome_and_successes_forget_failures() {
        let t = Throttle::new(Duration::from_secs(60));
        let limits = [("k".to_owned(), 3)];
        let in_flight: Vec<_> = (0..3).map(|_| t.attempt(&limits, &[]).unwrap()).collect();
        assert!(t.attempt(&limits, &[]).is_err(), "three in flight use up the allowance");
        drop(in_flight);
        assert!(t.attempt(&limits, &[]).is_err(), "dropped attempts count as failed");
        let t = Throttle::new(Duration::from_secs(60));
        t.attempt(&limits, &[]).unwrap().succeeded();
        t.attempt(&limits, &[]).unwrap().succeeded();
        drop(t.attempt(&limits, &[]).unwrap());
        drop(t.attempt(&limits, &[]).unwrap());
        t.attempt(&limits, &["k".to_owned()]).unwrap().succeeded();
        for _ in 0..3 {
            drop(t.attempt(&limits, &[]).unwrap());
        }
        assert!(t.attempt(&limits, &[]).is_err());
    }

    #[test]
    fn the_client_address_comes_from_a_trusted_proxy_only() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 192.168.1.20, 10.0.0.1".parse().unwrap());
        assert_eq!(
            client_addr(peer, &headers, &[proxy]),
            peer,
            "an untrusted peer is the client"
        );
        assert_eq!(
            client_addr(proxy, &headers, &[proxy]),
            "192.168.1.20".parse::<IpAddr>().unwrap(),
            "the rightmost untrusted hop, not what the client wrote first"
        );
        headers.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_addr(proxy, &headers, &[proxy]), proxy);
        assert_eq!(client_addr(proxy, &axum::http::HeaderMap::new(), &[proxy]), proxy);
    }
}
