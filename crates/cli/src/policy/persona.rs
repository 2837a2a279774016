//! `studio-fed policy persona`.

use std::process::ExitCode;

use serde_json::json;
use studio_fed_policy::build::{Activity, NamedPolicy, Persona, RoleInputs, RolePolicies};

use crate::CommandResult;
use crate::error::CliError;
use crate::output::{Format, print_json};

/// The persona to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PersonaName {
    /// Studio apps, ML jobs, models, experiments and S3 bucket access.
    DataScientist,
    /// Studio apps, models, endpoints, pipelines and experiment search.
    Mlops,
    /// The execution role jobs and endpoints run as; the other personas pass it.
    SagemakerCompute,
    /// The activities given with --activity.
    Custom,
}

/// Arguments of `policy persona`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The persona.
    #[arg(value_enum)]
    persona: PersonaName,
    /// An ML activity for the custom persona, e.g. manage-ml-jobs (repeatable).
    #[arg(long = "activity", value_name = "ACTIVITY")]
    activities: Vec<String>,
    /// The role's name (default: the persona's name).
    #[arg(long)]
    role_name: Option<String>,
    /// AWS region; with --account it narrows resource ARNs to the account.
    #[arg(long)]
    region: Option<String>,
    /// AWS account id (12 digits).
    #[arg(long)]
    account: Option<String>,
    /// S3 bucket or bucket/prefix the role may use (repeatable).
    #[arg(long = "bucket", value_name = "BUCKET[/PREFIX]")]
    buckets: Vec<String>,
    /// Role ARN the persona may pass to SageMaker, e.g. the compute role (repeatable).
    #[arg(long = "pass-role", value_name = "ROLE_ARN")]
    pass_roles: Vec<String>,
    /// ECR repository ARN the compute role may pull from (repeatable).
    #[arg(long = "ecr-repo", value_name = "REPOSITORY_ARN")]
    ecr_repositories: Vec<String>,
    /// VPC subnet that jobs and apps must use (repeatable; needs --security-group).
    #[arg(long = "vpc-subnet", value_name = "SUBNET_ID")]
    subnets: Vec<String>,
    /// VPC security group that jobs and apps must use (repeatable; needs --vpc-subnet).
    #[arg(long = "security-group", value_name = "SG_ID")]
    security_groups: Vec<String>,
    /// KMS key ARN for data and volumes (repeatable).
    #[arg(long = "kms-key", value_name = "KEY_ARN")]
    kms_keys: Vec<String>,
}

/// Runs `policy persona`.
pub fn run(args: Args, format: Format) -> CommandResult {
    let persona = match args.persona {
        PersonaName::DataScientist => Persona::DataScientist,
        PersonaName::Mlops => Persona::MlOps,
        PersonaName::SagemakerCompute => Persona::SageMakerCompute,
        PersonaName::Custom if args.activities.is_empty() => {
            return Err(CliError::Usage(
                "the custom persona needs at least one --activity, e.g. --activity manage-ml-jobs".into(),
            ));
        }
        PersonaName::Custom => Persona::Custom(
            args.activities
                .iter()
                .map(|a| a.parse::<Activity>())
                .collect::<Result<_, _>>()?,
        ),
    };
    if !args.activities.is_empty() && args.persona != PersonaName::Custom {
        return Err(CliError::Usage("--activity goes with the custom persona only".into()));
    }
    let mut inputs = RoleInputs::builder()
        .s3_buckets(args.buckets)
        .pass_roles(args.pass_roles)
        .ecr_repositories(args.ecr_repositories)
        .subnets(args.subnets)
        .security_groups(args.security_groups)
        .data_kms_keys(args.kms_keys.clone())
        .volume_kms_keys(args.kms_keys);
    if let Some(region) = args.region {
        inputs = inputs.region(region);
    }
    if let Some(account) = args.account {
        inputs = inputs.account(account);
    }
    let inputs = inputs.build()?;
    let role_name = args
        .role_name
        .unwrap_or_else(|| persona.name().to_lowercase().replace(' ', "-"));
    let role = persona.role(&role_name, &inputs)?;
    match format {
        Format::Json => print_json(&role_json(&role))?,
        Format::Text => print_role(&role),
    }
    Ok(ExitCode::SUCCESS)
}

fn role_json(role: &RolePolicies) -> serde_json::Value {
    let named = |policies: &[NamedPolicy]| -> Vec<serde_json::Value> {
        policies
            .iter()
            .map(|p| json!({"name": p.name, "document": p.document}))
            .collect()
    };
    json!({
        "role_name": role.role_name,
        "trust_policy": role.trust_policy,
        "managed_policies": named(&role.managed_policies),
        "attached_policy_arns": role.attached_policy_arns,
        "inline_policies": named(&role.inline_policies),
    })
}

fn print_role(role: &RolePolicies) {
    println!("# Role {}", role.role_name);
    println!("\n## Trust policy\n{}", role.trust_policy.to_json_pretty());
    for policy in &role.managed_policies {
        println!(
            "\n## Managed policy {}\n{}",
            policy.name,
            policy.document.to_json_pretty()
        );
    }
    for arn in &role.attached_policy_arns {
        println!("\n## Attached policy {arn}");
    }
    for policy in &role.inline_policies {
        println!(
            "\n## Inline policy {}\n{}",
            policy.name,
            policy.document.to_json_pretty()
        );
    }
}
