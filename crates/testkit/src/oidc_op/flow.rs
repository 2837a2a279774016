//! The authorization-code flow: the `/authorize` and `/token` endpoints, with
//! PKCE and client authentication.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::hash::{MessageDigest, hash};
use serde_json::{Value, json};

use super::accounts::User;
use super::jwt::{self, b64, token_hash};
use super::keys::SigningKey;
use super::server::{AccessGrant, AccessTokenFormat, CodeGrant, Shared, Tamper, id_token_claims, now, random_token};

/// Parses `application/x-www-form-urlencoded` parameters; a parameter given
/// twice is an error (RFC 6749 §3.1, §3.2).
fn parse_params(input: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(input) {
        if params.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(format!("parameter `{name}` is given more than once"));
        }
    }
    Ok(params)
}

pub(super) async fn authorize_get(AxumState(shared): AxumState<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    authorize(&shared, query.unwrap_or_default().as_bytes())
}

pub(super) async fn authorize_post(AxumState(shared): AxumState<Arc<Shared>>, body: Bytes) -> Response {
    authorize(&shared, &body)
}

/// An error shown to the user agent instead of redirecting (the redirect URI
/// cannot be trusted).
fn error_page(error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page("server_error", "the redirect location is not a valid header value"),
    }
}

/// `redirect_uri` with the given response parameters appended to its query.
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            found(url.as_str())
        }
        Err(_) => error_page("invalid_request", "redirect_uri is not an absolute URL"),
    }
}

/// The authorization endpoint: validates the request and, with a user logged
/// in, redirects back with a code at once (no UI).
fn authorize(shared: &Shared, query: &[u8]) -> Response {
    shared.counters.authorize.fetch_add(1, Ordering::Relaxed);
    let params = match parse_params(query) {
        Ok(params) => params,
        Err(description) => return error_page("invalid_request", &description),
    };
    let param = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let mut state = shared.lock();

    // Without a known client and an exactly registered redirect_uri, never redirect.
    let Some(client_id) = param("client_id") else {
        return error_page("invalid_request", "client_id is missing");
    };
    let Some(client) = state.clients.iter().find(|c| c.id == client_id) else {
        return error_page("invalid_client", &format!("client_id `{client_id}` is not registered"));
    };
    let Some(redirect_uri) = param("redirect_uri") else {
        return error_page("invalid_request", "redirect_uri is missing");
    };
    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return error_page(
            "invalid_request",
            &format!("redirect_uri `{redirect_uri}` is not registered for client `{client_id}`"),
        );
    }

    let client_state = param("state");
    let issuer = shared.issuer.as_str();
    let fail = |error: &str, description: &str| {
        let mut response = vec![("error", error), ("error_description", description)];
        if let Some(client_state) = client_state {
            response.push(("state", client_state));
        }
        response.push(("iss", issuer));
        redirect_with(redirect_uri, &response)
    };

    match param("response_type") {
        None => return fail("invalid_request", "response_type is missing"),
        Some("code") => {}
        Some(_) => return fail("unsupported_response_type", "only response_type=code is supported"),
    }
    let scope = param("scope").unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return fail("invalid_scope", "scope must contain `openid`");
    }
    let Some(client_state) = client_state else {
        return fail("invalid_request", "state is required by this provider");
    };
    let Some(nonce) = param("nonce") else {
        return fail("invalid_request", "nonce is required by this provider");
    };
    let Some(code_challenge) = param("code_challenge") else {
        return fail("invalid_request", "code challenge required (PKCE with S256)");
    };
    if param("code_challenge_method") != Some("S256") {
        return fail(
            "invalid_request",
            "transform algorithm not supported: code_challenge_method must be S256",
        );
    }
    if code_challenge.len() != 43 || !code_challenge.bytes().all(is_base64url) {
        return fail(
            "invalid_request",
            "code_challenge must be the 43-character base64url SHA-256 of the verifier",
        );
    }
    let Some(user) = state.user.clone() else {
        return fail("login_required", "no user is logged in at the test provider");
    };
    let Ok(code) = random_token() else {
        return fail("server_error", "could not generate a random code");
    };
    let now = now();
    let grant = CodeGrant {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        nonce: nonce.to_owned(),
        code_challenge: code_challenge.to_owned(),
        scope: scope.to_owned(),
        user,
        auth_time: now,
        expires_at: now + state.settings.code_ttl.as_secs(),
        used: false,
        access_tokens: Vec::new(),
    };
    state.codes.insert(code.clone(), grant);
    redirect_with(
        redirect_uri,
        &[("code", &code), ("state", client_state), ("iss", issuer)],
    )
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A token-endpoint error (RFC 6749 §5.2).
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl TokenError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = if error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        TokenError {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, no_store(), axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="studio-fed-testkit""#),
            );
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

