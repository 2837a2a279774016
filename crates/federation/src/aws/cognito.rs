//! Cognito user pools federated with an OIDC identity provider:
//! [`ensure_user_pool_with_oidc_idp`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, IdentityProviderTypeType, OAuthFlowType, SchemaAttributeType,
};
use tracing::Instrument;

use super::{Error, MANAGED_BY_TAG, MANAGED_BY_VALUE, list};
use crate::change::{Change, Ensured, FieldChange};

/// The standard attributes of a Cognito user pool, which any pool can map.
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// How Cognito sends requests for user attributes to the IdP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AttributesRequestMethod {
    /// `GET` (Cognito's default).
    #[default]
    Get,
    /// `POST`.
    Post,
}

impl AttributesRequestMethod {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributesRequestMethod::Get => "GET",
            AttributesRequestMethod::Post => "POST",
        }
    }
}

/// The OIDC identity provider of a user pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdpSpec {
    /// The provider name in the pool (1-32 characters), e.g. `Corporate`; app
    /// clients list it in their supported identity providers.
    pub name: String,
    /// The issuer URL (`oidc_issuer`).
    pub issuer: String,
    /// The client id registered at the IdP for Cognito.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// Scopes requested, e.g. `openid email profile` (joined with spaces).
    pub authorize_scopes: Vec<String>,
    /// GET or POST.
    pub attributes_request_method: AttributesRequestMethod,
    /// Pool attribute → IdP claim, e.g. `email` → `email`, `username` → `sub`.
    /// Pool attributes must be standard ([`STANDARD_ATTRIBUTES`]), `username`,
    /// or `custom:` attributes of [`UserPoolSpec::custom_attributes`].
    pub attribute_mapping: BTreeMap<String, String>,
}

/// The app client of a user pool (hosted UI / OAuth settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClientSpec {
    /// The client name, unique in the pool.
    pub name: String,
    /// Allowed redirect URLs after sign-in.
    pub callback_urls: Vec<String>,
    /// Allowed redirect URLs after sign-out.
    pub logout_urls: Vec<String>,
    /// OAuth flows: `code`, `implicit` and/or `client_credentials`.
    pub allowed_oauth_flows: Vec<String>,
    /// OAuth scopes, e.g. `openid`, `email`, `profile`.
    pub allowed_oauth_scopes: Vec<String>,
    /// Identity providers offered, e.g. the OIDC provider's name (and `COGNITO`).
    pub supported_identity_providers: Vec<String>,
    /// Whether the client has a secret (set at creation only).
    pub generate_secret: bool,
}

/// A user pool with one OIDC identity provider and one app client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolSpec {
    /// The pool name (found with ListUserPools; must be unique in the region).
    pub pool_name: String,
    /// Custom attributes of the pool, without the `custom:` prefix (String
    /// attributes, added when missing).
    pub custom_attributes: Vec<String>,
    /// The OIDC identity provider.
    pub provider: OidcIdpSpec,
    /// The app client.
    pub app_client: AppClientSpec,
    /// A hosted-UI domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), if wanted.
    pub domain: Option<String>,
}

/// What [`ensure_user_pool_with_oidc_idp`] did to each resource.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserPoolOutcome {
    /// The user pool id.
    pub user_pool: Ensured<String>,
    /// The identity provider's name.
    pub identity_provider: Ensured<String>,
    /// The app client id.
    pub app_client: Ensured<String>,
    /// The domain prefix, when one was asked for.
    pub domain: Option<Ensured<String>>,
}

