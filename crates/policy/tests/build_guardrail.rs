//! Guardrails and SCPs: exact statements, and their effect on requests, run
//! through the crate's policy evaluator next to an allow-everything policy.
#![allow(clippy::unwrap_used, missing_docs)]

mod build_support;

use build_support::*;
use serde_json::json;
use studio_fed_policy::build::{Guardrail, PROFILE_FROM_SESSION_TAG, RoleInputs, scp};
use studio_fed_policy::eval::{Context, Outcome, PolicySet, Request};
use studio_fed_policy::lint::PolicyKind;
use studio_fed_policy::{ConditionOperator, Operator, PolicyDocument, Statement};

fn allow_all() -> PolicyDocument {
    PolicyDocument::new([Statement::allow().with_actions(["*"]).with_resources(["*"])])
}

/// The outcome of `action` on `resource` with the given context under an
/// allow-everything identity policy plus `guardrail`.
fn outcome(guardrail: &PolicyDocument, action: &str, resource: &str, context: &[(&str, &str)]) -> Outcome {
    let evaluator = PolicySet::new()
        .identity("allow-all", allow_all())
        .identity("guardrail", guardrail.clone())
        .compile();
    evaluator.evaluate(&request(action, resource, context)).outcome
}

/// Like [`outcome`] but with only the guardrail (for `Allow` guardrails).
fn alone(guardrail: &PolicyDocument, action: &str, resource: &str, context: &[(&str, &str)]) -> Outcome {
    let evaluator = PolicySet::new().identity("guardrail", guardrail.clone()).compile();
    evaluator.evaluate(&request(action, resource, context)).outcome
}

fn request(action: &str, resource: &str, context: &[(&str, &str)]) -> Request {
    let mut ctx = Context::new();
    for (key, value) in context {
        ctx.insert_parsed(key, value).unwrap();
    }
    Request::new(action, resource).with_context(ctx)
}

/// `sagemaker:InstanceTypes` with these values.
fn types<'a>(list: &[&'a str]) -> Vec<(&'static str, &'a str)> {
    list.iter().map(|t| ("sagemaker:InstanceTypes", *t)).collect()
}

const TRAINING_JOB: &str = "arn:aws:sagemaker:us-east-1:123456789012:training-job/run-1";
const APP: &str = "arn:aws:sagemaker:us-east-1:123456789012:app/d-abc123/alice/jupyterlab/default";
const ALICE: &str = "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abc123/alice";
const BOB: &str = "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abc123/bob";
const PRESIGN: &str = "sagemaker:CreatePresignedDomainUrl";

#[test]
fn instance_types_deny_when_any_type_is_outside_and_never_when_all_are_inside() {
    let policy = Guardrail::instance_types(["ml.t3.medium", "ml.g5.*"])
        .unwrap()
        .document();
    let train = |list: &[&str]| outcome(&policy, "sagemaker:CreateTrainingJob", TRAINING_JOB, &types(list));
    assert_eq!(train(&["ml.t3.medium"]), Outcome::Allow);
    assert_eq!(train(&["ml.t3.medium", "ml.g5.2xlarge"]), Outcome::Allow);
    assert_eq!(train(&["ml.p4d.24xlarge"]), Outcome::ExplicitDeny);
    assert_eq!(
        train(&["ml.t3.medium", "ml.p4d.24xlarge"]),
        Outcome::ExplicitDeny,
        "one outside is enough"
    );
    assert_eq!(
        train(&[]),
        Outcome::Allow,
        "requests without instance types are not denied"
    );
    assert_eq!(
        outcome(
            &policy,
            "sagemaker:CreateEndpointConfig",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/x",
            &types(&["ml.t3.medium", "ml.c5.xlarge"])
        ),
        Outcome::ExplicitDeny
    );

    let app = |list: &[&str]| outcome(&policy, "sagemaker:CreateApp", APP, &types(list));
    assert_eq!(app(&["system"]), Outcome::Allow, "the default JupyterServer app starts");
    assert_eq!(app(&["ml.g5.xlarge"]), Outcome::Allow);
    assert_eq!(app(&["ml.m5.large"]), Outcome::ExplicitDeny);
    assert_eq!(
        outcome(
            &policy,
            "sagemaker:CreateTrainingJob",
            TRAINING_JOB,
            &types(&["system"])
        ),
        Outcome::ExplicitDeny,
        "system is a Studio type only"
    );
}

