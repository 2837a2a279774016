//! Role Manager activities: exact actions, resources and conditions per
//! activity and variant, required inputs, and that everything emitted lints
//! clean and round-trips.
#![allow(clippy::unwrap_used, missing_docs)]

mod build_support;

use build_support::*;
use serde_json::json;
use studio_fed_policy::Statement;
use studio_fed_policy::build::{Activity, RoleInputs};
use studio_fed_policy::lint::PolicyKind;

fn statements(activity: Activity, inputs: &RoleInputs) -> Vec<Statement> {
    activity.statements(inputs).unwrap()
}

fn vpc_block() -> serde_json::Value {
    json!({
        "ForAllValues:StringEquals": {"sagemaker:VpcSubnets": SUBNET, "sagemaker:VpcSecurityGroupIds": SECURITY_GROUP},
        "Null": {"sagemaker:VpcSubnets": "false", "sagemaker:VpcSecurityGroupIds": "false"}
    })
}

fn kms_block() -> serde_json::Value {
    json!({"StringEquals": {"sagemaker:VolumeKmsKey": VOLUME_KEY, "sagemaker:OutputKmsKey": DATA_KEY}})
}

fn vpc_and_kms_block() -> serde_json::Value {
    let mut block = vpc_block();
    block["StringEquals"] = kms_block()["StringEquals"].clone();
    block
}