impl UserPoolSpec {
    /// Checks the spec without calling AWS, the attribute mapping above all.
    fn validate(&self) -> Result<(), Error> {
        if self.pool_name.is_empty() || self.pool_name.len() > 128 {
            return Err(Error::invalid(
                "user pool name",
                &self.pool_name,
                "expected 1 to 128 characters",
            ));
        }
        for custom in &self.custom_attributes {
            let ok = !custom.is_empty()
                && custom.len() <= 20
                && !custom.starts_with("custom:")
                && custom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(Error::invalid(
                    "custom attribute",
                    custom,
                    "give the name without the custom: prefix, 1 to 20 letters, digits, '_' or '-'",
                ));
            }
        }
        let p = &self.provider;
        if p.name.is_empty() || p.name.len() > 32 || p.name == "COGNITO" {
            return Err(Error::invalid(
                "identity provider name",
                &p.name,
                "expected 1 to 32 characters, not COGNITO",
            ));
        }
        if !p.issuer.starts_with("https://") {
            return Err(Error::invalid(
                "OIDC issuer",
                &p.issuer,
                "expected an https:// issuer URL",
            ));
        }
        if p.client_id.is_empty() {
            return Err(Error::invalid("OIDC client id", "", "the IdP client id is required"));
        }
        if !p.authorize_scopes.iter().any(|s| s == "openid") {
            return Err(Error::invalid(
                "authorize scopes",
                &p.authorize_scopes.join(" "),
                "must include openid",
            ));
        }
        let custom: BTreeSet<&str> = self.custom_attributes.iter().map(String::as_str).collect();
        for (attribute, claim) in &p.attribute_mapping {
            let known = attribute == "username"
                || STANDARD_ATTRIBUTES.contains(&attribute.as_str())
                || attribute
                    .strip_prefix("custom:")
                    .is_some_and(|name| custom.contains(name));
            if !known {
                let reason = if let Some(name) = attribute.strip_prefix("custom:") {
                    format!(
                        "the pool defines no custom attribute {name:?}: add it to custom_attributes \
                         (defined: {})",
                        list(&self.custom_attributes)
                    )
                } else {
                    format!(
                        "not a user pool attribute: use username, a standard attribute ({}) or custom:<name>",
                        STANDARD_ATTRIBUTES.join(", ")
                    )
                };
                return Err(Error::invalid("attribute mapping key", attribute, reason));
            }
            if claim.is_empty() {
                return Err(Error::invalid(
                    "attribute mapping claim",
                    attribute,
                    "maps to an empty IdP claim name",
                ));
            }
        }
        let c = &self.app_client;
        if c.name.is_empty() || c.name.len() > 128 {
            return Err(Error::invalid(
                "app client name",
                &c.name,
                "expected 1 to 128 characters",
            ));
        }
        for flow in &c.allowed_oauth_flows {
            if !matches!(flow.as_str(), "code" | "implicit" | "client_credentials") {
                return Err(Error::invalid(
                    "OAuth flow",
                    flow,
                    "expected code, implicit or client_credentials",
                ));
            }
        }
        for url in c.callback_urls.iter().chain(&c.logout_urls) {
            let local = url.starts_with("http://localhost");
            if !url.starts_with("https://") && !local {
                return Err(Error::invalid(
                    "app client URL",
                    url,
                    "callback and sign-out URLs must be https:// (http://localhost for testing)",
                ));
            }
        }
        for idp in &c.supported_identity_providers {
            if idp != "COGNITO" && idp != &p.name {
                return Err(Error::invalid(
                    "supported identity provider",
                    idp,
                    format!("only COGNITO and the pool's OIDC provider {:?} exist", p.name),
                ));
            }
        }
        if let Some(domain) = &self.domain {
            let ok = !domain.is_empty()
                && domain.len() <= 63
                && domain
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                && !domain.starts_with('-')
                && !domain.ends_with('-')
                && !domain.contains("aws")
                && !domain.contains("amazon")
                && !domain.contains("cognito");
            if !ok {
                return Err(Error::invalid(
                    "hosted UI domain prefix",
                    domain,
                    "expected lowercase letters, digits and hyphens, without aws, amazon or cognito",
                ));
            }
        }
        Ok(())
    }

    fn provider_details(&self) -> BTreeMap<String, String> {
        let p = &self.provider;
        BTreeMap::from([
            ("client_id".to_owned(), p.client_id.clone()),
            ("client_secret".to_owned(), p.client_secret.clone()),
            ("authorize_scopes".to_owned(), p.authorize_scopes.join(" ")),
            (
                "attributes_request_method".to_owned(),
                p.attributes_request_method.as_str().to_owned(),
            ),
            ("oidc_issuer".to_owned(), p.issuer.clone()),
        ])
    }
}

