//! The typed changes of a plan: which resource, what action, which fields.

use std::fmt;

use serde::Serialize;
use studio_fed_federation::change::FieldChange;

/// A resource a deployment manages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// An IAM execution role (with its policies).
    Role {
        /// The role name.
        name: String,
    },
    /// A Studio domain.
    Domain {
        /// The domain name.
        name: String,
    },
    /// A user profile.
    UserProfile {
        /// The domain name.
        domain: String,
        /// The profile name.
        name: String,
    },
    /// A space (only ever deleted, before its domain or owner).
    Space {
        /// The domain name.
        domain: String,
        /// The space name.
        name: String,
    },
    /// An app (only ever deleted, before its profile or space).
    App {
        /// The domain name.
        domain: String,
        /// The owning profile or space.
        owner: String,
        /// The app type, e.g. `JupyterLab`.
        app_type: String,
        /// The app name.
        name: String,
    },
    /// A group's assignment to an SSO domain's Identity Center application.
    ApplicationAssignment {
        /// The domain name.
        domain: String,
        /// The group's display name.
        group: String,
    },
    /// The admin permission set.
    PermissionSet {
        /// The permission set's name.
        name: String,
    },
    /// The admin group's assignment of the permission set to the account.
    AccountAssignment {
        /// The permission set's name.
        permission_set: String,
        /// The group's display name.
        group: String,
    },
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Role { name } => write!(f, "role {name}"),
            Resource::Domain { name } => write!(f, "domain {name}"),
            Resource::UserProfile { domain, name } => write!(f, "user profile {domain}/{name}"),
            Resource::Space { domain, name } => write!(f, "space {domain}/{name}"),
            Resource::App {
                domain,
                owner,
                app_type,
                name,
            } => write!(f, "app {domain}/{owner}/{app_type}/{name}"),
            Resource::ApplicationAssignment { domain, group } => {
                write!(f, "application assignment {domain} <- group {group}")
            }
            Resource::PermissionSet { name } => write!(f, "permission set {name}"),
            Resource::AccountAssignment { permission_set, group } => {
                write!(f, "account assignment {permission_set} <- group {group}")
            }
        }
    }
}

/// What a change does to its resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create it.
    Create,
    /// Change these fields.
    Update {
        /// The fields, with their current and wanted values.
        diff: Vec<FieldChange>,
    },
    /// Delete it.
    Delete,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Create => f.write_str("create"),
            Action::Delete => f.write_str("delete"),
            Action::Update { diff } => {
                f.write_str("update")?;
                for (i, change) in diff.iter().enumerate() {
                    let separator = if i == 0 { ": " } else { "; " };
                    write!(
                        f,
                        "{separator}{}: {} -> {}",
                        change.field,
                        short(&change.before),
                        short(&change.after)
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Long values (policy documents) cut for one-line display; JSON output has them whole.
fn short(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() > MAX {
        format!("{}…", value.chars().take(MAX).collect::<String>())
    } else {
        value.to_owned()
    }
}

/// The steps of apply and destroy, in the order they run; changes of one
/// step run concurrently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Compute roles (the persona roles pass them).
    ComputeRoles,
    /// Persona roles.
    Roles,
    /// Domains (after the roles they use).
    Domains,
    /// Apps to delete (before their profiles and spaces).
    DeleteApps,
    /// Spaces to delete (before their profiles and domains).
    DeleteSpaces,
    /// User profiles (after their domains).
    Profiles,
    /// Application assignments of team groups to SSO domains.
    Assignments,
    /// The admin permission set and its account assignment.
    Admin,
    /// Domains to delete (after their profiles and spaces).
    DeleteDomains,
    /// Roles to delete (after the domains that used them).
    DeleteRoles,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 10] = [
        Step::ComputeRoles,
        Step::Roles,
        Step::Domains,
        Step::DeleteApps,
        Step::DeleteSpaces,
        Step::Profiles,
        Step::Assignments,
        Step::Admin,
        Step::DeleteDomains,
        Step::DeleteRoles,
    ];

    /// A short label for progress output.
    pub fn label(&self) -> &'static str {
        match self {
            Step::ComputeRoles => "compute roles",
            Step::Roles => "persona roles",
            Step::Domains => "domains",
            Step::DeleteApps => "delete apps",
            Step::DeleteSpaces => "delete spaces",
            Step::Profiles => "user profiles",
            Step::Assignments => "application assignments",
            Step::Admin => "admin permission set",
            Step::DeleteDomains => "delete domains",
            Step::DeleteRoles => "delete roles",
        }
    }
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    /// The step it runs in.
    pub step: Step,
    /// The resource.
    pub resource: Resource,
    /// What to do.
    #[serde(flatten)]
    pub action: Action,
}

impl fmt::Display for PlannedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.action {
            Action::Create => '+',
            Action::Update { .. } => '~',
            Action::Delete => '-',
        };
        write!(f, "{sign} {}: {}", self.resource, self.action)
    }
}
