//! SageMaker Role Manager ML activities: the permission statements for each,
//! with the VPC and KMS variants applied when the inputs carry subnets and
//! security groups and/or KMS keys.

use std::fmt;
use std::str::FromStr;

use super::inputs::RoleInputs;
use super::unique;
use crate::document::{ConditionOperator, Operator, Statement};
use crate::error::{Error, Result};

/// An ML activity of SageMaker Role Manager.
///
/// ```
/// use studio_fed_policy::build::{Activity, RoleInputs};
///
/// let inputs = RoleInputs::builder()
///     .pass_role("arn:aws:iam::123456789012:role/SageMakerCompute")
///     .subnets(["subnet-0a1b2c3d"])
///     .security_groups(["sg-0a1b2c3d"])
///     .build()?;
/// let statements = Activity::ManageMlJobs.statements(&inputs)?;
/// // The VPC variant: the five Create* actions get their own statement with the VPC block.
/// assert_eq!(statements[0].sid.as_deref(), Some("ManageMlJobsCreate"));
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Activity {
    /// (1) Run Studio Applications: apps and app image configs, PassRole;
    /// KMS variant adds the grant, `kms:DescribeKey` on volume keys and data
    /// keys via S3.
    RunStudioApps,
    /// (1) Run Studio Applications, the console's owner-scoped form (2024):
    /// apps and spaces limited to the user's own profile and spaces.
    /// Takes no network or encryption inputs.
    RunStudioAppsOwnerScoped,
    /// (2) Manage ML Jobs: training, processing, transform, AutoML and tuning
    /// jobs; VPC/KMS variants condition the five `Create*` actions.
    ManageMlJobs,
    /// (3) Manage Models: models and the model registry; the VPC variant
    /// conditions `CreateModel`.
    ManageModels,
    /// (4) Manage Endpoints: endpoint configs and endpoints; the KMS variant
    /// conditions `CreateEndpointConfig` on the volume key.
    ManageEndpoints,
    /// (5) Manage Pipelines.
    ManagePipelines,
    /// (6) Manage Experiments: experiments, trials and lineage entities.
    ManageExperiments,
    /// (7) Search and Visualize Experiments (read only).
    SearchAndVisualizeExperiments,
    /// (8) Manage Model Monitoring; VPC/KMS variants condition schedule and
    /// processing-job creation.
    ManageModelMonitoring,
    /// (9) S3 Full Access (the v2 template, with `s3:DeleteObject`).
    S3FullAccess,
    /// (10) S3 Bucket Access: list, read, write and delete in the given buckets.
    S3BucketAccess,
    /// (11) Query Athena Workgroups.
    QueryAthenaWorkgroups,
    /// (12) Manage Glue Tables (Feature Store and Data Wrangler).
    ManageGlueTables,
    /// (13) Access Required AWS Services: the compute execution role (S3, ECR,
    /// CloudWatch, logs; EC2 network interfaces in the VPC variant; data keys
    /// via S3 in the KMS variant).
    AccessRequiredAwsServices,
    /// (14) Use MLflow: tracking server access and the MLflow REST API.
    UseMlflow,
    /// (14) Manage MLflow Tracking Servers: create, update, start, stop, delete.
    ManageMlflowTrackingServers,
    /// (14) Access required to AWS Services for MLflow: S3 artifacts and the
    /// model registry, for a tracking server's service role.
    AccessRequiredAwsServicesForMlflow,
}

/// What an activity needs from the inputs.
#[derive(Clone, Copy)]
struct Needs {
    pass_roles: bool,
    buckets: bool,
    glue_databases: bool,
}

impl Activity {
    /// Every activity, in Role Manager's order.
    pub const ALL: [Activity; 17] = [
        Activity::RunStudioApps,
        Activity::RunStudioAppsOwnerScoped,
        Activity::ManageMlJobs,
        Activity::ManageModels,
        Activity::ManageEndpoints,
        Activity::ManagePipelines,
        Activity::ManageExperiments,
        Activity::SearchAndVisualizeExperiments,
        Activity::ManageModelMonitoring,
        Activity::S3FullAccess,
        Activity::S3BucketAccess,
        Activity::QueryAthenaWorkgroups,
        Activity::ManageGlueTables,
        Activity::AccessRequiredAwsServices,
        Activity::UseMlflow,
        Activity::ManageMlflowTrackingServers,
        Activity::AccessRequiredAwsServicesForMlflow,
    ];