/// Creates or updates a Cognito user pool (found by name), its OIDC identity
/// provider, its app client (found by name) and, when asked, its hosted-UI
/// domain. The attribute mapping is validated against the pool's attributes
/// before any AWS call. Missing custom attributes are added to an existing pool.
///
/// Diff fields: user pool `custom_attributes`; identity provider
/// `provider_details.<key>` (the secret redacted) and `attribute_mapping`;
/// app client `callback_urls`, `logout_urls`, `allowed_oauth_flows`,
/// `allowed_oauth_scopes`, `supported_identity_providers`.
///
/// Only the settings in the spec are compared. Note that Cognito's
/// UpdateUserPoolClient resets every client setting it is not given (token
/// validities, explicit auth flows, read/write attributes) to its default, so
/// an update also resets settings changed outside studio-fed. A pool that
/// already has another hosted-UI domain is an error (nothing is deleted).
///
/// ```no_run
/// # async fn demo(config: &aws_config::SdkConfig, spec: studio_fed_federation::aws::UserPoolSpec)
/// # -> Result<(), studio_fed_federation::aws::Error> {
/// let outcome = studio_fed_federation::aws::ensure_user_pool_with_oidc_idp(config, &spec).await?;
/// println!("pool {} ({}), client {}", outcome.user_pool.resource, outcome.user_pool.change, outcome.app_client.resource);
/// # Ok(()) }
/// ```
pub async fn ensure_user_pool_with_oidc_idp(config: &SdkConfig, spec: &UserPoolSpec) -> Result<UserPoolOutcome, Error> {
    let span = tracing::info_span!("ensure_user_pool_with_oidc_idp", pool = %spec.pool_name);
    async move {
        spec.validate()?;
        let cognito = Client::new(config);
        let user_pool = ensure_pool(&cognito, spec).await?;
        let pool_id = user_pool.resource.clone();
        let identity_provider = ensure_idp(&cognito, &pool_id, spec).await?;
        let app_client = ensure_client(&cognito, &pool_id, &spec.app_client).await?;
        let domain = match &spec.domain {
            Some(prefix) => Some(ensure_domain(&cognito, &pool_id, prefix).await?),
            None => None,
        };
        tracing::info!(
            pool_id = %pool_id,
            pool = %user_pool.change,
            identity_provider = %identity_provider.change,
            app_client = %app_client.change,
            "ensured Cognito user pool"
        );
        Ok(UserPoolOutcome {
            user_pool,
            identity_provider,
            app_client,
            domain,
        })
    }
    .instrument(span)
    .await
}