#[test]
fn the_for_all_values_form_would_miss_mixed_requests() {
    // Why the deny is ForAnyValue: a ForAllValues:StringNotLike deny fires only
    // when every requested type is outside the allowlist.
    let wrong = PolicyDocument::new([Statement::deny()
        .with_actions(["sagemaker:CreateTrainingJob"])
        .with_resources(["*"])
        .with_condition(
            ConditionOperator::for_all_values(Operator::StringNotLike),
            "sagemaker:InstanceTypes",
            ["ml.t3.medium"],
        )]);
    let mixed = [
        ("sagemaker:InstanceTypes", "ml.t3.medium"),
        ("sagemaker:InstanceTypes", "ml.p4d.24xlarge"),
    ];
    assert_eq!(
        outcome(&wrong, "sagemaker:CreateTrainingJob", TRAINING_JOB, &mixed),
        Outcome::Allow
    );
    let right = Guardrail::instance_types(["ml.t3.medium"]).unwrap().document();
    assert_eq!(
        outcome(&right, "sagemaker:CreateTrainingJob", TRAINING_JOB, &mixed),
        Outcome::ExplicitDeny
    );
}

#[test]
fn instance_type_statements_are_exact() {
    let statements = Guardrail::instance_types_for(["ml.t3.medium"], ["ml.m5.xlarge"])
        .unwrap()
        .statements();
    assert_eq!(
        sids(&statements),
        [
            "DenyStudioInstanceTypesOutsideAllowlist",
            "DenyJobInstanceTypesOutsideAllowlist"
        ]
    );
    assert_eq!(
        actions(&statements[0]),
        sm(&[
            "CreateApp",
            "CreateSpace",
            "UpdateSpace",
            "CreateUserProfile",
            "UpdateUserProfile",
            "CreateDomain",
            "UpdateDomain"
        ])
    );
    assert_eq!(
        condition(&statements[0]),
        json!({"ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": ["ml.t3.medium", "system"]}})
    );
    assert_eq!(
        actions(&statements[1]),
        sm(&[
            "CreateTrainingJob",
            "CreateHyperParameterTuningJob",
            "CreateProcessingJob",
            "CreateTransformJob",
            "CreateEndpointConfig",
            "CreateMonitoringSchedule",
            "CreateNotebookInstance"
        ])
    );
    assert_eq!(
        condition(&statements[1]),
        json!({"ForAnyValue:StringNotLike": {"sagemaker:InstanceTypes": "ml.m5.xlarge"}})
    );
}

#[test]
fn studio_only_from_cidrs() {
    let policy = Guardrail::studio_from_cidrs(["203.0.113.0/24"]).unwrap().document();
    assert_eq!(
        actions(&policy.statements[0]),
        [PRESIGN, "sagemaker:DescribeUserProfile"]
    );
    assert_eq!(
        condition(&policy.statements[0]),
        json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    );
    assert_eq!(
        outcome(&policy, PRESIGN, ALICE, &[("aws:SourceIp", "203.0.113.9")]),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&policy, PRESIGN, ALICE, &[("aws:SourceIp", "198.51.100.9")]),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(
            &policy,
            "sagemaker:DescribeUserProfile",
            ALICE,
            &[("aws:SourceIp", "198.51.100.9")]
        ),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(&policy, "sagemaker:ListApps", "*", &[("aws:SourceIp", "198.51.100.9")]),
        Outcome::Allow
    );
}

#[test]
fn studio_only_from_a_vpc() {
    let policy = Guardrail::studio_from_vpc(["10.0.0.0/16"], ["vpc-0a1b2c3d"])
        .unwrap()
        .document();
    let inside = [("aws:VpcSourceIp", "10.0.4.5"), ("aws:SourceVpc", "vpc-0a1b2c3d")];
    assert_eq!(outcome(&policy, PRESIGN, ALICE, &inside), Outcome::Allow);
    assert_eq!(
        outcome(
            &policy,
            PRESIGN,
            ALICE,
            &[("aws:VpcSourceIp", "10.1.4.5"), ("aws:SourceVpc", "vpc-0a1b2c3d")]
        ),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(
            &policy,
            PRESIGN,
            ALICE,
            &[("aws:VpcSourceIp", "10.0.4.5"), ("aws:SourceVpc", "vpc-99999999")]
        ),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(&policy, PRESIGN, ALICE, &[("aws:SourceIp", "10.0.4.5")]),
        Outcome::ExplicitDeny,
        "not through a VPC"
    );
}

