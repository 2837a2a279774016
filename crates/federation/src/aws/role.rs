//! IAM roles with their policies: [`ensure_role`] and the federated wrappers
//! [`ensure_web_identity_role`] and [`ensure_saml_role`].

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use aws_sdk_iam::types::Tag;
use studio_fed_policy::PolicyDocument;
use studio_fed_policy::build::{NamedPolicy, OidcTrust, RolePolicies, SamlTrust};
use tracing::Instrument;

use super::oidc_provider::set;
use super::policy_text::parse_returned;
use super::{Error, MANAGED_BY_TAG, MANAGED_BY_VALUE};
use crate::change::{Change, Ensured, FieldChange};

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// What a role may do, apart from who may assume it: the input of
/// [`ensure_web_identity_role`] and [`ensure_saml_role`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolePermissions {
    /// Existing managed policies to attach, by ARN (e.g.
    /// `arn:aws:iam::aws:policy/AmazonSageMakerFullAccess`). Others are detached.
    pub managed_policy_arns: Vec<String>,
    /// Inline policies; other inline policies of the role are deleted.
    pub inline_policies: Vec<NamedPolicy>,
    /// Customer managed policies to create (or update) and attach.
    pub customer_managed: Vec<NamedPolicy>,
    /// Maximum session duration in seconds (3,600 to 43,200); `None` leaves it as it is (IAM's default is 3,600).
    pub max_session_duration: Option<i32>,
    /// Tags for the role, besides `managed-by=studio-fed`. Other tags are left alone.
    pub tags: BTreeMap<String, String>,
}

impl RolePermissions {
    /// No permissions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Attaches an existing managed policy by ARN.
    pub fn with_managed_policy_arn(mut self, arn: impl Into<String>) -> Self {
        self.managed_policy_arns.push(arn.into());
        self
    }

    /// Adds an inline policy.
    pub fn with_inline_policy(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.inline_policies.push(NamedPolicy::new(name, document));
        self
    }

    /// Adds a customer managed policy, created and attached.
    pub fn with_customer_managed(mut self, name: impl Into<String>, document: PolicyDocument) -> Self {
        self.customer_managed.push(NamedPolicy::new(name, document));
        self
    }

    /// Sets the maximum session duration, in seconds.
    pub fn with_max_session_duration(mut self, seconds: i32) -> Self {
        self.max_session_duration = Some(seconds);
        self
    }

    /// Adds a tag.
    pub fn with_tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }
}

/// An IAM role as it should be: see [`ensure_role`].
///
/// ```
/// use studio_fed_federation::aws::{RolePermissions, RoleSpec};
/// use studio_fed_policy::build::SamlTrust;
///
/// let trust = SamlTrust::new("arn:aws:iam::123456789012:saml-provider/Okta").build()?;
/// let spec = RoleSpec::new("ml-data-scientist", trust).with_permissions(
///     RolePermissions::new().with_managed_policy_arn("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"),
/// );
/// assert_eq!(spec.permissions.managed_policy_arns.len(), 1);
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    /// The role name.
    pub name: String,
    /// The trust (assume-role) policy.
    pub trust_policy: PolicyDocument,
    /// What the role may do: managed policy ARNs (others are detached), inline
    /// policies (others are deleted), customer managed policies (created with
    /// CreatePolicy or updated with CreatePolicyVersion, deleting the oldest
    /// non-default version when IAM's 5 exist), session duration and tags.
    pub permissions: RolePermissions,
}

impl RoleSpec {
    /// A role with this trust policy and no permissions.
    pub fn new(name: impl Into<String>, trust_policy: PolicyDocument) -> Self {
        RoleSpec {
            name: name.into(),
            trust_policy,
            permissions: RolePermissions::new(),
        }
    }

