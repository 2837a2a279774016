//! Personas: composition from activities, variants applied to every activity
//! that supports them, the role's trust policy, and automatic splitting.
#![allow(clippy::unwrap_used, missing_docs)]

mod build_support;

use build_support::*;
use serde_json::json;
use studio_fed_policy::build::{Activity, Guardrail, Persona, RoleInputs};
use studio_fed_policy::lint::{self, PolicyKind, Quotas, iam_size};
use studio_fed_policy::{PolicyDocument, Statement};

fn concatenated(activities: &[Activity], inputs: &RoleInputs) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for activity in activities {
        for statement in activity.statements(inputs).unwrap() {
            if !out.contains(&statement) {
                out.push(statement);
            }
        }
    }
    out
}

#[test]
fn persona_activity_lists_follow_the_reference() {
    assert_eq!(
        Persona::DataScientist.activities(),
        [
            Activity::RunStudioApps,
            Activity::ManageMlJobs,
            Activity::ManageModels,
            Activity::ManageExperiments,
            Activity::SearchAndVisualizeExperiments,
            Activity::S3BucketAccess
        ]
    );
    assert_eq!(
        Persona::MlOps.activities(),
        [
            Activity::RunStudioApps,
            Activity::ManageModels,
            Activity::ManageEndpoints,
            Activity::ManagePipelines,
            Activity::SearchAndVisualizeExperiments
        ]
    );
    assert_eq!(
        Persona::SageMakerCompute.activities(),
        [Activity::AccessRequiredAwsServices]
    );
    assert_eq!(
        Persona::Custom(vec![Activity::UseMlflow]).activities(),
        [Activity::UseMlflow]
    );
}

#[test]
fn data_scientist_is_its_activities_in_order_with_shared_blocks_once() {
    let inputs = kms(vpc(base())).build().unwrap();
    let statements = Persona::DataScientist.statements(&inputs).unwrap();
    assert_eq!(statements, concatenated(Persona::DataScientist.activities(), &inputs));
    let count = |sid: &str| statements.iter().filter(|s| s.sid.as_deref() == Some(sid)).count();
    assert_eq!(count("PassRoleToSageMaker"), 1, "three activities pass roles");
    assert_eq!(count("KmsCreateGrantForSageMaker"), 1, "two activities need the grant");
    // Network and encryption inputs reach every activity that supports them.
    let jobs = by_sid(&statements, "ManageMlJobsCreate");
    assert!(
        jobs.condition
            .get(
                studio_fed_policy::ConditionOperator::for_all_values(studio_fed_policy::Operator::StringEquals),
                "sagemaker:VpcSubnets"
            )
            .is_some()
    );
    assert!(
        jobs.condition
            .get(studio_fed_policy::Operator::StringEquals, "sagemaker:VolumeKmsKey")
            .is_some()
    );
    assert!(has(&statements, "ManageModelsCreateModel"));
    assert!(has(&statements, "KmsDescribeVolumeKeys"));
    assert!(has(&statements, "S3BucketAccessObjects"));
}

fn has(statements: &[Statement], sid: &str) -> bool {
    statements.iter().any(|s| s.sid.as_deref() == Some(sid))
}

#[test]
fn data_scientist_role_has_sagemaker_trust_and_one_managed_policy() {
    let inputs = kms(vpc(base())).build().unwrap();
    let role = Persona::DataScientist.role("data-scientist", &inputs).unwrap();
    assert_eq!(role.role_name, "data-scientist");
    assert_eq!(
        role.trust_policy.to_value()["Statement"][0],
        json!({
            "Sid": "SageMakerAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:us-east-1:123456789012:*"}}
        })
    );
    assert_eq!(role.managed_policies.len(), 1);
    assert_eq!(role.managed_policies[0].name, "data-scientist");
    assert_eq!(
        role.managed_policies[0].document.statements,
        Persona::DataScientist.statements(&inputs).unwrap()
    );
    assert!(role.inline_policies.is_empty());
    assert!(lint::check_role(&role).is_empty());
}

