//! Guardrails: statements that bound what Studio users and execution roles can
//! do, whatever else their policies allow. Most are `Deny` statements, which
//! also make SCPs (see [`super::scp`]); the own-profile guardrails are `Allow`
//! statements that grant exactly the user's own profile.

use std::net::IpAddr;

use ipnet::IpNet;

use super::gateway::SourceNetwork;
use super::inputs::{Arn, ROLE_ARN, RoleInputs, check_arn, check_resource_id, is_account};
use super::unique;
use crate::document::{ConditionOperator, Effect, Operator, PolicyDocument, Statement};
use crate::error::{Error, Result};

/// The tag that links a Studio user profile to the federated user it belongs to.
pub const STUDIO_USER_TAG: &str = "studiouserid";

/// Profile-name variable for federated sessions tagged with `studiouserid`.
pub const PROFILE_FROM_SESSION_TAG: &str = "${aws:PrincipalTag/studiouserid}";
/// Profile-name variable for IAM users whose user name is their profile name.
pub const PROFILE_FROM_IAM_USER: &str = "${aws:username}";
/// Profile-name variable inside Studio sessions (the console's form).
pub const PROFILE_FROM_STUDIO_SESSION: &str = "${sagemaker:UserProfileName}";

/// The instance type Studio uses for the default JupyterServer app.
const SYSTEM_INSTANCE_TYPE: &str = "system";

/// Actions that carry `sagemaker:InstanceTypes` for Studio resources.
const STUDIO_INSTANCE_ACTIONS: [&str; 7] = [
    "sagemaker:CreateApp",
    "sagemaker:CreateSpace",
    "sagemaker:UpdateSpace",
    "sagemaker:CreateUserProfile",
    "sagemaker:UpdateUserProfile",
    "sagemaker:CreateDomain",
    "sagemaker:UpdateDomain",
];

/// Actions that carry `sagemaker:InstanceTypes` for jobs, endpoints and
/// notebook instances (`CreateAutoMLJob` does not).
const JOB_INSTANCE_ACTIONS: [&str; 7] = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:CreateProcessingJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateMonitoringSchedule",
    "sagemaker:CreateNotebookInstance",
];

/// The calls that open Studio: presigned URL creation and the profile lookup.
const STUDIO_ACCESS_ACTIONS: [&str; 2] = ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"];

/// A guardrail, validated when built; [`Guardrail::statements`] gives its
/// statements and [`Guardrail::document`] an identity policy holding them.
///
/// ```
/// use studio_fed_policy::build::Guardrail;
///
/// let guardrails = [
///     Guardrail::instance_types(["ml.t3.*", "ml.m5.large"])?,
///     Guardrail::studio_from_cidrs(["203.0.113.0/24"])?,
///     Guardrail::vpc_only_domains(),
/// ];
/// let policy = Guardrail::combined(&guardrails);
/// assert!(policy.statements.iter().all(|s| s.sid.as_deref().is_some_and(|sid| sid.starts_with("Deny"))));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrail {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    InstanceTypes {
        studio: Vec<String>,
        jobs: Vec<String>,
    },
    StudioFromCidrs(Vec<String>),
    StudioFromVpc {
        cidrs: Vec<String>,
        vpcs: Vec<String>,
    },
    StudioFromVpcEndpoints(Vec<String>),
    OwnUserProfile {
        profiles: String,
    },
    OwnUserProfileByTag {
        profiles: String,
    },
    VpcOnlyDomains,
    /// Admin ARN patterns and principal role ARNs, merged.
    PresignedUrlAdminsOnly(Vec<String>),
    PresignedUrlFromNetwork(SourceNetwork),
    TeamIsolation {
        tag_key: String,
        team: String,
        resources: Vec<String>,
    },
}

impl Guardrail {
    /// Instance-type allowlist for Studio apps and for jobs, endpoints and
    /// notebook instances alike. Patterns such as `ml.t3.medium` or `ml.g5.*`.
    pub fn instance_types<I, S>(allowed: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let allowed: Vec<String> = allowed.into_iter().map(Into::into).collect();
        Self::instance_types_for(allowed.clone(), allowed)
    }

