//! Why an OIDC operation failed: one variant per check, never containing a token.

/// Why discovery, validation, a login or a thumbprint failed.
///
/// Each variant names the check that failed and what to do about it. No
/// message ever includes a token, a code, a nonce or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The token is not a compact JWS (three base64url segments of JSON).
    #[error("the ID token is malformed: {0}; send the compact JWS exactly as the provider issued it")]
    Malformed(String),
    /// `alg: none` (or an empty signature).
    #[error("the ID token is unsigned (alg `none`); only signed tokens are accepted")]
    UnsignedToken,
    /// The header's algorithm is not in the allowlist.
    #[error(
        "signing algorithm `{alg}` is not allowed (allowed: {allowed}); configure the provider to sign with one of them"
    )]
    AlgorithmNotAllowed {
        /// The algorithm the token names.
        alg: String,
        /// The configured allowlist.
        allowed: String,
    },
    /// No key of the issuer's JWKS matches the token's `kid` and algorithm, even after a refresh.
    #[error(
        "no key in the issuer's JWKS matches kid {kid:?} for {alg}; if the provider rotated its keys, retry after the JWKS refresh interval"
    )]
    UnknownKey {
        /// The `kid` header, if any.
        kid: Option<String>,
        /// The algorithm.
        alg: String,
    },
    /// Several keys match a token without a `kid`.
    #[error("the token has no kid and several JWKS keys could have signed it; the provider must send a kid")]
    AmbiguousKey,
    /// The signature does not verify with the issuer's key.
    #[error("the ID token signature does not verify with the issuer's key: it was forged or altered")]
    BadSignature,
    /// The `typ` header is not `JWT` (e.g. `at+jwt`, `logout+jwt`).
    #[error("the token has typ `{0}`, not an ID token (`JWT`): access and logout tokens cannot be used to log in")]
    WrongTokenType(String),
    /// A header field that cannot be honoured (`crit`, `cty`, JWE).
    #[error("unsupported JOSE header: {0}")]
    UnsupportedHeader(String),
    /// `iss` differs from the configured issuer (exact string comparison).
    #[error(
        "issuer `{found}` is not the configured issuer `{expected}` (compared exactly, including any trailing slash)"
    )]
    WrongIssuer {
        /// The configured issuer.
        expected: String,
        /// The `iss` claim.
        found: String,
    },
    /// `aud` does not contain the client id, or has untrusted extra audiences.
    #[error("the token's audience does not include client `{client_id}`: it was issued to another application")]
    WrongAudience {
        /// The configured client id.
        client_id: String,
    },
    /// `azp` is present and not the client id, or missing with several audiences.
    #[error("authorized party (azp) {found:?} is not client `{client_id}`; the token was obtained by another client")]
    WrongAuthorizedParty {
        /// The configured client id.
        client_id: String,
        /// The `azp` claim (None: missing although there are several audiences).
        found: Option<String>,
    },
    /// `exp` has passed (beyond the allowed clock skew).
    #[error("the ID token expired at {exp} (now {now}, skew {skew_secs} s); log in again")]
    Expired {
        /// `exp`, seconds since the epoch.
        exp: i64,
        /// The current time.
        now: i64,
        /// The allowed clock skew.
        skew_secs: i64,
    },
    /// `nbf` is in the future (beyond the allowed clock skew).
    #[error("the ID token is not valid before {nbf} (now {now}); check the clocks of the provider and this host")]
    NotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The current time.
        now: i64,
    },
    /// `iat` is in the future (beyond the allowed clock skew).
    #[error("the ID token was issued in the future ({iat}, now {now}); check the clocks of the provider and this host")]
    IssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The current time.
        now: i64,
    },
    /// `iat` is older than the configured maximum age.
    #[error("the ID token was issued at {iat}, more than {max_age_secs} s ago; log in again")]
    TooOld {
        /// `iat`.
        iat: i64,
        /// The configured maximum age.
        max_age_secs: i64,
    },
    /// A required claim is absent.
    #[error("the ID token lacks the required `{0}` claim")]
    MissingClaim(String),
    /// A claim has the wrong JSON type (e.g. `exp` as a string).
    #[error("claim `{claim}` must be {expected}")]
    InvalidClaimType {
        /// The claim.
        claim: String,
        /// What was expected.
        expected: String,
    },
    /// `nonce` differs from the one sent in the authorization request.
    #[error("the ID token nonce does not match the login request: restart the login")]
    NonceMismatch,
    /// The nonce was already used by an earlier login.
    #[error("the ID token nonce was already used: a replayed login is refused")]
    NonceReused,
    /// The replay cache could not be consulted (fail closed).
    #[error("the nonce replay cache is unavailable, so the login is refused: {0}")]
    ReplayCacheUnavailable(String),
    /// `at_hash` does not match the access token.
    #[error(
        "at_hash does not match the access token returned with the ID token: the tokens were mixed up or substituted"
    )]
    AccessTokenHashMismatch,
    /// `c_hash` does not match the authorization code.
    #[error("c_hash does not match the authorization code: the code was substituted")]
    CodeHashMismatch,
    /// The callback's `state` differs from the pending login's.
    #[error("the callback state does not match this browser's login: possible CSRF; restart the login")]
    StateMismatch,
    /// The callback carries no `state`.
    #[error("the callback has no `state` parameter; restart the login")]
    MissingState,
    /// The callback carries no `code`.
    #[error("the callback has no `code` parameter; restart the login")]
    MissingCode,
    /// The callback's `iss` parameter (RFC 9207) is not the issuer.
    #[error("the callback's iss parameter `{0}` is not the configured issuer: possible mix-up attack")]
    CallbackIssuerMismatch(String),
    /// The provider answered the authorization request with an OAuth error.
    #[error("the provider refused the login: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    AuthorizationDenied {
        /// The OAuth `error` code.
        error: String,
        /// `error_description`, if any.
        description: Option<String>,
    },
    /// The token endpoint refused the PKCE code verifier.
    #[error(
        "the token endpoint refused the PKCE code verifier ({0}): the callback does not belong to this browser's login"
    )]
    PkceVerifierMismatch(String),
    /// The code exchange failed otherwise.
    #[error("exchanging the authorization code failed: {0}")]
    TokenExchange(String),
    /// Discovery failed.
    #[error(
        "OIDC discovery failed: {0}; check the issuer URL and that `/.well-known/openid-configuration` is reachable"
    )]
    Discovery(String),
    /// Fetching or parsing the JWKS failed.
    #[error("fetching the issuer's JWKS failed: {0}")]
    Jwks(String),
    /// A TLS connection could not be made or verified.
    #[error("TLS to {host} failed: {reason}; check the certificate chain (or pass the private root CA)")]
    Tls {
        /// `host:port`.
        host: String,
        /// Why.
        reason: String,
    },
    /// An HTTP transport error.
    #[error("HTTP request failed: {0}")]
    Http(String),
    /// The configuration is unusable.
    #[error("invalid OIDC configuration: {0}")]
    Config(String),
}
