//! The ID-token attacks of the threat model, as changes to the next token response.
//!
//! Each [`IdTokenThreat`] edits the claims the provider would issue in a login (user, client,
//! nonce, `at_hash`) and mints the result with [`MintOptions`]; [`IdTokenThreat::arm`] queues it
//! with [`OidcProvider::tamper_next_id_token`], so the next login completed through the relying
//! party's callback receives the forged ID token, and must be refused with
//! [`IdTokenThreat::expected_code`] (`OidcError::code()` of `studio-fed-federation`).
//!
//! The relying party is assumed to run with its defaults: RS256 and ES256 allowed, no HS256 client
//! secret, no audience besides its client id, a clock skew well under an hour and a maximum token
//! age under 30 days. Cases that are not one forged ID token stay outside the catalog: nonce reuse
//! (two logins), state and PKCE verifier mismatches (callback side), the rate-limited JWKS refresh on
//! an unknown kid and the `jku`/`x5u` URLs never being fetched (request counting), and `c_hash`
//! (hybrid flow only).
//!
//! ```no_run
//! # async fn demo() -> Result<(), studio_fed_testkit::oidc_op::Error> {
//! use studio_fed_testkit::oidc_op::OidcProvider;
//! use studio_fed_testkit::oidc_op::threats::catalog;
//!
//! let op = OidcProvider::start().await?;
//! for threat in catalog() {
//!     threat.arm(&op);
//!     // Log in through the relying party (authorize, then GET its callback): the login must fail
//!     // with `threat.expected_code`.
//! }
//! # Ok(()) }
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::{MintOptions, OidcProvider, SigningAlg, token_hash};

/// One forged ID token: how to derive it from a genuine one, and the error it must cause.
#[derive(Clone, Debug)]
pub struct IdTokenThreat {
    /// A unique `snake_case` name (usable as a test function name).
    pub name: &'static str,
    /// Edits the claims the provider would have issued.
    pub edit: fn(&mut Map<String, Value>),
    /// How the edited claims are signed and what the header says.
    pub options: MintOptions,
    /// The code the relying party must refuse the login with: `OidcError::code()` of
    /// `studio-fed-federation` (e.g. `unsigned_token`, `alg_not_allowed`, `wrong_audience`).
    pub expected_code: &'static str,
}

impl IdTokenThreat {
    /// Queues this forgery for `op`'s next token response
    /// ([`OidcProvider::tamper_next_id_token`]).
    pub fn arm(&self, op: &OidcProvider) {
        op.tamper_next_id_token(self.edit, self.options.clone());
    }
}

/// The current time in seconds since the epoch.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

const HOUR: i64 = 3600;
const ANOTHER_CLIENT: &str = "another-app";

/// The claims unchanged.
fn unchanged(_: &mut Map<String, Value>) {}

