//! Signing keys: RSA-2048 for RS256 and EC P-256 for ES256, their JWKs, and the
//! key set the provider publishes (with rotation).

use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde_json::{Value, json};

use super::jwt::b64;

/// A JWS signing algorithm the provider signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, RSA-2048 keys.
    Rs256,
    /// ECDSA with P-256 and SHA-256; the signature is the raw 64-byte `r || s`.
    Es256,
}

impl SigningAlg {
    /// The JOSE name: `"RS256"` or `"ES256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
        }
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One private signing key with its algorithm and key ID.
#[derive(Clone)]
pub(super) struct SigningKey {
    pub(super) alg: SigningAlg,
    /// The RFC 7638 JWK thumbprint of the public key.
    pub(super) kid: String,
    pkey: PKey<Private>,
    jwk: Value,
}

impl SigningKey {
    /// Generates a fresh key: RSA-2048 for RS256, P-256 for ES256.
    pub(super) fn generate(alg: SigningAlg) -> Result<Self, ErrorStack> {
        let (pkey, members, thumbprint_input) = match alg {
            SigningAlg::Rs256 => {
                let rsa = Rsa::generate(2048)?;
                let n = b64(&rsa.n().to_vec());
                let e = b64(&rsa.e().to_vec());
                let thumbprint_input = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
                (
                    PKey::from_rsa(rsa)?,
                    json!({"kty": "RSA", "n": n, "e": e}),
                    thumbprint_input,
                )
            }
            SigningAlg::Es256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
                let ec = EcKey::generate(&group)?;
                let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
                let mut ctx = BigNumContext::new()?;
                ec.public_key().affine_coordinates(&group, &mut x, &mut y, &mut ctx)?;
                let x = b64(&x.to_vec_padded(32)?);
                let y = b64(&y.to_vec_padded(32)?);
                let thumbprint_input = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
                (
                    PKey::from_ec_key(ec)?,
                    json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
                    thumbprint_input,
                )
            }
        };
        let kid = b64(&hash(MessageDigest::sha256(), thumbprint_input.as_bytes())?);
        let mut jwk = members;
        if let Value::Object(map) = &mut jwk {
            map.insert("kid".into(), Value::String(kid.clone()));
            map.insert("alg".into(), Value::String(alg.as_str().into()));
            map.insert("use".into(), Value::String("sig".into()));
        }
        Ok(SigningKey { alg, kid, pkey, jwk })
    }

    /// The public JWK: `kid`, `kty`, `alg`, `use` and `n`/`e` or `crv`/`x`/`y`.
    pub(super) fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The public key as a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub(super) fn public_key_pem(&self) -> Result<Vec<u8>, ErrorStack> {
        self.pkey.public_key_to_pem()
    }

    /// Signs `input` the JWS way for this key's algorithm.
    pub(super) fn sign(&self, input: &[u8]) -> Result<Vec<u8>, ErrorStack> {
        match self.alg {
            SigningAlg::Rs256 => {
                let mut signer = Signer::new(MessageDigest::sha256(), &self.pkey)?;
                signer.update(input)?;
                signer.sign_to_vec()
            }
            SigningAlg::Es256 => {
                // JWS wants the fixed-size r || s (RFC 7518 §3.4), not OpenSSL's DER.
                let digest = hash(MessageDigest::sha256(), input)?;
                let sig = EcdsaSig::sign(&digest, self.pkey.ec_key()?.as_ref())?;
                let mut raw = sig.r().to_vec_padded(32)?;
                raw.extend(sig.s().to_vec_padded(32)?);
                Ok(raw)
            }
        }
    }
}

/// The keys of one rotation step: one per algorithm.
#[derive(Clone)]
struct Generation {
    rsa: SigningKey,
    ec: SigningKey,
}

impl Generation {
    fn generate() -> Result<Self, ErrorStack> {
        Ok(Generation {
            rsa: SigningKey::generate(SigningAlg::Rs256)?,
            ec: SigningKey::generate(SigningAlg::Es256)?,
        })
    }

    fn key(&self, alg: SigningAlg) -> &SigningKey {
        match alg {
            SigningAlg::Rs256 => &self.rsa,
            SigningAlg::Es256 => &self.ec,
        }
    }
}

/// The published keys: the current generation signs, older ones stay in the
/// JWKS until retired.
pub(super) struct KeySet {
    /// Oldest first; the last one is current. Never empty.
    generations: Vec<Generation>,
    current: Generation,
    alg: SigningAlg,
}

impl KeySet {
    pub(super) fn generate(alg: SigningAlg) -> Result<Self, ErrorStack> {
        let current = Generation::generate()?;
        Ok(KeySet {
            generations: vec![current.clone()],
            current,
            alg,
        })
    }

    /// The key tokens are signed with now.
    pub(super) fn signing_key(&self) -> &SigningKey {
        self.current.key(self.alg)
    }

    /// The current key of a given algorithm.
    pub(super) fn current_key(&self, alg: SigningAlg) -> &SigningKey {
        self.current.key(alg)
    }

    pub(super) fn set_alg(&mut self, alg: SigningAlg) {
        self.alg = alg;
    }

    pub(super) fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// Adds a new generation and signs with it from now on.
    pub(super) fn rotate(&mut self) -> Result<(), ErrorStack> {
        let next = Generation::generate()?;
        self.generations.push(next.clone());
        self.current = next;
        Ok(())
    }

    /// Unpublishes every generation but the current one.
    pub(super) fn retire_old(&mut self) {
        self.generations = vec![self.current.clone()];
    }

    /// The JWKS document: every published key, oldest first, RSA before EC.
    pub(super) fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .generations
            .iter()
            .flat_map(|g| [g.rsa.public_jwk().clone(), g.ec.public_jwk().clone()])
            .collect();
        json!({ "keys": keys })
    }
}