async fn ensure_pool(cognito: &Client, spec: &UserPoolSpec) -> Result<Ensured<String>, Error> {
    let resource = format!("user pool {:?}", spec.pool_name);
    let pools = cognito
        .list_user_pools()
        .max_results(60)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| Error::aws("cognito-idp:ListUserPools", &resource, e))?;
    let matching: Vec<String> = pools
        .iter()
        .filter(|p| p.name() == Some(spec.pool_name.as_str()))
        .filter_map(|p| p.id().map(str::to_owned))
        .collect();
    match matching.as_slice() {
        [] => {
            let schema = spec
                .custom_attributes
                .iter()
                .map(|name| {
                    SchemaAttributeType::builder()
                        .name(name)
                        .attribute_data_type(AttributeDataType::String)
                        .mutable(true)
                        .build()
                })
                .collect::<Vec<_>>();
            let created = cognito
                .create_user_pool()
                .pool_name(&spec.pool_name)
                .set_schema((!schema.is_empty()).then_some(schema))
                .user_pool_tags(MANAGED_BY_TAG, MANAGED_BY_VALUE)
                .send()
                .await
                .map_err(|e| Error::aws("cognito-idp:CreateUserPool", &resource, e))?;
            let id = created
                .user_pool()
                .and_then(|p| p.id())
                .ok_or_else(|| Error::unexpected("cognito-idp:CreateUserPool", &resource, "the answer has no pool id"))?
                .to_owned();
            tracing::info!(pool_id = %id, "created Cognito user pool");
            Ok(Ensured {
                resource: id,
                change: Change::Created,
            })
        }
        [id] => {
            let described = cognito
                .describe_user_pool()
                .user_pool_id(id)
                .send()
                .await
                .map_err(|e| Error::aws("cognito-idp:DescribeUserPool", &resource, e))?;
            let have: BTreeSet<String> = described
                .user_pool()
                .map(|p| p.schema_attributes())
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.name())
                .filter_map(|n| n.strip_prefix("custom:"))
                .map(str::to_owned)
                .collect();
            let missing: Vec<&String> = spec.custom_attributes.iter().filter(|a| !have.contains(*a)).collect();
            if missing.is_empty() {
                return Ok(Ensured {
                    resource: id.clone(),
                    change: Change::Unchanged,
                });
            }
            let attributes = missing
                .iter()
                .map(|name| {
                    SchemaAttributeType::builder()
                        .name(*name)
                        .attribute_data_type(AttributeDataType::String)
                        .mutable(true)
                        .build()
                })
                .collect::<Vec<_>>();
            cognito
                .add_custom_attributes()
                .user_pool_id(id)
                .set_custom_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| Error::aws("cognito-idp:AddCustomAttributes", &resource, e))?;
            let mut after = have.clone();
            after.extend(missing.into_iter().cloned());
            Ok(Ensured {
                resource: id.clone(),
                change: Change::from_diff(vec![FieldChange::new(
                    "custom_attributes",
                    super::oidc_provider::set(&have),
                    super::oidc_provider::set(&after),
                )]),
            })
        }
        _ => Err(Error::unexpected(
            "cognito-idp:ListUserPools",
            resource,
            format!(
                "{} pools have this name ({}): studio-fed cannot tell which to manage; rename or delete the extras",
                matching.len(),
                matching.join(", ")
            ),
        )),
    }
}

async fn ensure_idp(cognito: &Client, pool_id: &str, spec: &UserPoolSpec) -> Result<Ensured<String>, Error> {
    let p = &spec.provider;
    let resource = format!("identity provider {:?} of user pool {pool_id}", p.name);
    let details = spec.provider_details();
    let mapping = p.attribute_mapping.clone();
    let existing = match cognito
        .describe_identity_provider()
        .user_pool_id(pool_id)
        .provider_name(&p.name)
        .send()
        .await
    {
        Ok(out) => out.identity_provider,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            None
        }
        Err(e) => return Err(Error::aws("cognito-idp:DescribeIdentityProvider", &resource, e)),
    };
    let Some(existing) = existing else {
        cognito
            .create_identity_provider()
            .user_pool_id(pool_id)
            .provider_name(&p.name)
            .provider_type(IdentityProviderTypeType::Oidc)
            .set_provider_details(Some(details.into_iter().collect()))
            .set_attribute_mapping(Some(mapping.into_iter().collect()))
            .send()
            .await
            .map_err(|e| Error::aws("cognito-idp:CreateIdentityProvider", &resource, e))?;
        tracing::info!(provider = %p.name, "created Cognito OIDC identity provider");
        return Ok(Ensured {
            resource: p.name.clone(),
            change: Change::Created,
        });
    };
    if existing.provider_type() != Some(&IdentityProviderTypeType::Oidc) {
        return Err(Error::unexpected(
            "cognito-idp:DescribeIdentityProvider",
            resource,
            format!(
                "the provider exists with type {:?}, not OIDC: delete it or choose another name",
                existing.provider_type()
            ),
        ));
    }
    let empty = HashMap::new();
    let have_details = existing.provider_details().unwrap_or(&empty);
    let mut diff = Vec::new();
    for (key, wanted) in &details {
        let have = have_details.get(key);
        if have != Some(wanted) {
            let secret = key == "client_secret";
            let show = |v: Option<&String>| match (v, secret) {
                (None, _) => "absent".to_owned(),
                (Some(_), true) => "<redacted>".to_owned(),
                (Some(v), false) => v.clone(),
            };
            diff.push(FieldChange::new(
                format!("provider_details.{key}"),
                show(have),
                show(Some(wanted)),
            ));
        }
    }
    let have_mapping: BTreeMap<String, String> = existing
        .attribute_mapping()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    if have_mapping != mapping {
        diff.push(FieldChange::new("attribute_mapping", map(&have_mapping), map(&mapping)));
    }
    if !diff.is_empty() {
        cognito
            .update_identity_provider()
            .user_pool_id(pool_id)
            .provider_name(&p.name)
            .set_provider_details(Some(details.into_iter().collect()))
            .set_attribute_mapping(Some(mapping.into_iter().collect()))
            .send()
            .await
            .map_err(|e| Error::aws("cognito-idp:UpdateIdentityProvider", &resource, e))?;
        tracing::info!(provider = %p.name, "updated Cognito OIDC identity provider");
    }
    Ok(Ensured {
        resource: p.name.clone(),
        change: Change::from_diff(diff),
    })
}

