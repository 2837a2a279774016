//! [`Desired`]: every resource a deployment asks for, computed from the
//! deployment alone (plus the account and region it runs in).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use studio_fed_federation::aws::{RolePermissions, RoleSpec};
use studio_fed_policy::build::{Guardrail, Persona, RolePolicies};
use studio_fed_policy::document::{PolicyDocument, Statement};

use crate::deployment::{
    AppNetworkAccessType, AuthMode, Deployment, DeploymentError, PersonaSpec, TAG_DEPLOYMENT, TAG_PERSONA, TAG_TEAM,
    Team,
};

/// Everything a deployment asks for, by kind, in dependency order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The deployment's name.
    pub deployment: String,
    /// The account the resources live in.
    pub account: String,
    /// The region of the domains.
    pub region: String,
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// Execution roles: each team's compute role first, then its persona roles.
    pub roles: Vec<DesiredRole>,
    /// One Studio domain per team.
    pub domains: Vec<DesiredDomain>,
    /// One user profile per listed user.
    pub profiles: Vec<DesiredProfile>,
    /// The admin group's console permission set, when `[admin]` is given.
    pub admin: Option<DesiredAdmin>,
}

/// An execution role of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRole {
    /// The team.
    pub team: String,
    /// True for the compute role the persona roles pass to jobs and endpoints.
    pub compute: bool,
    /// The role with its policies and tags.
    pub spec: RoleSpec,
}

/// A team's Studio domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredDomain {
    /// The team.
    pub team: String,
    /// The domain name, `{deployment}-{team}`.
    pub name: String,
    /// The team's Identity Center group (assigned to the domain's application in SSO mode).
    pub group: String,
    /// SSO or IAM.
    pub auth_mode: AuthMode,
    /// The VPC.
    pub vpc_id: Option<String>,
    /// The subnets.
    pub subnets: Vec<String>,
    /// Security groups of the default user settings.
    pub security_groups: Vec<String>,
    /// VpcOnly or PublicInternetOnly.
    pub app_network_access_type: AppNetworkAccessType,
    /// The KMS key of the domain's storage.
    pub kms_key: Option<String>,
    /// Default JupyterLab instance type.
    pub default_instance_type: Option<String>,
    /// The default execution role: the team persona's role.
    pub execution_role_arn: String,
    /// Tags: deployment and team.
    pub tags: BTreeMap<String, String>,
}

/// A user's profile in their team's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredProfile {
    /// The team.
    pub team: String,
    /// The team's domain name.
    pub domain: String,
    /// The profile name (see [`crate::deployment::profile_name`]).
    pub name: String,
    /// The Identity Center UserName (`SingleSignOnUserValue` in SSO domains).
    pub user_name: String,
    /// The persona.
    pub persona: PersonaSpec,
    /// The persona's execution role ARN.
    pub execution_role_arn: String,
    /// Tags: deployment, team and persona.
    pub tags: BTreeMap<String, String>,
}

/// The admin group's permission set, granting the SageMaker console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredAdmin {
    /// The admin group's display name.
    pub group: String,
    /// The permission set's name.
    pub permission_set_name: String,
    /// The permission set's description, which marks it as the deployment's.
    pub description: String,
    /// The session duration (ISO-8601).
    pub session_duration: String,
    /// The permission set's inline policy.
    pub inline_policy: PolicyDocument,
}

/// The actions the admin permission set allows: the SageMaker console and
/// Studio for every domain.
pub const ADMIN_ACTIONS: [&str; 5] = [
    "sagemaker:*",
    "iam:ListRoles",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
];

/// The start of the description of a deployment's permission set.
pub const PERMISSION_SET_DESCRIPTION_PREFIX: &str = "[studio-fed deployment";