/// Decodes one `application/x-www-form-urlencoded` component (RFC 6749 §2.3.1
/// encodes the Basic credentials that way).
fn form_decode(input: &str) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut bytes = input.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                match std::str::from_utf8(&hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(decoded) if hex.len() == 2 => out.push(decoded),
                    _ => {
                        out.push(b'%');
                        out.extend(hex);
                    }
                }
            }
            b => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The client credentials of a token request: `(client_id, secret)`.
fn client_credentials(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(String, Option<String>), TokenError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    match basic {
        Some(encoded) => {
            if params.contains_key("client_secret") {
                return Err(TokenError::new(
                    "invalid_request",
                    "use one client authentication method, not two",
                ));
            }
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| TokenError::new("invalid_client", "the Basic credentials are not base64 UTF-8"))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| TokenError::new("invalid_client", "the Basic credentials have no `:`"))?;
            let id = form_decode(id);
            if params.get("client_id").is_some_and(|form_id| *form_id != id) {
                return Err(TokenError::new(
                    "invalid_request",
                    "client_id differs from the Basic credentials",
                ));
            }
            Ok((id, Some(form_decode(secret))))
        }
        None => {
            let id = params
                .get("client_id")
                .ok_or_else(|| TokenError::new("invalid_client", "no client authentication and no client_id"))?;
            Ok((id.clone(), params.get("client_secret").cloned()))
        }
    }
}