fn map(m: &BTreeMap<String, String>) -> String {
    let items: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", items.join(", "))
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    v
}

async fn ensure_client(cognito: &Client, pool_id: &str, spec: &AppClientSpec) -> Result<Ensured<String>, Error> {
    let resource = format!("app client {:?} of user pool {pool_id}", spec.name);
    let clients = cognito
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(60)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| Error::aws("cognito-idp:ListUserPoolClients", &resource, e))?;
    let matching: Vec<String> = clients
        .iter()
        .filter(|c| c.client_name() == Some(spec.name.as_str()))
        .filter_map(|c| c.client_id().map(str::to_owned))
        .collect();
    let flows: Vec<OAuthFlowType> = spec
        .allowed_oauth_flows
        .iter()
        .map(|f| OAuthFlowType::from(f.as_str()))
        .collect();
    let oauth = !spec.allowed_oauth_flows.is_empty();
    let wanted = [
        ("callback_urls", sorted(&spec.callback_urls)),
        ("logout_urls", sorted(&spec.logout_urls)),
        ("allowed_oauth_flows", sorted(&spec.allowed_oauth_flows)),
        ("allowed_oauth_scopes", sorted(&spec.allowed_oauth_scopes)),
        (
            "supported_identity_providers",
            sorted(&spec.supported_identity_providers),
        ),
    ];
    let id = match matching.as_slice() {
        [] => {
            let created = cognito
                .create_user_pool_client()
                .user_pool_id(pool_id)
                .client_name(&spec.name)
                .generate_secret(spec.generate_secret)
                .set_callback_urls(Some(spec.callback_urls.clone()))
                .set_logout_urls(Some(spec.logout_urls.clone()))
                .set_allowed_o_auth_flows(Some(flows))
                .set_allowed_o_auth_scopes(Some(spec.allowed_oauth_scopes.clone()))
                .allowed_o_auth_flows_user_pool_client(oauth)
                .set_supported_identity_providers(Some(spec.supported_identity_providers.clone()))
                .send()
                .await
                .map_err(|e| Error::aws("cognito-idp:CreateUserPoolClient", &resource, e))?;
            let id = created
                .user_pool_client()
                .and_then(|c| c.client_id())
                .ok_or_else(|| {
                    Error::unexpected(
                        "cognito-idp:CreateUserPoolClient",
                        &resource,
                        "the answer has no client id",
                    )
                })?
                .to_owned();
            tracing::info!(client_id = %id, "created Cognito app client");
            return Ok(Ensured {
                resource: id,
                change: Change::Created,
            });
        }
        [id] => id.clone(),
        _ => {
            return Err(Error::unexpected(
                "cognito-idp:ListUserPoolClients",
                resource,
                format!(
                    "{} app clients have this name ({}): rename or delete the extras",
                    matching.len(),
                    matching.join(", ")
                ),
            ));
        }
    };
    let described = cognito
        .describe_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(&id)
        .send()
        .await
        .map_err(|e| Error::aws("cognito-idp:DescribeUserPoolClient", &resource, e))?;
    let client = described.user_pool_client();
    let have = [
        (
            "callback_urls",
            sorted(client.map(|c| c.callback_urls()).unwrap_or_default()),
        ),
        (
            "logout_urls",
            sorted(client.map(|c| c.logout_urls()).unwrap_or_default()),
        ),
        (
            "allowed_oauth_flows",
            sorted(
                &client
                    .map(|c| c.allowed_o_auth_flows())
                    .unwrap_or_default()
                    .iter()
                    .map(|f| f.as_str().to_owned())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "allowed_oauth_scopes",
            sorted(client.map(|c| c.allowed_o_auth_scopes()).unwrap_or_default()),
        ),
        (
            "supported_identity_providers",
            sorted(client.map(|c| c.supported_identity_providers()).unwrap_or_default()),
        ),
    ];
    let diff: Vec<FieldChange> = have
        .iter()
        .zip(&wanted)
        .filter(|((_, h), (_, w))| h != w)
        .map(|((field, h), (_, w))| FieldChange::new(*field, list(h), list(w)))
        .collect();
    if !diff.is_empty() {
        cognito
            .update_user_pool_client()
            .user_pool_id(pool_id)
            .client_id(&id)
            .client_name(&spec.name)
            .set_callback_urls(Some(spec.callback_urls.clone()))
            .set_logout_urls(Some(spec.logout_urls.clone()))
            .set_allowed_o_auth_flows(Some(flows))
            .set_allowed_o_auth_scopes(Some(spec.allowed_oauth_scopes.clone()))
            .allowed_o_auth_flows_user_pool_client(oauth)
            .set_supported_identity_providers(Some(spec.supported_identity_providers.clone()))
            .send()
            .await
            .map_err(|e| Error::aws("cognito-idp:UpdateUserPoolClient", &resource, e))?;
        tracing::info!(client_id = %id, "updated Cognito app client");
    }
    Ok(Ensured {
        resource: id,
        change: Change::from_diff(diff),
    })
}

