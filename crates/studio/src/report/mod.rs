//! The isolation report: after apply, what every user can actually do, as
//! computed by the policy evaluator from the deployed policies and what was
//! observed in AWS.
//!
//! [`isolation_report`] answers, for every user (each user listed in a team,
//! each member of a team's group or of the admin group, and each user named
//! by a profile's `SingleSignOnUserValue`):
//!
//! - **opens**: the user profiles they can open, and how:
//!   - [`Via::Sso`]: the domain is in SSO mode, one of the user's groups is
//!     assigned to the domain's application and a profile there has the
//!     user's name as `SingleSignOnUserValue` (how the Identity Center portal
//!     opens Studio);
//!   - [`Via::PresignedUrl`]: the user's execution role (the role of their own
//!     profile) is allowed `sagemaker:CreatePresignedDomainUrl` on the
//!     profile's ARN. Every profile of every domain of the deployment is
//!     tried.
//! - **instance types**: which of the candidates ([`candidate_instance_types`])
//!   their execution role may launch as a JupyterLab app in their own profile;
//! - **console**: whether a permission set assigned to one of their groups
//!   allows `sagemaker:CreatePresignedDomainUrl` on some profile (opening
//!   Studio from the SageMaker console);
//! - **errors**: any cross-team access ([`IsolationError`]).
//!
//! # The requests evaluated
//!
//! Every decision is one [`Evaluator::evaluate`](studio_fed_policy::eval::Evaluator::evaluate)
//! call on a request built only from the deployment, the desired state and
//! the observations, so it can be reproduced with the evaluator (or the
//! CLI's `eval` command) by hand:
//!
//! - **execution roles**: the policies are the role's customer managed and
//!   inline policies from [`Desired`](crate::reconcile::Desired) (the persona
//!   policies and the `{role}-guardrails` policy). The request's principal and
//!   `aws:PrincipalArn` are the role's ARN. The caller is the user's own
//!   Studio session, so `sagemaker:DomainId` and `sagemaker:UserProfileName`
//!   are the user's own domain id and profile name (the Role Manager's
//!   own-profile policy variables).
//!   - presigned URL: `sagemaker:CreatePresignedDomainUrl` on
//!     `arn:{partition}:sagemaker:{region}:{account}:user-profile/{domain id}/{profile}`;
//!   - instance type: `sagemaker:CreateApp` on
//!     `arn:{partition}:sagemaker:{region}:{account}:app/{domain id}/{own profile}/JupyterLab/default`
//!     with `sagemaker:InstanceTypes` = the type.
//! - **permission sets**: the policy is the permission set's inline policy
//!   alone (the guardrails are attached to execution roles, not to
//!   permission-set roles); the principal and `aws:PrincipalArn` are
//!   `arn:{partition}:iam::{account}:role/aws-reserved/sso.amazonaws.com/{region}/AWSReservedSSO_{permission set}_0123456789abcdef`;
//!   the request is `sagemaker:CreatePresignedDomainUrl` on each profile's ARN.
//! - every request carries the target profile's tags as `aws:ResourceTag/{key}`
//!   and `sagemaker:ResourceTag/{key}`, and, when the deployment has
//!   `studio_cidrs`, an `aws:SourceIp` inside the first CIDR (its first host).
//!
//! Each role's and permission set's policies are compiled once per report.
//!
//! ```no_run
//! use studio_fed_studio::deployment::Deployment;
//! use studio_fed_studio::reconcile::Desired;
//! use studio_fed_studio::report::{Observed, isolation_report};
//!
//! let deployment = Deployment::from_file("examples/azure_ad_studio.toml")?;
//! let desired = Desired::new(&deployment, "123456789012", "eu-west-1")?;
//! let observed = Observed::default(); // filled by the reconciler from its reads
//! let report = isolation_report(&deployment, &desired, &observed)?;
//! println!("{report}");
//! println!("{}", serde_json::to_string_pretty(&report)?);
//! if !report.is_isolated() {
//!     std::process::exit(1);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compute;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde::ser::SerializeStruct;
use studio_fed_policy::PolicyDocument;

pub use compute::{CATALOGUE_INSTANCE_TYPES, candidate_instance_types, isolation_report};

/// What was observed in AWS after apply (filled by the reconciler from its reads).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Effective members (user names) of each Identity Center group, by group display name.
    pub group_members: BTreeMap<String, BTreeSet<String>>,
    /// Domain name -> domain id (`d-...`).
    pub domain_ids: BTreeMap<String, String>,
    /// Domain name -> display names of the groups assigned to its SSO
    /// application (empty or absent for IAM domains).
    pub app_assignments: BTreeMap<String, BTreeSet<String>>,
    /// Domain name -> its user profiles.
    pub profiles: BTreeMap<String, Vec<ObservedProfile>>,
    /// Group display name -> (permission set name, its inline policy) of each
    /// permission set assigned to that group on the account.
    pub permission_sets: BTreeMap<String, Vec<(String, PolicyDocument)>>,
}

