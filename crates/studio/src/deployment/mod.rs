//! The declarative deployment: IAM Identity Center, one isolated SageMaker
//! Studio domain per team, a persona (execution role) per user, an admin group
//! with console access, and guardrails.
//!
//! A deployment is read from TOML with [`Deployment::from_toml_str`] or
//! [`Deployment::from_file`], or built in Rust with [`Deployment::builder`].
//! Both run the same validation; errors from files name the line, the column
//! and the field path (e.g. `teams[1].domain.subnets`).
//!
//! # The TOML shape
//!
//! ```toml
//! name = "acme-ml"                 # deployment name: tag value and name prefix
//! region = "eu-west-1"             # optional
//! account = "123456789012"         # optional
//!
//! [identity_center]                # optional: discovered when absent
//! instance_arn = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
//! identity_store_id = "d-0123456789"
//!
//! [[teams]]
//! name = "vision"                  # ^[a-z][a-z0-9-]{0,30}$, not ending with -
//! group = "ml-vision"              # Identity Center group display name
//! persona = "data-scientist"       # "data-scientist" | "mlops" | { custom = ["manage-ml-jobs", ...] }
//!
//! [teams.domain]
//! auth_mode = "SSO"                # "SSO" (default) | "IAM"
//! app_network_access_type = "VpcOnly"   # "VpcOnly" (default) | "PublicInternetOnly"
//! vpc_id = "vpc-0a1b2c3d"
//! subnets = ["subnet-0a1b2c3d"]
//! security_groups = ["sg-0a1b2c3d"]
//! kms_key = "arn:aws:kms:eu-west-1:123456789012:key/..."
//! default_instance_type = "ml.t3.medium"
//! allowed_instance_types = ["ml.t3.*", "ml.g5.xlarge"]
//! s3_buckets = ["ml-data/vision"]
//!
//! [[teams.users]]
//! user_name = "alice@contoso.example"   # Identity Center UserName
//! persona = "mlops"                # optional: overrides the team's persona
//!
//! [admin]                          # optional
//! group = "ml-platform-admins"
//! permission_set_name = "SageMakerConsoleAdmin"   # default
//! session_duration = "PT1H"        # default; ISO-8601, PT1H..PT12H
//!
//! [guardrails]                     # optional
//! allowed_instance_types = ["ml.t3.*"]
//! studio_cidrs = ["203.0.113.0/24"]
//! deny_console_for_non_admins = true
//! # IAM roles of the deployment's account that may also create Studio
//! # presigned URLs, e.g. the studio-fed-access login gateway's role. When
//! # given (or with deny_console_for_non_admins) CreatePresignedDomainUrl is
//! # denied to every other principal the guardrails bind.
//! presigned_url_principals = ["arn:aws:iam::123456789012:role/studio-fed-gateway"]
//! ```
//!
//! See `examples/azure_ad_studio.toml` for a documented example.
//!
//! ```
//! use studio_fed_studio::deployment::{Deployment, PersonaSpec};
//!
//! let deployment = Deployment::from_toml_str(r#"
//! name = "acme"
//! account = "123456789012"
//!
//! [[teams]]
//! name = "vision"
//! group = "ml-vision"
//! persona = "data-scientist"
//! domain = { app_network_access_type = "PublicInternetOnly" }
//! users = [{ user_name = "alice@contoso.example", persona = "mlops" }]
//! "#)?;
//! let team = &deployment.teams[0];
//! assert_eq!(team.domain_name(&deployment), "acme-vision");
//! assert_eq!(team.persona_of("alice@contoso.example"), &PersonaSpec::MlOps);
//! assert_eq!(team.users[0].profile_name(), "alice-contoso-example");
//!
//! let error = Deployment::from_toml_str("name = \"acme\"\nteams = 3\n").unwrap_err();
//! assert_eq!(error.to_string(), "2:9: teams: invalid type: integer `3`, expected a sequence; fix the value's type");
//! # Ok::<(), studio_fed_studio::deployment::DeploymentError>(())
//! ```
//!
//! # Rules
//!
//! - A user belongs to at most one team: each team's domain is isolated, and
//!   a user's profile lives in its team's domain.
//! - User profile names are derived from Identity Center UserNames by
//!   [`UserSpec::profile_name`]; two users of a team may not map to the same
//!   profile name.
//! - All custom personas of a team have the same activities (the team has one
//!   custom role, [`Team::role_name`]).
//! - Members of a team's group not listed in `users` get the team's persona
//!   ([`Team::persona_of`]).

mod builder;
mod error;
mod raw;
mod validate;
mod views;

pub use builder::{DeploymentBuilder, TeamBuilder};
pub use error::DeploymentError;
pub use views::{TAG_DEPLOYMENT, TAG_PERSONA, TAG_TEAM, profile_name};

