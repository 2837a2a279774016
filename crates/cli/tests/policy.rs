//! The `studio-fed policy` commands, run as a user runs them: the real binary,
//! real files, exit codes and stdout/stderr.

use std::path::PathBuf;
use std::process::{Command, Output};

const COMPUTE_ROLE: &str = "arn:aws:iam::111122223333:role/ml-compute";

fn studio_fed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studio-fed"))
        .args(args)
        .output()
        .expect("run studio-fed")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `contents` to a fresh file in the test's own temporary folder.
fn file(test: &str, name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("studio-fed-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write file");
    path
}

const OPEN_FROM_OFFICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"OpenStudio","Effect":"Allow",
  "Action":"sagemaker:CreatePresignedDomainUrl","Resource":"*",
  "Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}]}"#;

#[test]
fn simulate_allows_with_exit_0_and_names_the_statement() {
    let policy = file("allow", "open.json", OPEN_FROM_OFFICE);
    let out = studio_fed(&[
        "policy",
        "simulate",
        "--policy",
        policy.to_str().unwrap(),
        "--action",
        "sagemaker:CreatePresignedDomainUrl",
        "--resource",
        "arn:aws:sagemaker:eu-west-1:111122223333:user-profile/d-abc/alice",
        "--context",
        "aws:SourceIp=2001:db8::7",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Allow:"), "{}", stdout(&out));
    assert!(stdout(&out).contains("Sid \"OpenStudio\""), "{}", stdout(&out));
}

#[test]
fn simulate_denies_with_exit_3_and_json_output() {
    let policy = file("deny", "open.json", OPEN_FROM_OFFICE);
    let out = studio_fed(&[
        "policy",
        "simulate",
        "--policy",
        policy.to_str().unwrap(),
        "--action",
        "sagemaker:CreatePresignedDomainUrl",
        "--resource",
        "arn:aws:sagemaker:eu-west-1:111122223333:user-profile/d-abc/alice",
        "--context",
        "aws:SourceIp=198.51.100.9",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let decision: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON decision");
    assert_eq!(decision["outcome"], "ImplicitDeny");
}

#[test]
fn simulate_scp_explicit_deny_wins_and_multivalued_context_keys_repeat() {
    let policy = file(
        "scp",
        "admin.json",
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let full = file(
        "scp",
        "full.json",
        r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let deny_gpu = file(
        "scp",
        "gpu.json",
        r#"{"Version":"2012-10-17","Statement":{"Sid":"NoGpu","Effect":"Deny","Action":"sagemaker:CreateTrainingJob",
            "Resource":"*","Condition":{"ForAnyValue:StringLike":{"sagemaker:InstanceTypes":"ml.p*"}}}}"#,
    );
    let run = |types: &[&str]| {
        let mut args = vec![
            "policy",
            "simulate",
            "--policy",
            policy.to_str().unwrap(),
            "--scp",
            full.to_str().unwrap(),
            deny_gpu.to_str().unwrap(),
            "--action",
            "sagemaker:CreateTrainingJob",
            "--resource",
            "arn:aws:sagemaker:eu-west-1:111122223333:training-job/t",
        ];
        let pairs: Vec<String> = types.iter().map(|t| format!("sagemaker:InstanceTypes={t}")).collect();
        for pair in &pairs {
            args.extend(["--context", pair.as_str()]);
        }
        studio_fed(&args)
    };
    assert_eq!(run(&["ml.m5.xlarge"]).status.code(), Some(0));
    let denied = run(&["ml.m5.xlarge", "ml.p4d.24xlarge"]);
    assert_eq!(denied.status.code(), Some(3));
    assert!(stdout(&denied).starts_with("ExplicitDeny"), "{}", stdout(&denied));
    assert!(stdout(&denied).contains("NoGpu"), "{}", stdout(&denied));
}

#[test]
fn simulate_reports_bad_policy_and_bad_context_on_stderr_with_exit_1() {
    let bad = file(
        "bad",
        "bad.json",
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"IpAdress":{"aws:SourceIp":"1.2.3.4"}}}}"#,
    );
    let out = studio_fed(&[
        "policy",
        "simulate",
        "--policy",
        bad.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    let message = stderr(&out);
    assert!(message.contains("bad.json: Statement.Condition.IpAdress"), "{message}");
    assert!(message.contains("did you mean \"IpAddress\""), "{message}");

    let good = file("bad", "good.json", OPEN_FROM_OFFICE);
    let out = studio_fed(&[
        "policy",
        "simulate",
        "--policy",
        good.to_str().unwrap(),
        "--action",
        "a:b",
        "--resource",
        "r",
        "--context",
        "aws:SourceIp=office",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("\"aws:SourceIp\": value \"office\" is not an IP address"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        studio_fed(&["policy", "simulate", "--action", "a:b"]).status.code(),
        Some(2)
    );
    assert_eq!(studio_fed(&["policy", "persona", "wizard"]).status.code(), Some(2));
    assert_eq!(studio_fed(&["policy", "persona", "custom"]).status.code(), Some(2));
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["policy", "--help"],
        &["policy", "persona", "--help"],
        &["policy", "lint", "--help"],
        &["policy", "simulate", "--help"],
    ] {
        let out = studio_fed(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(stdout(&out).contains("Usage: studio-fed"), "{args:?}");
    }
}

#[test]
fn persona_prints_trust_and_split_policies_as_json() {
    let out = studio_fed(&[
        "policy",
        "persona",
        "data-scientist",
        "--bucket",
        "ml-data/team-a",
        "--pass-role",
        COMPUTE_ROLE,
        "--vpc-subnet",
        "subnet-0a1b2c3d",
        "--security-group",
        "sg-0a1b2c3d",
        "--kms-key",
        "arn:aws:kms:eu-west-1:111122223333:key/1111aaaa-22bb-33cc-44dd-5555eeee6666",
        "--region",
        "eu-west-1",
        "--account",
        "111122223333",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let role: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON role");
    assert_eq!(role["role_name"], "data-scientist");
    assert_eq!(
        role["trust_policy"]["Statement"][0]["Principal"]["Service"],
        "sagemaker.amazonaws.com"
    );
    let policies = role["managed_policies"].as_array().expect("managed policies");
    assert!(!policies.is_empty());
    let text = serde_json::to_string(policies).unwrap();
    assert!(text.contains("sagemaker:VpcSubnets"), "the VPC variant applies");
    assert!(text.contains("kms:CreateGrant"), "the KMS variant applies");
    assert!(text.contains("arn:aws:s3:::ml-data/team-a/*"), "bucket prefix access");
}

#[test]
fn persona_input_errors_name_the_input() {
    let out = studio_fed(&[
        "policy",
        "persona",
        "data-scientist",
        "--bucket",
        "ml-data",
        "--pass-role",
        COMPUTE_ROLE,
        "--vpc-subnet",
        "subnet-0a1b2c3d",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("subnet-0a1b2c3d"), "{}", stderr(&out));
    assert!(stderr(&out).contains("security groups"), "{}", stderr(&out));
}

#[test]
fn lint_passes_small_policies_and_reports_the_figure_of_large_ones() {
    let small = file("lint", "small.json", OPEN_FROM_OFFICE);
    let out = studio_fed(&["policy", "lint", small.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let statements: Vec<String> = (0..80)
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-number-{i}/some/prefix/*"}}"#
            )
        })
        .collect();
    let large = file(
        "lint",
        "large.json",
        &format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(",")),
    );
    let out = studio_fed(&["policy", "lint", large.to_str().unwrap(), "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let violation = &reports[0]["violation"];
    assert_eq!(violation["limit"], 6144);
    assert!(violation["actual"].as_u64().unwrap() > 6144);
    assert!(violation["message"].as_str().unwrap().contains("split it"));

    let trust = file(
        "lint",
        "trust.json",
        r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
    );
    let out = studio_fed(&["policy", "lint", trust.to_str().unwrap()]);
    assert!(stdout(&out).contains("Trust policy"), "{}", stdout(&out));
}