    /// Replaces the permissions with `permissions`.
    pub fn with_permissions(mut self, permissions: RolePermissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// The role of a persona (or any [`RolePolicies`] from studio-fed-policy):
    /// its customer managed policies, attached ARNs and inline policies.
    pub fn from_role_policies(role: &RolePolicies) -> Self {
        RoleSpec {
            name: role.role_name.clone(),
            trust_policy: role.trust_policy.clone(),
            permissions: RolePermissions {
                managed_policy_arns: role.attached_policy_arns.clone(),
                inline_policies: role.inline_policies.clone(),
                customer_managed: role.managed_policies.clone(),
                max_session_duration: None,
                tags: BTreeMap::new(),
            },
        }
    }

    /// The spec as [`RolePolicies`], e.g. for the linter.
    pub fn to_role_policies(&self) -> RolePolicies {
        RolePolicies {
            role_name: self.name.clone(),
            trust_policy: self.trust_policy.clone(),
            managed_policies: self.permissions.customer_managed.clone(),
            attached_policy_arns: self.permissions.managed_policy_arns.clone(),
            inline_policies: self.permissions.inline_policies.clone(),
        }
    }

    fn validate(&self) -> Result<(), Error> {
        check_name("role name", &self.name, 64)?;
        for policy in self
            .permissions
            .customer_managed
            .iter()
            .chain(&self.permissions.inline_policies)
        {
            check_name("policy name", &policy.name, 128)?;
        }
        for (what, names) in [
            (
                "inline policy",
                self.permissions
                    .inline_policies
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "customer managed policy",
                self.permissions
                    .customer_managed
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect(),
            ),
            (
                "managed policy ARN",
                self.permissions
                    .managed_policy_arns
                    .iter()
                    .map(String::as_str)
                    .collect(),
            ),
        ] {
            let mut seen = BTreeSet::new();
            if let Some(dup) = names.iter().find(|n| !seen.insert(**n)) {
                return Err(Error::invalid(what, dup, "listed twice; each must be unique"));
            }
        }
        for arn in &self.permissions.managed_policy_arns {
            if !arn.starts_with("arn:") || !arn.contains(":policy/") {
                return Err(Error::invalid(
                    "managed policy ARN",
                    arn,
                    "expected a policy ARN such as arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",
                ));
            }
        }
        if let Some(seconds) = self.permissions.max_session_duration
            && !(3_600..=43_200).contains(&seconds)
        {
            return Err(Error::invalid(
                "max session duration",
                &seconds.to_string(),
                "expected 3600 to 43200 seconds (1 to 12 hours)",
            ));
        }
        let violations = studio_fed_policy::lint::check_role(&self.to_role_policies());
        if !violations.is_empty() {
            return Err(Error::OverQuota {
                role: self.name.clone(),
                violations,
            });
        }
        Ok(())
    }

    fn wanted_tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.permissions.tags.clone();
        tags.insert(MANAGED_BY_TAG.to_owned(), MANAGED_BY_VALUE.to_owned());
        tags
    }
}

fn check_name(what: &'static str, name: &str, max: usize) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | ',' | '.' | '@' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            what,
            name,
            format!("expected 1 to {max} letters, digits or +=,.@_-"),
        ))
    }
}

/// A web-identity (OIDC) role: the trust policy from `trust` (provider ARN,
/// issuer, client ids as `aud`, optional `sub` patterns) and `permissions`.
/// See [`ensure_role`].
///
/// ```no_run
/// # async fn demo(config: &aws_config::SdkConfig) -> Result<(), studio_fed_federation::aws::Error> {
/// use studio_fed_federation::aws::{RolePermissions, ensure_web_identity_role};
/// use studio_fed_policy::build::OidcTrust;
///
/// let trust = OidcTrust::new("arn:aws:iam::123456789012:oidc-provider/login.example.com", "https://login.example.com")
///     .with_client_id("studio-fed");
/// let permissions = RolePermissions::new().with_managed_policy_arn("arn:aws:iam::aws:policy/AmazonSageMakerReadOnly");
/// let role = ensure_web_identity_role(config, "ml-web-identity", &trust, permissions).await?;
/// # Ok(()) }
/// ```
pub async fn ensure_web_identity_role(
    config: &SdkConfig,
    name: &str,
    trust: &OidcTrust,
    permissions: RolePermissions,
) -> Result<Ensured<String>, Error> {
    let trust_policy = trust.build().map_err(|source| Error::Policy {
        resource: format!("role {name:?}"),
        what: "web identity trust policy",
        source,
    })?;
    ensure_role(config, &RoleSpec::new(name, trust_policy).with_permissions(permissions)).await
}