use std::path::Path;

use serde::Deserialize;
use studio_fed_policy::build::Activity;

/// A deployment: the Identity Center instance, the teams, the admin group and
/// the guardrails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The deployment's name: the value of the [`TAG_DEPLOYMENT`] tag and the
    /// prefix of every resource name (`^[a-z][a-z0-9-]{0,15}$`, not ending with `-`).
    pub name: String,
    /// The AWS region, e.g. `eu-west-1`; the default region when absent.
    pub region: Option<String>,
    /// The 12-digit AWS account id; the caller's account when absent.
    pub account: Option<String>,
    /// The IAM Identity Center instance; discovered when absent.
    pub identity_center: Option<IdentityCenter>,
    /// The teams, each with its own Studio domain.
    pub teams: Vec<Team>,
    /// The admin group allowed to use the SageMaker console.
    pub admin: Option<AdminGroup>,
    /// The guardrails to apply.
    pub guardrails: Guardrails,
}

/// An IAM Identity Center instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCenter {
    /// The instance ARN, e.g. `arn:aws:sso:::instance/ssoins-0123456789abcdef`.
    pub instance_arn: String,
    /// The identity store id, e.g. `d-0123456789`.
    pub identity_store_id: String,
}

/// A team: an Identity Center group, an isolated Studio domain and the
/// personas of its users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The team's name (`^[a-z][a-z0-9-]{0,30}$`, not ending with `-`): part of
    /// the domain name, role names and tags.
    pub name: String,
    /// The display name of the team's Identity Center group.
    pub group: String,
    /// The team's Studio domain.
    pub domain: DomainSettings,
    /// The persona of the group's members, unless overridden per user.
    pub default_persona: PersonaSpec,
    /// The users that get a user profile, with optional persona overrides.
    pub users: Vec<UserSpec>,
}

/// A user of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// The Identity Center UserName, e.g. `alice@contoso.example`.
    pub user_name: String,
    /// The user's persona; the team's when `None`.
    pub persona: Option<PersonaSpec>,
}

impl UserSpec {
    /// A user with the team's persona.
    pub fn new(user_name: impl Into<String>) -> Self {
        UserSpec {
            user_name: user_name.into(),
            persona: None,
        }
    }

    /// A user with their own persona.
    pub fn with_persona(user_name: impl Into<String>, persona: PersonaSpec) -> Self {
        UserSpec {
            user_name: user_name.into(),
            persona: Some(persona),
        }
    }

    /// The SageMaker user profile name: see [`profile_name`].
    pub fn profile_name(&self) -> String {
        profile_name(&self.user_name)
    }
}

/// A persona: which execution role a user profile gets.
///
/// In TOML: `persona = "data-scientist"`, `persona = "mlops"` or
/// `persona = { custom = ["run-studio-apps", "manage-ml-jobs"] }` (activity
/// slugs, see [`Activity::slug`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonaSpec {
    /// Role Manager's Data Scientist persona.
    DataScientist,
    /// Role Manager's MLOps persona.
    MlOps,
    /// A custom selection of ML activities.
    Custom {
        /// The activities, in order.
        activities: Vec<Activity>,
    },
}

/// How users sign in to the domain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
pub enum AuthMode {
    /// IAM Identity Center (`"SSO"`, the default).
    #[default]
    #[serde(rename = "SSO", alias = "sso")]
    Sso,
    /// IAM (`"IAM"`): presigned URLs.
    #[serde(rename = "IAM", alias = "iam")]
    Iam,
}

/// The domain's `AppNetworkAccessType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
pub enum AppNetworkAccessType {
    /// `"VpcOnly"` (the default): all traffic through the domain's VPC.
    #[default]
    VpcOnly,
    /// `"PublicInternetOnly"`: internet access through SageMaker's VPC.
    PublicInternetOnly,
}

/// A team's Studio domain settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainSettings {
    /// SSO (default) or IAM.
    pub auth_mode: AuthMode,
    /// The VPC id (`vpc-...`); required with subnets.
    pub vpc_id: Option<String>,
    /// Subnet ids (`subnet-...`); required when VPC-only.
    pub subnets: Vec<String>,
    /// Security group ids (`sg-...`); required when VPC-only.
    pub security_groups: Vec<String>,
    /// VPC-only (default) or public internet.
    pub app_network_access_type: AppNetworkAccessType,
    /// The KMS key ARN encrypting the domain's storage, and the data and
    /// volume key of the team's roles.
    pub kms_key: Option<String>,
    /// The default instance type of the team's apps, e.g. `ml.t3.medium`.
    pub default_instance_type: Option<String>,
    /// Instance types (patterns such as `ml.g5.*`) the team may use.
    pub allowed_instance_types: Vec<String>,
    /// S3 locations (`bucket` or `bucket/prefix`) the team's roles may use.
    pub s3_buckets: Vec<String>,
}

