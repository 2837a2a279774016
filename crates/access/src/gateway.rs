//! [`Gateway`]: everything a login decision needs, built once from the configuration.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use studio_fed_federation::oidc::{HttpClient, IdTokenValidator, LoginFlow, ValidatedIdToken};
use studio_fed_federation::replay::{InMemoryReplayCache, ReplayCache};
use studio_fed_federation::saml::{IdpMetadata, ResponseValidator, ValidatedAssertion};

use crate::audit::{AuditEvent, AuditSink, Outcome, TracingAudit};
use crate::config::{GatewayConfig, OidcSection, ReplayStore, SamlSection};
use crate::cookie::{CookieSigner, MIN_KEY_BYTES};
use crate::mapping::{Identity, ProfileRules, Target};
use crate::network::NetworkRules;
use crate::rate_limit::RateLimiter;
use crate::replay::DynamoDbReplayCache;
use crate::saml_sp::RequestSigner;
use crate::studio::{StudioAccess, StudioSettings};
use crate::{Error, Refusal};

/// How the user logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// A SAML response posted to the ACS.
    Saml,
    /// An OIDC authorization-code login.
    Oidc,
}

impl LoginMethod {
    fn as_str(self) -> &'static str {
        match self {
            LoginMethod::Saml => "saml",
            LoginMethod::Oidc => "oidc",
        }
    }
}

/// A login the gateway let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The profile opened.
    pub target: Target,
    /// The presigned URL the browser is sent to. Never log it: it is a credential until redeemed.
    pub url: String,
}

/// The SAML side.
#[derive(Debug)]
pub(crate) struct SamlLogin {
    pub(crate) validator: ResponseValidator,
    pub(crate) section: SamlSection,
    /// The gateway's SP entity ID: the audience it expects, the issuer of its AuthnRequests.
    pub(crate) entity_id: String,
    /// Signs the AuthnRequests of SP-initiated logins, when configured.
    pub(crate) request_signer: Option<RequestSigner>,
}

/// The OIDC side.
#[derive(Debug)]
pub(crate) struct OidcLogin {
    pub(crate) flow: LoginFlow,
    pub(crate) section: OidcSection,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: GatewayConfig,
    pub(crate) network: NetworkRules,
    pub(crate) rules: ProfileRules,
    pub(crate) studio: StudioAccess,
    pub(crate) saml: Option<SamlLogin>,
    pub(crate) oidc: Option<OidcLogin>,
    pub(crate) cookies: CookieSigner,
    pub(crate) limiter: RateLimiter,
    pub(crate) audit: Arc<dyn AuditSink>,
}

/// The login gateway: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

/// Builds a [`Gateway`]; see [`Gateway::builder`].
#[must_use]
pub struct GatewayBuilder {
    config: GatewayConfig,
    sdk_config: aws_config::SdkConfig,
    replay: Option<Arc<dyn ReplayCache>>,
    audit: Option<Arc<dyn AuditSink>>,
    oidc_http: Option<HttpClient>,
}

impl GatewayBuilder {
    /// Uses this replay store instead of the configured one.
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// Sends audit events here instead of to `tracing`.
    pub fn audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// The HTTP client for the OpenID Provider (default: one trusting the system roots and
    /// `oidc.ca_file`).
    pub fn oidc_http_client(mut self, http: HttpClient) -> Self {
        self.oidc_http = Some(http);
        self
    }

    /// Loads the IdP metadata, discovers the OpenID Provider, and sets up the replay store.
    pub async fn build(self) -> Result<Gateway, Error> {
        let config = self.config;
        let replay: Arc<dyn ReplayCache> = match (self.replay, config.replay.store, &config.replay.table) {
            (Some(cache), _, _) => cache,
            (None, ReplayStore::Dynamodb, Some(table)) => Arc::new(DynamoDbReplayCache::new(&self.sdk_config, table)),
            (None, _, _) => Arc::new(InMemoryReplayCache::new()),
        };
        let saml = match &config.saml {
            Some(section) => Some(saml_login(&config, section, replay.clone()).await?),
            None => None,
        };
        let oidc = match &config.oidc {
            Some(section) => Some(oidc_login(section, replay.clone(), self.oidc_http).await?),
            None => None,
        };
        let key = match &config.gateway.cookie_key {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| Error::Config("gateway.cookie_key is not base64".into()))?,
            None => {
                tracing::warn!(
                    "gateway.cookie_key is not set: using a random key, so OIDC logins only work \
                     when they start and end on this instance"
                );
                let mut key = vec![0; MIN_KEY_BYTES];
                openssl::rand::rand_bytes(&mut key)
                    .map_err(|e| Error::Config(format!("cannot generate a cookie key: {e}")))?;
                key
            }
        };
        let secure = config.gateway.public_url.scheme() == "https";
        let cookies = CookieSigner::new(key, secure).ok_or_else(|| {
            Error::Config(format!(
                "gateway.cookie_key must decode to at least {MIN_KEY_BYTES} bytes"
            ))
        })?;
        let studio = StudioAccess::new(
            &self.sdk_config,
            StudioSettings {
                expires_in_seconds: config.gateway.expires_in_seconds,
                session_expiration_seconds: config.gateway.session_expiration_seconds,
                cache_ttl: Duration::from_secs(config.profiles.cache_seconds),
                jit_wait: config.jit.enabled.then(|| Duration::from_secs(config.jit.wait_seconds)),
            },
        );
        Ok(Gateway {
            inner: Arc::new(Inner {
                network: NetworkRules::new(
                    config.network.allowed_cidrs.clone(),
                    config.network.trusted_proxies.clone(),
                ),
                rules: ProfileRules::new(&config),
                limiter: RateLimiter::new(config.limits.rate_limit_per_minute, config.limits.rate_limit_burst),
                audit: self.audit.unwrap_or_else(|| Arc::new(TracingAudit)),
                studio,
                saml,
                oidc,
                cookies,
                config,
            }),
        })
    }
}

