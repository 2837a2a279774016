//! The provider's state, its router, and the simple endpoints (discovery,
//! JWKS, userinfo); the code flow itself is in `flow`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::accounts::{Client, User};
use super::flow;
use super::jwt::b64;
use super::keys::KeySet;

/// Paths of the endpoints, relative to the issuer.
pub(super) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub(super) const JWKS_PATH: &str = "/jwks";
pub(super) const AUTHORIZE_PATH: &str = "/authorize";
pub(super) const TOKEN_PATH: &str = "/token";
pub(super) const USERINFO_PATH: &str = "/userinfo";

/// What the token endpoint returns as `access_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessTokenFormat {
    /// An RFC 9068 JWT (`typ: at+jwt`) signed like the ID token, with
    /// `aud` = `client_id` = the client's id.
    #[default]
    Jwt,
    /// A random opaque string.
    Opaque,
}

/// Lifetimes and formats, fixed at start.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) code_ttl: Duration,
    pub(super) token_ttl: Duration,
    pub(super) access_token_format: AccessTokenFormat,
}

/// An issued authorization code.
pub(super) struct CodeGrant {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) nonce: String,
    pub(super) code_challenge: String,
    pub(super) scope: String,
    pub(super) user: User,
    pub(super) auth_time: u64,
    pub(super) expires_at: u64,
    pub(super) used: bool,
    /// Access tokens issued for this code, revoked if the code is replayed.
    pub(super) access_tokens: Vec<String>,
}

/// An issued access token (for userinfo).
pub(super) struct AccessGrant {
    pub(super) user: User,
    pub(super) expires_at: u64,
}

/// An edit of ID-token claims, applied once.
pub(super) type ClaimsEdit = Box<dyn FnOnce(&mut Map<String, Value>) + Send>;

/// How the token endpoint replaces the `id_token` of a successful response.
pub(super) enum Tamper {
    /// The claims the provider would have issued (nonce, `at_hash`...) edited, then minted.
    Claims {
        edit: ClaimsEdit,
        options: super::MintOptions,
    },
    /// The access token of the same response.
    AccessToken,
    /// A fixed string.
    Verbatim(String),
}

/// Everything the endpoints read and the [`super::OidcProvider`] handle changes.
pub(super) struct State {
    pub(super) keys: KeySet,
    /// Unpublished keys for negative tests, made on first use.
    pub(super) rogue: Option<KeySet>,
    /// `None`: nobody is logged in; `/authorize` answers `login_required`.
    pub(super) user: Option<User>,
    pub(super) clients: Vec<Client>,
    pub(super) settings: Settings,
    pub(super) codes: HashMap<String, CodeGrant>,
    pub(super) access_tokens: HashMap<String, AccessGrant>,
    /// Replacements of the `id_token` of the next successful token responses, in order.
    pub(super) tampering: VecDeque<Tamper>,
}

impl State {
    pub(super) fn new(keys: KeySet, user: User, clients: Vec<Client>, settings: Settings) -> Self {
        State {
            keys,
            rogue: None,
            user: Some(user),
            clients,
            settings,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            tampering: VecDeque::new(),
        }
    }
}

/// Request counters, for tests of caching and refresh behaviour.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) discovery: AtomicUsize,
    pub(super) jwks: AtomicUsize,
    pub(super) authorize: AtomicUsize,
    pub(super) token: AtomicUsize,
    pub(super) userinfo: AtomicUsize,
}

/// State shared by the server and the handle.
pub(super) struct Shared {
    pub(super) issuer: String,
    pub(super) counters: Counters,
    state: Mutex<State>,
}

impl Shared {
    pub(super) fn new(issuer: String, state: State) -> Self {
        Shared {
            issuer,
            counters: Counters::default(),
            state: Mutex::new(state),
        }
    }

    /// Locks the state; a panic in another holder does not make it unusable.
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The claims of an ID token the provider issues, in a conventional order.
/// User claims never override the protocol claims.
pub(super) fn id_token_claims(
    issuer: &str,
    client_id: &str,
    user: &User,
    nonce: &str,
    auth_time: u64,
    ttl: Duration,
    at_hash: Option<String>,
) -> Map<String, Value> {
    let now = now();
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer.into());
    claims.insert("sub".into(), user.sub.clone().into());
    claims.insert("aud".into(), client_id.into());
    claims.insert("exp".into(), (now + ttl.as_secs()).into());
    claims.insert("iat".into(), now.into());
    claims.insert("auth_time".into(), auth_time.into());
    claims.insert("nonce".into(), nonce.into());
    claims.insert("azp".into(), client_id.into());
    if let Some(at_hash) = at_hash {
        claims.insert("at_hash".into(), at_hash.into());
    }
    for (name, value) in user.claims() {
        claims.entry(name).or_insert(value);
    }
    claims
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(DISCOVERY_PATH, get(discovery))
        .route(JWKS_PATH, get(jwks))
        .route(AUTHORIZE_PATH, get(flow::authorize_get).post(flow::authorize_post))
        .route(TOKEN_PATH, axum::routing::post(flow::token))
        .route(USERINFO_PATH, get(userinfo).post(userinfo))
        .with_state(shared)
}

async fn discovery(AxumState(shared): AxumState<Arc<Shared>>) -> Response {
    shared.counters.discovery.fetch_add(1, Ordering::Relaxed);
    let issuer = &shared.issuer;
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{issuer}{USERINFO_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "scopes_supported": ["openid", "email", "profile", "groups"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash",
            "email", "email_verified", "name", "groups"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn jwks(AxumState(shared): AxumState<Arc<Shared>>) -> Response {
    shared.counters.jwks.fetch_add(1, Ordering::Relaxed);
    let jwks = shared.lock().keys.jwks();
    ([(header::CONTENT_TYPE, "application/jwk-set+json")], jwks.to_string()).into_response()
}

/// 32 random bytes, base64url.
pub(super) fn random_token() -> Result<String, openssl::error::ErrorStack> {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes)?;
    Ok(b64(&bytes))
}

async fn userinfo(AxumState(shared): AxumState<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.counters.userinfo.fetch_add(1, Ordering::Relaxed);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let state = shared.lock();
    let grant = token
        .and_then(|t| state.access_tokens.get(t))
        .filter(|g| g.expires_at > now());
    match grant {
        Some(grant) => axum::Json(Value::Object(grant.user.claims())).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#)],
            axum::Json(
                json!({"error": "invalid_token", "error_description": "unknown, expired or revoked access token"}),
            ),
        )
            .into_response(),
    }
}
