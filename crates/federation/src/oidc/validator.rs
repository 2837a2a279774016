//! ID-token validation: discovery, a rotating JWKS cache and every check of
//! OpenID Connect Core §3.1.3.7 plus the project's threat model.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata};
use openidconnect::{ClientSecret, IssuerUrl, JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyUse, JwsSigningAlgorithm};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::OidcError;
use super::http::HttpClient;
use crate::replay::{InMemoryReplayCache, ReplayCache, ReplayError};

/// The current time; injectable so tests can move it.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Largest ID token accepted, in bytes.
const MAX_TOKEN_BYTES: usize = 32 * 1024;
/// Timestamps beyond this (year 9999) are absurd.
const MAX_TIMESTAMP: i64 = 253_402_300_799;

/// A JWS algorithm an ID token may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the OIDC default).
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// HMAC-SHA-256 keyed with the client secret; only honoured when the
    /// validator is given the secret with [`IdTokenValidatorBuilder::allow_hs256_with_client_secret`].
    Hs256,
}

impl SigningAlgorithm {
    /// The JOSE name, e.g. `RS256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Hs256 => "HS256",
        }
    }

    /// Parses a JOSE name (exact, case-sensitive as RFC 7515 requires).
    pub fn from_jose(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "HS256" => Self::Hs256,
            _ => return None,
        })
    }

    fn core(self) -> CoreJwsSigningAlgorithm {
        match self {
            Self::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Self::Rs384 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            Self::Rs512 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            Self::Ps256 => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            Self::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            Self::Es384 => CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            Self::Hs256 => CoreJwsSigningAlgorithm::HmacSha256,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An ID token that passed every check.
#[derive(Clone)]
pub struct ValidatedIdToken {
    /// `sub`.
    pub subject: String,
    /// `iss` (equal to the configured issuer).
    pub issuer: String,
    /// `aud`, as a list.
    pub audiences: Vec<String>,
    /// `exp`.
    pub expires_at: OffsetDateTime,
    /// `iat`.
    pub issued_at: OffsetDateTime,
    /// `email`, if a string.
    pub email: Option<String>,
    /// `email_verified`, if a boolean.
    pub email_verified: Option<bool>,
    /// `name`, if a string.
    pub name: Option<String>,
    /// `groups`: the string elements of an array, or a single string; empty otherwise.
    pub groups: Vec<String>,
    /// Every claim, for mapping users and teams from configurable claims.
    pub claims: Map<String, Value>,
    raw: String,
}

impl ValidatedIdToken {
    /// The token as received (e.g. for `AssumeRoleWithWebIdentity`). Never log it.
    pub fn raw_token(&self) -> &str {
        &self.raw
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }
}

impl fmt::Debug for ValidatedIdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatedIdToken")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("expires_at", &self.expires_at)
            .field("email", &self.email)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// Options of [`IdTokenValidator`]; start with [`IdTokenValidator::builder`].
pub struct IdTokenValidatorBuilder {
    issuer: String,
    client_id: String,
    algorithms: BTreeSet<SigningAlgorithm>,
    client_secret: Option<String>,
    skew: Duration,
    max_age: Duration,
    clock: Clock,
    replay: Option<Arc<dyn ReplayCache>>,
    refresh_interval: Duration,
    jwks_max_age: Duration,
    trusted_audiences: Vec<String>,
}

impl fmt::Debug for IdTokenValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenValidatorBuilder")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl IdTokenValidatorBuilder {
    /// The allowed algorithms (default RS256 and ES256). `HS256` in this list
    /// is ignored unless a client secret is given too.
    pub fn allowed_algorithms(mut self, algs: impl IntoIterator<Item = SigningAlgorithm>) -> Self {
        self.algorithms = algs.into_iter().collect();
        self
    }

    /// Also accepts HS256 tokens MACed with this client secret (off by default;
    /// only for providers that sign with the client secret).
    pub fn allow_hs256_with_client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self.algorithms.insert(SigningAlgorithm::Hs256);
        self
    }

    /// Allowed clock skew for `exp`, `nbf` and `iat` (default 60 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Oldest acceptable `iat` (default 10 minutes): ID tokens are validated
    /// right after they are issued.
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Where used nonces are recorded (default: an in-memory cache, fine for one instance).
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// How long a fetched JWKS is trusted (default one hour): after that it is
    /// fetched again before the next validation, so keys the provider has
    /// retired stop being accepted. If that fetch fails, validation fails.
    pub fn jwks_max_age(mut self, age: Duration) -> Self {
        self.jwks_max_age = age;
        self
    }

    /// Minimum time between two JWKS refreshes triggered by an unknown `kid`
    /// (default 60 s), so forged kids cannot make the validator hammer the provider.
    pub fn jwks_refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Audiences besides the client id that may appear in `aud` (default none:
    /// a token with any other audience is refused).
    pub fn trusted_audiences(mut self, audiences: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.trusted_audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Discovers the issuer (`/.well-known/openid-configuration`, whose
    /// `issuer` must equal the configured one exactly) and loads its JWKS.
    #[tracing::instrument(name = "oidc_discover", skip_all, fields(issuer = %self.issuer))]
    pub async fn discover(self, http: &HttpClient) -> Result<IdTokenValidator, OidcError> {
        let issuer_url = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| OidcError::Config(format!("issuer `{}` is not a URL: {e}", self.issuer)))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        if metadata.issuer().as_str() != self.issuer {
            return Err(OidcError::Discovery(format!(
                "the discovery document names issuer `{}`, not `{}`",
                metadata.issuer().as_str(),
                self.issuer
            )));
        }
        self.build(metadata, http.clone())
    }

    /// Builds a validator from metadata already discovered (its JWKS included).
    pub fn build(self, metadata: CoreProviderMetadata, http: HttpClient) -> Result<IdTokenValidator, OidcError> {
        if self.algorithms.is_empty() {
            return Err(OidcError::Config("no signing algorithm is allowed".into()));
        }
        if self.client_id.is_empty() {
            return Err(OidcError::Config("the client id is empty".into()));
        }
        let mut algorithms = self.algorithms;
        if self.client_secret.is_none() {
            algorithms.remove(&SigningAlgorithm::Hs256);
        }
        let skew = i64::try_from(self.skew.as_secs()).unwrap_or(i64::MAX / 4).min(3600);
        let max_age = i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX / 4);
        let jwks = metadata.jwks().clone();
        let jwks_fetched_at = (self.clock)();
        Ok(IdTokenValidator {
            issuer: self.issuer,
            client_id: self.client_id,
            algorithms,
            client_secret: self.client_secret.map(ClientSecret::new),
            skew,
            max_age,
            clock: self.clock,
            replay: self.replay.unwrap_or_else(|| Arc::new(InMemoryReplayCache::new())),
            refresh_interval: time::Duration::try_from(self.refresh_interval).unwrap_or(time::Duration::MINUTE),
            trusted_audiences: self.trusted_audiences,
            http,
            jwks_max_age: time::Duration::try_from(self.jwks_max_age).unwrap_or(time::Duration::HOUR),
            jwks: RwLock::new(jwks),
            jwks_fetched_at: std::sync::Mutex::new(jwks_fetched_at),
            last_refresh: tokio::sync::Mutex::new(None),
            metadata,
        })
    }
}

/// Validates ID tokens of one issuer for one client. Cheap to share (`Arc`).
pub struct IdTokenValidator {
    issuer: String,
    client_id: String,
    algorithms: BTreeSet<SigningAlgorithm>,
    client_secret: Option<ClientSecret>,
    skew: i64,
    max_age: i64,
    clock: Clock,
    replay: Arc<dyn ReplayCache>,
    refresh_interval: time::Duration,
    trusted_audiences: Vec<String>,
    http: HttpClient,
    jwks_max_age: time::Duration,
    jwks: RwLock<CoreJsonWebKeySet>,
    /// When the cached JWKS was fetched.
    jwks_fetched_at: std::sync::Mutex<OffsetDateTime>,
    /// When an unknown `kid` last caused a refresh.
    last_refresh: tokio::sync::Mutex<Option<OffsetDateTime>>,
    metadata: CoreProviderMetadata,
}

impl fmt::Debug for IdTokenValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenValidator")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// A parsed but not yet trusted compact JWS.
struct Jws<'a> {
    alg: SigningAlgorithm,
    kid: Option<String>,
    signing_input: &'a str,
    signature: Vec<u8>,
    claims: Map<String, Value>,
}

