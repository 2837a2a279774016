//! [`isolation_report`]: the evaluator's answers for every user.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use studio_fed_policy::eval::{Context, Evaluator, PolicySet, Request};

use super::{IsolationError, IsolationReport, Observed, ObservedProfile, Open, ReportError, UserAccess, Via};
use crate::deployment::{AuthMode, Deployment};
use crate::reconcile::{Desired, DesiredDomain, DesiredRole};

/// Common instance types always tried, besides the concrete types of the
/// deployment's allowlists.
pub const CATALOGUE_INSTANCE_TYPES: [&str; 10] = [
    "ml.t3.medium",
    "ml.t3.large",
    "ml.m5.large",
    "ml.m5.xlarge",
    "ml.c5.xlarge",
    "ml.g5.xlarge",
    "ml.g5.2xlarge",
    "ml.g5.12xlarge",
    "ml.p3.2xlarge",
    "ml.p4d.24xlarge",
];

/// The instance types the report tries: the concrete types (no `*` or `?`)
/// of the deployment's and the teams' allowlists, and
/// [`CATALOGUE_INSTANCE_TYPES`], sorted and without duplicates.
pub fn candidate_instance_types(deployment: &Deployment) -> Vec<String> {
    let allowlists = deployment
        .guardrails
        .allowed_instance_types
        .iter()
        .chain(deployment.teams.iter().flat_map(|t| &t.domain.allowed_instance_types));
    allowlists
        .filter(|t| !t.contains(['*', '?']))
        .map(String::as_str)
        .chain(CATALOGUE_INSTANCE_TYPES)
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The suffix of the permission-set role names the report evaluates (AWS adds
/// 16 hexadecimal digits).
const PERMISSION_SET_ROLE_SUFFIX: &str = "0123456789abcdef";

/// A profile of the deployment's domains, as observed.
struct Profile<'a> {
    domain: &'a DesiredDomain,
    observed: &'a ObservedProfile,
    /// `user-profile/{domain id}/{name}`'s full ARN.
    arn: String,
    /// The app ARN of the profile's JupyterLab app.
    app_arn: String,
    domain_id: &'a str,
    /// The profile's role, or the domain's default.
    role: String,
    /// The user the profile is for: its `SingleSignOnUserValue`, else the
    /// user the deployment made it for.
    owner: Option<&'a str>,
}

/// Compiled policies and facts shared by every user's evaluations.
struct Setup<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    /// Role ARN -> (role, compiled policies).
    roles: BTreeMap<String, (&'a DesiredRole, Evaluator)>,
    /// Group -> (permission-set role ARN, compiled inline policy) of each of its permission sets.
    permission_sets: BTreeMap<&'a str, Vec<(String, Evaluator)>>,
    /// Team groups -> team.
    team_groups: BTreeMap<&'a str, &'a str>,
    profiles: Vec<Profile<'a>>,
    source_ip: Option<IpAddr>,
    instance_types: Vec<String>,
}

/// The isolation report of a deployment after apply: for every user, the
/// profiles they can open and how, the instance types they can launch, whether
/// they can use the console, and every cross-team access as an error. See the
/// [module documentation](super) for the requests evaluated.
///
/// `desired` must be computed from `deployment` ([`Desired::new`]); the
/// deployment gives the Studio CIDRs, the allowlists and the personas.
/// Profiles observed in domains that are not the deployment's are ignored.
///
/// # Errors
///
/// [`ReportError`] when a role attaches a managed policy by ARN (its document
/// is unknown), when profiles were observed in a domain without an observed
/// id, or when a Studio CIDR cannot be read.
pub fn isolation_report(
    deployment: &Deployment,
    desired: &Desired,
    observed: &Observed,
) -> Result<IsolationReport, ReportError> {
    let setup = Setup::new(deployment, desired, observed)?;
    let mut users: BTreeSet<&str> = desired.profiles.iter().map(|p| p.user_name.as_str()).collect();
    let groups = desired
        .domains
        .iter()
        .map(|d| d.group.as_str())
        .chain(desired.admin.as_ref().map(|a| a.group.as_str()));
    for group in groups {
        users.extend(
            observed
                .group_members
                .get(group)
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
    }
    users.extend(setup.profiles.iter().filter_map(|p| p.owner));

    let rows = users
        .into_iter()
        .map(|user| setup.user_access(deployment, user))
        .collect();
    let profile_errors = setup
        .profiles
        .iter()
        .filter(|p| p.owner.is_none())
        .filter_map(|p| setup.role_error(p))
        .collect();
    Ok(IsolationReport {
        deployment: desired.deployment.clone(),
        users: rows,
        profile_errors,
    })
}

impl<'a> Setup<'a> {
    fn new(deployment: &Deployment, desired: &'a Desired, observed: &'a Observed) -> Result<Self, ReportError> {
        let (partition, region, account) = (&desired.partition, &desired.region, &desired.account);
        let mut roles = BTreeMap::new();
        for role in &desired.roles {
            let permissions = &role.spec.permissions;
            if let Some(arn) = permissions.managed_policy_arns.first() {
                return Err(ReportError::ManagedPolicyArn {
                    role: role.spec.name.clone(),
                    arn: arn.clone(),
                });
            }
            let set = permissions
                .customer_managed
                .iter()
                .chain(&permissions.inline_policies)
                .fold(PolicySet::new(), |set, p| set.identity(&p.name, p.document.clone()));
            let arn = format!("arn:{partition}:iam::{account}:role/{}", role.spec.name);
            roles.insert(arn, (role, set.compile()));
        }

        let mut permission_sets: BTreeMap<&str, Vec<(String, Evaluator)>> = BTreeMap::new();
        for (group, sets) in &observed.permission_sets {
            for (name, document) in sets {
                let evaluator = PolicySet::new().identity(name, document.clone()).compile();
                let arn = format!(
                    "arn:{partition}:iam::{account}:role/aws-reserved/sso.amazonaws.com/{region}/\
                     AWSReservedSSO_{name}_{PERMISSION_SET_ROLE_SUFFIX}"
                );
                permission_sets.entry(group).or_default().push((arn, evaluator));
            }
        }

        let mut profiles = Vec::new();
        for domain in &desired.domains {
            let observed_profiles = observed
                .profiles
                .get(&domain.name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if observed_profiles.is_empty() {
                continue;
            }
            let domain_id = observed
                .domain_ids
                .get(&domain.name)
                .ok_or_else(|| ReportError::MissingDomainId {
                    domain: domain.name.clone(),
                })?;
            for profile in observed_profiles {
                let sagemaker = |resource: String| format!("arn:{partition}:sagemaker:{region}:{account}:{resource}");
                let owner = profile.sso_user.as_deref().or_else(|| {
                    desired
                        .profiles_in(&domain.name)
                        .find(|p| p.name == profile.name)
                        .map(|p| p.user_name.as_str())
                });
                profiles.push(Profile {
                    domain,
                    observed: profile,
                    arn: sagemaker(format!("user-profile/{domain_id}/{}", profile.name)),
                    app_arn: sagemaker(format!("app/{domain_id}/{}/JupyterLab/default", profile.name)),
                    domain_id,
                    role: profile
                        .execution_role_arn
                        .clone()
                        .unwrap_or_else(|| domain.execution_role_arn.clone()),
                    owner,
                });
            }
        }

        let source_ip = deployment
            .guardrails
            .studio_cidrs
            .first()
            .map(|cidr| first_host(cidr).ok_or_else(|| ReportError::InvalidCidr { cidr: cidr.clone() }))
            .transpose()?;

        Ok(Setup {
            desired,
            observed,
            roles,
            permission_sets,
            team_groups: desired
                .domains
                .iter()
                .map(|d| (d.group.as_str(), d.team.as_str()))
                .collect(),
            profiles,
            source_ip,
            instance_types: candidate_instance_types(deployment),
        })
    }

    /// One user's row.
    fn user_access(&self, deployment: &Deployment, user: &str) -> UserAccess {
        let groups: BTreeSet<&str> = self
            .observed
            .group_members
            .iter()
            .filter(|(_, members)| members.contains(user))
            .map(|(group, _)| group.as_str())
            .collect();
        let listed = self.desired.profiles.iter().find(|p| p.user_name == user);
        let teams: BTreeSet<&str> = listed
            .map(|p| p.team.as_str())
            .into_iter()
            .chain(groups.iter().filter_map(|g| self.team_groups.get(g).copied()))
            .collect();
        let admin = self
            .desired
            .admin
            .as_ref()
            .is_some_and(|a| groups.contains(a.group.as_str()));
        let persona = match listed {
            Some(p) => Some(p.persona.slug().to_owned()),
            None => deployment
                .teams
                .iter()
                .find(|t| teams.contains(t.name.as_str()))
                .map(|t| t.persona_of(user).slug().to_owned()),
        };

        let own: Vec<&Profile<'a>> = self.profiles.iter().filter(|p| p.owner == Some(user)).collect();
        let home = own
            .iter()
            .find(|p| teams.contains(p.domain.team.as_str()))
            .or_else(|| own.first())
            .copied();
        let evaluator = home.and_then(|p| self.roles.get(&p.role).map(|(_, e)| (p, e)));

        let mut opens = BTreeSet::new();
        for profile in &self.profiles {
            if self.opens_by_sso(&groups, user, profile) {
                opens.insert(open(profile, Via::Sso));
            }
            if let Some((home, evaluator)) = evaluator {
                let request = Request::new("sagemaker:CreatePresignedDomainUrl", &profile.arn)
                    .with_principal(&home.role)
                    .with_context(self.session_context(home, profile));
                if evaluator.evaluate(&request).is_allowed() {
                    opens.insert(open(profile, Via::PresignedUrl));
                }
            }
        }

        let instance_types = match evaluator {
            None => Vec::new(),
            Some((home, evaluator)) => self
                .instance_types
                .iter()
                .filter(|instance_type| {
                    let context = self
                        .session_context(home, home)
                        .with_strings("sagemaker:InstanceTypes", [instance_type.as_str()]);
                    let request = Request::new("sagemaker:CreateApp", &home.app_arn)
                        .with_principal(&home.role)
                        .with_context(context);
                    evaluator.evaluate(&request).is_allowed()
                })
                .cloned()
                .collect(),
        };

        let console = groups
            .iter()
            .flat_map(|g| self.permission_sets.get(g).into_iter().flatten())
            .any(|(arn, evaluator)| {
                self.profiles.iter().any(|profile| {
                    let request = Request::new("sagemaker:CreatePresignedDomainUrl", &profile.arn)
                        .with_principal(arn)
                        .with_context(self.context(arn, profile));
                    evaluator.evaluate(&request).is_allowed()
                })
            });

        let teams: Vec<String> = teams.into_iter().map(str::to_owned).collect();
        let mut errors = Vec::new();
        if teams.len() > 1 {
            errors.push(IsolationError::SeveralTeams {
                user: user.to_owned(),
                teams: teams.clone(),
            });
        }
        for open in &opens {
            let Some(profile) = self
                .profiles
                .iter()
                .find(|p| p.domain.name == open.domain && p.observed.name == open.profile)
            else {
                continue;
            };
            if !teams.contains(&profile.domain.team) {
                errors.push(IsolationError::OpensOtherTeam {
                    user: user.to_owned(),
                    user_teams: teams.clone(),
                    domain: open.domain.clone(),
                    profile: open.profile.clone(),
                    team: profile.domain.team.clone(),
                    via: open.via,
                });
            }
        }
        for profile in &own {
            if profile.observed.sso_user.as_deref() == Some(user) && !teams.contains(&profile.domain.team) {
                errors.push(IsolationError::ProfileOutsideTeam {
                    user: user.to_owned(),
                    domain: profile.domain.name.clone(),
                    profile: profile.observed.name.clone(),
                    team: profile.domain.team.clone(),
                });
            }
            errors.extend(self.role_error(profile));
        }

        UserAccess {
            user: user.to_owned(),
            teams,
            admin,
            persona,
            execution_role: home.map(|p| p.role.clone()),
            opens: opens.into_iter().collect(),
            instance_types,
            console,
            errors,
        }
    }

    /// SSO domain, a group of the user assigned to its application, and the
    /// profile's `SingleSignOnUserValue` is the user.
    fn opens_by_sso(&self, groups: &BTreeSet<&str>, user: &str, profile: &Profile<'_>) -> bool {
        profile.domain.auth_mode == AuthMode::Sso
            && profile.observed.sso_user.as_deref() == Some(user)
            && self
                .observed
                .app_assignments
                .get(&profile.domain.name)
                .is_some_and(|assigned| assigned.iter().any(|g| groups.contains(g.as_str())))
    }

    /// A profile whose role is another team's or none of the deployment's.
    fn role_error(&self, profile: &Profile<'_>) -> Option<IsolationError> {
        let (domain, name, team) = (
            profile.domain.name.clone(),
            profile.observed.name.clone(),
            profile.domain.team.clone(),
        );
        match self.roles.get(&profile.role) {
            None => Some(IsolationError::UnknownRole {
                domain,
                profile: name,
                team,
                role: profile.role.clone(),
            }),
            Some((role, _)) if role.team != profile.domain.team => Some(IsolationError::OtherTeamsRole {
                domain,
                profile: name,
                team,
                role: profile.role.clone(),
                role_team: role.team.clone(),
            }),
            Some(_) => None,
        }
    }

    /// The context of a request by `principal` on `target`: the principal's
    /// ARN, the source address and the target profile's tags.
    fn context(&self, principal: &str, target: &Profile<'_>) -> Context {
        let mut context = Context::new().with_arn("aws:PrincipalArn", principal);
        if let Some(ip) = self.source_ip {
            context = context.with_ip("aws:SourceIp", ip);
        }
        for (key, value) in &target.observed.tags {
            context = context
                .with_string(&format!("aws:ResourceTag/{key}"), value)
                .with_string(&format!("sagemaker:ResourceTag/{key}"), value);
        }
        context
    }

    /// [`Setup::context`] for the execution role of `home`, in the Studio
    /// session of `home` (its domain id and profile name).
    fn session_context(&self, home: &Profile<'_>, target: &Profile<'_>) -> Context {
        self.context(&home.role, target)
            .with_string("sagemaker:DomainId", home.domain_id)
            .with_string("sagemaker:UserProfileName", &home.observed.name)
    }
}

fn open(profile: &Profile<'_>, via: Via) -> Open {
    Open {
        domain: profile.domain.name.clone(),
        profile: profile.observed.name.clone(),
        via,
    }
}

/// The first host of a CIDR (the address itself for single addresses and
/// /31, /32, /127, /128 networks).
pub(super) fn first_host(cidr: &str) -> Option<IpAddr> {
    let (address, prefix) = match cidr.split_once('/') {
        None => return cidr.trim().parse().ok(),
        Some((address, prefix)) => (
            address.trim().parse::<IpAddr>().ok()?,
            prefix.trim().parse::<u32>().ok()?,
        ),
    };
    match address {
        IpAddr::V4(v4) => {
            let host_bits = 32u32.checked_sub(prefix)?;
            let network = u32::from(v4) & u32::MAX.checked_shl(host_bits).unwrap_or(0);
            let first = if host_bits >= 2 { network + 1 } else { network };
            Some(IpAddr::V4(first.into()))
        }
        IpAddr::V6(v6) => {
            let host_bits = 128u32.checked_sub(prefix)?;
            let network = u128::from(v6) & u128::MAX.checked_shl(host_bits).unwrap_or(0);
            let first = if host_bits >= 2 { network + 1 } else { network };
            Some(IpAddr::V6(first.into()))
        }
    }
}