pub(super) async fn token(AxumState(shared): AxumState<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    shared.counters.token.fetch_add(1, Ordering::Relaxed);
    match exchange_code(&shared, &headers, &body) {
        Ok(response) => (no_store(), axum::Json(response)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The token endpoint's authorization_code grant.
fn exchange_code(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, TokenError> {
    let params = parse_params(body).map_err(|d| TokenError::new("invalid_request", d))?;
    let param = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let (client_id, secret) = client_credentials(headers, &params)?;
    let mut guard = shared.lock();
    let state = &mut *guard;
    let client = state
        .clients
        .iter()
        .find(|c| c.id == client_id)
        .ok_or_else(|| TokenError::new("invalid_client", format!("client `{client_id}` is not registered")))?;
    match (&client.secret, &secret) {
        (Some(expected), Some(given)) if expected == given => {}
        (Some(_), Some(_)) => return Err(TokenError::new("invalid_client", "wrong client secret")),
        (Some(_), None) => {
            return Err(TokenError::new(
                "invalid_client",
                "this confidential client must authenticate",
            ));
        }
        (None, Some(_)) => return Err(TokenError::new("invalid_client", "this public client has no secret")),
        (None, None) => {}
    }

    match param("grant_type") {
        None => return Err(TokenError::new("invalid_request", "grant_type is missing")),
        Some("authorization_code") => {}
        Some(other) => {
            return Err(TokenError::new(
                "unsupported_grant_type",
                format!("`{other}` is not supported"),
            ));
        }
    }
    let code = param("code").ok_or_else(|| TokenError::new("invalid_request", "code is missing"))?;
    let now = now();
    let grant = match state.codes.get_mut(code) {
        None => return Err(TokenError::new("invalid_grant", "unknown authorization code")),
        Some(grant) if grant.used => {
            // A replayed code: refuse, and revoke what the first use obtained (RFC 6749 §4.1.2).
            let revoked = std::mem::take(&mut grant.access_tokens);
            for access_token in revoked {
                state.access_tokens.remove(&access_token);
            }
            return Err(TokenError::new("invalid_grant", "authorization code already used"));
        }
        Some(grant) => {
            // Single use: consumed by this request whatever its outcome.
            grant.used = true;
            grant
        }
    };
    if grant.expires_at <= now {
        return Err(TokenError::new("invalid_grant", "authorization code expired"));
    }
    if grant.client_id != client_id {
        return Err(TokenError::new(
            "invalid_grant",
            "authorization code was issued to another client",
        ));
    }
    if param("redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return Err(TokenError::new(
            "invalid_grant",
            "redirect_uri differs from the authorization request",
        ));
    }
    let verifier =
        param("code_verifier").ok_or_else(|| TokenError::new("invalid_grant", "code_verifier is missing"))?;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return Err(TokenError::new(
            "invalid_grant",
            "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]",
        ));
    }
    if pkce_challenge(verifier) != grant.code_challenge {
        return Err(TokenError::new("invalid_grant", "PKCE verification failed"));
    }

    let (user, nonce, auth_time, scope) = (
        grant.user.clone(),
        grant.nonce.clone(),
        grant.auth_time,
        grant.scope.clone(),
    );
    let settings = state.settings.clone();
    let key = state.keys.signing_key().clone();
    let server_error = |e: super::Error| TokenError::new("server_error", e.to_string());
    let access_token = match settings.access_token_format {
        AccessTokenFormat::Jwt => access_token_jwt(&shared.issuer, &client_id, &user, &scope, &key, settings.token_ttl)
            .map_err(server_error)?,
        AccessTokenFormat::Opaque => random_token().map_err(|e| server_error(e.into()))?,
    };
    let at_hash = Some(token_hash(&access_token));
    let claims = id_token_claims(
        &shared.issuer,
        &client_id,
        &user,
        &nonce,
        auth_time,
        settings.token_ttl,
        at_hash,
    );
    let id_token = match state.tampering.pop_front() {
        None => jwt::encode(&jwt::header(&key, "JWT"), &Value::Object(claims), |input| {
            key.sign(input)
        })
        .map_err(server_error)?,
        Some(Tamper::Claims { edit, options }) => {
            let mut claims = claims;
            edit(&mut claims);
            super::mint(state, &Value::Object(claims), &options).map_err(server_error)?
        }
        Some(Tamper::AccessToken) => access_token.clone(),
        Some(Tamper::Verbatim(token)) => token,
    };

    if let Some(grant) = state.codes.get_mut(code) {
        grant.access_tokens.push(access_token.clone());
    }
    let expires_at = now + settings.token_ttl.as_secs();
    state
        .access_tokens
        .insert(access_token.clone(), AccessGrant { user, expires_at });
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.token_ttl.as_secs(),
        "id_token": id_token,
        "scope": scope,
    }))
}

/// The S256 PKCE challenge of a verifier: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    hash(MessageDigest::sha256(), verifier.as_bytes())
        .map(|d| b64(&d))
        .unwrap_or_default()
}

/// An RFC 9068 access token.
fn access_token_jwt(
    issuer: &str,
    client_id: &str,
    user: &User,
    scope: &str,
    key: &SigningKey,
    ttl: Duration,
) -> Result<String, super::Error> {
    let now = now();
    let claims = json!({
        "iss": issuer,
        "sub": user.sub,
        "aud": client_id,
        "client_id": client_id,
        "exp": now + ttl.as_secs(),
        "iat": now,
        "jti": random_token()?,
        "scope": scope,
    });
    jwt::encode(&jwt::header(key, "at+jwt"), &claims, |input| key.sign(input))
}
