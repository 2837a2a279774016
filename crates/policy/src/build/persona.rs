//! Role Manager personas: preset lists of activities that make a role, with
//! the SageMaker trust policy and permission policies split to fit IAM.

use super::activity::Activity;
use super::inputs::RoleInputs;
use super::role::RolePolicies;
use super::split::split_managed;
use super::trust::SageMakerTrust;
use super::unique;
use crate::document::Statement;
use crate::error::{Error, Result};
use crate::lint::Quotas;

/// A Role Manager persona: the activities a role is made of.
///
/// ```
/// use studio_fed_policy::build::{Persona, RoleInputs};
///
/// let inputs = RoleInputs::builder()
///     .region("us-east-1")
///     .account("123456789012")
///     .s3_bucket("ml-data")
///     .pass_role("arn:aws:iam::123456789012:role/ml-compute")
///     .build()?;
/// let role = Persona::DataScientist.role("data-scientist", &inputs)?;
/// assert_eq!(role.managed_policies[0].name, "data-scientist");
/// assert!(studio_fed_policy::lint::check_role(&role).is_empty());
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Persona {
    /// Data scientist: Studio apps, ML jobs, models, experiments (manage and
    /// search) and S3 bucket access.
    DataScientist,
    /// MLOps: Studio apps, models, endpoints, pipelines and experiment search.
    MlOps,
    /// SageMaker compute: the execution role jobs and endpoints run as
    /// (Access Required AWS Services). Create it first; the others pass it.
    SageMakerCompute,
    /// A custom selection of activities.
    Custom(Vec<Activity>),
}

const DATA_SCIENTIST: &[Activity] = &[
    Activity::RunStudioApps,
    Activity::ManageMlJobs,
    Activity::ManageModels,
    Activity::ManageExperiments,
    Activity::SearchAndVisualizeExperiments,
    Activity::S3BucketAccess,
];

const MLOPS: &[Activity] = &[
    Activity::RunStudioApps,
    Activity::ManageModels,
    Activity::ManageEndpoints,
    Activity::ManagePipelines,
    Activity::SearchAndVisualizeExperiments,
];

const SAGEMAKER_COMPUTE: &[Activity] = &[Activity::AccessRequiredAwsServices];

impl Persona {
    /// The persona's name.
    pub fn name(&self) -> &'static str {
        match self {
            Persona::DataScientist => "Data Scientist",
            Persona::MlOps => "MLOps",
            Persona::SageMakerCompute => "SageMaker Compute",
            Persona::Custom(_) => "Custom",
        }
    }

    /// The persona's activities, in order.
    pub fn activities(&self) -> &[Activity] {
        match self {
            Persona::DataScientist => DATA_SCIENTIST,
            Persona::MlOps => MLOPS,
            Persona::SageMakerCompute => SAGEMAKER_COMPUTE,
            Persona::Custom(activities) => activities,
        }
    }

    /// The permission statements of all the persona's activities, in order.
    /// Network and encryption inputs apply to every activity that supports
    /// them; blocks shared by activities (PassRole, KMS grants) appear once.
    pub fn statements(&self, inputs: &RoleInputs) -> Result<Vec<Statement>> {
        let activities = unique(self.activities().iter().copied());
        if activities.is_empty() {
            return Err(Error::input(
                "persona",
                self.name(),
                "has no activities; choose at least one",
            ));
        }
        let mut statements = Vec::new();
        for activity in activities {
            statements.extend(activity.statements(inputs)?);
        }
        Ok(unique(statements))
    }

    /// The role for this persona with the default quotas; see [`Persona::role_with_quotas`].
    pub fn role(&self, role_name: &str, inputs: &RoleInputs) -> Result<RolePolicies> {
        self.role_with_quotas(role_name, inputs, &Quotas::default())
    }

    /// The role for this persona: the SageMaker service trust policy (with
    /// `aws:SourceArn` when region and account are known) and the permission
    /// statements as customer managed policies named after the role, split
    /// into `-1`, `-2`, ... when they do not fit one.
    pub fn role_with_quotas(&self, role_name: &str, inputs: &RoleInputs, quotas: &Quotas) -> Result<RolePolicies> {
        check_role_name(role_name)?;
        let trust = SageMakerTrust::for_inputs(inputs).build()?;
        let mut role = RolePolicies::new(role_name, trust);
        role.managed_policies = split_managed(role_name, self.statements(inputs)?, quotas)?;
        Ok(role)
    }
}

/// IAM role names: 1-64 of letters, digits and `+=,.@_-`. The split suffix
/// (`-N`) still fits the 128-character policy-name limit.
fn check_role_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::input(
            "role name",
            name,
            "expected 1-64 letters, digits or + = , . @ _ -",
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn personas_have_the_reference_activities() {
        assert_eq!(Persona::DataScientist.activities().len(), 6);
        assert_eq!(Persona::MlOps.activities().len(), 5);
        assert_eq!(
            Persona::SageMakerCompute.activities(),
            [Activity::AccessRequiredAwsServices]
        );
    }

    #[test]
    fn empty_custom_persona_is_an_error() {
        let e = Persona::Custom(Vec::new())
            .statements(&RoleInputs::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid persona \"Custom\": has no activities; choose at least one"
        );
    }

    #[test]
    fn role_names_are_checked() {
        let e = Persona::Custom(vec![Activity::ManageExperiments])
            .role("data scientist", &RoleInputs::default())
            .unwrap_err();
        assert!(e.to_string().starts_with("invalid role name \"data scientist\""), "{e}");
    }
}