/// A user profile as observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedProfile {
    /// The profile name.
    pub name: String,
    /// The `SingleSignOnUserValue` (Identity Center UserName), in SSO domains.
    pub sso_user: Option<String>,
    /// The profile's execution role ARN; `None` when it uses the domain's default.
    pub execution_role_arn: Option<String>,
    /// The profile's tags.
    pub tags: BTreeMap<String, String>,
}

/// How a user opens a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Through the Identity Center portal (SSO domain, assigned group, own `SingleSignOnUserValue`).
    Sso,
    /// With a presigned URL created with the user's execution role.
    PresignedUrl,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Via::Sso => "SSO",
            Via::PresignedUrl => "presigned URL",
        })
    }
}

/// A profile a user can open.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Open {
    /// The domain's name.
    pub domain: String,
    /// The profile's name.
    pub profile: String,
    /// How.
    pub via: Via,
}

impl fmt::Display for Open {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.domain, self.profile, self.via)
    }
}

/// A cross-team access found by the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IsolationError {
    /// The user can open a profile in a domain of a team they are not in.
    #[error(
        "{user} ({}) can open profile {profile} in domain {domain} of team {team} by {via}",
        teams_phrase(.user_teams)
    )]
    OpensOtherTeam {
        /// The user.
        user: String,
        /// The user's teams (possibly none).
        user_teams: Vec<String>,
        /// The domain.
        domain: String,
        /// The profile.
        profile: String,
        /// The domain's team.
        team: String,
        /// How.
        via: Via,
    },
    /// The user is in more than one team (listed or by group membership).
    #[error("{user} is in teams {}; a user belongs to at most one team", .teams.join(" and "))]
    SeveralTeams {
        /// The user.
        user: String,
        /// The teams.
        teams: Vec<String>,
    },
    /// A profile's `SingleSignOnUserValue` is a user who is not in the domain's team.
    #[error(
        "profile {profile} in domain {domain} of team {team} belongs to {user} (SingleSignOnUserValue), \
         who is not in team {team}"
    )]
    ProfileOutsideTeam {
        /// The user named by the profile.
        user: String,
        /// The domain.
        domain: String,
        /// The profile.
        profile: String,
        /// The domain's team.
        team: String,
    },
    /// A profile's execution role is another team's.
    #[error("profile {profile} in domain {domain} of team {team} has execution role {role} of team {role_team}")]
    OtherTeamsRole {
        /// The domain.
        domain: String,
        /// The profile.
        profile: String,
        /// The domain's team.
        team: String,
        /// The role's ARN.
        role: String,
        /// The role's team.
        role_team: String,
    },
    /// A profile's execution role is none of the deployment's roles, so what
    /// it allows cannot be evaluated.
    #[error(
        "profile {profile} in domain {domain} of team {team} has execution role {role}, which is not one of the \
         deployment's roles; what it allows cannot be evaluated"
    )]
    UnknownRole {
        /// The domain.
        domain: String,
        /// The profile.
        profile: String,
        /// The domain's team.
        team: String,
        /// The role's ARN.
        role: String,
    },
}

/// `team vision`, `teams vision, forecasting` or `no team`.
fn teams_phrase(teams: &[String]) -> String {
    match teams {
        [] => "no team".to_owned(),
        [team] => format!("team {team}"),
        _ => format!("teams {}", teams.join(", ")),
    }
}

/// What one user can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAccess {
    /// The Identity Center UserName.
    pub user: String,
    /// The user's teams: listed in the team, or a member of its group.
    pub teams: Vec<String>,
    /// True for members of the admin group.
    pub admin: bool,
    /// The persona's slug (`data-scientist`, `mlops`, `custom`), for team members.
    pub persona: Option<String>,
    /// The execution role of the user's own profile (the one in their team's
    /// domain, else any profile that is theirs).
    pub execution_role: Option<String>,
    /// The profiles the user can open, sorted.
    pub opens: Vec<Open>,
    /// The candidate instance types the user's role may launch as a
    /// JupyterLab app in their own profile, sorted.
    pub instance_types: Vec<String>,
    /// Whether a permission set of the user's groups opens Studio from the console.
    pub console: bool,
    /// The cross-team accesses of this user.
    #[serde(serialize_with = "errors_with_messages")]
    pub errors: Vec<IsolationError>,
}