impl DomainSettings {
    /// Sets the authentication mode.
    pub fn auth_mode(mut self, auth_mode: AuthMode) -> Self {
        self.auth_mode = auth_mode;
        self
    }

    /// Sets the VPC, its subnets and security groups.
    pub fn vpc<I, S, J, T>(mut self, vpc_id: impl Into<String>, subnets: I, security_groups: J) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.vpc_id = Some(vpc_id.into());
        self.subnets = subnets.into_iter().map(Into::into).collect();
        self.security_groups = security_groups.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the `AppNetworkAccessType`.
    pub fn app_network_access_type(mut self, access: AppNetworkAccessType) -> Self {
        self.app_network_access_type = access;
        self
    }

    /// Sets the KMS key ARN.
    pub fn kms_key(mut self, key_arn: impl Into<String>) -> Self {
        self.kms_key = Some(key_arn.into());
        self
    }

    /// Sets the default instance type.
    pub fn default_instance_type(mut self, instance_type: impl Into<String>) -> Self {
        self.default_instance_type = Some(instance_type.into());
        self
    }

    /// Sets the allowed instance types.
    pub fn allowed_instance_types<I, S>(mut self, instance_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_instance_types = instance_types.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the S3 locations.
    pub fn s3_buckets<I, S>(mut self, locations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.s3_buckets = locations.into_iter().map(Into::into).collect();
        self
    }
}

/// The admin group: the only group with SageMaker console access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminGroup {
    /// The display name of the Identity Center group.
    pub group: String,
    /// The permission set granting console access (`SageMakerConsoleAdmin` by default).
    pub permission_set_name: String,
    /// The permission set's session duration, ISO-8601 (`PT1H` by default, at most `PT12H`).
    pub session_duration: String,
}

/// The default permission set name of [`AdminGroup`].
pub const DEFAULT_PERMISSION_SET_NAME: &str = "SageMakerConsoleAdmin";
/// The default session duration of [`AdminGroup`].
pub const DEFAULT_SESSION_DURATION: &str = "PT1H";

impl AdminGroup {
    /// The admin group with the default permission set name and session duration.
    pub fn new(group: impl Into<String>) -> Self {
        AdminGroup {
            group: group.into(),
            permission_set_name: DEFAULT_PERMISSION_SET_NAME.into(),
            session_duration: DEFAULT_SESSION_DURATION.into(),
        }
    }
}

/// The guardrails applied to everyone in the deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guardrails {
    /// Instance types (patterns) allowed anywhere; unrestricted when empty.
    pub allowed_instance_types: Vec<String>,
    /// CIDRs from which Studio presigned URLs may be created and used;
    /// unrestricted when empty.
    pub studio_cidrs: Vec<String>,
    /// Deny `CreatePresignedDomainUrl` (opening Studio from the console) to
    /// everyone but the admin permission set (and
    /// [`presigned_url_principals`](Guardrails::presigned_url_principals));
    /// needs `[admin]`.
    pub deny_console_for_non_admins: bool,
    /// IAM role ARNs of the deployment's account, besides the admins, that
    /// may create Studio presigned URLs, e.g. the studio-fed-access login
    /// gateway's role. When not empty, `CreatePresignedDomainUrl` is denied
    /// to every other principal the guardrails bind (the admins stay allowed
    /// with `deny_console_for_non_admins`), even without
    /// `deny_console_for_non_admins`.
    pub presigned_url_principals: Vec<String>,
}

impl Deployment {
    /// Reads and validates a deployment from TOML text. Errors name the line,
    /// the column and the field.
    pub fn from_toml_str(text: &str) -> Result<Deployment, DeploymentError> {
        raw::parse(text)
    }

    /// Reads and validates a deployment file. Errors name the file, the line,
    /// the column and the field.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Deployment, DeploymentError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DeploymentError {
            file: Some(path.to_path_buf()),
            line: None,
            column: None,
            field: String::new(),
            message: format!("cannot read the file: {e}; check the path"),
        })?;
        raw::parse(&text).map_err(|e| e.in_file(path))
    }

    /// A builder; [`DeploymentBuilder::build`] validates like the TOML reader.
    pub fn builder(name: impl Into<String>) -> DeploymentBuilder {
        DeploymentBuilder::new(name.into())
    }

    /// Checks every rule; the error names the field path (no line: the
    /// deployment was not read from a file).
    pub fn validate(&self) -> Result<(), DeploymentError> {
        validate::check(self).map_err(|issue| DeploymentError {
            file: None,
            line: None,
            column: None,
            field: issue.field,
            message: issue.message,
        })
    }
}