async fn saml_login(
    config: &GatewayConfig,
    section: &SamlSection,
    replay: Arc<dyn ReplayCache>,
) -> Result<SamlLogin, Error> {
    let metadata = match (&section.metadata_file, &section.metadata_url) {
        (Some(file), _) => IdpMetadata::from_file(file)?,
        (None, Some(url)) => IdpMetadata::fetch(url).await?,
        (None, None) => return Err(Error::Config("[saml] needs metadata_file or metadata_url".into())),
    };
    let request_signer = match (
        &section.request_signing_key_file,
        &section.request_signing_certificate_file,
    ) {
        (Some(key), Some(certificate)) => Some(RequestSigner::from_pem_files(Path::new(key), Path::new(certificate))?),
        (None, None) => None,
        _ => {
            return Err(Error::Config(
                "[saml] request_signing_key_file and request_signing_certificate_file go together: the \
                 key signs AuthnRequests, the certificate in the SP metadata lets the IdP verify them"
                    .into(),
            ));
        }
    };
    if request_signer.is_none() && metadata.wants_authn_requests_signed() {
        tracing::warn!(
            idp = metadata.entity_id(),
            "the identity provider wants signed AuthnRequests and [saml] request_signing_key_file \
             is not set: GET /saml/login refuses to start logins; IdP-initiated logins still work"
        );
    }
    let acs = config.acs_url();
    let entity_id = section.audience.clone().unwrap_or_else(|| acs.clone());
    let validator = ResponseValidator::builder(metadata)
        .audience(entity_id.clone())
        .acs_url(acs)
        .allow_idp_initiated(section.allow_idp_initiated)
        .allow_sha1(section.allow_sha1)
        .clock_skew(time::Duration::seconds(section.clock_skew_seconds))
        .replay_cache(replay)
        .max_size(config.limits.max_body_bytes)
        .build()?;
    Ok(SamlLogin {
        validator,
        section: section.clone(),
        entity_id,
        request_signer,
    })
}

async fn oidc_login(
    section: &OidcSection,
    replay: Arc<dyn ReplayCache>,
    http: Option<HttpClient>,
) -> Result<OidcLogin, Error> {
    let http = match (http, &section.ca_file) {
        (Some(http), _) => http,
        (None, Some(file)) => {
            let pem = std::fs::read(file).map_err(|source| Error::ReadConfig {
                path: file.clone(),
                source,
            })?;
            HttpClient::builder().extra_root_pem(pem).build()?
        }
        (None, None) => HttpClient::new()?,
    };
    let validator = IdTokenValidator::builder(&section.issuer, &section.client_id)
        .replay_cache(replay)
        .discover(&http)
        .await?;
    Ok(OidcLogin {
        flow: LoginFlow::new(Arc::new(validator), http, section.client_secret.clone()),
        section: section.clone(),
    })
}