#[test]
fn studio_only_from_vpc_endpoints() {
    let policy = Guardrail::studio_from_vpc_endpoints(["vpce-0a1b2c3d4e5f60718"])
        .unwrap()
        .document();
    assert_eq!(
        condition(&policy.statements[0]),
        json!({"StringNotEquals": {"aws:sourceVpce": "vpce-0a1b2c3d4e5f60718"}})
    );
    assert_eq!(
        outcome(&policy, PRESIGN, ALICE, &[("aws:SourceVpce", "vpce-0a1b2c3d4e5f60718")]),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&policy, PRESIGN, ALICE, &[("aws:SourceVpce", "vpce-11111111")]),
        Outcome::ExplicitDeny
    );
    assert_eq!(outcome(&policy, PRESIGN, ALICE, &[]), Outcome::ExplicitDeny);
}

#[test]
fn own_user_profile_by_name() {
    let inputs = base().build().unwrap();
    let policy = Guardrail::own_user_profile(&inputs, Some("d-abc123"), PROFILE_FROM_SESSION_TAG)
        .unwrap()
        .document();
    assert_eq!(
        resources(&policy.statements[0]),
        ["arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-abc123/${aws:PrincipalTag/studiouserid}"]
    );
    let tagged = [("aws:PrincipalTag/studiouserid", "alice")];
    assert_eq!(alone(&policy, PRESIGN, ALICE, &tagged), Outcome::Allow);
    assert_eq!(alone(&policy, PRESIGN, BOB, &tagged), Outcome::ImplicitDeny);
    assert_eq!(
        alone(&policy, PRESIGN, ALICE, &[]),
        Outcome::ImplicitDeny,
        "untagged sessions get nothing"
    );
}

#[test]
fn own_user_profile_by_tag() {
    let inputs = base().build().unwrap();
    let guardrail = Guardrail::own_user_profile_by_tag(&inputs, None).unwrap();
    let statements = guardrail.statements();
    assert_eq!(
        condition(by_sid(&statements, "AllowPresignedUrlOwnTaggedProfile")),
        json!({"StringEquals": {"sagemaker:ResourceTag/studiouserid": "${aws:PrincipalTag/studiouserid}"}})
    );
    assert_eq!(
        condition(by_sid(&statements, "AllowCreateUserProfileWithUserTag")),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "studiouserid"}})
    );
    let policy = guardrail.document();
    let alice_session = |profile_owner: &str| {
        alone(
            &policy,
            PRESIGN,
            ALICE,
            &[
                ("aws:PrincipalTag/studiouserid", "alice"),
                ("sagemaker:ResourceTag/studiouserid", profile_owner),
            ],
        )
    };
    assert_eq!(alice_session("alice"), Outcome::Allow);
    assert_eq!(alice_session("bob"), Outcome::ImplicitDeny);
    let create = |keys: &[&str]| {
        let context: Vec<_> = keys.iter().map(|k| ("aws:TagKeys", *k)).collect();
        alone(&policy, "sagemaker:CreateUserProfile", ALICE, &context)
    };
    assert_eq!(create(&["studiouserid", "team"]), Outcome::Allow);
    assert_eq!(create(&["team"]), Outcome::ImplicitDeny);
}

#[test]
fn vpc_only_domains() {
    let policy = Guardrail::vpc_only_domains().document();
    let domain = "arn:aws:sagemaker:us-east-1:123456789012:domain/d-abc123";
    let create = |context: &[(&str, &str)]| outcome(&policy, "sagemaker:CreateDomain", domain, context);
    let vpc_only = [
        ("sagemaker:AppNetworkAccessType", "VpcOnly"),
        ("sagemaker:VpcSubnets", SUBNET),
        ("sagemaker:VpcSecurityGroupIds", SECURITY_GROUP),
    ];
    assert_eq!(create(&vpc_only), Outcome::Allow);
    assert_eq!(
        create(&[
            ("sagemaker:AppNetworkAccessType", "PublicInternetOnly"),
            vpc_only[1],
            vpc_only[2]
        ]),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        create(&[vpc_only[1], vpc_only[2]]),
        Outcome::ExplicitDeny,
        "the default is public"
    );
    assert_eq!(
        create(&[vpc_only[0], vpc_only[1]]),
        Outcome::ExplicitDeny,
        "no security groups"
    );
    assert_eq!(create(&[vpc_only[0], vpc_only[2]]), Outcome::ExplicitDeny, "no subnets");
}

