//! Derived views for the reconciler: names, tags, role inputs, personas and
//! guardrails.

use studio_fed_policy::build::{Guardrail, Persona, RoleInputs};

use super::{Deployment, DeploymentError, PersonaSpec, Team};

/// Tag key whose value is the deployment's name, on every resource.
pub const TAG_DEPLOYMENT: &str = "studio-fed:deployment";
/// Tag key whose value is the team's name, on the team's resources.
pub const TAG_TEAM: &str = "studio-fed:team";
/// Tag key whose value is the persona's slug, on execution roles.
pub const TAG_PERSONA: &str = "studio-fed:persona";

/// Longest deployment name: `{deployment}-{team}-data-scientist` fits IAM's 64.
pub(crate) const DEPLOYMENT_NAME_MAX: usize = 16;
/// Longest team name.
pub(crate) const TEAM_NAME_MAX: usize = 31;

/// The SageMaker user profile name of an Identity Center UserName.
///
/// Profile names match `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`, UserNames are
/// often e-mail addresses. The mapping: every run of characters other than
/// ASCII letters and digits becomes one `-`; leading and trailing `-` are
/// dropped; the result is cut to 63 characters (and trailing `-` dropped
/// again). `alice.smith@contoso.example` becomes `alice-smith-contoso-example`.
/// Names without any letter or digit give an empty string (refused by
/// validation), as do two users of a team with the same profile name.
pub fn profile_name(user_name: &str) -> String {
    let mut out = String::new();
    for c in user_name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(63);
    out.trim_end_matches('-').to_owned()
}

/// `*` (any run) and `?` (any one character) glob matching.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

impl PersonaSpec {
    /// The policy crate's persona.
    pub fn persona(&self) -> Persona {
        match self {
            PersonaSpec::DataScientist => Persona::DataScientist,
            PersonaSpec::MlOps => Persona::MlOps,
            PersonaSpec::Custom { activities } => Persona::Custom(activities.clone()),
        }
    }

    /// `data-scientist`, `mlops` or `custom`: the TOML name and the role-name suffix.
    pub fn slug(&self) -> &'static str {
        match self {
            PersonaSpec::DataScientist => "data-scientist",
            PersonaSpec::MlOps => "mlops",
            PersonaSpec::Custom { .. } => "custom",
        }
    }
}

impl Deployment {
    /// The partition of the region: `aws-cn` for `cn-*`, `aws-us-gov` for
    /// `us-gov-*`, `aws` otherwise.
    pub fn partition(&self) -> &'static str {
        match self.region.as_deref() {
            Some(r) if r.starts_with("cn-") => "aws-cn",
            Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
            _ => "aws",
        }
    }

    /// The team a user is in, if any.
    pub fn team_of(&self, user_name: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|t| t.users.iter().any(|u| u.user_name == user_name))
    }

    /// Tags on every resource: `[(TAG_DEPLOYMENT, name)]`.
    pub fn tags(&self) -> Vec<(&'static str, String)> {
        vec![(TAG_DEPLOYMENT, self.name.clone())]
    }

    /// The guardrails to attach, from `[guardrails]`: the instance-type
    /// allowlist, the Studio network restriction (`studio_cidrs`) and, with
    /// `deny_console_for_non_admins` or `presigned_url_principals`, presigned
    /// URLs for the admin permission set's roles
    /// (`AWSReservedSSO_{permission_set_name}_*`, in the deployment's account
    /// or any account when it is unknown) and the listed principals only.
    pub fn guardrail_list(&self) -> Result<Vec<Guardrail>, DeploymentError> {
        let g = &self.guardrails;
        let error = |field: &str, e: studio_fed_policy::Error| DeploymentError {
            file: None,
            line: None,
            column: None,
            field: field.to_owned(),
            message: e.to_string(),
        };
        let mut out = Vec::new();
        if !g.allowed_instance_types.is_empty() {
            out.push(
                Guardrail::instance_types(g.allowed_instance_types.iter().cloned())
                    .map_err(|e| error("guardrails.allowed_instance_types", e))?,
            );
        }
        if !g.studio_cidrs.is_empty() {
            out.push(
                Guardrail::studio_from_cidrs(g.studio_cidrs.iter().cloned())
                    .map_err(|e| error("guardrails.studio_cidrs", e))?,
            );
        }
        // Presigned URLs only for the admins' SSO roles and the listed principals (the gateway).
        let mut admins = Vec::new();
        if g.deny_console_for_non_admins
            && let Some(admin) = &self.admin
        {
            admins.push(format!(
                "arn:{}:iam::{}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_{}_*",
                self.partition(),
                self.account.as_deref().unwrap_or("*"),
                admin.permission_set_name
            ));
        }
        if !admins.is_empty() || !g.presigned_url_principals.is_empty() {
            let field = if g.presigned_url_principals.is_empty() {
                "guardrails.deny_console_for_non_admins"
            } else {
                "guardrails.presigned_url_principals"
            };
            out.push(
                Guardrail::presigned_url_allowlist()
                    .admins(admins)
                    .principals(g.presigned_url_principals.iter().cloned())
                    .build()
                    .map_err(|e| error(field, e))?,
            );
        }
        Ok(out)
    }
}