/// A SAML role: trust for `sts:AssumeRoleWithSAML` from `saml_provider_arn`
/// for assertions to `audience` (default `https://signin.aws.amazon.com/saml`)
/// and `permissions`. See [`ensure_role`].
///
/// ```no_run
/// # async fn demo(config: &aws_config::SdkConfig) -> Result<(), studio_fed_federation::aws::Error> {
/// use studio_fed_federation::aws::{RolePermissions, ensure_saml_role};
///
/// let permissions = RolePermissions::new().with_managed_policy_arn("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess");
/// let provider = "arn:aws:iam::123456789012:saml-provider/IdentityCenter";
/// let role = ensure_saml_role(config, "ml-saml", provider, None, permissions).await?;
/// # Ok(()) }
/// ```
pub async fn ensure_saml_role(
    config: &SdkConfig,
    name: &str,
    saml_provider_arn: &str,
    audience: Option<&str>,
    permissions: RolePermissions,
) -> Result<Ensured<String>, Error> {
    let mut trust = SamlTrust::new(saml_provider_arn);
    if let Some(audience) = audience {
        trust = trust.with_audience(audience);
    }
    let trust_policy = trust.build().map_err(|source| Error::Policy {
        resource: format!("role {name:?}"),
        what: "SAML trust policy",
        source,
    })?;
    ensure_role(config, &RoleSpec::new(name, trust_policy).with_permissions(permissions)).await
}

/// Creates the role, or brings it in line with `spec`: trust policy
/// (UpdateAssumeRolePolicy), maximum session duration, tags, customer managed
/// policies (created or given a new default version), managed policies
/// attached/detached and inline policies put/deleted to match. Policy
/// documents are compared semantically (IAM's URL-encoded JSON is decoded and
/// parsed). The spec is linted against IAM quotas first; nothing is sent when
/// it is over quota. Returns the role ARN.
///
/// Diff fields: `trust_policy`, `max_session_duration`, `tags`,
/// `managed_policy_arns`, `inline_policy:<name>`, `customer_managed:<name>`.
pub async fn ensure_role(config: &SdkConfig, spec: &RoleSpec) -> Result<Ensured<String>, Error> {
    let span = tracing::info_span!("ensure_role", role = %spec.name);
    async move {
        spec.validate()?;
        let iam = aws_sdk_iam::Client::new(config);
        let mut diff = Vec::new();

        let mut wanted_arns: BTreeSet<String> = spec.permissions.managed_policy_arns.iter().cloned().collect();
        if !spec.permissions.customer_managed.is_empty() {
            let local = local_policies(&iam).await?;
            for policy in &spec.permissions.customer_managed {
                let (arn, change) = ensure_managed_policy(&iam, policy, local.get(&policy.name)).await?;
                if let Some(change) = change {
                    diff.push(change);
                }
                wanted_arns.insert(arn);
            }
        }

        let role = match iam.get_role().role_name(&spec.name).send().await {
            Ok(out) => out.role,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => None,
            Err(e) => return Err(Error::aws("iam:GetRole", &spec.name, e)),
        };
        let Some(role) = role else {
            let arn = create_role(&iam, spec, &wanted_arns).await?;
            return Ok(Ensured {
                resource: arn,
                change: Change::Created,
            });
        };
        let arn = role.arn().to_owned();
        let resource = format!("role {}", spec.name);

        // Trust policy.
        let wanted_trust = normalized(&spec.trust_policy, &resource)?;
        let have_trust = role
            .assume_role_policy_document()
            .map(|text| parse_returned(&resource, "trust policy", text))
            .transpose()?;
        if have_trust.as_ref() != Some(&wanted_trust) {
            iam.update_assume_role_policy()
                .role_name(&spec.name)
                .policy_document(wanted_trust.to_json())
                .send()
                .await
                .map_err(|e| Error::aws("iam:UpdateAssumeRolePolicy", &resource, e))?;
            diff.push(FieldChange::new(
                "trust_policy",
                have_trust.map(|d| d.to_json()).unwrap_or_else(|| "none".to_owned()),
                wanted_trust.to_json(),
            ));
        }

        // Maximum session duration.
        if let Some(wanted) = spec.permissions.max_session_duration {
            let have = role.max_session_duration().unwrap_or(3_600);
            if have != wanted {
                iam.update_role()
                    .role_name(&spec.name)
                    .max_session_duration(wanted)
                    .send()
                    .await
                    .map_err(|e| Error::aws("iam:UpdateRole", &resource, e))?;
                diff.push(FieldChange::new("max_session_duration", have, wanted));
            }
        }

        // Tags (only ours are managed).
        let have_tags: BTreeMap<String, String> = role
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        let missing: BTreeMap<String, String> = spec
            .wanted_tags()
            .into_iter()
            .filter(|(k, v)| have_tags.get(k) != Some(v))
            .collect();
        if !missing.is_empty() {
            iam.tag_role()
                .role_name(&spec.name)
                .set_tags(Some(tags(&missing)?))
                .send()
                .await
                .map_err(|e| Error::aws("iam:TagRole", &resource, e))?;
            let before: BTreeMap<&String, &String> =
                have_tags.iter().filter(|(k, _)| missing.contains_key(*k)).collect();
            diff.push(FieldChange::new("tags", format!("{before:?}"), format!("{missing:?}")));
        }

        // Attached managed policies.
        let have_arns: BTreeSet<String> = iam
            .list_attached_role_policies()
            .role_name(&spec.name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| Error::aws("iam:ListAttachedRolePolicies", &resource, e))?
            .into_iter()
            .filter_map(|p| p.policy_arn)
            .collect();
        if have_arns != wanted_arns {
            for policy_arn in wanted_arns.difference(&have_arns) {
                attach(&iam, &spec.name, policy_arn).await?;
            }
            for policy_arn in have_arns.difference(&wanted_arns) {
                iam.detach_role_policy()
                    .role_name(&spec.name)
                    .policy_arn(policy_arn)
                    .send()
                    .await
                    .map_err(|e| Error::aws("iam:DetachRolePolicy", &resource, e))?;
            }
            diff.push(FieldChange::new(
                "managed_policy_arns",
                set(&have_arns),
                set(&wanted_arns),
            ));
        }

        // Inline policies.
        let have_inline: BTreeSet<String> = iam
            .list_role_policies()
            .role_name(&spec.name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| Error::aws("iam:ListRolePolicies", &resource, e))?
            .into_iter()
            .collect();
        for policy in &spec.permissions.inline_policies {
            let wanted = normalized(&policy.document, &resource)?;
            let have = if have_inline.contains(&policy.name) {
                let out = iam
                    .get_role_policy()
                    .role_name(&spec.name)
                    .policy_name(&policy.name)
                    .send()
                    .await
                    .map_err(|e| Error::aws("iam:GetRolePolicy", &resource, e))?;
                Some(parse_returned(
                    &resource,
                    &format!("inline policy {:?}", policy.name),
                    out.policy_document(),
                )?)
            } else {
                None
            };
            if have.as_ref() != Some(&wanted) {
                put_inline(&iam, &spec.name, &policy.name, &wanted).await?;
                diff.push(FieldChange::new(
                    format!("inline_policy:{}", policy.name),
                    have.map(|d| d.to_json()).unwrap_or_else(|| "absent".to_owned()),
                    wanted.to_json(),
                ));
            }
        }
        let wanted_inline: BTreeSet<&str> = spec
            .permissions
            .inline_policies
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        for name in have_inline.iter().filter(|n| !wanted_inline.contains(n.as_str())) {
            iam.delete_role_policy()
                .role_name(&spec.name)
                .policy_name(name)
                .send()
                .await
                .map_err(|e| Error::aws("iam:DeleteRolePolicy", &resource, e))?;
            diff.push(FieldChange::new(format!("inline_policy:{name}"), "present", "deleted"));
        }

        let change = Change::from_diff(diff);
        tracing::info!(%arn, %change, "ensured IAM role");
        Ok(Ensured { resource: arn, change })
    }
    .instrument(span)
    .await
}