#[test]
fn persona_inputs_are_required_per_activity() {
    let no_buckets = RoleInputs::builder().pass_role(PASS_ROLE).build().unwrap();
    let e = Persona::DataScientist.role("ds", &no_buckets).unwrap_err().to_string();
    assert!(
        e.starts_with("invalid activity \"S3 Bucket Access\": needs at least one S3 bucket"),
        "{e}"
    );
    assert!(
        Persona::MlOps.role("mlops", &no_buckets).is_ok(),
        "MLOps needs no bucket"
    );
    let e = Persona::SageMakerCompute
        .role("compute", &no_buckets)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"Access Required AWS Services\": needs at least one S3 bucket"),
        "{e}"
    );
    let no_roles = RoleInputs::builder().s3_bucket("ml-data").build().unwrap();
    assert!(
        Persona::SageMakerCompute.role("compute", &no_roles).is_ok(),
        "the compute role passes nothing"
    );
    let e = Persona::MlOps.role("mlops", &no_roles).unwrap_err().to_string();
    assert!(e.contains("needs at least one pass role"), "{e}");
}

#[test]
fn custom_persona_drops_repeated_activities() {
    let inputs = base().build().unwrap();
    let twice = Persona::Custom(vec![Activity::ManageExperiments, Activity::ManageExperiments]);
    assert_eq!(
        twice.statements(&inputs).unwrap(),
        Activity::ManageExperiments.statements(&inputs).unwrap()
    );
}

#[test]
fn every_activity_at_once_has_unique_sids_and_splits_to_fit() {
    let inputs = kms(vpc(base()))
        .s3_buckets(["shared/team-a", "shared/team-b"])
        .athena_workgroups(["primary", "analysts"])
        .build()
        .unwrap();
    let everything = Persona::Custom(Activity::ALL.to_vec());
    let statements = everything.statements(&inputs).unwrap();
    let mut sids = sids(&statements);
    sids.sort();
    let count = sids.len();
    sids.dedup();
    assert_eq!(sids.len(), count, "Sids are unique across all activities");

    let whole = iam_size(&PolicyDocument::new(statements.clone()));
    assert!(
        whole > 6_144,
        "the test needs a policy too large for one managed policy ({whole})"
    );
    let role = everything.role("ml-superuser", &inputs).unwrap();
    assert!(role.managed_policies.len() >= 2);
    let names: Vec<_> = role.managed_policies.iter().map(|p| p.name.as_str()).collect();
    let expected: Vec<String> = (1..=names.len()).map(|i| format!("ml-superuser-{i}")).collect();
    assert_eq!(names, expected);
    let rejoined: Vec<Statement> = role
        .managed_policies
        .iter()
        .flat_map(|p| p.document.statements.iter().cloned())
        .collect();
    assert_eq!(rejoined, statements, "statements kept whole and in order");
    assert!(lint::check_role(&role).is_empty(), "{:?}", lint::check_role(&role));
    for policy in &role.managed_policies {
        assert_emittable(PolicyKind::Managed, &policy.name, &policy.document);
    }
    assert_emittable(PolicyKind::Trust, "ml-superuser", &role.trust_policy);
}

#[test]
fn splitting_respects_configured_quotas() {
    let inputs = kms(vpc(base())).build().unwrap();
    let tight = Quotas {
        managed_policy_chars: 2_000,
        managed_policies_per_role: 3,
        ..Quotas::default()
    };
    let e = Persona::DataScientist
        .role_with_quotas("ds", &inputs, &tight)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("invalid policy \"ds\": needs "), "{e}");
    assert!(e.contains("more than the 3 a role may have attached"), "{e}");
    let roomy = Quotas {
        managed_policy_chars: 2_000,
        managed_policies_per_role: 20,
        ..Quotas::default()
    };
    let role = Persona::DataScientist.role_with_quotas("ds", &inputs, &roomy).unwrap();
    assert!(role.managed_policies.len() > 3);
    assert!(roomy.check_role(&role).is_empty());
}

#[test]
fn personas_with_guardrails_lint_clean_in_every_variant() {
    let guardrails = Guardrail::combined(&[
        Guardrail::instance_types(["ml.t3.*", "ml.m5.*"]).unwrap(),
        Guardrail::vpc_only_domains(),
    ]);
    for (variant, inputs) in variants() {
        for persona in [Persona::DataScientist, Persona::MlOps, Persona::SageMakerCompute] {
            let role = persona
                .role("role", &inputs)
                .unwrap()
                .with_inline_policy("guardrails", guardrails.clone());
            let violations = lint::check_role(&role);
            assert!(violations.is_empty(), "{} ({variant}): {violations:?}", persona.name());
            for (name, document) in role.documents() {
                assert_eq!(
                    &PolicyDocument::from_json(&document.to_json()).unwrap(),
                    document,
                    "{name}"
                );
            }
        }
    }
}