    /// Separate instance-type allowlists for Studio (apps, spaces, profiles,
    /// domains) and for jobs, endpoints and notebook instances. An empty list
    /// leaves that side unrestricted; both empty is an error.
    ///
    /// Each side is a `Deny` with `ForAnyValue:StringNotLike
    /// sagemaker:InstanceTypes`: it fires when *any* requested instance type
    /// is outside the allowlist and never when all are inside. Studio's side
    /// also allows `system`, the default JupyterServer app's type. Requests
    /// that carry no instance type at all are not denied.
    pub fn instance_types_for<I, J, S, T>(studio: I, jobs: J) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let studio: Vec<String> = unique(studio.into_iter().map(Into::into));
        let jobs: Vec<String> = unique(jobs.into_iter().map(Into::into));
        if studio.is_empty() && jobs.is_empty() {
            return Err(Error::input(
                "instance types",
                "",
                "give at least one allowed instance type, e.g. ml.t3.medium",
            ));
        }
        for pattern in studio.iter().chain(&jobs) {
            check_instance_type(pattern)?;
        }
        Ok(Guardrail {
            kind: Kind::InstanceTypes { studio, jobs },
        })
    }

    /// Studio may be opened only from these public CIDRs (`aws:SourceIp`).
    pub fn studio_from_cidrs<I, S>(cidrs: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cidrs = cidr_list(cidrs)?;
        if cidrs.is_empty() {
            return Err(Error::input("CIDR", "", "give at least one CIDR, e.g. 203.0.113.0/24"));
        }
        Ok(Guardrail {
            kind: Kind::StudioFromCidrs(cidrs),
        })
    }

    /// Studio may be opened only through a VPC: from these private CIDRs
    /// (`aws:VpcSourceIp`) and/or from these VPCs (`aws:SourceVpc`). Each
    /// given list is a separate `Deny`, so a request must pass both.
    pub fn studio_from_vpc<I, S, J, T>(cidrs: I, vpc_ids: J) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let cidrs = cidr_list(cidrs)?;
        let vpcs: Vec<String> = unique(vpc_ids.into_iter().map(Into::into));
        for vpc in &vpcs {
            check_resource_id("VPC", vpc, "vpc-")?;
        }
        if cidrs.is_empty() && vpcs.is_empty() {
            return Err(Error::input("CIDR", "", "give at least one VPC CIDR or VPC id"));
        }
        Ok(Guardrail {
            kind: Kind::StudioFromVpc { cidrs, vpcs },
        })
    }

    /// Studio may be opened only through these interface VPC endpoints
    /// (`aws:sourceVpce`).
    pub fn studio_from_vpc_endpoints<I, S>(endpoint_ids: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let endpoints: Vec<String> = unique(endpoint_ids.into_iter().map(Into::into));
        if endpoints.is_empty() {
            return Err(Error::input(
                "VPC endpoint",
                "",
                "give at least one VPC endpoint id (vpce-...)",
            ));
        }
        for endpoint in &endpoints {
            check_resource_id("VPC endpoint", endpoint, "vpce-")?;
        }
        Ok(Guardrail {
            kind: Kind::StudioFromVpcEndpoints(endpoints),
        })
    }

    /// Own profile only, policy-variable form: `Allow CreatePresignedDomainUrl`
    /// on `user-profile/{domain}/{profile_name}`, where `profile_name` is a
    /// policy variable such as [`PROFILE_FROM_SESSION_TAG`] and the domain is
    /// `domain_id` or any (`*`). ARNs use the inputs' partition, region and
    /// account.
    pub fn own_user_profile(inputs: &RoleInputs, domain_id: Option<&str>, profile_name: &str) -> Result<Self> {
        let valid_variable = profile_name
            .strip_prefix("${")
            .and_then(|v| v.strip_suffix('}'))
            .is_some_and(|v| {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-'))
            });
        if !valid_variable {
            return Err(Error::input(
                "profile name variable",
                profile_name,
                format!("expected a policy variable such as {PROFILE_FROM_SESSION_TAG} or {PROFILE_FROM_IAM_USER}"),
            ));
        }
        let profiles = profile_arn(inputs, domain_id, profile_name)?;
        Ok(Guardrail {
            kind: Kind::OwnUserProfile { profiles },
        })
    }

    /// Own profile only, attribute-based form: `Allow CreatePresignedDomainUrl`
    /// when the profile's `studiouserid` tag equals the caller's
    /// `studiouserid` session tag, and allow `CreateUserProfile` only with a
    /// `studiouserid` tag (`ForAnyValue:StringEquals aws:TagKeys`).
    pub fn own_user_profile_by_tag(inputs: &RoleInputs, domain_id: Option<&str>) -> Result<Self> {
        let profiles = profile_arn(inputs, domain_id, "*")?;
        Ok(Guardrail {
            kind: Kind::OwnUserProfileByTag { profiles },
        })
    }

    /// Domains must be VPC-only: `CreateDomain` is denied unless
    /// `sagemaker:AppNetworkAccessType` is `VpcOnly` and subnets and security
    /// groups are given.
    pub fn vpc_only_domains() -> Self {
        Guardrail {
            kind: Kind::VpcOnlyDomains,
        }
    }

    /// Only these principals may create Studio presigned URLs (e.g. the
    /// studio-fed gateway role and administrators): `Deny
    /// CreatePresignedDomainUrl` with `ArnNotLike aws:PrincipalArn`. Role ARN
    /// patterns may use `*` and `?`.
    ///
    /// To also let other roles (such as a login gateway's) create presigned
    /// URLs, use [`Guardrail::presigned_url_allowlist`].
    pub fn presigned_url_admins_only<I, S>(admin_role_arns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let admins: Vec<String> = unique(admin_role_arns.into_iter().map(Into::into));
        if admins.is_empty() {
            return Err(Error::input("admin role", "", "give at least one admin role ARN"));
        }
        Self::presigned_url_allowlist().admins(admins).build()
    }

    /// A builder for the presigned-URL allowlist: the guardrail of
    /// [`Guardrail::presigned_url_admins_only`] that also exempts exact role
    /// ARNs, such as the studio-fed-access gateway's role, from its `Deny`.
    ///
    /// ```
    /// use studio_fed_policy::build::Guardrail;
    ///
    /// let guardrail = Guardrail::presigned_url_allowlist()
    ///     .admins(["arn:aws:iam::111122223333:role/StudioAdmin*"])
    ///     .principals(["arn:aws:iam::111122223333:role/studio-fed-gateway"])
    ///     .build()?;
    /// assert_eq!(
    ///     guardrail.presigned_url_principals().unwrap(),
    ///     ["arn:aws:iam::111122223333:role/StudioAdmin*", "arn:aws:iam::111122223333:role/studio-fed-gateway"]
    /// );
    /// # Ok::<(), studio_fed_policy::Error>(())
    /// ```
    pub fn presigned_url_allowlist() -> PresignedUrlAllowlist {
        PresignedUrlAllowlist::default()
    }

    /// The ARNs (patterns) exempted from the presigned-URL `Deny` of the
    /// guardrails made by [`Guardrail::presigned_url_admins_only`] and
    /// [`Guardrail::presigned_url_allowlist`], admins first; `None` for every
    /// other guardrail.
    pub fn presigned_url_principals(&self) -> Option<&[String]> {
        match &self.kind {
            Kind::PresignedUrlAdminsOnly(principals) => Some(principals),
            _ => None,
        }
    }

    /// Presigned URLs may be created only from inside `network`: `Deny
    /// sagemaker:CreatePresignedDomainUrl` with `NotIpAddress aws:SourceIp`
    /// (public network) or `NotIpAddress aws:VpcSourceIp` and, when the
    /// network names VPC endpoints, `StringNotEquals aws:SourceVpce` (VPC
    /// network), each a separate `Deny` so a request must pass all. Requests
    /// that carry no such key are denied too.
    ///
    /// Unlike [`Guardrail::studio_from_cidrs`] and
    /// [`Guardrail::studio_from_vpc`], `DescribeUserProfile` stays allowed
    /// from anywhere, so this guardrail suits an organization-wide SCP (see
    /// [`super::scp::presigned_url_from_network`]): no principal of the
    /// account can mint a Studio URL usable from elsewhere, while consoles
    /// and automation outside the network can still read profiles.
    pub fn presigned_url_from(network: &SourceNetwork) -> Result<Self> {
        Ok(Guardrail {
            kind: Kind::PresignedUrlFromNetwork(network.validated()?),
        })
    }

    /// Own team's Studio resources only: `Deny` opening (presigned URLs),
    /// changing, tagging and deleting domains, user profiles, spaces and apps
    /// unless their `tag_key` tag equals `team` (resources without the tag
    /// are denied too), and `Deny` tagging any Studio resource with a key
    /// starting like `tag_key`'s prefix (up to its `:`), so the team tag
    /// cannot be rewritten. ARNs use the inputs' partition, region and account.
    pub fn team_isolation(inputs: &RoleInputs, tag_key: &str, team: &str) -> Result<Self> {
        if !is_tag_text(tag_key) {
            return Err(Error::input(
                "team tag key",
                tag_key,
                "expected a tag key such as studio-fed:team",
            ));
        }
        if !is_tag_text(team) {
            return Err(Error::input("team", team, "expected a team name such as vision"));
        }
        let resources = ["domain/*", "user-profile/*/*", "space/*/*", "app/*"]
            .iter()
            .map(|r| inputs.arn("sagemaker", r))
            .collect();
        Ok(Guardrail {
            kind: Kind::TeamIsolation {
                tag_key: tag_key.to_owned(),
                team: team.to_owned(),
                resources,
            },
        })
    }

    /// A short description, used in messages.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::InstanceTypes { .. } => "instance-type allowlist",
            Kind::StudioFromCidrs(_) => "Studio access from CIDRs",
            Kind::StudioFromVpc { .. } => "Studio access from a VPC",
            Kind::StudioFromVpcEndpoints(_) => "Studio access from VPC endpoints",
            Kind::OwnUserProfile { .. } => "own user profile only",
            Kind::OwnUserProfileByTag { .. } => "own user profile only (studiouserid tag)",
            Kind::VpcOnlyDomains => "VPC-only domains",
            Kind::PresignedUrlAdminsOnly(_) => "presigned URLs for admins only",
            Kind::PresignedUrlFromNetwork(_) => "presigned URLs from the authorised network only",
            Kind::TeamIsolation { .. } => "own team's Studio resources only",
        }
    }

    /// True when every statement is a `Deny` (the guardrail can be an SCP).
    pub fn is_deny_only(&self) -> bool {
        self.statements().iter().all(|s| s.effect == Effect::Deny)
    }

    /// The guardrail's statements.
    pub fn statements(&self) -> Vec<Statement> {
        match &self.kind {
            Kind::InstanceTypes { studio, jobs } => {
                let mut out = Vec::new();
                if !studio.is_empty() {
                    let mut allowed = studio.clone();
                    allowed.push(SYSTEM_INSTANCE_TYPE.into());
                    out.push(deny_instance_types(
                        "DenyStudioInstanceTypesOutsideAllowlist",
                        &STUDIO_INSTANCE_ACTIONS,
                        allowed,
                    ));
                }
                if !jobs.is_empty() {
                    out.push(deny_instance_types(
                        "DenyJobInstanceTypesOutsideAllowlist",
                        &JOB_INSTANCE_ACTIONS,
                        jobs.clone(),
                    ));
                }
                out
            }
            Kind::StudioFromCidrs(cidrs) => vec![deny_studio_access("DenyStudioOutsideCidrs").with_condition(
                Operator::NotIpAddress,
                "aws:SourceIp",
                cidrs,
            )],
            Kind::StudioFromVpc { cidrs, vpcs } => {
                let mut out = Vec::new();
                if !cidrs.is_empty() {
                    out.push(deny_studio_access("DenyStudioOutsideVpcCidrs").with_condition(
                        Operator::NotIpAddress,
                        "aws:VpcSourceIp",
                        cidrs,
                    ));
                }
                if !vpcs.is_empty() {
                    out.push(deny_studio_access("DenyStudioOutsideVpcs").with_condition(
                        Operator::StringNotEquals,
                        "aws:SourceVpc",
                        vpcs,
                    ));
                }
                out
            }
            Kind::StudioFromVpcEndpoints(endpoints) => {
                vec![deny_studio_access("DenyStudioOutsideVpcEndpoints").with_condition(
                    Operator::StringNotEquals,
                    "aws:sourceVpce",
                    endpoints,
                )]
            }
            Kind::OwnUserProfile { profiles } => vec![
                Statement::allow()
                    .with_sid("AllowPresignedUrlOwnProfile")
                    .with_actions(["sagemaker:CreatePresignedDomainUrl"])
                    .with_resources([profiles]),
            ],
            Kind::OwnUserProfileByTag { profiles } => vec![
                Statement::allow()
                    .with_sid("AllowPresignedUrlOwnTaggedProfile")
                    .with_actions(["sagemaker:CreatePresignedDomainUrl"])
                    .with_resources([profiles])
                    .with_condition(
                        Operator::StringEquals,
                        format!("sagemaker:ResourceTag/{STUDIO_USER_TAG}"),
                        [format!("${{aws:PrincipalTag/{STUDIO_USER_TAG}}}")],
                    ),
                Statement::allow()
                    .with_sid("AllowCreateUserProfileWithUserTag")
                    .with_actions(["sagemaker:CreateUserProfile"])
                    .with_resources([profiles])
                    .with_condition(
                        ConditionOperator::for_any_value(Operator::StringEquals),
                        "aws:TagKeys",
                        [STUDIO_USER_TAG],
                    ),
                // Tags given to CreateUserProfile also need AddTags, on create only.
                Statement::allow()
                    .with_sid("AllowTagUserProfileOnCreate")
                    .with_actions(["sagemaker:AddTags"])
                    .with_resources([profiles])
                    .with_condition(Operator::Null, "sagemaker:TaggingAction", ["false"])
                    .with_condition(
                        ConditionOperator::for_any_value(Operator::StringEquals),
                        "aws:TagKeys",
                        [STUDIO_USER_TAG],
                    ),
            ],
            Kind::VpcOnlyDomains => {
                let deny = |sid: &str| {
                    Statement::deny()
                        .with_sid(sid)
                        .with_actions(["sagemaker:CreateDomain"])
                        .with_resources(["*"])
                };
                vec![
                    deny("DenyDomainsNotVpcOnly").with_condition(
                        Operator::StringNotEquals,
                        "sagemaker:AppNetworkAccessType",
                        ["VpcOnly"],
                    ),
                    deny("DenyDomainsWithoutSubnets").with_condition(Operator::Null, "sagemaker:VpcSubnets", ["true"]),
                    deny("DenyDomainsWithoutSecurityGroups").with_condition(
                        Operator::Null,
                        "sagemaker:VpcSecurityGroupIds",
                        ["true"],
                    ),
                ]
            }
            Kind::TeamIsolation {
                tag_key,
                team,
                resources,
            } => {
                let prefix = match tag_key.split_once(':') {
                    Some((prefix, _)) => format!("{prefix}:*"),
                    None => tag_key.clone(),
                };
                vec![
                    Statement::deny()
                        .with_sid("DenyOtherTeamsStudioResources")
                        .with_actions(TEAM_ISOLATED_ACTIONS)
                        .with_resources(resources.iter().cloned())
                        .with_condition(
                            Operator::StringNotEquals,
                            format!("aws:ResourceTag/{tag_key}"),
                            [team.clone()],
                        ),
                    Statement::deny()
                        .with_sid("DenyTeamTagChanges")
                        .with_actions(["sagemaker:AddTags", "sagemaker:DeleteTags"])
                        .with_resources(resources.iter().cloned())
                        .with_condition(
                            ConditionOperator::for_any_value(Operator::StringLike),
                            "aws:TagKeys",
                            [prefix],
                        ),
                ]
            }
            Kind::PresignedUrlAdminsOnly(admins) => vec![
                Statement::deny()
                    .with_sid("DenyPresignedUrlExceptAdmins")
                    .with_actions(["sagemaker:CreatePresignedDomainUrl"])
                    .with_resources(["*"])
                    .with_condition(Operator::ArnNotLike, "aws:PrincipalArn", admins),
            ],
            Kind::PresignedUrlFromNetwork(network) => {
                let deny = |sid: &str| {
                    Statement::deny()
                        .with_sid(sid)
                        .with_actions(["sagemaker:CreatePresignedDomainUrl"])
                        .with_resources(["*"])
                };
                let mut out = vec![
                    if network.is_vpc() {
                        deny("DenyPresignedUrlOutsideVpcCidrs")
                    } else {
                        deny("DenyPresignedUrlOutsideCidrs")
                    }
                    .with_condition(
                        Operator::NotIpAddress,
                        network.source_ip_key(),
                        network.cidrs(),
                    ),
                ];
                if !network.vpc_endpoints().is_empty() {
                    out.push(deny("DenyPresignedUrlOutsideVpcEndpoints").with_condition(
                        Operator::StringNotEquals,
                        "aws:SourceVpce",
                        network.vpc_endpoints(),
                    ));
                }
                out
            }
        }
    }

    /// An identity policy holding this guardrail's statements.
    pub fn document(&self) -> PolicyDocument {
        PolicyDocument::new(self.statements())
    }

    /// One identity policy holding the statements of all `guardrails`, in
    /// order, each distinct statement once. IAM requires unique Sids in a
    /// policy: a Sid seen before gets a number (`...2`, `...3`).
    pub fn combined(guardrails: &[Guardrail]) -> PolicyDocument {
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        let deduped: Vec<Statement> = unique(guardrails.iter().flat_map(Guardrail::statements));
        let statements: Vec<Statement> = deduped
            .into_iter()
            .map(|mut statement| {
                if let Some(sid) = &statement.sid {
                    let count = seen.entry(sid.clone()).or_insert(0);
                    *count += 1;
                    if *count > 1 {
                        statement.sid = Some(format!("{sid}{count}"));
                    }
                }
                statement
            })
            .collect();
        PolicyDocument::new(statements)
    }
}

