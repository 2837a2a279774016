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
    /// The UserInfo answer is unusable (not JSON, signed, or about another subject).
    #[error("the provider's UserInfo answer is refused: {0}")]
    UserInfo(String),
}

impl OidcError {
    /// A stable, machine-readable code for this failure, in `snake_case` (e.g. `alg_not_allowed`,
    /// `unknown_key`, `nonce_reused`, `state_mismatch`).
    ///
    /// Codes are part of the public API: an HTTP gateway puts them in its error body and audit log,
    /// and tests assert them. A code is never renamed or reused for another failure; new variants
    /// get new codes. The code carries no detail of the variant (claims, algorithms, hosts), so it
    /// is safe to log and to show. Every variant has its own code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed_token",
            Self::UnsignedToken => "unsigned_token",
            Self::AlgorithmNotAllowed { .. } => "alg_not_allowed",
            Self::UnknownKey { .. } => "unknown_key",
            Self::AmbiguousKey => "ambiguous_key",
            Self::BadSignature => "bad_signature",
            Self::WrongTokenType(_) => "wrong_token_type",
            Self::UnsupportedHeader(_) => "unsupported_header",
            Self::WrongIssuer { .. } => "wrong_issuer",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::WrongAuthorizedParty { .. } => "wrong_authorized_party",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::IssuedInFuture { .. } => "issued_in_future",
            Self::TooOld { .. } => "too_old",
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaimType { .. } => "invalid_claim_type",
            Self::NonceMismatch => "nonce_mismatch",
            Self::NonceReused => "nonce_reused",
            Self::ReplayCacheUnavailable(_) => "replay_cache_unavailable",
            Self::AccessTokenHashMismatch => "at_hash_mismatch",
            Self::CodeHashMismatch => "c_hash_mismatch",
            Self::StateMismatch => "state_mismatch",
            Self::MissingState => "missing_state",
            Self::MissingCode => "missing_code",
            Self::CallbackIssuerMismatch(_) => "callback_issuer_mismatch",
            Self::AuthorizationDenied { .. } => "authorization_denied",
            Self::PkceVerifierMismatch(_) => "pkce_verifier_mismatch",
            Self::TokenExchange(_) => "token_exchange_failed",
            Self::Discovery(_) => "discovery_failed",
            Self::Jwks(_) => "jwks_failed",
            Self::Tls { .. } => "tls_failed",
            Self::Http(_) => "http_failed",
            Self::Config(_) => "misconfigured",
            Self::UserInfo(_) => "userinfo_refused",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::OidcError;

    /// A distinct number per variant; the exhaustive match makes a new variant fail to compile here
    /// until it is numbered (and then [`samples`] must cover it).
    fn ordinal(error: &OidcError) -> usize {
        match error {
            OidcError::Malformed(_) => 0,
            OidcError::UnsignedToken => 1,
            OidcError::AlgorithmNotAllowed { .. } => 2,
            OidcError::UnknownKey { .. } => 3,
            OidcError::AmbiguousKey => 4,
            OidcError::BadSignature => 5,
            OidcError::WrongTokenType(_) => 6,
            OidcError::UnsupportedHeader(_) => 7,
            OidcError::WrongIssuer { .. } => 8,
            OidcError::WrongAudience { .. } => 9,
            OidcError::WrongAuthorizedParty { .. } => 10,
            OidcError::Expired { .. } => 11,
            OidcError::NotYetValid { .. } => 12,
            OidcError::IssuedInFuture { .. } => 13,
            OidcError::TooOld { .. } => 14,
            OidcError::MissingClaim(_) => 15,
            OidcError::InvalidClaimType { .. } => 16,
            OidcError::NonceMismatch => 17,
            OidcError::NonceReused => 18,
            OidcError::ReplayCacheUnavailable(_) => 19,
            OidcError::AccessTokenHashMismatch => 20,
            OidcError::CodeHashMismatch => 21,
            OidcError::StateMismatch => 22,
            OidcError::MissingState => 23,
            OidcError::MissingCode => 24,
            OidcError::CallbackIssuerMismatch(_) => 25,
            OidcError::AuthorizationDenied { .. } => 26,
            OidcError::PkceVerifierMismatch(_) => 27,
            OidcError::TokenExchange(_) => 28,
            OidcError::Discovery(_) => 29,
            OidcError::Jwks(_) => 30,
            OidcError::Tls { .. } => 31,
            OidcError::Http(_) => 32,
            OidcError::Config(_) => 33,
            OidcError::UserInfo(_) => 34,
        }
    }

    const VARIANTS: usize = 35;

    fn samples() -> Vec<OidcError> {
        let s = || "x".to_owned();
        vec![
            OidcError::Malformed(s()),
            OidcError::UnsignedToken,
            OidcError::AlgorithmNotAllowed { alg: s(), allowed: s() },
            OidcError::UnknownKey { kid: None, alg: s() },
            OidcError::AmbiguousKey,
            OidcError::BadSignature,
            OidcError::WrongTokenType(s()),
            OidcError::UnsupportedHeader(s()),
            OidcError::WrongIssuer {
                expected: s(),
                found: s(),
            },
            OidcError::WrongAudience { client_id: s() },
            OidcError::WrongAuthorizedParty {
                client_id: s(),
                found: None,
            },
            OidcError::Expired {
                exp: 0,
                now: 0,
                skew_secs: 0,
            },
            OidcError::NotYetValid { nbf: 0, now: 0 },
            OidcError::IssuedInFuture { iat: 0, now: 0 },
            OidcError::TooOld {
                iat: 0,
                max_age_secs: 0,
            },
            OidcError::MissingClaim(s()),
            OidcError::InvalidClaimType {
                claim: s(),
                expected: s(),
            },
            OidcError::NonceMismatch,
            OidcError::NonceReused,
            OidcError::ReplayCacheUnavailable(s()),
            OidcError::AccessTokenHashMismatch,
            OidcError::CodeHashMismatch,
            OidcError::StateMismatch,
            OidcError::MissingState,
            OidcError::MissingCode,
            OidcError::CallbackIssuerMismatch(s()),
            OidcError::AuthorizationDenied {
                error: s(),
                description: None,
            },
            OidcError::PkceVerifierMismatch(s()),
            OidcError::TokenExchange(s()),
            OidcError::Discovery(s()),
            OidcError::Jwks(s()),
            OidcError::Tls { host: s(), reason: s() },
            OidcError::Http(s()),
            OidcError::Config(s()),
            OidcError::UserInfo(s()),
        ]
    }

    #[test]
    fn every_variant_has_its_own_snake_case_code() {
        let samples = samples();
        let mut ordinals: Vec<usize> = samples.iter().map(ordinal).collect();
        ordinals.sort_unstable();
        assert_eq!(ordinals, (0..VARIANTS).collect::<Vec<_>>(), "one sample per variant");
        let codes: HashSet<&str> = samples.iter().map(OidcError::code).collect();
        assert_eq!(codes.len(), VARIANTS, "codes are unique per variant");
        for code in codes {
            assert!(
                !code.is_empty()
                    && code.starts_with(|c: char| c.is_ascii_lowercase())
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{code} is not snake_case"
            );
        }
    }

    #[test]
    fn codes_do_not_depend_on_details() {
        let a = OidcError::MissingClaim("exp".into());
        assert_eq!(a.code(), OidcError::MissingClaim("iss".into()).code());
        assert_eq!(a.code(), "missing_claim");
        assert_eq!(OidcError::UnsignedToken.code(), "unsigned_token");
    }
}