#[test]
fn presigned_urls_for_admins_only() {
    let policy = Guardrail::presigned_url_admins_only(["arn:aws:iam::123456789012:role/studio-fed-gateway*"])
        .unwrap()
        .document();
    assert_eq!(
        condition(&policy.statements[0]),
        json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/studio-fed-gateway*"}})
    );
    let by = |principal: &str| outcome(&policy, PRESIGN, ALICE, &[("aws:PrincipalArn", principal)]);
    assert_eq!(
        by("arn:aws:iam::123456789012:role/studio-fed-gateway-prod"),
        Outcome::Allow
    );
    assert_eq!(
        by("arn:aws:iam::123456789012:role/DataScientist"),
        Outcome::ExplicitDeny
    );
}

#[test]
fn scps_from_guardrails_restrict_through_the_organization() {
    let guardrails = [
        Guardrail::instance_types(["ml.t3.medium"]).unwrap(),
        Guardrail::vpc_only_domains(),
        Guardrail::studio_from_vpc_endpoints(["vpce-0a1b2c3d4e5f60718"]).unwrap(),
        Guardrail::presigned_url_admins_only(["arn:aws:iam::*:role/studio-fed-*"]).unwrap(),
    ];
    let policy = scp::from_guardrails("studio-guardrails", &guardrails).unwrap();
    assert!(policy.statements.iter().all(|s| s.principals.is_none()));
    assert_emittable(PolicyKind::Scp, "studio-guardrails", &policy);
    let evaluator = PolicySet::new()
        .identity("allow-all", allow_all())
        .scp_level([("FullAWSAccess", scp::full_aws_access()), ("studio-guardrails", policy)])
        .compile();
    let mixed = request(
        "sagemaker:CreateTrainingJob",
        TRAINING_JOB,
        &[
            ("sagemaker:InstanceTypes", "ml.t3.medium"),
            ("sagemaker:InstanceTypes", "ml.p5.48xlarge"),
        ],
    );
    assert_eq!(evaluator.evaluate(&mixed).outcome, Outcome::ExplicitDeny);
    let fine = request(
        "sagemaker:CreateTrainingJob",
        TRAINING_JOB,
        &[("sagemaker:InstanceTypes", "ml.t3.medium")],
    );
    assert_eq!(evaluator.evaluate(&fine).outcome, Outcome::Allow);
}

#[test]
fn presigned_url_network_scp() {
    let policy = scp::presigned_url_from_vpc(["10.20.0.0/16"]).unwrap();
    assert_eq!(
        policy.to_value()["Statement"][0],
        json!({
            "Sid": "DenyPresignedUrlOutsideVpcCidrs",
            "Effect": "Deny",
            "Action": PRESIGN,
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:VpcSourceIp": "10.20.0.0/16"}}
        })
    );
    assert_emittable(PolicyKind::Scp, "presigned-url-network", &policy);
    let evaluator = PolicySet::new()
        .identity("allow-all", allow_all())
        .scp_level([("FullAWSAccess", scp::full_aws_access()), ("network", policy)])
        .compile();
    assert_eq!(
        evaluator
            .evaluate(&request(PRESIGN, ALICE, &[("aws:VpcSourceIp", "10.20.1.1")]))
            .outcome,
        Outcome::Allow
    );
    assert_eq!(
        evaluator
            .evaluate(&request(PRESIGN, ALICE, &[("aws:SourceIp", "198.51.100.1")]))
            .outcome,
        Outcome::ExplicitDeny
    );
}

#[test]
fn combined_guardrails_lint_clean_round_trip_and_keep_each_statement_once() {
    let inputs = RoleInputs::default();
    let guardrails = [
        Guardrail::instance_types(["ml.t3.*"]).unwrap(),
        Guardrail::instance_types(["ml.t3.*"]).unwrap(),
        Guardrail::studio_from_cidrs(["203.0.113.0/24"]).unwrap(),
        Guardrail::own_user_profile_by_tag(&inputs, Some("d-abc123")).unwrap(),
        Guardrail::vpc_only_domains(),
    ];
    let policy = Guardrail::combined(&guardrails);
    assert_eq!(policy.statements.len(), 2 + 1 + 3 + 3);
    assert_emittable(PolicyKind::Managed, "guardrails", &policy);
    let mut sids = sids(&policy.statements);
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), policy.statements.len());
}