/// Builds the presigned-URL allowlist guardrail (see
/// [`Guardrail::presigned_url_allowlist`]): `Deny
/// sagemaker:CreatePresignedDomainUrl` to every principal whose
/// `aws:PrincipalArn` is neither an admin pattern nor a listed principal.
///
/// List setters append; [`PresignedUrlAllowlist::build`] validates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresignedUrlAllowlist {
    admins: Vec<String>,
    principals: Vec<String>,
}

impl PresignedUrlAllowlist {
    /// Adds admin role ARN patterns; `*` and `?` may stand in the account and
    /// the role name, e.g.
    /// `arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*`.
    pub fn admins<I, S>(mut self, admin_role_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.admins.extend(admin_role_arns.into_iter().map(Into::into));
        self
    }

    /// Adds exact IAM role ARNs (no wildcards) that may also create presigned
    /// URLs, e.g. the login gateway's role
    /// `arn:aws:iam::123456789012:role/studio-fed-gateway`.
    pub fn principals<I, S>(mut self, role_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.principals.extend(role_arns.into_iter().map(Into::into));
        self
    }

    /// The guardrail. Errors when an admin is not a role ARN pattern, a
    /// principal is not a role ARN, or both lists are empty.
    pub fn build(self) -> Result<Guardrail> {
        let admins = unique(self.admins);
        let principals = unique(self.principals);
        if admins.is_empty() && principals.is_empty() {
            return Err(Error::input(
                "presigned URL principal",
                "",
                "give at least one admin role ARN pattern or principal role ARN that may create presigned URLs",
            ));
        }
        for admin in &admins {
            check_admin_arn(admin)?;
        }
        for principal in &principals {
            check_arn("presigned URL principal", principal, &ROLE_ARN, None)?;
        }
        Ok(Guardrail {
            kind: Kind::PresignedUrlAdminsOnly(unique(admins.into_iter().chain(principals))),
        })
    }
}