impl Desired {
    /// What `deployment` asks for, in `account` and `region` (used when the
    /// deployment does not name them).
    pub fn new(deployment: &Deployment, account: &str, region: &str) -> Result<Desired, DeploymentError> {
        let mut deployment = deployment.clone();
        deployment.account.get_or_insert_with(|| account.to_owned());
        deployment.region.get_or_insert_with(|| region.to_owned());
        let deployment = &deployment;
        let account = deployment.account.clone().unwrap_or_default();
        let region = deployment.region.clone().unwrap_or_default();
        let partition = deployment.partition().to_owned();
        let role_arn = |name: &str| format!("arn:{partition}:iam::{account}:role/{name}");
        let guardrails = deployment_guardrails(deployment, &account)?;

        let mut roles = Vec::new();
        let mut domains = Vec::new();
        let mut profiles = Vec::new();
        for team in &deployment.teams {
            roles.extend(team_roles(deployment, team, &guardrails)?);
            let tags = tag_map(team.tags(deployment));
            let d = &team.domain;
            domains.push(DesiredDomain {
                team: team.name.clone(),
                name: team.domain_name(deployment),
                group: team.group.clone(),
                auth_mode: d.auth_mode,
                vpc_id: d.vpc_id.clone(),
                subnets: d.subnets.clone(),
                security_groups: d.security_groups.clone(),
                app_network_access_type: d.app_network_access_type,
                kms_key: d.kms_key.clone(),
                default_instance_type: d.default_instance_type.clone(),
                execution_role_arn: role_arn(&team.role_name(deployment, &team.default_persona)),
                tags: tags.clone(),
            });
            for user in &team.users {
                let persona = team.persona_of(&user.user_name).clone();
                let mut tags = tags.clone();
                tags.insert(TAG_PERSONA.to_owned(), persona.slug().to_owned());
                profiles.push(DesiredProfile {
                    team: team.name.clone(),
                    domain: team.domain_name(deployment),
                    name: user.profile_name(),
                    user_name: user.user_name.clone(),
                    execution_role_arn: role_arn(&team.role_name(deployment, &persona)),
                    persona,
                    tags,
                });
            }
        }
        let admin = deployment.admin.as_ref().map(|admin| DesiredAdmin {
            group: admin.group.clone(),
            permission_set_name: admin.permission_set_name.clone(),
            description: format!(
                "{PERMISSION_SET_DESCRIPTION_PREFIX} {}] SageMaker console for {}",
                deployment.name, admin.group
            ),
            session_duration: admin.session_duration.clone(),
            inline_policy: PolicyDocument::new(vec![
                Statement::allow()
                    .with_sid("SageMakerConsole")
                    .with_actions(ADMIN_ACTIONS)
                    .with_resources(["*"]),
            ]),
        });
        Ok(Desired {
            deployment: deployment.name.clone(),
            account,
            region,
            partition,
            roles,
            domains,
            profiles,
            admin,
        })
    }

    /// The domain of a team.
    pub fn domain(&self, name: &str) -> Option<&DesiredDomain> {
        self.domains.iter().find(|d| d.name == name)
    }