impl Team {
    /// The persona of a user: their override, else the team's persona (also
    /// for group members not listed in `users`).
    pub fn persona_of(&self, user_name: &str) -> &PersonaSpec {
        self.users
            .iter()
            .find(|u| u.user_name == user_name)
            .and_then(|u| u.persona.as_ref())
            .unwrap_or(&self.default_persona)
    }

    /// The distinct personas of the team (the team's first, then the
    /// overrides in order): one execution role each.
    pub fn personas(&self) -> Vec<&PersonaSpec> {
        let mut out = vec![&self.default_persona];
        for persona in self.users.iter().filter_map(|u| u.persona.as_ref()) {
            if !out.contains(&persona) {
                out.push(persona);
            }
        }
        out
    }

    /// The domain name: `{deployment}-{team}`.
    pub fn domain_name(&self, deployment: &Deployment) -> String {
        format!("{}-{}", deployment.name, self.name)
    }

    /// The execution role of a persona: `{deployment}-{team}-{persona slug}`.
    pub fn role_name(&self, deployment: &Deployment, persona: &PersonaSpec) -> String {
        format!("{}-{}-{}", deployment.name, self.name, persona.slug())
    }

    /// The compute role jobs and endpoints run as: `{deployment}-{team}-compute`.
    pub fn compute_role_name(&self, deployment: &Deployment) -> String {
        format!("{}-{}-compute", deployment.name, self.name)
    }

    /// The compute role's ARN, when the account is known.
    pub fn compute_role_arn(&self, deployment: &Deployment) -> Option<String> {
        deployment.account.as_ref().map(|account| {
            format!(
                "arn:{}:iam::{account}:role/{}",
                deployment.partition(),
                self.compute_role_name(deployment)
            )
        })
    }

    /// Tags on the team's resources: the deployment's and `(TAG_TEAM, name)`.
    pub fn tags(&self, deployment: &Deployment) -> Vec<(&'static str, String)> {
        let mut tags = deployment.tags();
        tags.push((TAG_TEAM, self.name.clone()));
        tags
    }

    /// The inputs of the team's roles: region and account, the team's S3
    /// locations, subnets and security groups, the KMS key as data and volume
    /// key, and the compute role as pass role when the account is known.
    pub fn role_inputs(&self, deployment: &Deployment) -> Result<RoleInputs, DeploymentError> {
        let d = &self.domain;
        let mut builder = RoleInputs::builder()
            .partition(deployment.partition())
            .s3_buckets(d.s3_buckets.iter().cloned())
            .subnets(d.subnets.iter().cloned())
            .security_groups(d.security_groups.iter().cloned());
        if let Some(region) = &deployment.region {
            builder = builder.region(region);
        }
        if let Some(account) = &deployment.account {
            builder = builder.account(account);
        }
        if let Some(key) = &d.kms_key {
            builder = builder.data_kms_keys([key]).volume_kms_keys([key]);
        }
        if let Some(arn) = self.compute_role_arn(deployment) {
            builder = builder.pass_role(arn);
        }
        builder.build().map_err(|e| DeploymentError {
            file: None,
            line: None,
            column: None,
            field: match deployment.teams.iter().position(|t| t == self) {
                Some(i) => format!("teams[{i}]"),
                None => format!("team {}", self.name),
            },
            message: e.to_string(),
        })
    }
}