/// The Studio actions [`Guardrail::team_isolation`] denies on other teams' resources.
const TEAM_ISOLATED_ACTIONS: [&str; 12] = [
    "sagemaker:CreatePresignedDomainUrl",
    "sagemaker:CreateApp",
    "sagemaker:DeleteApp",
    "sagemaker:CreateSpace",
    "sagemaker:UpdateSpace",
    "sagemaker:DeleteSpace",
    "sagemaker:UpdateUserProfile",
    "sagemaker:DeleteUserProfile",
    "sagemaker:UpdateDomain",
    "sagemaker:DeleteDomain",
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
];

fn deny_instance_types(sid: &str, actions: &[&str], allowed: Vec<String>) -> Statement {
    Statement::deny()
        .with_sid(sid)
        .with_actions(actions.iter().copied())
        .with_resources(["*"])
        .with_condition(
            ConditionOperator::for_any_value(Operator::StringNotLike),
            "sagemaker:InstanceTypes",
            allowed,
        )
}

fn deny_studio_access(sid: &str) -> Statement {
    Statement::deny()
        .with_sid(sid)
        .with_actions(STUDIO_ACCESS_ACTIONS)
        .with_resources(["*"])
}

/// `arn:{partition}:sagemaker:{region}:{account}:user-profile/{domain}/{name}`.
fn profile_arn(inputs: &RoleInputs, domain_id: Option<&str>, name: &str) -> Result<String> {
    let domain = match domain_id {
        None => "*",
        Some(id @ "${sagemaker:DomainId}") => id,
        Some(id) => {
            check_domain_id(id)?;
            id
        }
    };
    Ok(inputs.arn("sagemaker", &format!("user-profile/{domain}/{name}")))
}

