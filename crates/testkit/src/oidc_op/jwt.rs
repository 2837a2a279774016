//! Compact JWS encoding, and [`MintOptions`] for tokens a real provider would
//! never issue (negative tests).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::error::ErrorStack;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde_json::{Map, Value};

use super::keys::{SigningAlg, SigningKey};

/// base64url without padding, as JOSE uses it.
pub(super) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `at_hash` / `c_hash` of a value for RS256 and ES256 (OIDC Core §3.1.3.6):
/// base64url of the left half of SHA-256 of its ASCII bytes.
///
/// Use it to check `at_hash` in an ID token, or to mint one with a wrong hash.
pub fn token_hash(value: &str) -> String {
    match hash(MessageDigest::sha256(), value.as_bytes()) {
        Ok(digest) => b64(&digest[..16]),
        // SHA-256 of a byte string only fails if OpenSSL itself is unusable.
        Err(_) => String::new(),
    }
}

/// Encodes `header` and `claims` and signs `header.claims` with `sign`.
pub(super) fn encode(
    header: &Map<String, Value>,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, ErrorStack>,
) -> Result<String, super::Error> {
    let signing_input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header)?),
        b64(&serde_json::to_vec(claims)?)
    );
    let signature = sign(signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

/// The JWS header of a token the provider issues itself.
pub(super) fn header(key: &SigningKey, typ: &str) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("alg".into(), key.alg.as_str().into());
    header.insert("kid".into(), key.kid.clone().into());
    header.insert("typ".into(), typ.into());
    header
}

/// HMAC-SHA-256 of `input` under `key`.
pub(super) fn hmac_sha256(key: &[u8], input: &[u8]) -> Result<Vec<u8>, ErrorStack> {
    let key = PKey::hmac(key)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
    signer.update(input)?;
    signer.sign_to_vec()
}

/// Who produces the signature of a minted token.
#[derive(Debug, Clone, Default)]
pub(super) enum MintSigner {
    /// The provider's published key (the real thing).
    #[default]
    Published,
    /// A key of the same algorithm that the provider never publishes.
    Rogue,
    /// `alg: none` and an empty signature.
    Unsigned,
    /// HS256 with the PEM of the provider's published RSA public key as the
    /// HMAC secret (the RS256/HS256 key-confusion attack).
    Hs256WithPublicKey,
    /// HS256 with a caller-chosen secret.
    Hs256(Vec<u8>),
}

/// What the `kid` header says.
#[derive(Debug, Clone, Default)]
pub(super) enum KidHeader {
    /// The kid of the published key of the chosen algorithm (also for rogue
    /// and HS256 signatures: the token points at a real key).
    #[default]
    Published,
    /// The rogue key's own kid, which is not in the JWKS.
    Rogue,
    /// No `kid` header.
    Omit,
    /// A given value.
    Custom(String),
}

/// How [`super::OidcProvider::mint_id_token`] builds a token. The default is a
/// correctly signed token: the provider's current algorithm and key, its kid,
/// `typ: JWT`. Each method changes one thing; header fields set with
/// [`MintOptions::header`] are applied last and override everything.
///
/// ```
/// use studio_fed_testkit::oidc_op::{MintOptions, SigningAlg};
/// let confused = MintOptions::new().hs256_with_public_key();
/// let unsigned = MintOptions::new().alg_none();
/// let injected = MintOptions::new().rogue_key().jku("http://127.0.0.1:9/evil-jwks");
/// let es256_access_token = MintOptions::new().alg(SigningAlg::Es256).typ("at+jwt");
/// # let _ = (confused, unsigned, injected, es256_access_token);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MintOptions {
    pub(super) alg: Option<SigningAlg>,
    pub(super) signer: MintSigner,
    pub(super) kid: KidHeader,
    /// `None`: `JWT`; `Some(None)`: no `typ` header.
    pub(super) typ: Option<Option<String>>,
    pub(super) embed_rogue_jwk: bool,
    pub(super) extra_header: Map<String, Value>,
}

impl MintOptions {
    /// A correctly signed token (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Signs with the provider's key of this algorithm instead of the current one.
    /// The provider publishes both an RS256 and an ES256 key, so this is a valid
    /// token unless the relying party allows only the other algorithm.
    pub fn alg(mut self, alg: SigningAlg) -> Self {
        self.alg = Some(alg);
        self
    }

    /// `"alg": "none"`, no `kid`, and an empty signature segment (`header.claims.`).
    pub fn alg_none(mut self) -> Self {
        self.signer = MintSigner::Unsigned;
        self.kid = KidHeader::Omit;
        self
    }

