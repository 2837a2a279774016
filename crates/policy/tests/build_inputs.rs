//! Validated inputs: defaults, narrowing, and errors that name the field and the value.
#![allow(clippy::unwrap_used, missing_docs)]

mod build_support;

use build_support::*;
use studio_fed_policy::Error;
use studio_fed_policy::build::RoleInputs;

fn error(builder: studio_fed_policy::build::RoleInputsBuilder) -> (String, String, String) {
    match builder.build().unwrap_err() {
        Error::Input { field, value, reason } => (field.to_owned(), value, reason),
        other => panic!("expected an input error, got {other:?}"),
    }
}

#[test]
fn defaults() {
    let inputs = RoleInputs::builder().build().unwrap();
    assert_eq!(inputs.partition(), "aws");
    assert_eq!(inputs.athena_workgroups(), ["primary"]);
    assert_eq!(inputs.sagemaker_arn_pattern(), "arn:aws:sagemaker:*:*:*/*");
    assert!(!inputs.has_vpc() && !inputs.has_kms());
    assert_eq!(inputs, RoleInputs::default());
}

#[test]
fn everything_set_is_kept_in_order_without_repeats() {
    let inputs = kms(vpc(base()))
        .pass_roles([PASS_ROLE, PASS_ROLE])
        .athena_workgroups(["analysts"])
        .build()
        .unwrap();
    assert_eq!(inputs.region(), Some(REGION));
    assert_eq!(inputs.account(), Some(ACCOUNT));
    assert_eq!(inputs.pass_roles(), [PASS_ROLE]);
    assert_eq!(inputs.ecr_repositories(), [ECR_REPO]);
    assert_eq!(
        (inputs.subnets(), inputs.security_groups()),
        (&[SUBNET.to_owned()][..], &[SECURITY_GROUP.to_owned()][..])
    );
    assert_eq!(
        (inputs.data_kms_keys(), inputs.volume_kms_keys()),
        (&[DATA_KEY.to_owned()][..], &[VOLUME_KEY.to_owned()][..])
    );
    assert_eq!(
        inputs.athena_workgroups(),
        ["analysts"],
        "an explicit list replaces the default"
    );
    assert_eq!(inputs.glue_databases(), ["features"]);
    assert_eq!(inputs.sagemaker_arn_pattern(), ARN_STAR);
    assert!(inputs.has_vpc() && inputs.has_kms());
}

#[test]
fn each_field_is_validated_and_named() {
    let cases: Vec<(studio_fed_policy::build::RoleInputsBuilder, &str, &str, &str)> = vec![
        (
            RoleInputs::builder().partition("aws-iso"),
            "partition",
            "aws-iso",
            "expected aws, aws-cn or aws-us-gov",
        ),
        (
            RoleInputs::builder().region("virginia"),
            "region",
            "virginia",
            "expected a region name such as us-east-1",
        ),
        (
            RoleInputs::builder().account("1234567890123"),
            "account",
            "1234567890123",
            "expected a 12-digit AWS account id",
        ),
        (
            RoleInputs::builder().s3_bucket("ab"),
            "s3 bucket",
            "ab",
            "expected an S3 bucket name",
        ),
        (
            RoleInputs::builder().s3_bucket("ml-data//x"),
            "s3 bucket",
            "ml-data//x",
            "empty path segment",
        ),
        (
            RoleInputs::builder().s3_bucket("ml-data/*"),
            "s3 bucket",
            "ml-data/*",
            "contains '*'",
        ),
        (
            RoleInputs::builder().pass_role("ml-compute"),
            "pass role",
            "ml-compute",
            "expected an ARN of the form arn:partition:iam::account:role/",
        ),
        (
            RoleInputs::builder().ecr_repositories(["arn:aws:ecr:us-east-1:123456789012:image/x"]),
            "ECR repository",
            "arn:aws:ecr:us-east-1:123456789012:image/x",
            "repository/",
        ),
        (
            RoleInputs::builder()
                .data_kms_keys(["arn:aws:kms:us-east-1:123456789012:alias/data"])
                .volume_kms_keys([VOLUME_KEY]),
            "data KMS key",
            "arn:aws:kms:us-east-1:123456789012:alias/data",
            "key/",
        ),
        (
            RoleInputs::builder().subnets([SUBNET]).security_groups(["sg-12"]),
            "VPC security group",
            "sg-12",
            "expected sg- followed by 8 or 17 lowercase hex digits",
        ),
        (
            RoleInputs::builder().athena_workgroups(["my workgroup"]),
            "Athena workgroup",
            "my workgroup",
            "contains ' '",
        ),
        (
            RoleInputs::builder().glue_databases(["db;drop"]),
            "Glue database",
            "db;drop",
            "contains ';'",
        ),
    ];
    for (builder, field, value, reason) in cases {
        let (f, v, r) = error(builder);
        assert_eq!((f.as_str(), v.as_str()), (field, value));
        assert!(r.contains(reason), "{field}: {r}");
    }
}

#[test]
fn pairs_come_together() {
    let (field, value, reason) = error(RoleInputs::builder().security_groups([SECURITY_GROUP]));
    assert_eq!(
        (field.as_str(), value.as_str()),
        ("VPC security groups", SECURITY_GROUP)
    );
    assert_eq!(reason, "given without VPC subnets; give both or neither");
    let (field, value, _) = error(RoleInputs::builder().data_kms_keys([DATA_KEY]));
    assert_eq!((field.as_str(), value.as_str()), ("data KMS keys", DATA_KEY));
}

#[test]
fn error_messages_read_as_sentences() {
    let e = RoleInputs::builder().region("useast1").build().unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid region \"useast1\": expected a region name such as us-east-1"
    );
}

#[test]
fn other_partitions_shape_every_arn() {
    let inputs = RoleInputs::builder()
        .partition("aws-cn")
        .region("cn-north-1")
        .account(ACCOUNT)
        .pass_role("arn:aws-cn:iam::123456789012:role/ml")
        .s3_bucket("ml-data")
        .build()
        .unwrap();
    assert_eq!(
        inputs.sagemaker_arn_pattern(),
        "arn:aws-cn:sagemaker:cn-north-1:123456789012:*/*"
    );
    let statements = studio_fed_policy::build::Activity::S3BucketAccess
        .statements(&inputs)
        .unwrap();
    assert_eq!(resources(&statements[0]), ["arn:aws-cn:s3:::ml-data"]);
}
