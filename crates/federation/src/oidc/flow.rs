//! The relying party's side of the authorization-code flow with PKCE.

use std::fmt;
use std::sync::Arc;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreErrorResponseType};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::OidcError;
use super::http::HttpClient;
use super::validator::{IdTokenValidator, ValidatedIdToken, constant_time_eq, error_chain};

/// What the relying party must remember between redirecting the browser to
/// the provider and the callback (e.g. in a signed, encrypted, HttpOnly cookie).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent to the provider (CSRF protection).
    pub state: String,
    /// The `nonce` sent to the provider (binds the ID token to this login).
    pub nonce: String,
    /// The PKCE code verifier (its S256 challenge was sent).
    pub pkce_verifier: String,
    /// The redirect URI used (the token request must repeat it).
    pub redirect_uri: String,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// A completed login.
#[derive(Clone)]
pub struct Login {
    /// The validated ID token.
    pub id_token: ValidatedIdToken,
    /// The access token returned with it.
    pub access_token: String,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("id_token", &self.id_token)
            .finish_non_exhaustive()
    }
}

/// Starts and completes authorization-code + PKCE logins against one provider.
#[derive(Clone)]
pub struct LoginFlow {
    validator: Arc<IdTokenValidator>,
    http: HttpClient,
    client_secret: Option<String>,
}

impl fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginFlow")
            .field("validator", &self.validator)
            .finish_non_exhaustive()
    }
}

impl LoginFlow {
    /// A flow for the validator's issuer and client. With a `client_secret`
    /// the client authenticates with `client_secret_basic`; without, it is a
    /// public client relying on PKCE.
    pub fn new(validator: Arc<IdTokenValidator>, http: HttpClient, client_secret: Option<String>) -> Self {
        Self {
            validator,
            http,
            client_secret,
        }
    }

    /// The validator used for the ID tokens.
    pub fn validator(&self) -> &IdTokenValidator {
        &self.validator
    }