    /// `"alg": "HS256"`, HMAC keyed with the bytes of the provider's current RSA
    /// public key in SubjectPublicKeyInfo PEM (see
    /// [`super::OidcProvider::rsa_public_key_pem`]); the `kid` names that RSA key.
    pub fn hs256_with_public_key(mut self) -> Self {
        self.signer = MintSigner::Hs256WithPublicKey;
        self.alg = Some(SigningAlg::Rs256);
        self
    }

    /// `"alg": "HS256"` with a secret of your choice (e.g. the client secret), no `kid`.
    pub fn hs256(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.signer = MintSigner::Hs256(secret.into());
        self.kid = KidHeader::Omit;
        self
    }

    /// Signs with a key the provider does not publish, keeping the published
    /// key's `kid` in the header (so only the signature check can catch it).
    /// The rogue keys are stable per provider: see [`super::OidcProvider::rogue_jwks`].
    pub fn rogue_key(mut self) -> Self {
        self.signer = MintSigner::Rogue;
        self
    }

    /// Signs with the rogue key and embeds its public JWK in the `jwk` header,
    /// with the rogue key's `kid` (CVE-2018-0114 style).
    pub fn embed_rogue_jwk(mut self) -> Self {
        self.signer = MintSigner::Rogue;
        self.kid = KidHeader::Rogue;
        self.embed_rogue_jwk = true;
        self
    }

    /// Sets the `kid` header to any value (the signature is still by the key
    /// chosen otherwise).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = KidHeader::Custom(kid.into());
        self
    }

    /// A `kid` that is not in the JWKS (the signature is by the published key).
    pub fn unknown_kid(self) -> Self {
        self.kid("kid-not-in-the-jwks")
    }

    /// No `kid` header.
    pub fn no_kid(mut self) -> Self {
        self.kid = KidHeader::Omit;
        self
    }

    /// Sets the `typ` header, e.g. `at+jwt` (RFC 9068 access token) or
    /// `logout+jwt` (back-channel logout token).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(Some(typ.into()));
        self
    }

    /// No `typ` header.
    pub fn no_typ(mut self) -> Self {
        self.typ = Some(None);
        self
    }

    /// Adds `"jku": url` to the header (a relying party must never fetch it).
    pub fn jku(self, url: impl Into<String>) -> Self {
        self.header("jku", Value::String(url.into()))
    }

    /// Adds `"x5u": url` to the header (a relying party must never fetch it).
    pub fn x5u(self, url: impl Into<String>) -> Self {
        self.header("x5u", Value::String(url.into()))
    }

    /// Sets any header field, applied last (it may override `alg`, `kid`, `typ`).
    pub fn header(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra_header.insert(name.into(), value);
        self
    }
}

/// The keys minting needs.
pub(super) struct MintKeys<'a> {
    pub(super) published: &'a SigningKey,
    pub(super) rogue: &'a SigningKey,
}

/// Builds the token `options` describe. `keys` must be of the algorithm
/// `options.alg` (or the provider's current one) resolves to.
pub(super) fn mint(claims: &Value, options: &MintOptions, keys: MintKeys<'_>) -> Result<String, super::Error> {
    let mut header = Map::new();
    let alg = match options.signer {
        MintSigner::Published | MintSigner::Rogue => keys.published.alg.as_str(),
        MintSigner::Unsigned => "none",
        MintSigner::Hs256WithPublicKey | MintSigner::Hs256(_) => "HS256",
    };
    header.insert("alg".into(), alg.into());
    let kid = match &options.kid {
        KidHeader::Published => Some(keys.published.kid.clone()),
        KidHeader::Rogue => Some(keys.rogue.kid.clone()),
        KidHeader::Omit => None,
        KidHeader::Custom(kid) => Some(kid.clone()),
    };
    if let Some(kid) = kid {
        header.insert("kid".into(), kid.into());
    }
    match &options.typ {
        None => {
            header.insert("typ".into(), "JWT".into());
        }
        Some(Some(typ)) => {
            header.insert("typ".into(), typ.clone().into());
        }
        Some(None) => {}
    }
    if options.embed_rogue_jwk {
        header.insert("jwk".into(), keys.rogue.public_jwk().clone());
    }
    for (name, value) in &options.extra_header {
        header.insert(name.clone(), value.clone());
    }

    encode(&header, claims, |input| match &options.signer {
        MintSigner::Published => keys.published.sign(input),
        MintSigner::Unsigned => Ok(Vec::new()),
        MintSigner::Rogue => keys.rogue.sign(input),
        MintSigner::Hs256WithPublicKey => hmac_sha256(&keys.published.public_key_pem()?, input),
        MintSigner::Hs256(secret) => hmac_sha256(secret, input),
    })
}