/// A SageMaker domain id: `d-` followed by lowercase letters and digits.
pub(super) fn check_domain_id(id: &str) -> Result<()> {
    let ok = id
        .strip_prefix("d-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(Error::input(
            "domain id",
            id,
            "expected a SageMaker domain id such as d-xxxxxxxxxxxx (lowercase letters and digits)",
        ))
    }
}

/// A tag key or value studio-fed accepts: 1-128 letters, digits and
/// `: / _ - . @ + =`.
pub(super) fn is_tag_text(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-' | '.' | '@' | '+' | '='))
}

fn check_instance_type(pattern: &str) -> Result<()> {
    let ok = pattern.strip_prefix("ml.").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'*' | b'?'))
    });
    if ok {
        Ok(())
    } else {
        Err(Error::input(
            "instance type",
            pattern,
            "expected an instance type such as ml.t3.medium; * and ? wildcards are allowed (ml.g5.*)",
        ))
    }
}

/// Validates CIDRs (or single addresses); a CIDR with host bits set is refused
/// with the network it probably means.
pub(super) fn cidr_list<I, S>(cidrs: I) -> Result<Vec<String>>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let cidrs: Vec<String> = unique(cidrs.into_iter().map(Into::into));
    for cidr in &cidrs {
        if cidr.parse::<IpAddr>().is_ok() {
            continue;
        }
        let net: IpNet = cidr.parse().map_err(|_| {
            Error::input(
                "CIDR",
                cidr,
                "expected an IPv4 or IPv6 CIDR such as 203.0.113.0/24, or an address",
            )
        })?;
        if net.trunc() != net {
            return Err(Error::input(
                "CIDR",
                cidr,
                format!("has host bits set; did you mean {}?", net.trunc()),
            ));
        }
    }
    Ok(cidrs)
}