/// A role as IAM reports it (e.g. from `GetAccountAuthorizationDetails`),
/// with the documents of the customer managed policies attached to it: what
/// [`RoleSpec::diff`] compares a spec with, without further calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRole {
    /// The role ARN.
    pub arn: String,
    /// The trust policy.
    pub trust_policy: PolicyDocument,
    /// The maximum session duration, in seconds.
    pub max_session_duration: i32,
    /// All tags of the role.
    pub tags: BTreeMap<String, String>,
    /// ARNs of the attached managed policies.
    pub attached_policy_arns: BTreeSet<String>,
    /// Inline policies by name.
    pub inline_policies: BTreeMap<String, PolicyDocument>,
    /// Default-version documents of customer managed policies, by name.
    pub customer_managed: BTreeMap<String, PolicyDocument>,
}

impl RoleSpec {
    /// What [`ensure_role`] would change on `observed`, with the same field
    /// names (`trust_policy`, `max_session_duration`, `tags`,
    /// `managed_policy_arns`, `inline_policy:<name>`, `customer_managed:<name>`);
    /// empty when the role matches. Documents are compared semantically.
    /// Customer managed policies are expected at `policy/<name>` in the role's account.
    pub fn diff(&self, observed: &ObservedRole) -> Result<Vec<FieldChange>, Error> {
        let resource = format!("role {}", self.name);
        let mut diff = Vec::new();
        let wanted_trust = normalized(&self.trust_policy, &resource)?;
        if observed.trust_policy != wanted_trust {
            diff.push(FieldChange::new(
                "trust_policy",
                observed.trust_policy.to_json(),
                wanted_trust.to_json(),
            ));
        }
        if let Some(wanted) = self.permissions.max_session_duration
            && wanted != observed.max_session_duration
        {
            diff.push(FieldChange::new(
                "max_session_duration",
                observed.max_session_duration,
                wanted,
            ));
        }
        let missing: BTreeMap<String, String> = self
            .wanted_tags()
            .into_iter()
            .filter(|(k, v)| observed.tags.get(k) != Some(v))
            .collect();
        if !missing.is_empty() {
            let before: BTreeMap<&String, &String> =
                observed.tags.iter().filter(|(k, _)| missing.contains_key(*k)).collect();
            diff.push(FieldChange::new("tags", format!("{before:?}"), format!("{missing:?}")));
        }
        let policy_prefix = observed
            .arn
            .split_once(":role/")
            .map(|(prefix, _)| format!("{prefix}:policy/"))
            .unwrap_or_default();
        let mut wanted_arns: BTreeSet<String> = self.permissions.managed_policy_arns.iter().cloned().collect();
        for policy in &self.permissions.customer_managed {
            wanted_arns.insert(format!("{policy_prefix}{}", policy.name));
            let wanted = normalized(&policy.document, &resource)?;
            let have = observed.customer_managed.get(&policy.name);
            if have != Some(&wanted) {
                diff.push(FieldChange::new(
                    format!("customer_managed:{}", policy.name),
                    have.map(|d| d.to_json()).unwrap_or_else(|| "absent".to_owned()),
                    wanted.to_json(),
                ));
            }
        }
        if observed.attached_policy_arns != wanted_arns {
            diff.push(FieldChange::new(
                "managed_policy_arns",
                set(&observed.attached_policy_arns),
                set(&wanted_arns),
            ));
        }
        for policy in &self.permissions.inline_policies {
            let wanted = normalized(&policy.document, &resource)?;
            let have = observed.inline_policies.get(&policy.name);
            if have != Some(&wanted) {
                diff.push(FieldChange::new(
                    format!("inline_policy:{}", policy.name),
                    have.map(|d| d.to_json()).unwrap_or_else(|| "absent".to_owned()),
                    wanted.to_json(),
                ));
            }
        }
        for name in observed.inline_policies.keys() {
            if !self.permissions.inline_policies.iter().any(|p| &p.name == name) {
                diff.push(FieldChange::new(format!("inline_policy:{name}"), "present", "deleted"));
            }
        }
        Ok(diff)
    }
}

