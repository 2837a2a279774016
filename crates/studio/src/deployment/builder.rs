//! The Rust builders, equivalent to the TOML file.

use super::{AdminGroup, Deployment, DeploymentError, DomainSettings, Guardrails, IdentityCenter, PersonaSpec, Team};
use super::{UserSpec, validate::Issue};

/// Builds a [`Deployment`]; [`DeploymentBuilder::build`] validates it.
#[derive(Debug, Clone)]
pub struct DeploymentBuilder {
    deployment: Deployment,
}

impl DeploymentBuilder {
    pub(super) fn new(name: String) -> Self {
        DeploymentBuilder {
            deployment: Deployment {
                name,
                region: None,
                account: None,
                identity_center: None,
                teams: Vec::new(),
                admin: None,
                guardrails: Guardrails::default(),
            },
        }
    }

    /// Sets the region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.deployment.region = Some(region.into());
        self
    }

    /// Sets the account id.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.deployment.account = Some(account.into());
        self
    }

    /// Sets the Identity Center instance (discovered when not set).
    pub fn identity_center(mut self, instance_arn: impl Into<String>, identity_store_id: impl Into<String>) -> Self {
        self.deployment.identity_center = Some(IdentityCenter {
            instance_arn: instance_arn.into(),
            identity_store_id: identity_store_id.into(),
        });
        self
    }

    /// Adds a team.
    pub fn team(mut self, team: Team) -> Self {
        self.deployment.teams.push(team);
        self
    }

    /// Sets the admin group.
    pub fn admin(mut self, admin: AdminGroup) -> Self {
        self.deployment.admin = Some(admin);
        self
    }

    /// Sets the guardrails.
    pub fn guardrails(mut self, guardrails: Guardrails) -> Self {
        self.deployment.guardrails = guardrails;
        self
    }

    /// Validates like [`Deployment::from_toml_str`]; errors name the field path.
    pub fn build(self) -> Result<Deployment, DeploymentError> {
        self.deployment.validate()?;
        Ok(self.deployment)
    }
}

/// Builds a [`Team`]; the deployment's builder validates it.
#[derive(Debug, Clone)]
pub struct TeamBuilder {
    name: String,
    group: Option<String>,
    domain: DomainSettings,
    persona: Option<PersonaSpec>,
    users: Vec<UserSpec>,
}

impl Team {
    /// A builder for a team named `name`.
    pub fn builder(name: impl Into<String>) -> TeamBuilder {
        TeamBuilder {
            name: name.into(),
            group: None,
            domain: DomainSettings::default(),
            persona: None,
            users: Vec::new(),
        }
    }
}

impl TeamBuilder {
    /// Sets the Identity Center group (display name); required.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// Sets the domain settings.
    pub fn domain(mut self, domain: DomainSettings) -> Self {
        self.domain = domain;
        self
    }

    /// Sets the team's persona; required.
    pub fn persona(mut self, persona: PersonaSpec) -> Self {
        self.persona = Some(persona);
        self
    }

    /// Adds a user with the team's persona.
    pub fn user(mut self, user_name: impl Into<String>) -> Self {
        self.users.push(UserSpec::new(user_name));
        self
    }

    /// Adds a user with their own persona.
    pub fn user_with_persona(mut self, user_name: impl Into<String>, persona: PersonaSpec) -> Self {
        self.users.push(UserSpec::with_persona(user_name, persona));
        self
    }

    /// The team; fails when the group or the persona is missing. The other
    /// rules are checked by [`DeploymentBuilder::build`].
    pub fn build(self) -> Result<Team, DeploymentError> {
        let missing = |field: &str| {
            let issue = Issue::new(field, "is required; set it on the team builder");
            DeploymentError {
                file: None,
                line: None,
                column: None,
                field: format!("team {}: {}", self.name, issue.field),
                message: issue.message,
            }
        };
        let group = self.group.clone().ok_or_else(|| missing("group"))?;
        let default_persona = self.persona.clone().ok_or_else(|| missing("persona"))?;
        Ok(Team {
            name: self.name,
            group,
            domain: self.domain,
            default_persona,
            users: self.users,
        })
    }
}