impl IdTokenValidator {
    /// Options for `issuer` (compared exactly with `iss`) and `client_id`.
    pub fn builder(issuer: impl Into<String>, client_id: impl Into<String>) -> IdTokenValidatorBuilder {
        IdTokenValidatorBuilder {
            issuer: issuer.into(),
            client_id: client_id.into(),
            algorithms: [SigningAlgorithm::Rs256, SigningAlgorithm::Es256].into_iter().collect(),
            client_secret: None,
            skew: Duration::from_secs(60),
            max_age: Duration::from_secs(600),
            clock: Arc::new(OffsetDateTime::now_utc),
            replay: None,
            refresh_interval: Duration::from_secs(60),
            jwks_max_age: Duration::from_secs(3600),
            trusted_audiences: Vec::new(),
        }
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The configured client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The discovered provider metadata.
    pub fn metadata(&self) -> &CoreProviderMetadata {
        &self.metadata
    }

    /// The HTTP client used for the JWKS (and the login flow).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The current time by the configured clock.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// Validates an ID token from the authorization-code flow: signature,
    /// algorithm, `typ`, `iss`, `aud`, `azp`, times, `nonce` (then records it
    /// as used) and, when `access_token` is given and the token has `at_hash`,
    /// the access-token hash.
    pub async fn validate(
        &self,
        id_token: &str,
        expected_nonce: &str,
        access_token: Option<&str>,
    ) -> Result<ValidatedIdToken, OidcError> {
        self.validate_hybrid(id_token, expected_nonce, access_token, None).await
    }

    /// As [`IdTokenValidator::validate`], for an ID token returned from the
    /// authorization endpoint with a `code` (hybrid flow): `c_hash` is then
    /// required and must match the code.
    #[tracing::instrument(name = "oidc_validate_id_token", skip_all, fields(issuer = %self.issuer, client_id = %self.client_id))]
    pub async fn validate_hybrid(
        &self,
        id_token: &str,
        expected_nonce: &str,
        access_token: Option<&str>,
        code: Option<&str>,
    ) -> Result<ValidatedIdToken, OidcError> {
        let result = self.validate_inner(id_token, expected_nonce, access_token, code).await;
        match &result {
            Ok(token) => tracing::debug!(subject = %token.subject, "ID token accepted"),
            Err(error) => tracing::info!(%error, "ID token refused"),
        }
        result
    }

    async fn validate_inner(
        &self,
        id_token: &str,
        expected_nonce: &str,
        access_token: Option<&str>,
        code: Option<&str>,
    ) -> Result<ValidatedIdToken, OidcError> {
        let jws = self.parse(id_token)?;
        let key = self.verification_key(&jws).await?;
        key.verify_signature(&jws.alg.core(), jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| OidcError::BadSignature)?;
        // From here on the claims are the issuer's.
        let claims = jws.claims;
        let now = self.now().unix_timestamp();

        let issuer = string_claim(&claims, "iss")?.ok_or_else(|| OidcError::MissingClaim("iss".into()))?;
        if issuer != self.issuer {
            return Err(OidcError::WrongIssuer {
                expected: self.issuer.clone(),
                found: issuer.to_owned(),
            });
        }
        let subject = string_claim(&claims, "sub")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| OidcError::MissingClaim("sub".into()))?;
        let audiences = self.check_audience(&claims)?;

        let exp = time_claim(&claims, "exp")?.ok_or_else(|| OidcError::MissingClaim("exp".into()))?;
        let iat = time_claim(&claims, "iat")?.ok_or_else(|| OidcError::MissingClaim("iat".into()))?;
        let nbf = time_claim(&claims, "nbf")?;
        if now - self.skew >= exp {
            return Err(OidcError::Expired {
                exp,
                now,
                skew_secs: self.skew,
            });
        }
        if let Some(nbf) = nbf
            && nbf > now + self.skew
        {
            return Err(OidcError::NotYetValid { nbf, now });
        }
        if iat > now + self.skew {
            return Err(OidcError::IssuedInFuture { iat, now });
        }
        if iat < now - self.max_age - self.skew {
            return Err(OidcError::TooOld {
                iat,
                max_age_secs: self.max_age,
            });
        }

        let nonce = string_claim(&claims, "nonce")?.ok_or_else(|| OidcError::MissingClaim("nonce".into()))?;
        if expected_nonce.is_empty() || !constant_time_eq(nonce, expected_nonce) {
            return Err(OidcError::NonceMismatch);
        }

        if let Some(access_token) = access_token
            && let Some(at_hash) = string_claim(&claims, "at_hash")?
            && !constant_time_eq(at_hash, &token_hash(&key, jws.alg, access_token)?)
        {
            return Err(OidcError::AccessTokenHashMismatch);
        }
        if let Some(code) = code {
            let c_hash = string_claim(&claims, "c_hash")?.ok_or_else(|| OidcError::MissingClaim("c_hash".into()))?;
            if !constant_time_eq(c_hash, &token_hash(&key, jws.alg, code)?) {
                return Err(OidcError::CodeHashMismatch);
            }
        }

        let expires_at = timestamp(exp)?;
        let issued_at = timestamp(iat)?;
        // Last: only a token that passed every other check consumes its nonce.
        let keep_until = expires_at + time::Duration::seconds(self.skew);
        let key_id = format!("oidc-nonce:{}:{}", self.issuer, nonce);
        match self.replay.use_once(&key_id, keep_until, self.now()).await {
            Ok(()) => {}
            Err(ReplayError::Replayed { .. }) => return Err(OidcError::NonceReused),
            Err(ReplayError::Unavailable(reason)) => return Err(OidcError::ReplayCacheUnavailable(reason)),
        }

        let email = claims.get("email").and_then(Value::as_str).map(str::to_owned);
        let email_verified = claims.get("email_verified").and_then(Value::as_bool);
        let name = claims.get("name").and_then(Value::as_str).map(str::to_owned);
        let groups = match claims.get("groups") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(group)) => vec![group.clone()],
            _ => Vec::new(),
        };
        Ok(ValidatedIdToken {
            subject: subject.to_owned(),
            issuer: issuer.to_owned(),
            audiences,
            expires_at,
            issued_at,
            email,
            email_verified,
            name,
            groups,
            raw: id_token.to_owned(),
            claims,
        })
    }

    /// Splits and decodes the token and checks its header; nothing is trusted yet.
    fn parse<'a>(&self, token: &'a str) -> Result<Jws<'a>, OidcError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(OidcError::Malformed(format!("longer than {MAX_TOKEN_BYTES} bytes")));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OidcError::Malformed(
                "not three dot-separated segments (encrypted ID tokens are not supported)".into(),
            ));
        };
        let header: Map<String, Value> = decode_json(header, "header")?;
        let alg = match header.get("alg") {
            Some(Value::String(alg)) => alg.as_str(),
            Some(_) => return Err(OidcError::Malformed("the `alg` header is not a string".into())),
            None => return Err(OidcError::Malformed("the `alg` header is missing".into())),
        };
        if alg.eq_ignore_ascii_case("none") {
            return Err(OidcError::UnsignedToken);
        }
        let allowed_alg = SigningAlgorithm::from_jose(alg).filter(|a| self.algorithms.contains(a));
        let Some(alg) = allowed_alg else {
            return Err(OidcError::AlgorithmNotAllowed {
                alg: alg.chars().take(32).collect(),
                allowed: self
                    .algorithms
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        match header.get("typ") {
            None => {}
            Some(Value::String(typ))
                if typ.eq_ignore_ascii_case("JWT") || typ.eq_ignore_ascii_case("application/jwt") => {}
            Some(Value::String(typ)) => return Err(OidcError::WrongTokenType(typ.chars().take(64).collect())),
            Some(_) => return Err(OidcError::WrongTokenType("(not a string)".into())),
        }
        if header.contains_key("crit") {
            return Err(OidcError::UnsupportedHeader(
                "`crit` extensions are not understood".into(),
            ));
        }
        if header.contains_key("cty") {
            return Err(OidcError::UnsupportedHeader(
                "`cty` (nested JWT) is not supported".into(),
            ));
        }
        // jku, x5u, x5c and jwk are deliberately ignored: keys come only from the issuer's JWKS.
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(OidcError::Malformed("the `kid` header is not a string".into())),
        };
        let claims: Map<String, Value> = decode_json(payload, "claims")?;
        if signature.is_empty() {
            return Err(OidcError::UnsignedToken);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| OidcError::Malformed("the signature is not base64url".into()))?;
        let signing_input = token
            .rsplit_once('.')
            .map(|(input, _)| input)
            .ok_or_else(|| OidcError::Malformed("no signature segment".into()))?;
        Ok(Jws {
            alg,
            kid,
            signing_input,
            signature,
            claims,
        })
    }

    /// The key to verify with: the client secret for HS256, else a JWKS key
    /// matching `kid` and the algorithm, refreshing the JWKS once (rate-limited)
    /// when none matches.
    async fn verification_key(&self, jws: &Jws<'_>) -> Result<CoreJsonWebKey, OidcError> {
        if jws.alg == SigningAlgorithm::Hs256 {
            return match &self.client_secret {
                Some(secret) => Ok(CoreJsonWebKey::new_symmetric(secret.secret().as_bytes().to_vec())),
                None => Err(OidcError::AlgorithmNotAllowed {
                    alg: "HS256".into(),
                    allowed: self
                        .algorithms
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            };
        }
        if self.jwks_is_stale()? {
            let _refreshing = self.last_refresh.lock().await;
            // Another validation may have refreshed while this one waited.
            if self.jwks_is_stale()? {
                tracing::info!("the cached JWKS is older than its maximum age; refreshing it");
                self.refresh_jwks().await?;
            }
        }
        if let Some(key) = self.find_key(jws)? {
            return Ok(key);
        }
        let mut last_refresh = self.last_refresh.lock().await;
        // Another validation may have refreshed while this one waited.
        if let Some(key) = self.find_key(jws)? {
            return Ok(key);
        }
        let now = self.now();
        let unknown = || OidcError::UnknownKey {
            kid: jws.kid.as_deref().map(|k| k.chars().take(128).collect()),
            alg: jws.alg.to_string(),
        };
        if last_refresh.is_some_and(|at| now - at < self.refresh_interval) {
            tracing::info!("unknown signing key; JWKS refreshed recently, not refreshing again");
            return Err(unknown());
        }
        *last_refresh = Some(now);
        tracing::info!("unknown signing key; refreshing the JWKS");
        self.refresh_jwks().await?;
        self.find_key(jws)?.ok_or_else(unknown)
    }

    fn jwks_is_stale(&self) -> Result<bool, OidcError> {
        let fetched_at = self
            .jwks_fetched_at
            .lock()
            .map_err(|_| OidcError::Jwks("the JWKS cache lock is poisoned".into()))?;
        Ok(self.now() - *fetched_at >= self.jwks_max_age)
    }

    /// Fetches the JWKS from the provider's `jwks_uri` and replaces the cache.
    async fn refresh_jwks(&self) -> Result<(), OidcError> {
        let jwks = CoreJsonWebKeySet::fetch_async(self.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| OidcError::Jwks(error_chain(&e)))?;
        let poisoned = || OidcError::Jwks("the JWKS cache lock is poisoned".into());
        *self.jwks.write().map_err(|_| poisoned())? = jwks;
        *self.jwks_fetched_at.lock().map_err(|_| poisoned())? = self.now();
        Ok(())
    }

    fn find_key(&self, jws: &Jws<'_>) -> Result<Option<CoreJsonWebKey>, OidcError> {
        let jwks = self
            .jwks
            .read()
            .map_err(|_| OidcError::Jwks("the JWKS cache lock is poisoned".into()))?;
        let alg = jws.alg.core();
        let candidates: Vec<&CoreJsonWebKey> = jwks
            .keys()
            .iter()
            .filter(|key| match &jws.kid {
                Some(kid) => key.key_id().is_some_and(|k| k.as_str() == kid),
                None => true,
            })
            .filter(|key| key_fits(key, &alg))
            .collect();
        match candidates.as_slice() {
            [] => Ok(None),
            [key] => Ok(Some((*key).clone())),
            _ => Err(OidcError::AmbiguousKey),
        }
    }

    fn check_audience(&self, claims: &Map<String, Value>) -> Result<Vec<String>, OidcError> {
        let audiences: Vec<String> = match claims.get("aud") {
            None => return Err(OidcError::MissingClaim("aud".into())),
            Some(Value::String(aud)) => vec![aud.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid_type("aud", "a string or an array of strings"))?,
            Some(_) => return Err(invalid_type("aud", "a string or an array of strings")),
        };
        let wrong = || OidcError::WrongAudience {
            client_id: self.client_id.clone(),
        };
        if !audiences.contains(&self.client_id) {
            return Err(wrong());
        }
        if audiences
            .iter()
            .any(|a| *a != self.client_id && !self.trusted_audiences.contains(a))
        {
            return Err(wrong());
        }
        match string_claim(claims, "azp")? {
            Some(azp) if azp != self.client_id => Err(OidcError::WrongAuthorizedParty {
                client_id: self.client_id.clone(),
                found: Some(azp.chars().take(128).collect()),
            }),
            None if audiences.len() > 1 => Err(OidcError::WrongAuthorizedParty {
                client_id: self.client_id.clone(),
                found: None,
            }),
            _ => Ok(audiences),
        }
    }
}

/// Whether a JWKS key may verify `alg` (type, `use`, and `alg` when the key names one).
fn key_fits(key: &CoreJsonWebKey, alg: &CoreJwsSigningAlgorithm) -> bool {
    if key.key_use().is_some_and(|u| !u.allows_signature()) {
        return false;
    }
    if alg.key_type().as_ref() != Some(key.key_type()) {
        return false;
    }
    match key.signing_alg() {
        JsonWebKeyAlgorithm::Unspecified => true,
        JsonWebKeyAlgorithm::Algorithm(key_alg) => key_alg == alg,
        JsonWebKeyAlgorithm::Unsupported => false,
    }
}

/// `at_hash`/`c_hash`: base64url of the left half of the algorithm's hash.
fn token_hash(key: &CoreJsonWebKey, alg: SigningAlgorithm, value: &str) -> Result<String, OidcError> {
    let digest = key
        .hash_bytes(value.as_bytes(), &alg.core())
        .map_err(|e| OidcError::Config(format!("cannot hash for {alg}: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]))
}

fn decode_json(segment: &str, what: &str) -> Result<Map<String, Value>, OidcError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| OidcError::Malformed(format!("the {what} segment is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|_| OidcError::Malformed(format!("the {what} segment is not a JSON object")))
}

fn invalid_type(claim: &str, expected: &str) -> OidcError {
    OidcError::InvalidClaimType {
        claim: claim.into(),
        expected: expected.into(),
    }
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, OidcError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(invalid_type(name, "a string")),
    }
}

/// A NumericDate claim: a JSON number (fractions truncated); strings and other types are refused.
fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, OidcError> {
    let expected = "a JSON number of seconds since 1970 (NumericDate), not a string";
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => {
            let seconds = match number.as_i64() {
                Some(seconds) => seconds,
                None => number
                    .as_f64()
                    .filter(|f| f.is_finite() && f.abs() < MAX_TIMESTAMP as f64)
                    .map(|f| f.trunc() as i64)
                    .ok_or_else(|| invalid_type(name, expected))?,
            };
            if !(0..=MAX_TIMESTAMP).contains(&seconds) {
                return Err(invalid_type(name, "a NumericDate between 1970 and 9999"));
            }
            Ok(Some(seconds))
        }
        Some(_) => Err(invalid_type(name, expected)),
    }
}

fn timestamp(seconds: i64) -> Result<OffsetDateTime, OidcError> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| invalid_type("exp", "a valid NumericDate"))
}

/// Compares secrets without leaking where they differ (hashes first, so lengths may differ).
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    use openssl::hash::{MessageDigest, hash};
    match (
        hash(MessageDigest::sha256(), a.as_bytes()),
        hash(MessageDigest::sha256(), b.as_bytes()),
    ) {
        (Ok(a), Ok(b)) => openssl::memcmp::eq(&a, &b),
        _ => false,
    }
}

/// An error with its sources, for messages that say what actually failed.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
