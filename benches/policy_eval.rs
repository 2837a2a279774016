//! Policy evaluation throughput: a Data Scientist persona with guardrails,
//! evaluated against a mix of allowed and denied requests.
//!
//! ```sh
//! cargo bench --bench policy_eval
//! ```
//!
//! Criterion reports the time per batch and the decisions per second
//! ("thrpt"); the target is at least 500,000 decisions per second on one core.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use std::hint::black_box;
use std::net::IpAddr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use studio_fed::policy::build::{Guardrail, PROFILE_FROM_SESSION_TAG, Persona, RoleInputs};
use studio_fed::policy::eval::{Context, Evaluator, Outcome, PolicySet, Request};

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "111122223333";
const DOMAIN: &str = "d-team0a1b2c3d";
const KMS_KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-22bb-33cc-44dd-5555eeee6666";

fn data_scientist() -> Evaluator {
    let inputs = RoleInputs::builder()
        .region(REGION)
        .account(ACCOUNT)
        .s3_bucket("ml-team-a-data")
        .pass_role("arn:aws:iam::111122223333:role/team-a-sagemaker-compute")
        .subnets(["subnet-0a1b2c3d4e5f60718"])
        .security_groups(["sg-0a1b2c3d4e5f60718"])
        .data_kms_keys([KMS_KEY])
        .volume_kms_keys([KMS_KEY])
        .build()
        .expect("inputs");
    let guardrails = Guardrail::combined(&[
        Guardrail::own_user_profile(&inputs, Some(DOMAIN), PROFILE_FROM_SESSION_TAG).expect("own profile"),
        Guardrail::instance_types(["ml.t3.*", "ml.m5.*", "ml.c5.*"]).expect("instance types"),
        Guardrail::studio_from_cidrs(["10.20.0.0/16"]).expect("cidrs"),
        Guardrail::vpc_only_domains(),
    ]);
    let role = Persona::DataScientist
        .role("data-scientist", &inputs)
        .expect("persona")
        .with_managed_policy("guardrails", guardrails);
    role.managed_policies
        .iter()
        .fold(PolicySet::new(), |set, p| set.identity(&p.name, p.document.clone()))
        .compile()
}

fn arn(resource: &str) -> String {
    format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:{resource}")
}

fn requests() -> Vec<Request> {
    let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
    let studio = |profile: &str, from: &str| {
        Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            arn(&format!("user-profile/{DOMAIN}/{profile}")),
        )
        .with_context(
            Context::new()
                .with_ip("aws:SourceIp", ip(from))
                .with_string("aws:PrincipalTag/studiouserid", "alice"),
        )
    };
    let app = |instance: &str| {
        Request::new(
            "sagemaker:CreateApp",
            arn(&format!("app/{DOMAIN}/alice/JupyterLab/default")),
        )
        .with_context(Context::new().with_strings("sagemaker:InstanceTypes", [instance]))
    };
    let training = |instance: &str| {
        Request::new("sagemaker:CreateTrainingJob", arn("training-job/churn")).with_context(
            Context::new()
                .with_strings("sagemaker:InstanceTypes", [instance])
                .with_strings("sagemaker:VpcSubnets", ["subnet-0a1b2c3d4e5f60718"])
                .with_strings("sagemaker:VpcSecurityGroupIds", ["sg-0a1b2c3d4e5f60718"])
                .with_arn("sagemaker:VolumeKmsKey", KMS_KEY)
                .with_arn("sagemaker:OutputKmsKey", KMS_KEY),
        )
    };
    vec![
        studio("alice", "10.20.4.7"),
        studio("alice", "198.51.100.23"),
        studio("bob", "10.20.4.7"),
        app("ml.t3.medium"),
        app("ml.p4d.24xlarge"),
        training("ml.m5.xlarge"),
        training("ml.p3.2xlarge"),
        Request::new("sagemaker:DescribeTrainingJob", arn("training-job/churn")),
        Request::new("sagemaker:ListTrainingJobs", "*"),
        Request::new("s3:GetObject", "arn:aws:s3:::ml-team-a-data/raw/events.parquet"),
        Request::new("s3:GetObject", "arn:aws:s3:::ml-team-b-data/raw/events.parquet"),
        Request::new("sagemaker:CreateEndpoint", arn("endpoint/churn")),
        Request::new("iam:CreateUser", "arn:aws:iam::111122223333:user/mallory"),
        Request::new("ec2:RunInstances", "*"),
    ]
}

fn policy_eval(c: &mut Criterion) {
    let evaluator = data_scientist();
    let requests = requests();
    let allowed = requests
        .iter()
        .filter(|r| evaluator.evaluate(r).outcome == Outcome::Allow)
        .count();
    assert!(
        allowed > 0 && allowed < requests.len(),
        "the mix has both allowed and denied requests"
    );

    let mut group = c.benchmark_group("policy_eval");
    group.throughput(Throughput::Elements(requests.len() as u64));
    group.bench_function("data_scientist_with_guardrails", |b| {
        b.iter(|| {
            for request in &requests {
                black_box(evaluator.evaluate(black_box(request)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, policy_eval);
criterion_main!(benches);