/// An IAM role ARN pattern; `*` and `?` are allowed in the account and name.
fn check_admin_arn(value: &str) -> Result<()> {
    let ok = Arn::parse(value).is_some_and(|arn| {
        arn.service == "iam"
            && arn.region.is_empty()
            && (is_account(arn.account) || arn.account == "*")
            && arn.resource.strip_prefix("role/").is_some_and(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/*?".contains(c))
            })
    });
    if ok {
        Ok(())
    } else {
        Err(Error::input(
            "admin role",
            value,
            "expected an IAM role ARN (pattern) such as arn:aws:iam::123456789012:role/StudioAdmin*",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn combined_guardrails_have_unique_sids() {
        let policy = Guardrail::combined(&[
            Guardrail::instance_types(["ml.t3.*", "ml.m5.*"]).unwrap(),
            Guardrail::instance_types(["ml.t3.*"]).unwrap(),
        ]);
        let sids: Vec<&str> = policy.statements.iter().filter_map(|s| s.sid.as_deref()).collect();
        let distinct: std::collections::BTreeSet<&&str> = sids.iter().collect();
        assert_eq!(sids.len(), distinct.len(), "{sids:?}");
        assert!(sids.contains(&"DenyStudioInstanceTypesOutsideAllowlist2"), "{sids:?}");
    }

    #[test]
    fn instance_type_denies_use_for_any_value_string_not_like() {
        let statements = Guardrail::instance_types(["ml.t3.medium"]).unwrap().statements();
        let operator = ConditionOperator::for_any_value(Operator::StringNotLike);
        assert_eq!(
            statements[0]
                .condition
                .get(operator, "sagemaker:InstanceTypes")
                .unwrap(),
            ["ml.t3.medium", "system"]
        );
        assert_eq!(
            statements[1]
                .condition
                .get(operator, "sagemaker:InstanceTypes")
                .unwrap(),
            ["ml.t3.medium"],
            "jobs have no system instance type"
        );
        assert!(
            !statements[1]
                .actions
                .patterns()
                .contains(&"sagemaker:CreateAutoMLJob".to_owned())
        );
    }

    #[test]
    fn one_sided_instance_allowlists() {
        let studio_only = Guardrail::instance_types_for(["ml.t3.medium"], Vec::<String>::new()).unwrap();
        assert_eq!(studio_only.statements().len(), 1);
        let e = Guardrail::instance_types(Vec::<String>::new()).unwrap_err();
        assert!(e.to_string().contains("at least one allowed instance type"));
        let e = Guardrail::instance_types(["p4d.24xlarge"]).unwrap_err().to_string();
        assert!(e.starts_with("invalid instance type \"p4d.24xlarge\""), "{e}");
    }

    #[test]
    fn cidrs_are_checked() {
        let e = Guardrail::studio_from_cidrs(["10.1.2.3/16"]).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid CIDR \"10.1.2.3/16\": has host bits set; did you mean 10.1.0.0/16?"
        );
        let e = Guardrail::studio_from_cidrs(["10.0.0.0/33"]).unwrap_err().to_string();
        assert!(e.starts_with("invalid CIDR \"10.0.0.0/33\""), "{e}");
        assert!(Guardrail::studio_from_cidrs(["203.0.113.7", "2001:db8::/32"]).is_ok());
    }

    #[test]
    fn vpc_guardrail_denies_each_missing_property_separately() {
        let guardrail = Guardrail::studio_from_vpc(["10.0.0.0/16"], ["vpc-0a1b2c3d"]).unwrap();
        let statements = guardrail.statements();
        assert_eq!(statements.len(), 2);
        assert_eq!(
            statements[0]
                .condition
                .get(Operator::NotIpAddress, "aws:VpcSourceIp")
                .unwrap(),
            ["10.0.0.0/16"]
        );
        assert_eq!(
            statements[1]
                .condition
                .get(Operator::StringNotEquals, "aws:SourceVpc")
                .unwrap(),
            ["vpc-0a1b2c3d"]
        );
    }

    #[test]
    fn own_profile_validates_variable_and_domain() {
        let inputs = RoleInputs::default();
        let e = Guardrail::own_user_profile(&inputs, None, "alice")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid profile name variable \"alice\""), "{e}");
        let e = Guardrail::own_user_profile(&inputs, Some("domain-1"), PROFILE_FROM_IAM_USER)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid domain id \"domain-1\""), "{e}");
    }

    #[test]
    fn admins_only_with_a_gateway_principal() {
        use crate::eval::{Context, Outcome, PolicySet, Request};

        const ADMINS: &str = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*";
        const GATEWAY: &str = "arn:aws:iam::111122223333:role/studio-fed-gateway";
        let admins_only = Guardrail::presigned_url_admins_only([ADMINS]).unwrap();
        let with_gateway = Guardrail::presigned_url_allowlist()
            .admins([ADMINS])
            .principals([GATEWAY, GATEWAY])
            .build()
            .unwrap();
        assert_eq!(
            Guardrail::presigned_url_allowlist().admins([ADMINS]).build().unwrap(),
            admins_only,
            "the builder without principals is the admins-only guardrail"
        );
        assert_eq!(with_gateway.presigned_url_principals().unwrap(), [ADMINS, GATEWAY]);
        assert_eq!(with_gateway.name(), admins_only.name());
        assert!(Guardrail::vpc_only_domains().presigned_url_principals().is_none());

        let allow_all = PolicyDocument::new([Statement::allow().with_actions(["*"]).with_resources(["*"])]);
        let outcome = |guardrail: &Guardrail, principal: &str| {
            let eval = PolicySet::new()
                .identity("allow-all", allow_all.clone())
                .identity("guardrails", guardrail.document())
                .compile();
            let request = Request::new(
                "sagemaker:CreatePresignedDomainUrl",
                "arn:aws:sagemaker:eu-west-1:111122223333:user-profile/d-abc123/alice",
            )
            .with_context(Context::new().with_arn("aws:PrincipalArn", principal));
            eval.evaluate(&request).outcome
        };
        let admin = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef";
        let scientist = "arn:aws:iam::111122223333:role/acme-vision-data-scientist";
        let lookalike = "arn:aws:iam::444455556666:role/studio-fed-gateway";
        assert_eq!(outcome(&admins_only, admin), Outcome::Allow);
        assert_eq!(outcome(&admins_only, GATEWAY), Outcome::ExplicitDeny, "unchanged");
        assert_eq!(outcome(&with_gateway, GATEWAY), Outcome::Allow);
        assert_eq!(outcome(&with_gateway, admin), Outcome::Allow);
        assert_eq!(outcome(&with_gateway, scientist), Outcome::ExplicitDeny);
        assert_eq!(outcome(&with_gateway, lookalike), Outcome::ExplicitDeny);
        let scp = super::super::scp::from_guardrails("presigned-url-principals", &[with_gateway]).unwrap();
        assert!(crate::lint::check_document(crate::lint::PolicyKind::Scp, "p", &scp).is_none());
    }

    #[test]
    fn allowlist_principals_are_exact_role_arns() {
        let e = Guardrail::presigned_url_allowlist()
            .principals(["arn:aws:iam::111122223333:role/studio-fed-*"])
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid presigned URL principal"), "{e}");
        let e = Guardrail::presigned_url_allowlist()
            .principals(["arn:aws:iam::111122223333:user/gateway"])
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expected an ARN of the form arn:partition:iam::account:role/"),
            "{e}"
        );
        let e = Guardrail::presigned_url_allowlist().build().unwrap_err().to_string();
        assert!(
            e.contains("give at least one admin role ARN pattern or principal"),
            "{e}"
        );
        assert!(
            Guardrail::presigned_url_allowlist()
                .principals(["arn:aws:iam::111122223333:role/gateways/studio-fed-gateway"])
                .build()
                .is_ok()
        );
    }

    #[test]
    fn presigned_url_network_guardrail_denies_only_presigned_urls() {
        let guardrail = Guardrail::presigned_url_from(&SourceNetwork::public(["203.0.113.0/24"])).unwrap();
        assert!(guardrail.is_deny_only());
        let statements = guardrail.statements();
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0].actions.patterns(), ["sagemaker:CreatePresignedDomainUrl"]);
        assert_eq!(
            statements[0]
                .condition
                .get(Operator::NotIpAddress, "aws:SourceIp")
                .unwrap(),
            ["203.0.113.0/24"]
        );
        let e = Guardrail::presigned_url_from(&SourceNetwork::vpc(Vec::<String>::new()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("give at least one VPC CIDR"), "{e}");
    }

    #[test]
    fn admin_patterns_allow_wildcards() {
        assert!(Guardrail::presigned_url_admins_only(["arn:aws:iam::*:role/studio-fed-*"]).is_ok());
        let e = Guardrail::presigned_url_admins_only(["arn:aws:iam::123456789012:user/admin"])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("invalid admin role \"arn:aws:iam::123456789012:user/admin\""),
            "{e}"
        );
    }
}