async fn ensure_domain(cognito: &Client, pool_id: &str, prefix: &str) -> Result<Ensured<String>, Error> {
    let resource = format!("domain {prefix:?} of user pool {pool_id}");
    let described = cognito
        .describe_user_pool_domain()
        .domain(prefix)
        .send()
        .await
        .map_err(|e| Error::aws("cognito-idp:DescribeUserPoolDomain", &resource, e))?;
    match described.domain_description().and_then(|d| d.user_pool_id()) {
        Some(owner) if owner == pool_id => {
            return Ok(Ensured {
                resource: prefix.to_owned(),
                change: Change::Unchanged,
            });
        }
        Some(owner) => {
            return Err(Error::unexpected(
                "cognito-idp:DescribeUserPoolDomain",
                resource,
                format!("the domain prefix belongs to user pool {owner}: choose another prefix"),
            ));
        }
        None => {}
    }
    let pool = cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(|e| Error::aws("cognito-idp:DescribeUserPool", &resource, e))?;
    if let Some(other) = pool
        .user_pool()
        .and_then(|p| p.domain())
        .filter(|d| !d.is_empty() && *d != prefix)
    {
        return Err(Error::unexpected(
            "cognito-idp:DescribeUserPool",
            resource,
            format!(
                "the pool already has the domain {other:?} and a pool has one: delete it \
                 (cognito-idp:DeleteUserPoolDomain) or ask for that prefix"
            ),
        ));
    }
    cognito
        .create_user_pool_domain()
        .user_pool_id(pool_id)
        .domain(prefix)
        .send()
        .await
        .map_err(|e| Error::aws("cognito-idp:CreateUserPoolDomain", &resource, e))?;
    tracing::info!(domain = prefix, "created Cognito hosted UI domain");
    Ok(Ensured {
        resource: prefix.to_owned(),
        change: Change::Created,
    })
}
