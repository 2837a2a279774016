//! `POST /saml/acs`: the Assertion Consumer Service (HTTP-POST binding).

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::response::Response;
use http::{HeaderMap, header};

use super::{ClientIp, redirect, refusal_response};
use studio_fed_federation::saml::SamlError;

use crate::gateway::saml_identity;
use crate::{Gateway, LoginMethod, Refusal};

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
        let refusal = Refusal::BadRequest("SAML login is not enabled on this gateway".into());
        gateway.audit_refusal("saml", Some(ip), &refusal);
        return refusal_response(&refusal);
    };
    let max = gateway.config().limits.max_body_bytes;
    let identity = async {
        let body = axum::body::to_bytes(body, max)
            .await
            .map_err(|_| Refusal::Saml(SamlError::TooLarge { max }))?;
        let form_value = saml_response(&headers, &body)?;
        let assertion = saml.validator.validate_post(&form_value, &[]).await?;
        saml_identity(&saml.section, &assertion)
    }
    .await;
    match gateway.admit(LoginMethod::Saml, ip, identity).await {
        Ok(login) => redirect(&login, None),
        Err(refusal) => refusal_response(&refusal),
    }
}
