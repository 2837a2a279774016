//! `GET /oidc/login` and `GET /oidc/callback`: authorization code + PKCE, with `state`, `nonce`
//! and the PKCE verifier bound to the browser by a signed, HttpOnly, SameSite=Lax cookie.

use axum::extract::{Extension, State};
use axum::response::Response;
use http::{HeaderMap, HeaderValue, Uri, header};
use studio_fed_federation::oidc::PendingLogin;
use time::{Duration, OffsetDateTime};

use super::{ClientIp, cookie_header, not_enabled, redirect, refusal_response, to_identity_provider};
use crate::gateway::{OidcLogin, oidc_identity};
use crate::mapping::Identity;
use crate::{Gateway, LoginMethod, Refusal};

/// The cookie holding the pending login.
const COOKIE: &str = "studio_fed_oidc";
/// Its path: sent only to the OIDC routes.
const COOKIE_PATH: &str = "/oidc";
/// Lax: the callback is a top-level GET navigation from the provider, which Lax allows.
const SAME_SITE: &str = "Lax";
/// How long a login may take at the provider.
const LOGIN_TIMEOUT: Duration = Duration::minutes(10);

pub(super) async fn login(State(gateway): State<Gateway>, Extension(ClientIp(ip)): Extension<ClientIp>) -> Response {
    let Some(oidc) = &gateway.inner.oidc else {
        return not_enabled(&gateway, "oidc", ip);
    };
    let scopes: Vec<&str> = oidc.section.scopes.iter().map(String::as_str).collect();
    let started = oidc
        .flow
        .begin(&gateway.config().oidc_callback_url(), &scopes)
        .map_err(Refusal::from)
        .and_then(|(url, pending)| {
            let cookie = gateway.inner.cookies.set_cookie(
                COOKIE,
                COOKIE_PATH,
                SAME_SITE,
                &pending,
                OffsetDateTime::now_utc() + LOGIN_TIMEOUT,
            )?;
            Ok((url, cookie))
        });
    to_identity_provider(&gateway, "oidc", ip, started)
}

pub(super) async fn callback(
    State(gateway): State<Gateway>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(oidc) = &gateway.inner.oidc else {
        return not_enabled(&gateway, "oidc", ip);
    };
    let query = uri.query().unwrap_or_default().to_owned();
    let identity = callback_identity(&gateway, oidc, cookie_header(&headers), query).await;
    let cookies = &gateway.inner.cookies;
    // The pending login is used once, whatever the outcome.
    let clear = cookies.clear_cookie(COOKIE, COOKIE_PATH, SAME_SITE);
    let mut response = match gateway.admit(LoginMethod::Oidc, ip, identity).await {
        Ok(login) => return redirect(&login, Some(clear)),
        Err(refusal) => refusal_response(&refusal),
    };
    if let Ok(clear) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

async fn callback_identity(
    gateway: &Gateway,
    oidc: &OidcLogin,
    cookie_header: Option<String>,
    query: String,
) -> Result<Identity, Refusal> {
    let pending: PendingLogin =
        gateway
            .inner
            .cookies
            .read(cookie_header.as_deref(), COOKIE, OffsetDateTime::now_utc())?;
    let mut login = oidc.flow.complete(&pending, &query).await?;
    // Providers that follow OpenID Connect Core 5.4 serve profile claims from UserInfo only.
    let section = &oidc.section;
    let wanted = [
        Some(&section.user_claim),
        section.team_claim.as_ref(),
        section.domain_claim.as_ref(),
    ];
    if wanted
        .iter()
        .flatten()
        .any(|claim| login.id_token.claim(claim).is_none())
    {
        for (name, value) in oidc.flow.userinfo(&login).await? {
            login.id_token.claims.entry(name).or_insert(value);
        }
    }
    oidc_identity(section, &login.id_token)
}