    /// The profiles in a domain.
    pub fn profiles_in<'a>(&'a self, domain: &'a str) -> impl Iterator<Item = &'a DesiredProfile> + 'a {
        self.profiles.iter().filter(move |p| p.domain == domain)
    }

    /// A fingerprint of the profiles of a domain (names, users, roles, tags):
    /// recorded on the domain after apply, so that a later plan knows which
    /// settings profiles not modified since then have.
    pub fn profiles_fingerprint(&self, domain: &str) -> String {
        let mut hasher = Sha256::new();
        let mut profiles: Vec<&DesiredProfile> = self.profiles_in(domain).collect();
        profiles.sort_by(|a, b| a.name.cmp(&b.name));
        for p in profiles {
            hasher.update(format!(
                "{}\n{}\n{}\n{:?}\n",
                p.name, p.user_name, p.execution_role_arn, p.tags
            ));
        }
        hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

/// The tags as a map.
fn tag_map(tags: Vec<(&'static str, String)>) -> BTreeMap<String, String> {
    tags.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn field_error(field: String, message: impl ToString) -> DeploymentError {
    DeploymentError {
        file: None,
        line: None,
        column: None,
        field,
        message: message.to_string(),
    }
}

/// The deployment-wide guardrails ([`Deployment::guardrail_list`]), once every
/// `guardrails.presigned_url_principals` role is known to be of `account`, the
/// account the deployment runs in.
fn deployment_guardrails(deployment: &Deployment, account: &str) -> Result<Vec<Guardrail>, DeploymentError> {
    for (k, arn) in deployment.guardrails.presigned_url_principals.iter().enumerate() {
        if arn.split(':').nth(4) != Some(account) {
            return Err(field_error(
                format!("guardrails.presigned_url_principals[{k}]"),
                format!(
                    "{arn:?} is not in the account {account} the deployment runs in; presigned URLs for its domains \
                     are created by roles of that account"
                ),
            ));
        }
    }
    deployment.guardrail_list()
}

/// A team's roles: compute role first, then one per persona, each with the
/// deployment's `guardrails`, the team's instance types and team isolation
/// in the inline policy `{role}-guardrails`.
fn team_roles(
    deployment: &Deployment,
    team: &Team,
    guardrails: &[Guardrail],
) -> Result<Vec<DesiredRole>, DeploymentError> {
    let inputs = team.role_inputs(deployment)?;
    let error = |field: String, e: studio_fed_policy::Error| field_error(field, e);
    let field = format!("teams.{}", team.name);
    let mut guardrails = guardrails.to_vec();
    if !team.domain.allowed_instance_types.is_empty() {
        guardrails.push(
            Guardrail::instance_types(team.domain.allowed_instance_types.iter().cloned())
                .map_err(|e| error(format!("{field}.domain.allowed_instance_types"), e))?,
        );
    }
    guardrails.push(Guardrail::team_isolation(&inputs, TAG_TEAM, &team.name).map_err(|e| error(field.clone(), e))?);
    let guardrails = Guardrail::combined(&guardrails);

    let mut personas: Vec<(bool, Persona, String, &'static str)> = vec![(
        true,
        Persona::SageMakerCompute,
        team.compute_role_name(deployment),
        "compute",
    )];
    for persona in team.personas() {
        personas.push((
            false,
            persona.persona(),
            team.role_name(deployment, persona),
            persona.slug(),
        ));
    }
    personas
        .into_iter()
        .map(|(compute, persona, name, slug)| {
            let policies: RolePolicies = persona.role(&name, &inputs).map_err(|e| error(field.clone(), e))?;
            let mut spec = RoleSpec::from_role_policies(&policies);
            spec.permissions = RolePermissions {
                tags: tag_map(team.tags(deployment))
                    .into_iter()
                    .chain([(TAG_PERSONA.to_owned(), slug.to_owned())])
                    .collect(),
                ..spec.permissions
            }
            .with_inline_policy(format!("{name}-guardrails"), guardrails.clone());
            Ok(DesiredRole {
                team: team.name.clone(),
                compute,
                spec,
            })
        })
        .collect()
}

/// The deployment tag, for ownership checks.
pub(crate) fn owns(tags: &BTreeMap<String, String>, deployment: &str) -> bool {
    tags.get(TAG_DEPLOYMENT).is_some_and(|v| v == deployment)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use studio_fed_policy::eval::{Context, Outcome, PolicySet, Request};

    use super::*;

    const ACCOUNT: &str = "123456789012";
    const GATEWAY: &str = "arn:aws:iam::123456789012:role/studio-fed-gateway";
    const ADMIN: &str = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/\
                         AWSReservedSSO_SageMakerConsoleAdmin_0123456789abcdef";

    fn deployment(account: bool, admin: bool, guardrails: &str) -> Deployment {
        let mut toml = String::from("name = \"acme\"\nregion = \"eu-west-1\"\n");
        if account {
            toml.push_str(&format!("account = \"{ACCOUNT}\"\n"));
        }
        toml.push_str(
            "\n[[teams]]\nname = \"vision\"\ngroup = \"ml-vision\"\npersona = \"data-scientist\"\n\
             domain = { app_network_access_type = \"PublicInternetOnly\", s3_buckets = [\"acme-data\"] }\n",
        );
        if admin {
            toml.push_str("\n[admin]\ngroup = \"ml-admins\"\n");
        }
        toml.push_str(&format!("\n[guardrails]\n{guardrails}\n"));
        Deployment::from_toml_str(&toml).unwrap()
    }

    /// The outcome of `principal` creating a presigned URL for a profile of
    /// its team under the guardrails of the team's data-scientist role and an
    /// allow-all policy; a deny must come from the presigned-URL allowlist.
    fn presigned_url(desired: &Desired, principal: &str) -> Outcome {
        let role = "acme-vision-data-scientist";
        let spec = &desired.roles.iter().find(|r| r.spec.name == role).unwrap().spec;
        let guardrails = spec
            .permissions
            .inline_policies
            .iter()
            .find(|p| p.name == format!("{role}-guardrails"))
            .unwrap();
        let allow_all = PolicyDocument::new([Statement::allow().with_actions(["*"]).with_resources(["*"])]);
        let evaluator = PolicySet::new()
            .identity("allow-all", allow_all)
            .identity(&guardrails.name, guardrails.document.clone())
            .compile();
        let request = Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            "arn:aws:sagemaker:eu-west-1:123456789012:user-profile/d-abc123/alice",
        )
        .with_context(
            Context::new()
                .with_arn("aws:PrincipalArn", principal)
                .with_string(&format!("aws:ResourceTag/{TAG_TEAM}"), "vision"),
        );
        let decision = evaluator.evaluate(&request);
        if decision.outcome == Outcome::ExplicitDeny {
            let sids: Vec<_> = decision.statements.iter().filter_map(|s| s.sid.as_deref()).collect();
            assert_eq!(sids, ["DenyPresignedUrlExceptAdmins"], "{principal}");
        }
        decision.outcome
    }

    #[test]
    fn presigned_url_principals_join_the_admins() {
        let persona_role = format!("arn:aws:iam::{ACCOUNT}:role/acme-vision-data-scientist");
        let principals = format!("presigned_url_principals = [\"{GATEWAY}\"]");

        let with_admins = deployment(true, true, &format!("deny_console_for_non_admins = true\n{principals}"));
        let desired = Desired::new(&with_admins, ACCOUNT, "eu-west-1").unwrap();
        assert_eq!(presigned_url(&desired, GATEWAY), Outcome::Allow);
        assert_eq!(presigned_url(&desired, ADMIN), Outcome::Allow);
        assert_eq!(presigned_url(&desired, &persona_role), Outcome::ExplicitDeny);
        let guardrails = deployment_guardrails(&with_admins, ACCOUNT).unwrap();
        assert_eq!(
            guardrails.len(),
            with_admins.guardrail_list().unwrap().len(),
            "the allowlist replaces the admins-only guardrail"
        );

        // Without the console guardrail, the principals alone may create URLs.
        let gateway_only = deployment(true, false, &principals);
        let desired = Desired::new(&gateway_only, ACCOUNT, "eu-west-1").unwrap();
        assert_eq!(presigned_url(&desired, GATEWAY), Outcome::Allow);
        assert_eq!(presigned_url(&desired, ADMIN), Outcome::ExplicitDeny);
        assert_eq!(presigned_url(&desired, &persona_role), Outcome::ExplicitDeny);

        // Without principals, the admins-only guardrail is unchanged.
        let admins_only = deployment(true, true, "deny_console_for_non_admins = true");
        let desired = Desired::new(&admins_only, ACCOUNT, "eu-west-1").unwrap();
        assert_eq!(presigned_url(&desired, GATEWAY), Outcome::ExplicitDeny);
        assert_eq!(presigned_url(&desired, ADMIN), Outcome::Allow);
    }

    #[test]
    fn presigned_url_principals_are_roles_of_the_account_the_deployment_runs_in() {
        let no_account = deployment(false, false, &format!("presigned_url_principals = [\"{GATEWAY}\"]"));
        assert!(Desired::new(&no_account, ACCOUNT, "eu-west-1").is_ok());
        let e = Desired::new(&no_account, "444455556666", "eu-west-1").unwrap_err();
        assert_eq!(e.field, "guardrails.presigned_url_principals[0]");
        assert!(e.message.contains("not in the account 444455556666"), "{e}");
    }
}