    fn client(&self, redirect_uri: &str) -> Result<OidcClient, OidcError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OidcError::Config(format!("redirect URI `{redirect_uri}` is not a URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            self.validator.metadata().clone(),
            ClientId::new(self.validator.client_id().to_owned()),
            self.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// The URL to send the browser to (`response_type=code`, `openid` plus
    /// `scopes`, random `state` and `nonce`, PKCE S256), and what to keep
    /// until the callback.
    pub fn begin(&self, redirect_uri: &str, scopes: &[&str]) -> Result<(Url, PendingLogin), OidcError> {
        let client = self.client(redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in scopes.iter().filter(|s| **s != "openid") {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok((
            url,
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                redirect_uri: redirect_uri.to_owned(),
            },
        ))
    }

    /// Completes a login from the callback's query string (with or without
    /// the leading `?`): checks `state`, the provider's `error`, the `iss`
    /// parameter when present, redeems the code with the PKCE verifier and
    /// validates the ID token (nonce, `at_hash`, everything else).
    #[tracing::instrument(name = "oidc_complete_login", skip_all, fields(issuer = %self.validator.issuer()))]
    pub async fn complete(&self, pending: &PendingLogin, callback_query: &str) -> Result<Login, OidcError> {
        let query = callback_query.strip_prefix('?').unwrap_or(callback_query);
        let mut params: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if params.iter().any(|(n, _)| *n == name) {
                return Err(OidcError::Malformed(format!(
                    "callback parameter `{name}` is given twice"
                )));
            }
            params.push((name.into_owned(), value.into_owned()));
        }
        let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());

        let state = param("state").ok_or(OidcError::MissingState)?;
        if pending.state.is_empty() || !constant_time_eq(state, &pending.state) {
            return Err(OidcError::StateMismatch);
        }
        if let Some(iss) = param("iss")
            && iss != self.validator.issuer()
        {
            return Err(OidcError::CallbackIssuerMismatch(iss.chars().take(200).collect()));
        }
        if let Some(error) = param("error") {
            return Err(OidcError::AuthorizationDenied {
                error: error.chars().take(100).collect(),
                description: param("error_description").map(|d| d.chars().take(300).collect()),
            });
        }
        let code = param("code").filter(|c| !c.is_empty()).ok_or(OidcError::MissingCode)?;

        let client = self.client(&pending.redirect_uri)?;
        let exchanged = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(format!("the provider has no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await;
        let (id_token, access_token) = match exchanged {
            Ok(response) => (
                response
                    .id_token()
                    .ok_or_else(|| OidcError::TokenExchange("the token response has no id_token".into()))?
                    .to_string(),
                response.access_token().secret().clone(),
            ),
            // openidconnect parses the ID token's claims with the token response, so a token with
            // malformed claims fails here: read the two tokens from the JSON and let the validator
            // say what is wrong with the ID token.
            Err(RequestTokenError::Parse(_, body)) => raw_tokens(&body)?,
            Err(error) => return Err(token_error(error)),
        };
        let id_token = self
            .validator
            .validate(&id_token, &pending.nonce, Some(&access_token))
            .await?;
        Ok(Login { id_token, access_token })
    }
}

impl LoginFlow {
    /// The provider's UserInfo claims for a completed login (OpenID Connect Core 5.3), for
    /// providers that put profile claims (e.g. `preferred_username`, `groups`) there rather than
    /// in the ID token. The answer must be JSON about the ID token's subject (5.3.2); a signed or
    /// encrypted answer is refused.
    #[tracing::instrument(name = "oidc_userinfo", skip_all, fields(issuer = %self.validator.issuer()))]
    pub async fn userinfo(&self, login: &Login) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
        let endpoint = self
            .validator
            .metadata()
            .userinfo_endpoint()
            .ok_or_else(|| OidcError::UserInfo("the provider publishes no userinfo_endpoint".into()))?;
        let request = openidconnect::http::Request::builder()
            .method(openidconnect::http::Method::GET)
            .uri(endpoint.url().as_str())
            .header("authorization", format!("Bearer {}", login.access_token))
            .header("accept", "application/json")
            .body(Vec::new())
            .map_err(|e| OidcError::UserInfo(e.to_string()))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        if !response.status().is_success() {
            return Err(OidcError::UserInfo(format!("HTTP {}", response.status().as_u16())));
        }
        let json = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !json {
            return Err(OidcError::UserInfo(
                "the answer is not application/json (signed or encrypted UserInfo is not supported)".into(),
            ));
        }
        let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(response.body())
            .map_err(|_| OidcError::UserInfo("the answer is not a JSON object".into()))?;
        if claims.get("sub").and_then(|v| v.as_str()) != Some(login.id_token.subject.as_str()) {
            return Err(OidcError::UserInfo(
                "its `sub` is not the ID token's subject, so it may describe another user".into(),
            ));
        }
        Ok(claims)
    }
}

/// `id_token` and `access_token` of a token response that openidconnect could not parse.
fn raw_tokens(body: &[u8]) -> Result<(String, String), OidcError> {
    let unparsable =
        || OidcError::TokenExchange("the token response is not JSON with id_token and access_token".into());
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| unparsable())?;
    let field = |name: &str| json.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    Ok((
        field("id_token").ok_or_else(unparsable)?,
        field("access_token").ok_or_else(unparsable)?,
    ))
}

type OidcClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn token_error<RE: std::error::Error + 'static>(
    error: RequestTokenError<RE, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
) -> OidcError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().to_string();
            let description = response.error_description().cloned().unwrap_or_default();
            let text: String = format!("{code}: {description}").chars().take(300).collect();
            let lower = description.to_ascii_lowercase();
            if *response.error() == CoreErrorResponseType::InvalidGrant
                && (lower.contains("pkce") || lower.contains("code_verifier") || lower.contains("code verifier"))
            {
                OidcError::PkceVerifierMismatch(text)
            } else {
                OidcError::TokenExchange(text)
            }
        }
        RequestTokenError::Request(e) => OidcError::Http(error_chain(&e)),
        RequestTokenError::Parse(e, _) => OidcError::TokenExchange(format!("unparsable token response: {e}")),
        RequestTokenError::Other(e) => OidcError::TokenExchange(e),
    }
}
