//! Signed, expiring cookie values: `base64url(payload).base64url(HMAC-SHA256(name.payload))`.
//!
//! The payload is JSON with an `exp` field; the MAC covers the cookie name too, so a value cannot be
//! moved to another cookie. Values are not encrypted: only put in them what the browser may see
//! (state, nonce, PKCE verifier and request IDs are bound to this browser, not secrets from it).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::Refusal;

type HmacSha256 = Hmac<Sha256>;

/// The smallest key accepted.
pub(crate) const MIN_KEY_BYTES: usize = 32;

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope<T> {
    exp: i64,
    v: T,
}

/// Signs and verifies cookie values.
#[derive(Clone)]
pub(crate) struct CookieSigner {
    key: Vec<u8>,
    secure: bool,
}

impl std::fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSigner")
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl CookieSigner {
    /// `key` must have at least [`MIN_KEY_BYTES`]; `secure` adds the `Secure` attribute (HTTPS).
    pub(crate) fn new(key: Vec<u8>, secure: bool) -> Option<Self> {
        (key.len() >= MIN_KEY_BYTES).then_some(CookieSigner { key, secure })
    }

    fn mac(&self, name: &str, payload: &str) -> HmacSha256 {
        // HMAC accepts keys of any length.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(name.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }

    /// The `SameSite` value for a cookie that must come back on a cross-site POST (the SAML ACS,
    /// posted by the identity provider's page): `None`, which browsers accept only with `Secure`,
    /// so only when this signer adds it (HTTPS). Over plain HTTP (local tests) `Lax`: browsers
    /// refuse `SameSite=None` without `Secure`.
    pub(crate) fn cross_site_same_site(&self) -> &'static str {
        if self.secure { "None" } else { "Lax" }
    }

    /// A `Set-Cookie` value for `name` carrying `value` until `expires`.
    pub(crate) fn set_cookie<T: Serialize>(
        &self,
        name: &str,
        path: &str,
        same_site: &str,
        value: &T,
        expires: OffsetDateTime,
    ) -> Result<String, Refusal> {
        let json = serde_json::to_vec(&Envelope {
            exp: expires.unix_timestamp(),
            v: value,
        })
        .map_err(|e| Refusal::BadRequest(format!("cannot encode the login cookie: {e}")))?;
        let payload = B64.encode(json);
        let tag = B64.encode(self.mac(name, &payload).finalize().into_bytes());
        let max_age = (expires - OffsetDateTime::now_utc()).whole_seconds().max(0);
        Ok(format!(
            "{name}={payload}.{tag}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={same_site}{}",
            if self.secure { "; Secure" } else { "" }
        ))
    }

    /// A `Set-Cookie` value that deletes `name`.
    pub(crate) fn clear_cookie(&self, name: &str, path: &str, same_site: &str) -> String {
        format!(
            "{name}=; Path={path}; Max-Age=0; HttpOnly; SameSite={same_site}{}",
            if self.secure { "; Secure" } else { "" }
        )
    }

    /// The verified, unexpired value of cookie `name` in a `Cookie` header.
    pub(crate) fn read<T: DeserializeOwned>(
        &self,
        cookie_header: Option<&str>,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<T, Refusal> {
        let mut values = cookie_header
            .into_iter()
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v);
        let value = values.next().ok_or(Refusal::LoginCookie("missing"))?;
        if values.next().is_some() {
            return Err(Refusal::LoginCookie("given twice"));
        }
        let (payload, tag) = value.split_once('.').ok_or(Refusal::LoginCookie("malformed"))?;
        let tag = B64.decode(tag).map_err(|_| Refusal::LoginCookie("malformed"))?;
        self.mac(name, payload)
            .verify_slice(&tag)
            .map_err(|_| Refusal::LoginCookie("not signed by this gateway"))?;
        let json = B64.decode(payload).map_err(|_| Refusal::LoginCookie("malformed"))?;
        let envelope: Envelope<T> = serde_json::from_slice(&json).map_err(|_| Refusal::LoginCookie("malformed"))?;
        if envelope.exp <= now.unix_timestamp() {
            return Err(Refusal::LoginCookie("expired"));
        }
        Ok(envelope.v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn signer() -> CookieSigner {
        CookieSigner::new(vec![7; 32], true).unwrap()
    }

    fn header(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn a_value_round_trips_and_carries_the_attributes() {
        let now = OffsetDateTime::now_utc();
        let set = signer()
            .set_cookie("sf_oidc", "/oidc", "Lax", &"state-1", now + Duration::minutes(5))
            .unwrap();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Secure"));
        let value: String = signer().read(Some(&header(&set)), "sf_oidc", now).unwrap();
        assert_eq!(value, "state-1");
    }

    #[test]
    fn tampered_expired_foreign_or_renamed_values_are_refused() {
        let now = OffsetDateTime::now_utc();
        let set = signer()
            .set_cookie("sf_oidc", "/oidc", "Lax", &"state-1", now + Duration::minutes(5))
            .unwrap();
        let cookie = header(&set);
        let read = |h: &str, name: &str, at| signer().read::<String>(Some(h), name, at).unwrap_err().to_string();
        assert!(read(&cookie, "sf_oidc", now + Duration::minutes(6)).contains("expired"));
        assert!(read(&cookie.replace("sf_oidc=", "sf_saml="), "sf_saml", now).contains("not signed"));
        let (payload, tag) = cookie.split_once('.').unwrap();
        let forged = format!("{}A.{tag}", payload);
        assert!(read(&forged, "sf_oidc", now).contains("not signed"));
        let other = CookieSigner::new(vec![8; 32], true).unwrap();
        assert!(other.read::<String>(Some(&cookie), "sf_oidc", now).is_err());
        assert!(read("", "sf_oidc", now).contains("missing"));
        assert!(read(&format!("{cookie}; {cookie}"), "sf_oidc", now).contains("twice"));
    }

    #[test]
    fn cross_site_cookies_are_same_site_none_and_secure_over_https_only() {
        let now = OffsetDateTime::now_utc();
        let https = signer();
        let same_site = https.cross_site_same_site();
        let set = https
            .set_cookie("sf_saml", "/saml", same_site, &"id-1", now + Duration::minutes(5))
            .unwrap();
        assert!(set.contains("; SameSite=None; Secure"), "{set}");
        let http = CookieSigner::new(vec![7; 32], false).unwrap();
        let set = http
            .set_cookie(
                "sf_saml",
                "/saml",
                http.cross_site_same_site(),
                &"id-1",
                now + Duration::minutes(5),
            )
            .unwrap();
        assert!(set.ends_with("; SameSite=Lax") && !set.contains("Secure"), "{set}");
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(CookieSigner::new(vec![1; 31], false).is_none());
    }
}