/// Parses our own JSON back so that it compares equal to what IAM returns.
fn normalized(document: &PolicyDocument, resource: &str) -> Result<PolicyDocument, Error> {
    parse_returned(resource, "policy", &document.to_json())
}

fn tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, Error> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| Error::invalid("tag", k, e.to_string()))
        })
        .collect()
}

async fn create_role(
    iam: &aws_sdk_iam::Client,
    spec: &RoleSpec,
    wanted_arns: &BTreeSet<String>,
) -> Result<String, Error> {
    let resource = format!("role {}", spec.name);
    let created = iam
        .create_role()
        .role_name(&spec.name)
        .assume_role_policy_document(spec.trust_policy.to_json())
        .set_max_session_duration(spec.permissions.max_session_duration)
        .set_tags(Some(tags(&spec.wanted_tags())?))
        .send()
        .await
        .map_err(|e| Error::aws("iam:CreateRole", &resource, e))?;
    let arn = created
        .role()
        .map(|r| r.arn().to_owned())
        .ok_or_else(|| Error::unexpected("iam:CreateRole", &resource, "the answer has no role"))?;
    for policy_arn in wanted_arns {
        attach(iam, &spec.name, policy_arn).await?;
    }
    for policy in &spec.permissions.inline_policies {
        put_inline(iam, &spec.name, &policy.name, &policy.document).await?;
    }
    tracing::info!(%arn, "created IAM role");
    Ok(arn)
}

