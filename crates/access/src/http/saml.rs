//! `GET /saml/login` (SP-initiated login: an AuthnRequest sent with the HTTP-Redirect binding) and
//! `POST /saml/acs` (the Assertion Consumer Service, HTTP-POST binding).
//!
//! The IDs of the AuthnRequests a browser started are kept in a signed cookie (path `/saml`, at most
//! [`MAX_PENDING`] at once, each for [`LOGIN_TIMEOUT`]); the ACS accepts a response with
//! `InResponseTo` only when it answers one of them, and forgets that request once answered. The ACS
//! is a cross-site POST from the identity provider's page, so over HTTPS the cookie is
//! `SameSite=None; Secure` (browsers would not send a `Lax` cookie with it). The cookie is bound to
//! the browser, not secret from it: it only lets a response answer a request that same browser
//! started, which an attacker forcing a victim's browser to post the attacker's response cannot
//! arrange (login CSRF).

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse as _, Response};
use http::{HeaderMap, HeaderValue, header};
use serde::{Deserialize, Serialize};
use studio_fed_federation::saml::SamlError;
use time::{Duration, OffsetDateTime};
use url::Url;

use super::{ClientIp, cookie_header, not_enabled, redirect, refusal_response, to_identity_provider};
use crate::cookie::CookieSigner;
use crate::gateway::{SamlLogin, saml_identity};
use crate::saml_sp::{authn_request, metadata as sp_metadata, redirect_url, request_id};
use crate::{Gateway, LoginMethod, Refusal};

/// The HTTP-Redirect binding, used to send the AuthnRequest.
const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// The cookie holding the pending request IDs.
const COOKIE: &str = "studio_fed_saml";
/// Its path: sent to `/saml/login` and `/saml/acs` only.
const COOKIE_PATH: &str = "/saml";
/// How long a login may take at the identity provider.
const LOGIN_TIMEOUT: Duration = Duration::minutes(10);
/// Logins a browser may have started at once (e.g. in several tabs); older ones are forgotten.
const MAX_PENDING: usize = 5;

/// An AuthnRequest this browser started and the gateway still waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingRequest {
    /// The request ID (the response's `InResponseTo`).
    id: String,
    /// Until when (Unix seconds) an answer is accepted.
    exp: i64,
}

/// The unexpired requests of the cookie. A missing, expired or forged cookie holds none: the ACS
/// then only accepts unsolicited responses (when allowed), and a response with `InResponseTo` is
/// refused as answering an unknown request.
fn pending_requests(cookies: &CookieSigner, headers: &HeaderMap, now: OffsetDateTime) -> Vec<PendingRequest> {
    let mut pending: Vec<PendingRequest> = cookies
        .read(cookie_header(headers).as_deref(), COOKIE, now)
        .unwrap_or_default();
    pending.retain(|p| p.exp > now.unix_timestamp());
    pending
}

/// The `Set-Cookie` value keeping `pending` (or deleting the cookie when it is empty).
fn pending_cookie(cookies: &CookieSigner, pending: &[PendingRequest]) -> Result<String, Refusal> {
    let same_site = cookies.cross_site_same_site();
    let Some(last) = pending.iter().map(|p| p.exp).max() else {
        return Ok(cookies.clear_cookie(COOKIE, COOKIE_PATH, same_site));
    };
    let expires = OffsetDateTime::from_unix_timestamp(last)
        .map_err(|_| Refusal::BadRequest("the login cookie has an impossible expiry".into()))?;
    cookies.set_cookie(COOKIE, COOKIE_PATH, same_site, &pending, expires)
}

