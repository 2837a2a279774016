//! The three SageMaker Role Manager personas for a sample team, and what each
//! may and may not do, as computed by studio-fed's IAM policy evaluator.
//!
//! ```sh
//! cargo run --example personas
//! ```
//!
//! The team works in eu-west-1, keeps its data in `ml-team-a-data`, runs jobs
//! in its VPC with its KMS key, may use CPU instance types only, and may open
//! Studio only from the office network 10.20.0.0/16.

use std::net::IpAddr;
use std::process::ExitCode;

use studio_fed::policy::build::{Guardrail, PROFILE_FROM_SESSION_TAG, Persona, RoleInputs, RolePolicies};
use studio_fed::policy::eval::{Context, Evaluator, Outcome, PolicySet, Request};
use studio_fed::policy::{Error, lint};

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "111122223333";
const DOMAIN: &str = "d-team0a1b2c3d";
const COMPUTE_ROLE: &str = "arn:aws:iam::111122223333:role/team-a-sagemaker-compute";
const KMS_KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-22bb-33cc-44dd-5555eeee6666";
const SUBNET: &str = "subnet-0a1b2c3d4e5f60718";
const SECURITY_GROUP: &str = "sg-0a1b2c3d4e5f60718";
const OFFICE_CIDR: &str = "10.20.0.0/16";
const ALLOWED_INSTANCE_TYPES: [&str; 3] = ["ml.t3.*", "ml.m5.*", "ml.c5.*"];

/// A representative request and the outcome each persona should get.
struct Case {
    what: &'static str,
    request: Request,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, Error> {
    let inputs = RoleInputs::builder()
        .region(REGION)
        .account(ACCOUNT)
        .s3_bucket("ml-team-a-data")
        .pass_role(COMPUTE_ROLE)
        .subnets([SUBNET])
        .security_groups([SECURITY_GROUP])
        .data_kms_keys([KMS_KEY])
        .volume_kms_keys([KMS_KEY])
        .build()?;
    // People open Studio only on their own profile (named by their
    // `studiouserid` session tag), only from the office, and launch CPU
    // instance types only.
    let guardrails = Guardrail::combined(&[
        Guardrail::own_user_profile(&inputs, Some(DOMAIN), PROFILE_FROM_SESSION_TAG)?,
        Guardrail::instance_types(ALLOWED_INSTANCE_TYPES)?,
        Guardrail::studio_from_cidrs([OFFICE_CIDR])?,
    ]);
    let roles = [
        Persona::DataScientist
            .role("team-a-data-scientist", &inputs)?
            .with_managed_policy("team-a-guardrails", guardrails.clone()),
        Persona::MlOps
            .role("team-a-mlops", &inputs)?
            .with_managed_policy("team-a-guardrails", guardrails),
        Persona::SageMakerCompute.role("team-a-sagemaker-compute", &inputs)?,
    ];

    for role in &roles {
        print_role(role);
    }

    let evaluators: Vec<Evaluator> = roles.iter().map(evaluator).collect();
    let cases = cases();
    println!("What each persona may do (evaluated locally, AWS's evaluation logic):\n");
    let header = ["Request", "Data Scientist", "MLOps", "SageMaker compute"];
    println!(
        "{:<58} {:<16} {:<16} {:<16}",
        header[0], header[1], header[2], header[3]
    );
    println!("{}", "-".repeat(58 + 3 * 17));
    let mut outcomes = Vec::new();
    for case in &cases {
        let row: Vec<Outcome> = evaluators.iter().map(|e| e.evaluate(&case.request).outcome).collect();
        println!(
            "{:<58} {:<16} {:<16} {:<16}",
            case.what,
            label(row[0]),
            label(row[1]),
            label(row[2])
        );
        outcomes.push(row);
    }
    println!("\nallowed: an Allow applies; denied: no Allow applies; DENIED: a guardrail's Deny applies.");

    // The guardrails the scenario is about: a GPU app and Studio from outside
    // the office are explicitly denied, while the same from inside is allowed.
    let data_scientist = |row: usize| outcomes[row][0];
    let guarded = data_scientist(0) == Outcome::Allow
        && data_scientist(1) == Outcome::ExplicitDeny
        && data_scientist(2) == Outcome::Allow
        && data_scientist(3) == Outcome::ExplicitDeny
        && data_scientist(4) != Outcome::Allow;
    if !guarded {
        eprintln!("error: the guardrails did not decide the Studio and GPU requests as intended");
    }
    Ok(guarded)
}

fn print_role(role: &RolePolicies) {
    println!("=== Role {} ===", role.role_name);
    println!("trust policy:\n{}", role.trust_policy.to_json_pretty());
    for policy in &role.managed_policies {
        println!(
            "managed policy {} ({} characters without whitespace):\n{}",
            policy.name,
            lint::iam_size(&policy.document),
            policy.document.to_json_pretty()
        );
    }
    let violations = lint::check_role(role);
    if violations.is_empty() {
        println!("IAM quotas: ok\n");
    } else {
        for violation in violations {
            println!("IAM quota exceeded: {violation}");
        }
    }
}

fn evaluator(role: &RolePolicies) -> Evaluator {
    role.managed_policies
        .iter()
        .fold(PolicySet::new(), |set, policy| {
            set.identity(&policy.name, policy.document.clone())
        })
        .compile()
}

fn label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allow => "allowed",
        Outcome::ImplicitDeny => "denied",
        Outcome::ExplicitDeny => "DENIED",
    }
}