    /// Role Manager's name for the activity.
    pub fn name(self) -> &'static str {
        match self {
            Activity::RunStudioApps => "Run Studio Applications",
            Activity::RunStudioAppsOwnerScoped => "Run Studio Applications (owner-scoped)",
            Activity::ManageMlJobs => "Manage ML Jobs",
            Activity::ManageModels => "Manage Models",
            Activity::ManageEndpoints => "Manage Endpoints",
            Activity::ManagePipelines => "Manage Pipelines",
            Activity::ManageExperiments => "Manage Experiments",
            Activity::SearchAndVisualizeExperiments => "Search and Visualize Experiments",
            Activity::ManageModelMonitoring => "Manage Model Monitoring",
            Activity::S3FullAccess => "S3 Full Access",
            Activity::S3BucketAccess => "S3 Bucket Access",
            Activity::QueryAthenaWorkgroups => "Query Athena Workgroups",
            Activity::ManageGlueTables => "Manage Glue Tables",
            Activity::AccessRequiredAwsServices => "Access Required AWS Services",
            Activity::UseMlflow => "Use MLflow",
            Activity::ManageMlflowTrackingServers => "Manage MLflow Tracking Servers",
            Activity::AccessRequiredAwsServicesForMlflow => "Access required to AWS Services for MLflow",
        }
    }

    /// A short kebab-case identifier, e.g. `manage-ml-jobs`; [`FromStr`] reads it.
    pub fn slug(self) -> &'static str {
        match self {
            Activity::RunStudioApps => "run-studio-apps",
            Activity::RunStudioAppsOwnerScoped => "run-studio-apps-owner-scoped",
            Activity::ManageMlJobs => "manage-ml-jobs",
            Activity::ManageModels => "manage-models",
            Activity::ManageEndpoints => "manage-endpoints",
            Activity::ManagePipelines => "manage-pipelines",
            Activity::ManageExperiments => "manage-experiments",
            Activity::SearchAndVisualizeExperiments => "search-and-visualize-experiments",
            Activity::ManageModelMonitoring => "manage-model-monitoring",
            Activity::S3FullAccess => "s3-full-access",
            Activity::S3BucketAccess => "s3-bucket-access",
            Activity::QueryAthenaWorkgroups => "query-athena-workgroups",
            Activity::ManageGlueTables => "manage-glue-tables",
            Activity::AccessRequiredAwsServices => "access-required-aws-services",
            Activity::UseMlflow => "use-mlflow",
            Activity::ManageMlflowTrackingServers => "manage-mlflow-tracking-servers",
            Activity::AccessRequiredAwsServicesForMlflow => "access-required-aws-services-for-mlflow",
        }
    }

    /// True when the activity has a VPC variant (applied when the inputs have
    /// subnets and security groups).
    pub fn supports_vpc(self) -> bool {
        matches!(
            self,
            Activity::ManageMlJobs
                | Activity::ManageModels
                | Activity::ManageModelMonitoring
                | Activity::AccessRequiredAwsServices
        )
    }

    /// True when the activity has a KMS variant (applied when the inputs have
    /// data and volume keys).
    pub fn supports_kms(self) -> bool {
        matches!(
            self,
            Activity::RunStudioApps
                | Activity::ManageMlJobs
                | Activity::ManageEndpoints
                | Activity::ManageModelMonitoring
                | Activity::AccessRequiredAwsServices
        )
    }

    fn needs(self) -> Needs {
        let none = Needs {
            pass_roles: false,
            buckets: false,
            glue_databases: false,
        };
        match self {
            Activity::RunStudioApps
            | Activity::ManageMlJobs
            | Activity::ManageModels
            | Activity::ManagePipelines
            | Activity::ManageModelMonitoring
            | Activity::ManageMlflowTrackingServers => Needs {
                pass_roles: true,
                ..none
            },
            Activity::S3BucketAccess
            | Activity::AccessRequiredAwsServices
            | Activity::AccessRequiredAwsServicesForMlflow => Needs { buckets: true, ..none },
            Activity::ManageGlueTables => Needs {
                buckets: true,
                glue_databases: true,
                ..none
            },
            _ => none,
        }
    }

    /// Checks that the inputs carry what this activity needs.
    fn check_inputs(self, inputs: &RoleInputs) -> Result<()> {
        let needs = self.needs();
        let missing = |what: &str| Error::input("activity", self.name(), format!("needs {what}"));
        if needs.pass_roles && inputs.pass_roles().is_empty() {
            return Err(missing(
                "at least one pass role: the ARN of an execution role it hands to SageMaker (RoleInputs::builder().pass_role(..))",
            ));
        }
        if needs.buckets && inputs.s3_locations().is_empty() {
            return Err(missing("at least one S3 bucket (RoleInputs::builder().s3_bucket(..))"));
        }
        if needs.glue_databases && inputs.glue_databases().is_empty() {
            return Err(missing(
                "at least one Glue database name (RoleInputs::builder().glue_databases(..))",
            ));
        }
        Ok(())
    }

    /// The activity's statements for these inputs, with the VPC and KMS
    /// variants applied when the inputs carry subnets and security groups
    /// and/or KMS keys. Errors when a required input (pass roles, buckets,
    /// Glue databases) is missing.
    pub fn statements(self, inputs: &RoleInputs) -> Result<Vec<Statement>> {
        self.check_inputs(inputs)?;
        let arn_star = inputs.sagemaker_arn_pattern();
        let vpc = inputs.has_vpc();
        let kms = inputs.has_kms();
        let mut out = Vec::new();
        match self {
            Activity::RunStudioApps => {
                out.push(allow("RunStudioAppsAllow", sagemaker(STUDIO_APPS), [&arn_star]));
                out.push(allow("RunStudioAppsList", sagemaker(STUDIO_APPS_LIST), ["*"]));
                out.push(pass_role(inputs));
                if kms {
                    out.push(grant(inputs));
                    out.push(
                        allow("KmsDescribeVolumeKeys", ["kms:DescribeKey"], inputs.volume_kms_keys()).with_condition(
                            Operator::StringLike,
                            "kms:ViaService",
                            [inputs.via_service("sagemaker")],
                        ),
                    );
                    out.push(data_keys_via_s3(inputs));
                }
            }
            Activity::RunStudioAppsOwnerScoped => out.extend(owner_scoped_studio(inputs)),
            Activity::ManageMlJobs => {
                // StopTransformJob is in every form: the base template leaves
                // it out, which would let a role start transform jobs it
                // cannot stop.
                if vpc || kms {
                    out.push(network_and_keys(
                        allow("ManageMlJobsCreate", sagemaker(JOB_CREATE), [&arn_star]),
                        inputs,
                    ));
                    out.push(allow("ManageMlJobsAllow", sagemaker(JOB_MANAGE), [&arn_star]));
                } else {
                    let all: Vec<&str> = JOB_CREATE.iter().chain(JOB_MANAGE).copied().collect();
                    out.push(allow("ManageMlJobsAllow", sagemaker(&all), [&arn_star]));
                }
                out.push(allow("ManageMlJobsList", sagemaker(JOB_LIST), ["*"]));
                out.push(pass_role(inputs));
                if kms {
                    out.push(grant(inputs));
                }
            }
            Activity::ManageModels => {
                let mut rest = MODELS.to_vec();
                if vpc {
                    rest.retain(|a| *a != "CreateModel");
                    out.push(with_vpc(
                        allow("ManageModelsCreateModel", sagemaker(&["CreateModel"]), [&arn_star]),
                        inputs,
                    ));
                }
                out.push(allow("ManageModelsAllow", sagemaker(&rest), [&arn_star]));
                out.push(allow("ManageModelsList", sagemaker(MODELS_LIST), ["*"]));
                out.push(pass_role(inputs));
            }
            Activity::ManageEndpoints => {
                let mut rest = ENDPOINTS.to_vec();
                if kms {
                    rest.retain(|a| *a != "CreateEndpointConfig");
                    out.push(
                        allow(
                            "ManageEndpointsCreateConfig",
                            sagemaker(&["CreateEndpointConfig"]),
                            [&arn_star],
                        )
                        .with_condition(
                            Operator::StringEquals,
                            "sagemaker:VolumeKmsKey",
                            inputs.volume_kms_keys(),
                        ),
                    );
                }
                out.push(allow("ManageEndpointsAllow", sagemaker(&rest), [&arn_star]));
                out.push(allow("ManageEndpointsList", sagemaker(ENDPOINTS_LIST), ["*"]));
                if kms {
                    out.push(grant(inputs));
                }
            }
            Activity::ManagePipelines => {
                out.push(allow("ManagePipelinesAllow", sagemaker(PIPELINES), [&arn_star]));
                out.push(allow("ManagePipelinesList", sagemaker(PIPELINES_LIST), ["*"]));
                out.push(pass_role(inputs));
            }
            Activity::ManageExperiments => {
                out.push(allow("ManageExperimentsAllow", sagemaker(EXPERIMENTS), [&arn_star]));
            }
            Activity::SearchAndVisualizeExperiments => {
                out.push(allow(
                    "SearchExperimentsDescribe",
                    sagemaker(EXPERIMENTS_DESCRIBE),
                    [&arn_star],
                ));
                out.push(allow("SearchExperimentsList", sagemaker(EXPERIMENTS_LIST), ["*"]));
            }
            Activity::ManageModelMonitoring => {
                if vpc || kms {
                    out.push(network_and_keys(
                        allow("ManageMonitoringCreate", sagemaker(MONITORING_CREATE), [&arn_star]),
                        inputs,
                    ));
                    out.push(allow(
                        "ManageMonitoringAllow",
                        sagemaker(MONITORING_MANAGE),
                        [&arn_star],
                    ));
                } else {
                    let all: Vec<&str> = MONITORING_CREATE.iter().chain(MONITORING_MANAGE).copied().collect();
                    out.push(allow("ManageMonitoringAllow", sagemaker(&all), [&arn_star]));
                }
                out.push(allow("ManageMonitoringList", sagemaker(MONITORING_LIST), ["*"]));
                out.push(pass_role(inputs));
                if kms {
                    out.push(grant(inputs));
                }
            }
            Activity::S3FullAccess => {
                out.push(allow(
                    "S3FullAccess",
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                    [format!("arn:{}:s3:::*", inputs.partition())],
                ));
            }
            Activity::S3BucketAccess => out.extend(s3_access(
                inputs,
                "S3BucketAccess",
                &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            )),
            Activity::QueryAthenaWorkgroups => {
                let workgroups = inputs
                    .athena_workgroups()
                    .iter()
                    .map(|name| inputs.arn("athena", &format!("workgroup/{name}")));
                out.push(allow(
                    "AthenaWorkgroupQueries",
                    [
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                        "athena:StartQueryExecution",
                        "athena:StopQueryExecution",
                    ],
                    workgroups,
                ));
                out.push(allow(
                    "AthenaListCatalogs",
                    [
                        "athena:ListDataCatalogs",
                        "athena:ListDatabases",
                        "athena:ListTableMetadata",
                    ],
                    ["*"],
                ));
            }
            Activity::ManageGlueTables => out.extend(glue_tables(inputs)),
            Activity::AccessRequiredAwsServices => {
                out.extend(s3_access(inputs, "ComputeS3", &["s3:GetObject", "s3:PutObject"]));
                out.push(allow(
                    "ComputeMetricsAndEcrAuth",
                    [
                        "sagemaker:BatchPutMetrics",
                        "ecr:GetAuthorizationToken",
                        "ecr:ListImages",
                    ],
                    ["*"],
                ));
                if !inputs.ecr_repositories().is_empty() {
                    out.push(allow(
                        "ComputeEcrPull",
                        [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:GetDownloadUrlForLayer",
                            "ecr:BatchGetImage",
                        ],
                        inputs.ecr_repositories(),
                    ));
                }
                out.push(
                    allow("ComputeCloudWatchMetrics", ["cloudwatch:PutMetricData"], ["*"]).with_condition(
                        Operator::StringLike,
                        "cloudwatch:namespace",
                        ["*SageMaker*", "*Sagemaker*", "*sagemaker*"],
                    ),
                );
                out.push(allow(
                    "ComputeLogs",
                    [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:CreateLogGroup",
                        "logs:DescribeLogStreams",
                    ],
                    [inputs.arn("logs", "log-group:/aws/sagemaker/*")],
                ));
                if vpc {
                    out.push(allow("ComputeNetworkInterfaces", EC2_NETWORK.iter().copied(), ["*"]));
                }
                if kms {
                    out.push(data_keys_via_s3(inputs));
                }
            }
            Activity::UseMlflow => {
                let servers = inputs.arn("sagemaker", "mlflow-tracking-server/*");
                out.push(allow(
                    "UseMlflowDescribe",
                    sagemaker(&["DescribeMlflowTrackingServer", "ListTags"]),
                    [&servers],
                ));
                out.push(allow(
                    "UseMlflowList",
                    sagemaker(&["CreatePresignedMlflowTrackingServerUrl", "ListMlflowTrackingServers"]),
                    ["*"],
                ));
                out.push(allow("UseMlflowApi", ["sagemaker-mlflow:*"], [&servers]));
            }
            Activity::ManageMlflowTrackingServers => {
                out.push(allow(
                    "ManageMlflowTrackingServers",
                    sagemaker(MLFLOW_MANAGE),
                    [inputs.arn("sagemaker", "mlflow-tracking-server/*")],
                ));
                out.push(pass_role(inputs));
            }
            Activity::AccessRequiredAwsServicesForMlflow => {
                out.extend(s3_access(inputs, "MlflowS3", &["s3:GetObject", "s3:PutObject"]));
                out.push(allow("MlflowModelRegistry", sagemaker(MLFLOW_REGISTRY), [&arn_star]));
            }
        }
        Ok(out)
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activity {
    type Err = Error;

    /// Reads an activity's [slug](Activity::slug), e.g. `manage-ml-jobs`.
    fn from_str(text: &str) -> Result<Self> {
        Activity::ALL.into_iter().find(|a| a.slug() == text).ok_or_else(|| {
            let known: Vec<&str> = Activity::ALL.iter().map(|a| a.slug()).collect();
            Error::input(
                "activity",
                text,
                format!("unknown activity; expected one of {}", known.join(", ")),
            )
        })
    }
}

// Action lists (sagemaker: unless prefixed).

const STUDIO_APPS: &[&str] = &[
    "CreateApp",
    "CreateAppImageConfig",
    "UpdateAppImageConfig",
    "DeleteApp",
    "DeleteAppImageConfig",
    "DescribeApp",
    "DescribeAppImageConfig",
    "DescribeDomain",
    "DescribeUserProfile",
];
const STUDIO_APPS_LIST: &[&str] = &["ListApps", "ListAppImageConfigs", "ListDomains", "ListUserProfiles"];

const JOB_CREATE: &[&str] = &[
    "CreateTrainingJob",
    "CreateTransformJob",
    "CreateProcessingJob",
    "CreateAutoMLJob",
    "CreateHyperParameterTuningJob",
];
const JOB_MANAGE: &[&str] = &[
    "StopTrainingJob",
    "StopProcessingJob",
    "StopAutoMLJob",
    "StopHyperParameterTuningJob",
    "StopTransformJob",
    "DescribeTrainingJob",
    "DescribeTransformJob",
    "DescribeProcessingJob",
    "DescribeAutoMLJob",
    "DescribeHyperParameterTuningJob",
    "UpdateTrainingJob",
    "BatchGetMetrics",
];
const JOB_LIST: &[&str] = &[
    "Search",
    "ListTrainingJobs",
    "ListTransformJobs",
    "ListProcessingJobs",
    "ListAutoMLJobs",
    "ListCandidatesForAutoMLJob",
    "ListHyperParameterTuningJobs",
    "ListTrainingJobsForHyperParameterTuningJob",
];

const MODELS: &[&str] = &[
    "CreateModel",
    "CreateModelPackage",
    "CreateModelPackageGroup",
    "DescribeModel",
    "DescribeModelPackage",
    "DescribeModelPackageGroup",
    "BatchDescribeModelPackage",
    "UpdateModelPackage",
    "DeleteModel",
    "DeleteModelPackage",
    "DeleteModelPackageGroup",
];
const MODELS_LIST: &[&str] = &["ListModels", "ListModelPackages", "ListModelPackageGroups"];

const ENDPOINTS: &[&str] = &[
    "CreateEndpointConfig",
    "CreateEndpoint",
    "DeleteEndpointConfig",
    "DeleteEndpoint",
    "UpdateEndpoint",
    "UpdateEndpointWeightsAndCapacities",
    "DescribeEndpoint",
    "DescribeEndpointConfig",
];
const ENDPOINTS_LIST: &[&str] = &["ListEndpoints", "ListEndpointConfigs"];

const PIPELINES: &[&str] = &[
    "CreatePipeline",
    "StartPipelineExecution",
    "StopPipelineExecution",
    "RetryPipelineExecution",
    "UpdatePipelineExecution",
    "SendPipelineExecutionStepSuccess",
    "SendPipelineExecutionStepFailure",
    "DescribePipeline",
    "DescribePipelineExecution",
    "DescribePipelineDefinitionForExecution",
    "DeletePipeline",
];
const PIPELINES_LIST: &[&str] = &[
    "ListPipelines",
    "ListPipelineExecutions",
    "ListPipelineExecutionSteps",
    "ListPipelineParametersForExecution",
];

const EXPERIMENTS: &[&str] = &[
    "AddAssociation",
    "CreateAction",
    "CreateArtifact",
    "CreateContext",
    "CreateExperiment",
    "CreateTrial",
    "CreateTrialComponent",
    "UpdateAction",
    "UpdateArtifact",
    "UpdateContext",
    "UpdateExperiment",
    "UpdateTrial",
    "UpdateTrialComponent",
    "AssociateTrialComponent",
    "DisassociateTrialComponent",
    "DeleteAssociation",
    "DeleteAction",
    "DeleteArtifact",
    "DeleteContext",
    "DeleteExperiment",
    "DeleteTrial",
    "DeleteTrialComponent",
];
const EXPERIMENTS_DESCRIBE: &[&str] = &[
    "DescribeAction",
    "DescribeArtifact",
    "DescribeContext",
    "DescribeExperiment",
    "DescribeTrial",
    "DescribeTrialComponent",
    "DescribeLineageGroup",
];
const EXPERIMENTS_LIST: &[&str] = &[
    "ListAssociations",
    "ListActions",
    "ListArtifacts",
    "ListContexts",
    "ListExperiments",
    "ListTrials",
    "ListTrialComponents",
    "ListLineageGroups",
    "GetLineageGroupPolicy",
    "QueryLineage",
    "Search",
    "GetSearchSuggestions",
];

const MONITORING_CREATE: &[&str] = &[
    "CreateMonitoringSchedule",
    "UpdateMonitoringSchedule",
    "CreateProcessingJob",
];
const MONITORING_MANAGE: &[&str] = &[
    "DescribeMonitoringSchedule",
    "DeleteMonitoringSchedule",
    "StartMonitoringSchedule",
    "StopMonitoringSchedule",
    "DescribeProcessingJob",
    "StopProcessingJob",
];
const MONITORING_LIST: &[&str] = &["ListMonitoringSchedules", "ListProcessingJobs"];

const MLFLOW_MANAGE: &[&str] = &[
    "CreateMlflowTrackingServer",
    "DeleteMlflowTrackingServer",
    "StartMlflowTrackingServer",
    "StopMlflowTrackingServer",
    "UpdateMlflowTrackingServer",
];
const MLFLOW_REGISTRY: &[&str] = &[
    "AddTags",
    "CreateModelPackageGroup",
    "CreateModelPackage",
    "UpdateModelPackage",
    "DescribeModelPackageGroup",
];

const EC2_NETWORK: &[&str] = &[
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
];

// Statement helpers.

fn sagemaker(actions: &[&str]) -> Vec<String> {
    actions.iter().map(|a| format!("sagemaker:{a}")).collect()
}

fn allow<A, R>(sid: &str, actions: A, resources: R) -> Statement
where
    A: IntoIterator,
    A::Item: Into<String>,
    R: IntoIterator,
    R::Item: ToString,
{
    Statement::allow()
        .with_sid(sid)
        .with_actions(actions)
        .with_resources(resources.into_iter().map(|r| r.to_string()))
}

/// The VPC block: every subnet and security group of the request must be
/// among the allowed ones, and the request must name some.
fn with_vpc(statement: Statement, inputs: &RoleInputs) -> Statement {
    statement
        .with_condition(
            ConditionOperator::for_all_values(Operator::StringEquals),
            "sagemaker:VpcSubnets",
            inputs.subnets(),
        )
        .with_condition(
            ConditionOperator::for_all_values(Operator::StringEquals),
            "sagemaker:VpcSecurityGroupIds",
            inputs.security_groups(),
        )
        .with_condition(Operator::Null, "sagemaker:VpcSubnets", ["false"])
        .with_condition(Operator::Null, "sagemaker:VpcSecurityGroupIds", ["false"])
}

/// The KMS block: volumes and outputs must be encrypted with the given keys.
fn with_kms(statement: Statement, inputs: &RoleInputs) -> Statement {
    statement
        .with_condition(
            Operator::StringEquals,
            "sagemaker:VolumeKmsKey",
            inputs.volume_kms_keys(),
        )
        .with_condition(Operator::StringEquals, "sagemaker:OutputKmsKey", inputs.data_kms_keys())
}

/// The VPC and/or KMS blocks, whichever the inputs carry.
fn network_and_keys(mut statement: Statement, inputs: &RoleInputs) -> Statement {
    if inputs.has_vpc() {
        statement = with_vpc(statement, inputs);
    }
    if inputs.has_kms() {
        statement = with_kms(statement, inputs);
    }
    statement
}

/// PASS: hand the pass roles to SageMaker only.
fn pass_role(inputs: &RoleInputs) -> Statement {
    allow("PassRoleToSageMaker", ["iam:PassRole"], inputs.pass_roles()).with_condition(
        Operator::StringEquals,
        "iam:PassedToService",
        ["sagemaker.amazonaws.com"],
    )
}

/// GRANT: let SageMaker create grants on the volume keys for the resources it launches.
fn grant(inputs: &RoleInputs) -> Statement {
    allow(
        "KmsCreateGrantForSageMaker",
        ["kms:CreateGrant"],
        inputs.volume_kms_keys(),
    )
    .with_condition(Operator::Bool, "kms:GrantIsForAWSResource", ["true"])
    .with_condition(
        Operator::StringLike,
        "kms:ViaService",
        [inputs.via_service("sagemaker")],
    )
}

/// Decrypt and generate data keys with the data keys, through S3 only.
fn data_keys_via_s3(inputs: &RoleInputs) -> Statement {
    allow(
        "KmsDataKeysViaS3",
        ["kms:Decrypt", "kms:GenerateDataKey"],
        inputs.data_kms_keys(),
    )
    .with_condition(Operator::StringLike, "kms:ViaService", [inputs.via_service("s3")])
}

/// Listing and object access for every S3 location: `s3:ListBucket` on whole
/// buckets, `s3:ListBucket` limited by `s3:prefix` for buckets given only with
/// prefixes, and `object_actions` on the locations' objects.
fn s3_access(inputs: &RoleInputs, sid: &str, object_actions: &[&str]) -> Vec<Statement> {
    let partition = inputs.partition();
    let locations = inputs.s3_locations();
    let whole: Vec<&str> = unique(locations.iter().filter(|l| l.prefix().is_none()).map(|l| l.bucket()));
    let mut out = Vec::new();
    if !whole.is_empty() {
        out.push(allow(
            &format!("{sid}List"),
            ["s3:ListBucket"],
            whole.iter().map(|b| format!("arn:{partition}:s3:::{b}")),
        ));
    }
    let prefixed = unique(
        locations
            .iter()
            .filter(|l| !whole.contains(&l.bucket()))
            .map(|l| l.bucket()),
    );
    for (i, bucket) in prefixed.iter().enumerate() {
        let prefixes = locations
            .iter()
            .filter(|l| l.bucket() == *bucket)
            .filter_map(|l| l.prefix())
            .flat_map(|p| [p.to_owned(), format!("{p}/*")]);
        out.push(
            allow(
                &format!("{sid}ListPrefixes{}", i + 1),
                ["s3:ListBucket"],
                [format!("arn:{partition}:s3:::{bucket}")],
            )
            .with_condition(Operator::StringLike, "s3:prefix", prefixes),
        );
    }
    out.push(allow(
        &format!("{sid}Objects"),
        object_actions.iter().copied(),
        locations.iter().map(|l| l.objects_arn(partition)),
    ));
    out
}

/// Manage Glue Tables. The bucket-level ACL actions are granted on the bucket
/// ARNs (their resource type), the object actions on the locations' objects.
fn glue_tables(inputs: &RoleInputs) -> Vec<Statement> {
    let partition = inputs.partition();
    let buckets: Vec<String> = unique(inputs.s3_locations().iter().map(|l| l.bucket_arn(partition)));
    let mut search = vec![inputs.arn("glue", "table/*/*")];
    search.extend(
        inputs
            .glue_databases()
            .iter()
            .map(|db| inputs.arn("glue", &format!("database/{db}"))),
    );
    search.push(inputs.arn("glue", "catalog"));
    vec![
        allow("GlueSearchTables", ["glue:SearchTables"], search),
        allow(
            "GlueS3Objects",
            ["s3:GetObject", "s3:PutObject"],
            inputs.s3_locations().iter().map(|l| l.objects_arn(partition)),
        ),
        allow("GlueS3GetBucketAcl", ["s3:GetBucketAcl"], &buckets),
        allow("GlueS3PutBucketAcl", ["s3:PutBucketAcl"], &buckets).with_condition(
            Operator::StringEquals,
            "s3:x-amz-acl",
            ["bucket-owner-full-control"],
        ),
        allow(
            "GlueFeatureStoreTables",
            ["glue:GetTable", "glue:UpdateTable"],
            [
                inputs.arn("glue", "catalog"),
                inputs.arn("glue", "database/sagemaker_featurestore"),
                inputs.arn("glue", "table/sagemaker_featurestore/*"),
            ],
        ),
    ]
}

/// The console's owner-scoped Run Studio Applications form: a user works in
/// their own profile, their own private spaces and the domain's shared spaces.
fn owner_scoped_studio(inputs: &RoleInputs) -> Vec<Statement> {
    let arn = |resource: &str| inputs.arn("sagemaker", resource);
    let own_profile = arn("user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}");
    let space_actions = sagemaker(&["CreateSpace", "UpdateSpace", "DeleteSpace"]);
    let app_actions = sagemaker(&["CreateApp", "DeleteApp"]);
    let spaces = arn("space/${sagemaker:DomainId}/*");
    vec![
        allow("StudioAppsOutsideSpaces", &app_actions, [arn("app/*")]).with_condition(
            Operator::Null,
            "sagemaker:OwnerUserProfileArn",
            ["true"],
        ),
        allow(
            "StudioPresignedUrlOwnProfile",
            sagemaker(&["CreatePresignedDomainUrl"]),
            [&own_profile],
        ),
        allow(
            "StudioListAndDescribe",
            sagemaker(&[
                "DescribeApp",
                "DescribeDomain",
                "DescribeUserProfile",
                "DescribeSpace",
                "ListApps",
                "ListDomains",
                "ListUserProfiles",
                "ListSpaces",
            ]),
            ["*"],
        ),
        allow("StudioAddTagsOnCreate", sagemaker(&["AddTags"]), [arn("*/*")]).with_condition(
            Operator::Null,
            "sagemaker:TaggingAction",
            ["false"],
        ),
        allow("StudioSpacesWithoutOwner", &space_actions, [&spaces]).with_condition(
            Operator::Null,
            "sagemaker:OwnerUserProfileArn",
            ["true"],
        ),
        allow("StudioOwnSpaces", &space_actions, [&spaces])
            .with_condition(Operator::ArnLike, "sagemaker:OwnerUserProfileArn", [&own_profile])
            .with_condition(
                Operator::StringEquals,
                "sagemaker:SpaceSharingType",
                ["Private", "Shared"],
            ),
        allow(
            "StudioAppsInOwnPrivateSpaces",
            &app_actions,
            [arn("app/${sagemaker:DomainId}/*")],
        )
        .with_condition(Operator::ArnLike, "sagemaker:OwnerUserProfileArn", [&own_profile])
        .with_condition(Operator::StringEquals, "sagemaker:SpaceSharingType", ["Private"]),
        allow(
            "StudioAppsInSharedSpaces",
            &app_actions,
            [arn("app/${sagemaker:DomainId}/*/*/*")],
        )
        .with_condition(Operator::StringEquals, "sagemaker:SpaceSharingType", ["Shared"]),
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inputs() -> RoleInputs {
        RoleInputs::builder()
            .pass_role("arn:aws:iam::123456789012:role/Compute")
            .s3_bucket("ml-data")
            .glue_databases(["features"])
            .build()
            .unwrap()
    }

    #[test]
    fn slugs_round_trip_and_are_unique() {
        for activity in Activity::ALL {
            assert_eq!(activity.slug().parse::<Activity>().unwrap(), activity);
        }
        let e = "manage-jobs".parse::<Activity>().unwrap_err().to_string();
        assert!(e.starts_with("invalid activity \"manage-jobs\": unknown activity; expected one of run-studio-apps"));
    }

    #[test]
    fn sids_are_unique_within_each_activity() {
        for activity in Activity::ALL {
            let statements = activity.statements(&inputs()).unwrap();
            let mut sids: Vec<_> = statements.iter().map(|s| s.sid.clone().unwrap()).collect();
            assert!(
                sids.iter().all(|s| s.chars().all(|c| c.is_ascii_alphanumeric())),
                "{activity}: {sids:?}"
            );
            sids.sort();
            sids.dedup();
            assert_eq!(sids.len(), statements.len(), "{activity}");
        }
    }

    #[test]
    fn prefixed_buckets_list_only_their_prefixes() {
        let inputs = RoleInputs::builder()
            .s3_buckets(["whole", "shared/team-a", "shared/team-b", "whole/extra"])
            .build()
            .unwrap();
        let statements = s3_access(&inputs, "S3", &["s3:GetObject"]);
        let sids: Vec<_> = statements.iter().map(|s| s.sid.as_deref().unwrap()).collect();
        assert_eq!(sids, ["S3List", "S3ListPrefixes1", "S3Objects"]);
        assert_eq!(
            statements[0].resources.as_ref().unwrap().patterns(),
            ["arn:aws:s3:::whole"]
        );
        assert_eq!(
            statements[1].condition.get(Operator::StringLike, "s3:prefix").unwrap(),
            ["team-a", "team-a/*", "team-b", "team-b/*"]
        );
        assert_eq!(
            statements[2].resources.as_ref().unwrap().patterns(),
            [
                "arn:aws:s3:::whole/*",
                "arn:aws:s3:::shared/team-a/*",
                "arn:aws:s3:::shared/team-b/*",
                "arn:aws:s3:::whole/extra/*"
            ]
        );
    }
}