/// An error as JSON: its kind and fields, and its message.
#[derive(Serialize)]
struct WithMessage<'a> {
    #[serde(flatten)]
    error: &'a IsolationError,
    message: String,
}

fn errors_with_messages<S: serde::Serializer>(errors: &[IsolationError], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(errors.iter().map(|error| WithMessage {
        error,
        message: error.to_string(),
    }))
}

/// The isolation report: one [`UserAccess`] per user, sorted by user name.
///
/// `Display` is an aligned text table followed by the errors; `Serialize`
/// gives `{"deployment", "isolated", "users": [{"user", "teams", "admin",
/// "persona", "execution_role", "opens": [{"domain", "profile", "via"}],
/// "instance_types", "console", "errors": [{"kind", ..., "message"}]}],
/// "profile_errors"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsolationReport {
    /// The deployment's name.
    pub deployment: String,
    /// Every user, sorted by name.
    pub users: Vec<UserAccess>,
    /// Cross-team findings on profiles that belong to no user (no
    /// `SingleSignOnUserValue` and not a profile the deployment asks for).
    pub profile_errors: Vec<IsolationError>,
}

impl IsolationReport {
    /// Every error: each user's, in user order, then the profiles' without a user.
    pub fn errors(&self) -> Vec<&IsolationError> {
        self.users
            .iter()
            .flat_map(|u| &u.errors)
            .chain(&self.profile_errors)
            .collect()
    }

    /// True when no cross-team access was found.
    pub fn is_isolated(&self) -> bool {
        self.errors().is_empty()
    }

    /// The row of a user.
    pub fn user(&self, user: &str) -> Option<&UserAccess> {
        self.users.iter().find(|u| u.user == user)
    }
}

impl Serialize for IsolationReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Errors<'a>(&'a [IsolationError]);
        impl Serialize for Errors<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                errors_with_messages(self.0, serializer)
            }
        }
        let mut s = serializer.serialize_struct("IsolationReport", 4)?;
        s.serialize_field("deployment", &self.deployment)?;
        s.serialize_field("isolated", &self.is_isolated())?;
        s.serialize_field("users", &self.users)?;
        s.serialize_field("profile_errors", &Errors(&self.profile_errors))?;
        s.end()
    }
}

impl fmt::Display for IsolationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["user", "team", "persona", "opens", "instance types", "console"];
        let rows: Vec<[String; 6]> = self
            .users
            .iter()
            .map(|u| {
                let mut team = u.teams.join(", ");
                if u.admin {
                    if !team.is_empty() {
                        team.push_str(", ");
                    }
                    team.push_str("(admin)");
                }
                [
                    u.user.clone(),
                    dash_if_empty(team),
                    u.persona.clone().unwrap_or_else(|| "-".to_owned()),
                    dash_if_empty(u.opens.iter().map(Open::to_string).collect::<Vec<_>>().join("; ")),
                    dash_if_empty(u.instance_types.join(", ")),
                    if u.console { "yes" } else { "no" }.to_owned(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 6]| -> fmt::Result {
            let mut text = String::new();
            for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
                if i > 0 {
                    text.push_str(" | ");
                }
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', width.saturating_sub(cell.chars().count())));
            }
            writeln!(f, "{}", text.trim_end())
        };
        line(f, header)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        writeln!(f, "{}", rule.join("-+-"))?;
        for row in &rows {
            line(f, row.each_ref().map(String::as_str))?;
        }
        let errors = self.errors();
        if errors.is_empty() {
            write!(f, "\nisolated: no cross-team access")
        } else {
            write!(f, "\n{} cross-team access error(s):", errors.len())?;
            for error in errors {
                write!(f, "\n  - {error}")?;
            }
            Ok(())
        }
    }
}

fn dash_if_empty(text: String) -> String {
    if text.is_empty() { "-".to_owned() } else { text }
}

/// Why the report could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// A role attaches a managed policy by ARN, whose document the report
    /// does not have, so the role's permissions cannot be evaluated.
    #[error(
        "role {role} attaches the managed policy {arn}, whose document is not known; the report evaluates \
         customer managed and inline policies only"
    )]
    ManagedPolicyArn {
        /// The role's name.
        role: String,
        /// The policy ARN.
        arn: String,
    },
    /// Profiles were observed in a domain whose id was not.
    #[error("profiles were observed in domain {domain}, but not its id; fill Observed::domain_ids")]
    MissingDomainId {
        /// The domain's name.
        domain: String,
    },
    /// A Studio CIDR cannot be read, so no source address can be chosen.
    #[error("guardrails.studio_cidrs: {cidr:?} is not a CIDR or an IP address")]
    InvalidCidr {
        /// The CIDR as given.
        cidr: String,
    },
}