fn sagemaker(resource: &str) -> String {
    format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:{resource}")
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The VPC and KMS settings the team's jobs are required to use.
fn in_team_vpc(context: Context) -> Context {
    context
        .with_strings("sagemaker:VpcSubnets", [SUBNET])
        .with_strings("sagemaker:VpcSecurityGroupIds", [SECURITY_GROUP])
        .with_arn("sagemaker:VolumeKmsKey", KMS_KEY)
        .with_arn("sagemaker:OutputKmsKey", KMS_KEY)
}

fn cases() -> Vec<Case> {
    let app = sagemaker(&format!("app/{DOMAIN}/alice/JupyterLab/default"));
    // Alice, whose session carries the tag studiouserid=alice, opens a profile.
    let studio = |profile: &str, from: &str| {
        Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            sagemaker(&format!("user-profile/{DOMAIN}/{profile}")),
        )
        .with_context(
            Context::new()
                .with_ip("aws:SourceIp", ip(from))
                .with_string("aws:PrincipalTag/studiouserid", "alice"),
        )
    };
    let training = |instance: &str, vpc: bool| {
        let context = Context::new().with_strings("sagemaker:InstanceTypes", [instance]);
        let context = if vpc { in_team_vpc(context) } else { context };
        Request::new("sagemaker:CreateTrainingJob", sagemaker("training-job/churn-model")).with_context(context)
    };
    vec![
        Case {
            what: "CreateApp JupyterLab on ml.t3.medium",
            request: Request::new("sagemaker:CreateApp", &app)
                .with_context(Context::new().with_strings("sagemaker:InstanceTypes", ["ml.t3.medium"])),
        },
        Case {
            what: "CreateApp JupyterLab on GPU ml.p4d.24xlarge",
            request: Request::new("sagemaker:CreateApp", &app)
                .with_context(Context::new().with_strings("sagemaker:InstanceTypes", ["ml.p4d.24xlarge"])),
        },
        Case {
            what: "Open own Studio profile from the office 10.20.4.7",
            request: studio("alice", "10.20.4.7"),
        },
        Case {
            what: "Open own Studio profile from outside 198.51.100.23",
            request: studio("alice", "198.51.100.23"),
        },
        Case {
            what: "Open another user's Studio profile from the office",
            request: studio("bob", "10.20.4.7"),
        },
        Case {
            what: "CreateTrainingJob ml.m5.xlarge in the team VPC with KMS",
            request: training("ml.m5.xlarge", true),
        },
        Case {
            what: "CreateTrainingJob ml.m5.xlarge outside the VPC",
            request: training("ml.m5.xlarge", false),
        },
        Case {
            what: "CreateTrainingJob GPU ml.p3.2xlarge in the team VPC",
            request: training("ml.p3.2xlarge", true),
        },
        Case {
            what: "CreateEndpoint",
            request: Request::new("sagemaker:CreateEndpoint", sagemaker("endpoint/churn")),
        },
        Case {
            what: "CreatePipeline",
            request: Request::new("sagemaker:CreatePipeline", sagemaker("pipeline/churn-train")),
        },
        Case {
            what: "s3:GetObject in ml-team-a-data",
            request: Request::new("s3:GetObject", "arn:aws:s3:::ml-team-a-data/raw/events.parquet"),
        },
        Case {
            what: "s3:GetObject in another team's bucket",
            request: Request::new("s3:GetObject", "arn:aws:s3:::ml-team-b-data/raw/events.parquet"),
        },
        Case {
            what: "iam:PassRole the compute role to SageMaker",
            request: Request::new("iam:PassRole", COMPUTE_ROLE)
                .with_context(Context::new().with_string("iam:PassedToService", "sagemaker.amazonaws.com")),
        },
        Case {
            what: "ecr:GetAuthorizationToken (pull training images)",
            request: Request::new("ecr:GetAuthorizationToken", "*"),
        },
        Case {
            what: "iam:CreateUser",
            request: Request::new("iam:CreateUser", format!("arn:aws:iam::{ACCOUNT}:user/mallory")),
        },
    ]
}
