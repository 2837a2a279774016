//! Fixtures shared by the builder tests.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use studio_fed_policy::build::{RoleInputs, RoleInputsBuilder};
use studio_fed_policy::lint::{self, PolicyKind};
use studio_fed_policy::{PolicyDocument, Statement};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const ARN_STAR: &str = "arn:aws:sagemaker:us-east-1:123456789012:*/*";
pub const PASS_ROLE: &str = "arn:aws:iam::123456789012:role/ml-compute";
pub const ECR_REPO: &str = "arn:aws:ecr:us-east-1:123456789012:repository/training-image";
pub const DATA_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-22bb-33cc-44dd-5555eeee6666";
pub const VOLUME_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/7777aaaa-88bb-99cc-00dd-1111eeee2222";
pub const SUBNET: &str = "subnet-0a1b2c3d4e5f60718";
pub const SECURITY_GROUP: &str = "sg-0a1b2c3d4e5f60718";

/// Region, account, one bucket, one pass role, one ECR repository and one Glue database.
pub fn base() -> RoleInputsBuilder {
    RoleInputs::builder()
        .region(REGION)
        .account(ACCOUNT)
        .s3_bucket("ml-data")
        .pass_role(PASS_ROLE)
        .ecr_repositories([ECR_REPO])
        .glue_databases(["features"])
}

pub fn vpc(builder: RoleInputsBuilder) -> RoleInputsBuilder {
    builder.subnets([SUBNET]).security_groups([SECURITY_GROUP])
}

pub fn kms(builder: RoleInputsBuilder) -> RoleInputsBuilder {
    builder.data_kms_keys([DATA_KEY]).volume_kms_keys([VOLUME_KEY])
}

/// Every combination of network and encryption inputs, with and without a known region and account.
pub fn variants() -> Vec<(&'static str, RoleInputs)> {
    let unscoped = || {
        RoleInputs::builder()
            .s3_buckets(["ml-data", "shared/team-a"])
            .pass_role(PASS_ROLE)
            .glue_databases(["features"])
    };
    vec![
        ("base", base().build().unwrap()),
        ("vpc", vpc(base()).build().unwrap()),
        ("kms", kms(base()).build().unwrap()),
        ("vpc+kms", kms(vpc(base())).build().unwrap()),
        ("unscoped", unscoped().build().unwrap()),
        ("unscoped vpc+kms", kms(vpc(unscoped())).build().unwrap()),
    ]
}

/// Asserts a document passes the linter for its kind and round-trips through JSON.
pub fn assert_emittable(kind: PolicyKind, name: &str, document: &PolicyDocument) {
    if let Some(violation) = lint::check_document(kind, name, document) {
        panic!("{violation}");
    }
    assert_eq!(
        &PolicyDocument::from_json(&document.to_json()).unwrap(),
        document,
        "{name}"
    );
}

/// The statement with this Sid.
pub fn by_sid<'a>(statements: &'a [Statement], sid: &str) -> &'a Statement {
    statements
        .iter()
        .find(|s| s.sid.as_deref() == Some(sid))
        .unwrap_or_else(|| panic!("no statement {sid:?} in {:?}", sids(statements)))
}

pub fn sids(statements: &[Statement]) -> Vec<&str> {
    statements.iter().map(|s| s.sid.as_deref().unwrap_or("")).collect()
}

pub fn actions(statement: &Statement) -> Vec<&str> {
    statement.actions.patterns().iter().map(String::as_str).collect()
}

pub fn resources(statement: &Statement) -> Vec<&str> {
    statement
        .resources
        .as_ref()
        .map(|r| r.patterns().iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// `sagemaker:` + each name.
pub fn sm(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("sagemaker:{n}")).collect()
}

/// The statement's `Condition` element as JSON (`null` when it has none).
pub fn condition(statement: &Statement) -> Value {
    PolicyDocument::new([statement.clone()]).to_value()["Statement"][0]["Condition"].clone()
}