async fn attach(iam: &aws_sdk_iam::Client, role: &str, policy_arn: &str) -> Result<(), Error> {
    iam.attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(|e| Error::aws("iam:AttachRolePolicy", format!("role {role} (policy {policy_arn})"), e))?;
    Ok(())
}

async fn put_inline(iam: &aws_sdk_iam::Client, role: &str, name: &str, document: &PolicyDocument) -> Result<(), Error> {
    iam.put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(document.to_json())
        .send()
        .await
        .map_err(|e| Error::aws("iam:PutRolePolicy", format!("role {role} (inline policy {name})"), e))?;
    Ok(())
}

/// Customer managed policies of the account: name → (ARN, default version).
async fn local_policies(iam: &aws_sdk_iam::Client) -> Result<BTreeMap<String, (String, String)>, Error> {
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| Error::aws("iam:ListPolicies", "customer managed policies", e))?;
    Ok(policies
        .into_iter()
        .filter_map(|p| Some((p.policy_name?, (p.arn?, p.default_version_id.unwrap_or_default()))))
        .collect())
}

/// Creates or updates one customer managed policy; returns its ARN and the diff entry, if it changed.
async fn ensure_managed_policy(
    iam: &aws_sdk_iam::Client,
    policy: &NamedPolicy,
    existing: Option<&(String, String)>,
) -> Result<(String, Option<FieldChange>), Error> {
    let field = format!("customer_managed:{}", policy.name);
    let resource = format!("policy {}", policy.name);
    let wanted = normalized(&policy.document, &resource)?;
    let Some((arn, default_version)) = existing else {
        let created = iam
            .create_policy()
            .policy_name(&policy.name)
            .policy_document(wanted.to_json())
            .tags(super::oidc_provider::managed_by_tag()?)
            .send()
            .await
            .map_err(|e| Error::aws("iam:CreatePolicy", &resource, e))?;
        let arn = created
            .policy()
            .and_then(|p| p.arn())
            .ok_or_else(|| Error::unexpected("iam:CreatePolicy", &resource, "the answer has no policy ARN"))?
            .to_owned();
        tracing::info!(%arn, "created customer managed policy");
        return Ok((arn, Some(FieldChange::new(field, "absent", wanted.to_json()))));
    };
    let resource = arn.clone();
    let version = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(default_version)
        .send()
        .await
        .map_err(|e| Error::aws("iam:GetPolicyVersion", &resource, e))?;
    let have = version
        .policy_version()
        .and_then(|v| v.document())
        .map(|text| parse_returned(&resource, "default version", text))
        .transpose()?;
    if have.as_ref() == Some(&wanted) {
        return Ok((arn.clone(), None));
    }
    let versions = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| Error::aws("iam:ListPolicyVersions", &resource, e))?;
    let versions = versions.versions();
    if versions.len() >= MAX_POLICY_VERSIONS {
        let oldest = versions
            .iter()
            .filter(|v| !v.is_default_version())
            .min_by_key(|v| {
                let number: u64 = v
                    .version_id()
                    .and_then(|id| id.trim_start_matches('v').parse().ok())
                    .unwrap_or(u64::MAX);
                (v.create_date().map(|d| d.secs()).unwrap_or(i64::MAX), number)
            })
            .and_then(|v| v.version_id())
            .ok_or_else(|| {
                Error::unexpected(
                    "iam:ListPolicyVersions",
                    &resource,
                    "the policy has 5 versions and none is a non-default one to delete",
                )
            })?;
        tracing::info!(%arn, version = oldest, "deleting the oldest non-default policy version");
        iam.delete_policy_version()
            .policy_arn(arn)
            .version_id(oldest)
            .send()
            .await
            .map_err(|e| Error::aws("iam:DeletePolicyVersion", &resource, e))?;
    }
    iam.create_policy_version()
        .policy_arn(arn)
        .policy_document(wanted.to_json())
        .set_as_default(true)
        .send()
        .await
        .map_err(|e| Error::aws("iam:CreatePolicyVersion", &resource, e))?;
    tracing::info!(%arn, "new default policy version");
    Ok((
        arn.clone(),
        Some(FieldChange::new(
            field,
            have.map(|d| d.to_json()).unwrap_or_else(|| "none".to_owned()),
            wanted.to_json(),
        )),
    ))
}