/// The string value of a claim ("" if absent or not a string).
fn string(claims: &Map<String, Value>, name: &str) -> String {
    claims.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Turns ID-token claims into those of an RFC 9068 access token for the same client.
pub fn access_token_claims(claims: &mut Map<String, Value>) {
    let client_id = string(claims, "aud");
    for name in [
        "nonce",
        "at_hash",
        "azp",
        "auth_time",
        "email",
        "email_verified",
        "name",
        "groups",
    ] {
        claims.remove(name);
    }
    claims.insert("client_id".into(), client_id.into());
    claims.insert("scope".into(), "openid email profile".into());
    claims.insert("jti".into(), "at-presented-as-id-token".into());
}

/// Turns ID-token claims into those of a back-channel logout token (OIDC Back-Channel Logout 1.0
/// §2.4): `events`, `jti`, `sid`, and no `nonce`.
pub fn logout_token_claims(claims: &mut Map<String, Value>) {
    for name in [
        "nonce",
        "at_hash",
        "auth_time",
        "email",
        "email_verified",
        "name",
        "groups",
    ] {
        claims.remove(name);
    }
    claims.insert(
        "events".into(),
        json!({"http://schemas.openid.net/event/backchannel-logout": {}}),
    );
    claims.insert("jti".into(), "logout-presented-as-id-token".into());
    claims.insert("sid".into(), "session-1".into());
}

fn entry(
    name: &'static str,
    edit: fn(&mut Map<String, Value>),
    options: MintOptions,
    expected_code: &'static str,
) -> IdTokenThreat {
    IdTokenThreat {
        name,
        edit,
        options,
        expected_code,
    }
}

/// Every ID-token row of the threat model that is one forged token in a login's token response
/// (see the module documentation for the relying-party configuration assumed).
pub fn catalog() -> Vec<IdTokenThreat> {
    let attacker_url = "http://127.0.0.1:9/attacker-jwks";
    vec![
        // Algorithms and keys.
        entry("alg_none", unchanged, MintOptions::new().alg_none(), "unsigned_token"),
        entry(
            "alg_not_in_allowlist",
            unchanged,
            MintOptions::new().header("alg", "RS384".into()),
            "alg_not_allowed",
        ),
        entry(
            "hs256_signed_with_the_rsa_public_key",
            unchanged,
            MintOptions::new().hs256_with_public_key(),
            "alg_not_allowed",
        ),
        entry(
            "rogue_key_under_a_published_kid",
            unchanged,
            MintOptions::new().rogue_key(),
            "bad_signature",
        ),
        entry(
            "rogue_es256_key_under_a_published_kid",
            unchanged,
            MintOptions::new().alg(SigningAlg::Es256).rogue_key(),
            "bad_signature",
        ),
        entry(
            "unknown_kid",
            unchanged,
            MintOptions::new().unknown_kid(),
            "unknown_key",
        ),
        entry(
            "rogue_key_announced_by_jku",
            unchanged,
            MintOptions::new().rogue_key().jku(attacker_url),
            "bad_signature",
        ),
        entry(
            "rogue_key_announced_by_x5u",
            unchanged,
            MintOptions::new().rogue_key().x5u(attacker_url),
            "bad_signature",
        ),
        entry(
            "rogue_key_embedded_as_jwk",
            unchanged,
            MintOptions::new().embed_rogue_jwk(),
            "unknown_key",
        ),
        entry(
            "crit_header",
            unchanged,
            MintOptions::new().header("crit", json!(["exp"])),
            "unsupported_header",
        ),
        entry(
            "nested_jwt_cty_header",
            unchanged,
            MintOptions::new().header("cty", "JWT".into()),
            "unsupported_header",
        ),
        // Issuer, audience, authorized party.
        entry(
            "iss_with_trailing_slash",
            |c| {
                let iss = format!("{}/", string(c, "iss"));
                c.insert("iss".into(), iss.into());
            },
            MintOptions::new(),
            "wrong_issuer",
        ),
        entry(
            "iss_of_another_provider",
            |c| {
                c.insert("iss".into(), "https://evil.example.test".into());
            },
            MintOptions::new(),
            "wrong_issuer",
        ),
        entry(
            "aud_without_our_client_id",
            |c| {
                c.insert("aud".into(), json!([ANOTHER_CLIENT]));
                c.insert("azp".into(), ANOTHER_CLIENT.into());
            },
            MintOptions::new(),
            "wrong_audience",
        ),
        entry(
            "aud_with_an_untrusted_extra_audience",
            |c| {
                let client_id = string(c, "aud");
                c.insert("aud".into(), json!([client_id, ANOTHER_CLIENT]));
            },
            MintOptions::new(),
            "wrong_audience",
        ),
        entry(
            "azp_of_another_client",
            |c| {
                c.insert("azp".into(), ANOTHER_CLIENT.into());
            },
            MintOptions::new(),
            "wrong_authorized_party",
        ),
        // Times.
        entry(
            "exp_missing",
            |c| {
                c.remove("exp");
            },
            MintOptions::new(),
            "missing_claim",
        ),
        entry(
            "exp_in_the_past",
            |c| {
                c.insert("iat".into(), (now() - 2 * HOUR).into());
                c.insert("exp".into(), (now() - HOUR).into());
            },
            MintOptions::new(),
            "expired",
        ),
        entry(
            "nbf_in_the_future",
            |c| {
                c.insert("nbf".into(), (now() + HOUR).into());
            },
            MintOptions::new(),
            "not_yet_valid",
        ),
        entry(
            "iat_in_the_future",
            |c| {
                c.insert("iat".into(), (now() + HOUR).into());
                c.insert("exp".into(), (now() + 2 * HOUR).into());
            },
            MintOptions::new(),
            "issued_in_future",
        ),
        entry(
            "iat_absurdly_old",
            |c| {
                c.insert("iat".into(), (now() - 30 * 24 * HOUR).into());
            },
            MintOptions::new(),
            "too_old",
        ),
        entry(
            "iat_negative",
            |c| {
                c.insert("iat".into(), (-5).into());
            },
            MintOptions::new(),
            "invalid_claim_type",
        ),
        entry(
            "exp_as_a_string",
            |c| {
                c.insert("exp".into(), (now() + HOUR).to_string().into());
            },
            MintOptions::new(),
            "invalid_claim_type",
        ),
        entry(
            "iat_as_a_string",
            |c| {
                c.insert("iat".into(), now().to_string().into());
            },
            MintOptions::new(),
            "invalid_claim_type",
        ),
        entry(
            "nbf_as_a_string",
            |c| {
                c.insert("nbf".into(), now().to_string().into());
            },
            MintOptions::new(),
            "invalid_claim_type",
        ),
        // Nonce and at_hash.
        entry(
            "nonce_missing",
            |c| {
                c.remove("nonce");
            },
            MintOptions::new(),
            "missing_claim",
        ),
        entry(
            "nonce_of_another_login",
            |c| {
                c.insert("nonce".into(), "the-nonce-of-another-login".into());
            },
            MintOptions::new(),
            "nonce_mismatch",
        ),
        entry(
            "at_hash_of_another_access_token",
            |c| {
                c.insert("at_hash".into(), token_hash("another-access-token").into());
            },
            MintOptions::new(),
            "at_hash_mismatch",
        ),
        // Other kinds of tokens.
        entry(
            "access_token_as_id_token",
            access_token_claims,
            MintOptions::new().typ("at+jwt"),
            "wrong_token_type",
        ),
        entry(
            "access_token_with_media_type_as_id_token",
            access_token_claims,
            MintOptions::new().typ("application/at+jwt"),
            "wrong_token_type",
        ),
        entry(
            "logout_token_as_id_token",
            logout_token_claims,
            MintOptions::new().typ("logout+jwt"),
            "wrong_token_type",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn names_are_unique_snake_case() {
        let threats = catalog();
        let names: HashSet<&str> = threats.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), threats.len());
        for t in &threats {
            assert!(
                t.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                t.name
            );
            assert!(!t.expected_code.is_empty());
        }
    }

    #[test]
    fn edits_change_what_they_say() {
        let mut claims = Map::new();
        claims.insert("iss".into(), "https://op.test".into());
        claims.insert("aud".into(), "app".into());
        claims.insert("nonce".into(), "n".into());
        let find = |name: &str| catalog().into_iter().find(|t| t.name == name);
        let mut edited = claims.clone();
        if let Some(t) = find("iss_with_trailing_slash") {
            (t.edit)(&mut edited);
        }
        assert_eq!(edited["iss"], "https://op.test/");
        let mut edited = claims.clone();
        if let Some(t) = find("aud_with_an_untrusted_extra_audience") {
            (t.edit)(&mut edited);
        }
        assert_eq!(edited["aud"], json!(["app", ANOTHER_CLIENT]));
        let mut edited = claims.clone();
        access_token_claims(&mut edited);
        assert_eq!(edited["client_id"], "app");
        assert!(!edited.contains_key("nonce"));
        let mut edited = claims;
        logout_token_claims(&mut edited);
        assert!(edited.contains_key("events") && !edited.contains_key("nonce"));
    }
}