impl Gateway {
    /// Starts a gateway for `config`, talking to AWS through `sdk_config`.
    pub fn builder(config: GatewayConfig, sdk_config: aws_config::SdkConfig) -> GatewayBuilder {
        GatewayBuilder {
            config,
            sdk_config,
            replay: None,
            audit: None,
            oidc_http: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    /// Decides where a validated login goes and creates its presigned URL; records the decision.
    pub(crate) async fn admit(
        &self,
        method: LoginMethod,
        client_ip: IpAddr,
        identity: Result<Identity, Refusal>,
    ) -> Result<Login, Refusal> {
        let mut event = AuditEvent {
            method: method.as_str(),
            outcome: Outcome::Refused,
            client_ip: Some(client_ip),
            user: None,
            team: None,
            domain: None,
            profile: None,
            code: None,
            reason: None,
        };
        let result: Result<Login, Refusal> = async {
            let identity = identity?;
            event.user = Some(identity.user.clone());
            let target = self.inner.rules.target(&identity)?;
            event.team = Some(target.team.clone());
            event.domain = Some(target.domain.clone());
            event.profile = Some(target.profile.clone());
            let jit = self
                .inner
                .rules
                .team(&target.team)
                .filter(|t| t.execution_role.is_some());
            let url = self.inner.studio.open(&target, jit).await?;
            Ok(Login { target, url })
        }
        .await;
        match &result {
            Ok(_) => event.outcome = Outcome::Allowed,
            Err(refusal) => {
                event.code = Some(refusal.code());
                event.reason = Some(refusal.to_string());
            }
        }
        self.inner.audit.record(&event);
        result
    }

    /// Records a refusal that happened before a login could be read.
    pub(crate) fn audit_refusal(&self, method: &'static str, client_ip: Option<IpAddr>, refusal: &Refusal) {
        self.inner.audit.record(&AuditEvent {
            method,
            outcome: Outcome::Refused,
            client_ip,
            user: None,
            team: None,
            domain: None,
            profile: None,
            code: Some(refusal.code()),
            reason: Some(refusal.to_string()),
        });
    }
}

/// The attribute Entra ID sends instead of the groups when the user is in more than 150 groups:
/// a link to look them up in Microsoft Graph (its groups overage).
pub(crate) const SAML_GROUPS_OVERAGE_ATTRIBUTE: &str = "http://schemas.microsoft.com/claims/groups.link";
/// Entra ID's app role attribute, which is never left out: its absence is no groups overage.
const SAML_ROLE_ATTRIBUTE: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

/// The user, teams and domain of a validated SAML assertion. A mapped team attribute that is
/// absent while [`SAML_GROUPS_OVERAGE_ATTRIBUTE`] is present marks the login's groups overage.
pub(crate) fn saml_identity(section: &SamlSection, assertion: &ValidatedAssertion) -> Result<Identity, Refusal> {
    let missing = |name: &str| Refusal::MissingAttribute {
        what: "attribute",
        name: name.to_owned(),
    };
    let user = if section.user_attribute == "NameID" {
        assertion.name_id.clone()
    } else {
        single(assertion.attribute(&section.user_attribute), &section.user_attribute)?
            .ok_or_else(|| missing(&section.user_attribute))?
    };
    let (teams, groups_overage) = match section.team_attribute.as_deref() {
        None => (Vec::new(), None),
        Some(name) => match assertion.attributes.get(name) {
            Some(values) => (values.clone(), None),
            None if name != SAML_ROLE_ATTRIBUTE && assertion.attributes.contains_key(SAML_GROUPS_OVERAGE_ATTRIBUTE) => {
                (Vec::new(), Some(name.to_owned()))
            }
            // A mapped team attribute decides the team: without it, the login gets none.
            None => return Err(missing(name)),
        },
    };
    let domain = match section.domain_attribute.as_deref() {
        Some(name) => single(assertion.attribute(name), name)?,
        None => None,
    };
    Ok(Identity {
        user,
        teams,
        domain,
        groups_overage,
    })
}

/// The user, teams and domain of a validated ID token. A mapped team claim that is absent while
/// the token says it is held elsewhere marks the login's groups overage.
pub(crate) fn oidc_identity(section: &OidcSection, token: &ValidatedIdToken) -> Result<Identity, Refusal> {
    let string_claim = |name: &str| -> Result<Option<String>, Refusal> {
        match token.claim(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Refusal::BadRequest(format!("the claim `{name}` is not a string"))),
        }
    };
    let missing = |name: &str| Refusal::MissingAttribute {
        what: "claim",
        name: name.to_owned(),
    };
    let user = string_claim(&section.user_claim)?.ok_or_else(|| missing(&section.user_claim))?;
    let (teams, groups_overage) = match section.team_claim.as_deref() {
        None => (Vec::new(), None),
        Some(name) => match token.claim(name) {
            Some(Value::String(s)) => (vec![s.clone()], None),
            Some(Value::Array(values)) => (
                values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
                None,
            ),
            None | Some(Value::Null) if claim_held_elsewhere(token, name) => (Vec::new(), Some(name.to_owned())),
            // A mapped team claim decides the team: without it, the login gets none.
            None | Some(Value::Null) => return Err(missing(name)),
            Some(_) => {
                return Err(Refusal::BadRequest(format!(
                    "the claim `{name}` is not a string or an array"
                )));
            }
        },
    };
    let domain = match section.domain_claim.as_deref() {
        Some(name) => string_claim(name)?,
        None => None,
    };
    Ok(Identity {
        user,
        teams,
        domain,
        groups_overage,
    })
}

/// Whether the token says that its claim `name` is held elsewhere instead: an OpenID Connect
/// distributed claim (`_claim_names` names it), which is how Entra ID's groups overage arrives in
/// tokens of the authorization-code flow, with `_claim_sources` pointing at Microsoft Graph.
fn claim_held_elsewhere(token: &ValidatedIdToken, name: &str) -> bool {
    token
        .claim("_claim_names")
        .and_then(Value::as_object)
        .is_some_and(|names| names.contains_key(name))
}

/// At most one value.
fn single(values: &[String], name: &str) -> Result<Option<String>, Refusal> {
    match values {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        _ => Err(Refusal::BadRequest(format!(
            "the attribute `{name}` has several values; it must have one"
        ))),
    }
}