fn assert_pass_role(statements: &[Statement]) {
    let pass = by_sid(statements, "PassRoleToSageMaker");
    assert_eq!(actions(pass), ["iam:PassRole"]);
    assert_eq!(resources(pass), [PASS_ROLE]);
    assert_eq!(
        condition(pass),
        json!({"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}})
    );
}

fn assert_grant(statements: &[Statement]) {
    let grant = by_sid(statements, "KmsCreateGrantForSageMaker");
    assert_eq!(actions(grant), ["kms:CreateGrant"]);
    assert_eq!(resources(grant), [VOLUME_KEY]);
    assert_eq!(
        condition(grant),
        json!({"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringLike": {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"}})
    );
}

fn has_sid(statements: &[Statement], sid: &str) -> bool {
    statements.iter().any(|s| s.sid.as_deref() == Some(sid))
}

#[test]
fn run_studio_apps_base_and_kms() {
    let plain = statements(Activity::RunStudioApps, &base().build().unwrap());
    assert_eq!(
        sids(&plain),
        ["RunStudioAppsAllow", "RunStudioAppsList", "PassRoleToSageMaker"]
    );
    let allow = by_sid(&plain, "RunStudioAppsAllow");
    assert_eq!(
        actions(allow),
        sm(&[
            "CreateApp",
            "CreateAppImageConfig",
            "UpdateAppImageConfig",
            "DeleteApp",
            "DeleteAppImageConfig",
            "DescribeApp",
            "DescribeAppImageConfig",
            "DescribeDomain",
            "DescribeUserProfile"
        ])
    );
    assert_eq!(resources(allow), [ARN_STAR]);
    let list = by_sid(&plain, "RunStudioAppsList");
    assert_eq!(
        actions(list),
        sm(&["ListApps", "ListAppImageConfigs", "ListDomains", "ListUserProfiles"])
    );
    assert_eq!(resources(list), ["*"]);
    assert_pass_role(&plain);

    // VPC inputs change nothing: the activity has no VPC variant.
    assert_eq!(
        statements(Activity::RunStudioApps, &vpc(base()).build().unwrap()),
        plain
    );

    let with_kms = statements(Activity::RunStudioApps, &kms(base()).build().unwrap());
    assert_eq!(&with_kms[..3], &plain[..]);
    assert_grant(&with_kms);
    let describe = by_sid(&with_kms, "KmsDescribeVolumeKeys");
    assert_eq!(
        (actions(describe), resources(describe)),
        (vec!["kms:DescribeKey"], vec![VOLUME_KEY])
    );
    let data = by_sid(&with_kms, "KmsDataKeysViaS3");
    assert_eq!(actions(data), ["kms:Decrypt", "kms:GenerateDataKey"]);
    assert_eq!(resources(data), [DATA_KEY]);
    assert_eq!(
        condition(data),
        json!({"StringLike": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}})
    );
}

#[test]
fn run_studio_apps_owner_scoped_form() {
    let s = statements(Activity::RunStudioAppsOwnerScoped, &RoleInputs::default());
    let own_profile = "arn:aws:sagemaker:*:*:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}";
    let presign = by_sid(&s, "StudioPresignedUrlOwnProfile");
    assert_eq!(resources(presign), [own_profile]);
    let outside = by_sid(&s, "StudioAppsOutsideSpaces");
    assert_eq!(actions(outside), sm(&["CreateApp", "DeleteApp"]));
    assert_eq!(
        condition(outside),
        json!({"Null": {"sagemaker:OwnerUserProfileArn": "true"}})
    );
    let tags = by_sid(&s, "StudioAddTagsOnCreate");
    assert_eq!(resources(tags), ["arn:aws:sagemaker:*:*:*/*"]);
    assert_eq!(condition(tags), json!({"Null": {"sagemaker:TaggingAction": "false"}}));
    let own_spaces = by_sid(&s, "StudioOwnSpaces");
    assert_eq!(actions(own_spaces), sm(&["CreateSpace", "UpdateSpace", "DeleteSpace"]));
    assert_eq!(
        resources(own_spaces),
        ["arn:aws:sagemaker:*:*:space/${sagemaker:DomainId}/*"]
    );
    assert_eq!(
        condition(own_spaces),
        json!({"ArnLike": {"sagemaker:OwnerUserProfileArn": own_profile}, "StringEquals": {"sagemaker:SpaceSharingType": ["Private", "Shared"]}})
    );
    let private = by_sid(&s, "StudioAppsInOwnPrivateSpaces");
    assert_eq!(
        resources(private),
        ["arn:aws:sagemaker:*:*:app/${sagemaker:DomainId}/*"]
    );
    assert_eq!(
        condition(private),
        json!({"ArnLike": {"sagemaker:OwnerUserProfileArn": own_profile}, "StringEquals": {"sagemaker:SpaceSharingType": "Private"}})
    );
    let shared = by_sid(&s, "StudioAppsInSharedSpaces");
    assert_eq!(
        resources(shared),
        ["arn:aws:sagemaker:*:*:app/${sagemaker:DomainId}/*/*/*"]
    );
    assert_eq!(
        condition(shared),
        json!({"StringEquals": {"sagemaker:SpaceSharingType": "Shared"}})
    );
    let describe = by_sid(&s, "StudioListAndDescribe");
    for action in sm(&[
        "ListSpaces",
        "DescribeSpace",
        "ListApps",
        "DescribeDomain",
        "ListUserProfiles",
    ]) {
        assert!(describe.actions.patterns().contains(&action), "{action}");
    }
    // No PassRole and no network or key inputs in this form.
    assert!(!has_sid(&s, "PassRoleToSageMaker"));
    assert_eq!(
        statements(
            Activity::RunStudioAppsOwnerScoped,
            &kms(vpc(RoleInputs::builder())).build().unwrap()
        ),
        s
    );
}

const JOB_CREATES: [&str; 5] = [
    "CreateTrainingJob",
    "CreateTransformJob",
    "CreateProcessingJob",
    "CreateAutoMLJob",
    "CreateHyperParameterTuningJob",
];

#[test]
fn manage_ml_jobs_base() {
    let s = statements(Activity::ManageMlJobs, &base().build().unwrap());
    assert_eq!(
        sids(&s),
        ["ManageMlJobsAllow", "ManageMlJobsList", "PassRoleToSageMaker"]
    );
    let allow = actions(by_sid(&s, "ManageMlJobsAllow"));
    for action in sm(&JOB_CREATES).iter().chain(&sm(&[
        "StopTrainingJob",
        "StopProcessingJob",
        "StopAutoMLJob",
        "StopHyperParameterTuningJob",
        "DescribeTrainingJob",
        "DescribeTransformJob",
        "DescribeProcessingJob",
        "DescribeAutoMLJob",
        "DescribeHyperParameterTuningJob",
        "UpdateTrainingJob",
        "BatchGetMetrics",
    ])) {
        assert!(allow.contains(&action.as_str()), "{action}");
    }
    assert_eq!(
        actions(by_sid(&s, "ManageMlJobsList")),
        sm(&[
            "Search",
            "ListTrainingJobs",
            "ListTransformJobs",
            "ListProcessingJobs",
            "ListAutoMLJobs",
            "ListCandidatesForAutoMLJob",
            "ListHyperParameterTuningJobs",
            "ListTrainingJobsForHyperParameterTuningJob"
        ])
    );
    assert_pass_role(&s);
}

#[test]
fn manage_ml_jobs_variants_move_the_five_creates() {
    for (inputs, block, grant) in [
        (vpc(base()), vpc_block(), false),
        (kms(base()), kms_block(), true),
        (kms(vpc(base())), vpc_and_kms_block(), true),
    ] {
        let s = statements(Activity::ManageMlJobs, &inputs.build().unwrap());
        let create = by_sid(&s, "ManageMlJobsCreate");
        assert_eq!(actions(create), sm(&JOB_CREATES));
        assert_eq!(resources(create), [ARN_STAR]);
        assert_eq!(condition(create), block);
        let rest = actions(by_sid(&s, "ManageMlJobsAllow"));
        assert!(rest.contains(&"sagemaker:StopTransformJob"));
        for create in sm(&JOB_CREATES) {
            assert!(
                !rest.contains(&create.as_str()),
                "{create} must only be allowed under the conditions"
            );
        }
        assert_eq!(has_sid(&s, "KmsCreateGrantForSageMaker"), grant);
        if grant {
            assert_grant(&s);
        }
        assert_pass_role(&s);
    }
}

#[test]
fn manage_models_vpc_conditions_create_model_only() {
    let base_s = statements(Activity::ManageModels, &base().build().unwrap());
    assert!(actions(by_sid(&base_s, "ManageModelsAllow")).contains(&"sagemaker:CreateModel"));
    assert_eq!(
        actions(by_sid(&base_s, "ManageModelsList")),
        sm(&["ListModels", "ListModelPackages", "ListModelPackageGroups"])
    );
    assert_pass_role(&base_s);

    let s = statements(Activity::ManageModels, &kms(vpc(base())).build().unwrap());
    let create = by_sid(&s, "ManageModelsCreateModel");
    assert_eq!(actions(create), ["sagemaker:CreateModel"]);
    assert_eq!(condition(create), vpc_block(), "CreateModel has no KMS keys");
    assert_eq!(
        actions(by_sid(&s, "ManageModelsAllow")),
        sm(&[
            "CreateModelPackage",
            "CreateModelPackageGroup",
            "DescribeModel",
            "DescribeModelPackage",
            "DescribeModelPackageGroup",
            "BatchDescribeModelPackage",
            "UpdateModelPackage",
            "DeleteModel",
            "DeleteModelPackage",
            "DeleteModelPackageGroup"
        ])
    );
    assert!(!has_sid(&s, "KmsCreateGrantForSageMaker"));
    // KMS alone changes nothing.
    assert_eq!(
        statements(Activity::ManageModels, &kms(base()).build().unwrap()),
        base_s
    );
}

#[test]
fn manage_endpoints_kms_conditions_create_endpoint_config_on_the_volume_key() {
    let base_s = statements(Activity::ManageEndpoints, &base().build().unwrap());
    assert_eq!(
        sids(&base_s),
        ["ManageEndpointsAllow", "ManageEndpointsList"],
        "no PassRole"
    );
    assert_eq!(
        actions(by_sid(&base_s, "ManageEndpointsAllow")),
        sm(&[
            "CreateEndpointConfig",
            "CreateEndpoint",
            "DeleteEndpointConfig",
            "DeleteEndpoint",
            "UpdateEndpoint",
            "UpdateEndpointWeightsAndCapacities",
            "DescribeEndpoint",
            "DescribeEndpointConfig"
        ])
    );
    assert_eq!(
        actions(by_sid(&base_s, "ManageEndpointsList")),
        sm(&["ListEndpoints", "ListEndpointConfigs"])
    );
    assert_eq!(
        statements(Activity::ManageEndpoints, &vpc(base()).build().unwrap()),
        base_s
    );

    let s = statements(Activity::ManageEndpoints, &kms(base()).build().unwrap());
    let config = by_sid(&s, "ManageEndpointsCreateConfig");
    assert_eq!(actions(config), ["sagemaker:CreateEndpointConfig"]);
    assert_eq!(
        condition(config),
        json!({"StringEquals": {"sagemaker:VolumeKmsKey": VOLUME_KEY}})
    );
    assert!(!actions(by_sid(&s, "ManageEndpointsAllow")).contains(&"sagemaker:CreateEndpointConfig"));
    assert_grant(&s);
}

#[test]
fn manage_pipelines_and_experiments() {
    let inputs = kms(vpc(base())).build().unwrap();
    let p = statements(Activity::ManagePipelines, &inputs);
    assert_eq!(
        sids(&p),
        ["ManagePipelinesAllow", "ManagePipelinesList", "PassRoleToSageMaker"]
    );
    assert_eq!(actions(&p[0]).len(), 11);
    assert!(actions(&p[0]).contains(&"sagemaker:SendPipelineExecutionStepFailure"));
    assert_eq!(
        actions(&p[1]),
        sm(&[
            "ListPipelines",
            "ListPipelineExecutions",
            "ListPipelineExecutionSteps",
            "ListPipelineParametersForExecution"
        ])
    );

    let e = statements(Activity::ManageExperiments, &inputs);
    assert_eq!(sids(&e), ["ManageExperimentsAllow"]);
    assert_eq!(actions(&e[0]).len(), 22);
    assert_eq!(resources(&e[0]), [ARN_STAR]);

    let v = statements(Activity::SearchAndVisualizeExperiments, &inputs);
    assert_eq!(sids(&v), ["SearchExperimentsDescribe", "SearchExperimentsList"]);
    assert_eq!(actions(&v[0]).len(), 7);
    assert!(actions(&v[1]).contains(&"sagemaker:QueryLineage"));
    assert_eq!(resources(&v[1]), ["*"]);
}

#[test]
fn manage_model_monitoring_variants() {
    let base_s = statements(Activity::ManageModelMonitoring, &base().build().unwrap());
    assert_eq!(
        sids(&base_s),
        ["ManageMonitoringAllow", "ManageMonitoringList", "PassRoleToSageMaker"]
    );
    let s = statements(Activity::ManageModelMonitoring, &kms(vpc(base())).build().unwrap());
    let create = by_sid(&s, "ManageMonitoringCreate");
    assert_eq!(
        actions(create),
        sm(&[
            "CreateMonitoringSchedule",
            "UpdateMonitoringSchedule",
            "CreateProcessingJob"
        ])
    );
    assert_eq!(condition(create), vpc_and_kms_block());
    assert_eq!(
        actions(by_sid(&s, "ManageMonitoringAllow")),
        sm(&[
            "DescribeMonitoringSchedule",
            "DeleteMonitoringSchedule",
            "StartMonitoringSchedule",
            "StopMonitoringSchedule",
            "DescribeProcessingJob",
            "StopProcessingJob"
        ])
    );
    assert_grant(&s);
}

#[test]
fn s3_full_and_bucket_access() {
    let inputs = RoleInputs::builder()
        .s3_buckets(["ml-data", "shared/team-a"])
        .build()
        .unwrap();
    let full = statements(Activity::S3FullAccess, &inputs);
    assert_eq!(
        actions(&full[0]),
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
    );
    assert_eq!(resources(&full[0]), ["arn:aws:s3:::*"]);

    let s = statements(Activity::S3BucketAccess, &inputs);
    assert_eq!(
        sids(&s),
        [
            "S3BucketAccessList",
            "S3BucketAccessListPrefixes1",
            "S3BucketAccessObjects"
        ]
    );
    assert_eq!(resources(&s[0]), ["arn:aws:s3:::ml-data"]);
    assert_eq!(actions(&s[0]), ["s3:ListBucket"]);
    assert_eq!(resources(&s[1]), ["arn:aws:s3:::shared"]);
    assert_eq!(
        condition(&s[1]),
        json!({"StringLike": {"s3:prefix": ["team-a", "team-a/*"]}})
    );
    assert_eq!(actions(&s[2]), ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
    assert_eq!(
        resources(&s[2]),
        ["arn:aws:s3:::ml-data/*", "arn:aws:s3:::shared/team-a/*"]
    );
}

#[test]
fn athena_one_resource_per_workgroup() {
    let default = statements(Activity::QueryAthenaWorkgroups, &base().build().unwrap());
    assert_eq!(
        resources(&default[0]),
        ["arn:aws:athena:us-east-1:123456789012:workgroup/primary"]
    );
    let s = statements(
        Activity::QueryAthenaWorkgroups,
        &RoleInputs::builder()
            .athena_workgroups(["analysts", "ml"])
            .build()
            .unwrap(),
    );
    assert_eq!(
        actions(&s[0]),
        [
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:StartQueryExecution",
            "athena:StopQueryExecution"
        ]
    );
    assert_eq!(
        resources(&s[0]),
        [
            "arn:aws:athena:*:*:workgroup/analysts",
            "arn:aws:athena:*:*:workgroup/ml"
        ]
    );
    assert_eq!(
        actions(&s[1]),
        [
            "athena:ListDataCatalogs",
            "athena:ListDatabases",
            "athena:ListTableMetadata"
        ]
    );
}

#[test]
fn glue_tables_per_database() {
    let inputs = base().glue_databases(["raw"]).build().unwrap();
    let s = statements(Activity::ManageGlueTables, &inputs);
    let search = by_sid(&s, "GlueSearchTables");
    assert_eq!(
        resources(search),
        [
            "arn:aws:glue:us-east-1:123456789012:table/*/*",
            "arn:aws:glue:us-east-1:123456789012:database/features",
            "arn:aws:glue:us-east-1:123456789012:database/raw",
            "arn:aws:glue:us-east-1:123456789012:catalog"
        ]
    );
    assert_eq!(resources(by_sid(&s, "GlueS3Objects")), ["arn:aws:s3:::ml-data/*"]);
    let put_acl = by_sid(&s, "GlueS3PutBucketAcl");
    assert_eq!(resources(put_acl), ["arn:aws:s3:::ml-data"]);
    assert_eq!(
        condition(put_acl),
        json!({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})
    );
    let feature_store = by_sid(&s, "GlueFeatureStoreTables");
    assert_eq!(actions(feature_store), ["glue:GetTable", "glue:UpdateTable"]);
    assert!(resources(feature_store).contains(&"arn:aws:glue:us-east-1:123456789012:table/sagemaker_featurestore/*"));
}

#[test]
fn compute_role_services_and_variants() {
    let s = statements(Activity::AccessRequiredAwsServices, &base().build().unwrap());
    assert_eq!(
        sids(&s),
        [
            "ComputeS3List",
            "ComputeS3Objects",
            "ComputeMetricsAndEcrAuth",
            "ComputeEcrPull",
            "ComputeCloudWatchMetrics",
            "ComputeLogs"
        ]
    );
    assert_eq!(
        actions(by_sid(&s, "ComputeS3Objects")),
        ["s3:GetObject", "s3:PutObject"]
    );
    assert_eq!(resources(by_sid(&s, "ComputeEcrPull")), [ECR_REPO]);
    assert_eq!(
        condition(by_sid(&s, "ComputeCloudWatchMetrics")),
        json!({"StringLike": {"cloudwatch:namespace": ["*SageMaker*", "*Sagemaker*", "*sagemaker*"]}})
    );
    assert_eq!(
        resources(by_sid(&s, "ComputeLogs")),
        ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/*"]
    );

    let full = statements(Activity::AccessRequiredAwsServices, &kms(vpc(base())).build().unwrap());
    let ec2 = by_sid(&full, "ComputeNetworkInterfaces");
    assert_eq!(actions(ec2).len(), 9);
    assert!(actions(ec2).contains(&"ec2:CreateNetworkInterfacePermission"));
    assert_eq!(resources(by_sid(&full, "KmsDataKeysViaS3")), [DATA_KEY]);

    // Without ECR repositories there is no pull statement.
    let no_ecr = RoleInputs::builder().s3_bucket("ml-data").build().unwrap();
    assert!(!has_sid(
        &statements(Activity::AccessRequiredAwsServices, &no_ecr),
        "ComputeEcrPull"
    ));
}

#[test]
fn mlflow_activities() {
    let inputs = base().build().unwrap();
    let servers = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/*";
    let usage = statements(Activity::UseMlflow, &inputs);
    assert_eq!(
        actions(by_sid(&usage, "UseMlflowDescribe")),
        sm(&["DescribeMlflowTrackingServer", "ListTags"])
    );
    assert_eq!(resources(by_sid(&usage, "UseMlflowDescribe")), [servers]);
    assert_eq!(
        actions(by_sid(&usage, "UseMlflowList")),
        sm(&["CreatePresignedMlflowTrackingServerUrl", "ListMlflowTrackingServers"])
    );
    let api = by_sid(&usage, "UseMlflowApi");
    assert_eq!(
        (actions(api), resources(api)),
        (vec!["sagemaker-mlflow:*"], vec![servers])
    );

    let manage = statements(Activity::ManageMlflowTrackingServers, &inputs);
    assert_eq!(
        actions(by_sid(&manage, "ManageMlflowTrackingServers")),
        sm(&[
            "CreateMlflowTrackingServer",
            "DeleteMlflowTrackingServer",
            "StartMlflowTrackingServer",
            "StopMlflowTrackingServer",
            "UpdateMlflowTrackingServer"
        ])
    );
    assert_pass_role(&manage);

    let services = statements(Activity::AccessRequiredAwsServicesForMlflow, &inputs);
    assert_eq!(
        sids(&services),
        ["MlflowS3List", "MlflowS3Objects", "MlflowModelRegistry"]
    );
    assert!(actions(by_sid(&services, "MlflowModelRegistry")).contains(&"sagemaker:CreateModelPackage"));
}

#[test]
fn required_inputs_are_checked_with_clear_errors() {
    let empty = RoleInputs::default();
    let e = Activity::S3BucketAccess.statements(&empty).unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid activity \"S3 Bucket Access\": needs at least one S3 bucket (RoleInputs::builder().s3_bucket(..))"
    );
    for activity in [
        Activity::RunStudioApps,
        Activity::ManageMlJobs,
        Activity::ManageModels,
        Activity::ManagePipelines,
        Activity::ManageModelMonitoring,
        Activity::ManageMlflowTrackingServers,
    ] {
        let e = activity.statements(&empty).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "invalid activity {:?}: needs at least one pass role",
                activity.name()
            )),
            "{e}"
        );
    }
    let buckets_only = RoleInputs::builder().s3_bucket("ml-data").build().unwrap();
    let e = Activity::ManageGlueTables
        .statements(&buckets_only)
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs at least one Glue database name"), "{e}");
    for activity in [
        Activity::ManageEndpoints,
        Activity::ManageExperiments,
        Activity::SearchAndVisualizeExperiments,
        Activity::S3FullAccess,
        Activity::QueryAthenaWorkgroups,
        Activity::UseMlflow,
        Activity::RunStudioAppsOwnerScoped,
    ] {
        assert!(activity.statements(&empty).is_ok(), "{activity} needs nothing");
    }
}

#[test]
fn variant_support_matches_what_the_statements_do() {
    let plain = base().build().unwrap();
    let with_vpc = vpc(base()).build().unwrap();
    let with_kms = kms(base()).build().unwrap();
    for activity in Activity::ALL {
        let base_s = statements(activity, &plain);
        assert_eq!(
            statements(activity, &with_vpc) != base_s,
            activity.supports_vpc(),
            "{activity} VPC"
        );
        assert_eq!(
            statements(activity, &with_kms) != base_s,
            activity.supports_kms(),
            "{activity} KMS"
        );
    }
}

#[test]
fn every_activity_lints_clean_and_round_trips_in_every_variant() {
    for (variant, inputs) in variants() {
        for activity in Activity::ALL {
            let statements = statements(activity, &inputs);
            let sagemaker_arns = statements
                .iter()
                .flat_map(|s| resources(s))
                .filter(|r| r.starts_with("arn:aws:sagemaker:"))
                .map(str::to_owned)
                .collect::<Vec<_>>();
            let scoped = inputs.region().is_some();
            for arn in sagemaker_arns {
                assert_eq!(
                    arn.starts_with("arn:aws:sagemaker:us-east-1:123456789012:"),
                    scoped,
                    "{activity} ({variant}): {arn}"
                );
            }
            let document = studio_fed_policy::PolicyDocument::new(statements);
            assert_emittable(PolicyKind::Managed, &format!("{activity} ({variant})"), &document);
        }
    }
}