/// Builds the AuthnRequest and its redirect, and the cookie remembering it.
fn start_login(
    gateway: &Gateway,
    saml: &SamlLogin,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<(Url, String), Refusal> {
    let metadata = saml.validator.metadata();
    if saml.request_signer.is_none() && metadata.wants_authn_requests_signed() {
        return Err(Refusal::BadRequest(
            "the identity provider wants signed AuthnRequests (WantAuthnRequestsSigned) and the \
             gateway has no [saml] request_signing_key_file, so it cannot start a login there; \
             start it at the identity provider"
                .into(),
        ));
    }
    let destination = metadata.sso_location(HTTP_REDIRECT).ok_or_else(|| {
        Refusal::BadRequest(
            "the identity provider's metadata has no SingleSignOnService with the HTTP-Redirect \
             binding, so the gateway cannot start a login there; start it at the identity provider"
                .into(),
        )
    })?;
    let acs = gateway.config().acs_url();
    let id = request_id()?;
    let xml = authn_request(&id, now, destination, &acs, &saml.entity_id)?;
    let url = redirect_url(destination, &xml, saml.request_signer.as_ref())?;
    let cookies = &gateway.inner.cookies;
    let mut pending = pending_requests(cookies, headers, now);
    pending.push(PendingRequest {
        id,
        exp: (now + LOGIN_TIMEOUT).unix_timestamp(),
    });
    let excess = pending.len().saturating_sub(MAX_PENDING);
    pending.drain(..excess);
    Ok((url, pending_cookie(cookies, &pending)?))
}

/// `GET /saml/metadata`: the gateway's SP metadata, for the identity provider to import.
pub(super) async fn metadata(State(gateway): State<Gateway>) -> Response {
    let Some(saml) = &gateway.inner.saml else {
        return refusal_response(&Refusal::BadRequest("SAML login is not enabled on this gateway".into()));
    };
    match sp_metadata(
        &saml.entity_id,
        &gateway.config().acs_url(),
        saml.request_signer.as_ref(),
    ) {
        Ok(xml) => ([(header::CONTENT_TYPE, "application/samlmetadata+xml")], xml).into_response(),
        Err(refusal) => refusal_response(&refusal),
    }
}

pub(super) async fn login(
    State(gateway): State<Gateway>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
) -> Response {
    let Some(saml) = &gateway.inner.saml else {
        return not_enabled(&gateway, "saml", ip);
    };
    let started = start_login(&gateway, saml, &headers, OffsetDateTime::now_utc());
    to_identity_provider(&gateway, "saml", ip, started)
}

/// The `SAMLResponse` of a form body: exactly one, and only the binding's fields.
fn saml_response(headers: &HeaderMap, body: &[u8]) -> Result<String, Refusal> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form {
        return Err(Refusal::BadRequest(
            "the ACS accepts the SAML HTTP-POST binding: an application/x-www-form-urlencoded form".into(),
        ));
    }
    let mut response = None;
    for (name, value) in url::form_urlencoded::parse(body) {
        match name.as_ref() {
            "SAMLResponse" if response.is_none() => response = Some(value.into_owned()),
            "SAMLResponse" => return Err(Refusal::BadRequest("the form has two SAMLResponse fields".into())),
            "RelayState" if value.len() <= 80 => {}
            "RelayState" => return Err(Refusal::BadRequest("RelayState is longer than 80 bytes".into())),
            _ => {}
        }
    }
    response.ok_or_else(|| Refusal::BadRequest("the form has no SAMLResponse field".into()))
}

pub(super) async fn acs(
    State(gateway): State<Gateway>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(saml) = &gateway.inner.saml else {
        return not_enabled(&gateway, "saml", ip);
    };
    let max = gateway.config().limits.max_body_bytes;
    let cookies = &gateway.inner.cookies;
    let mut pending = pending_requests(cookies, &headers, OffsetDateTime::now_utc());
    let mut answered = None;
    let identity = async {
        let body = axum::body::to_bytes(body, max)
            .await
            .map_err(|_| Refusal::Saml(SamlError::TooLarge { max }))?;
        let form_value = saml_response(&headers, &body)?;
        let expected: Vec<&str> = pending.iter().map(|p| p.id.as_str()).collect();
        let assertion = saml.validator.validate_post(&form_value, &expected).await?;
        answered.clone_from(&assertion.in_response_to);
        saml_identity(&saml.section, &assertion)
    }
    .await;
    // A request is answered once, whatever the gateway then decides about the login.
    let cookie = answered.and_then(|id| {
        pending.retain(|p| p.id != id);
        pending_cookie(cookies, &pending).ok()
    });
    match gateway.admit(LoginMethod::Saml, ip, identity).await {
        Ok(login) => redirect(&login, cookie),
        Err(refusal) => {
            let mut response = refusal_response(&refusal);
            if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_requests_come_from_a_valid_cookie_and_expire() {
        let cookies = CookieSigner::new(vec![3; 32], true).unwrap();
        let now = OffsetDateTime::now_utc();
        let pending = [
            PendingRequest {
                id: "_old".into(),
                exp: (now - Duration::seconds(1)).unix_timestamp(),
            },
            PendingRequest {
                id: "_new".into(),
                exp: (now + Duration::minutes(5)).unix_timestamp(),
            },
        ];
        let set = pending_cookie(&cookies, &pending).unwrap();
        assert!(
            set.contains("; Path=/saml;") && set.contains("SameSite=None; Secure"),
            "{set}"
        );
        let mut headers = HeaderMap::new();
        let value = set.split(';').next().unwrap();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {value}")).unwrap(),
        );
        assert_eq!(pending_requests(&cookies, &headers, now), pending[1..]);
        // Another key's cookie holds nothing.
        let other = CookieSigner::new(vec![4; 32], true).unwrap();
        assert!(pending_requests(&other, &headers, now).is_empty());
        // Nothing left: the cookie is deleted.
        assert!(pending_cookie(&cookies, &[]).unwrap().contains("Max-Age=0"));
    }
}
