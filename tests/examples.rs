//! Every example, run as a user runs it: the example binary that `cargo test`
//! builds, against the local emulator and identity providers it starts itself.
//! Each example checks its own scenario and exits non-zero when it fails.

use std::path::PathBuf;
use std::process::Command;

/// Runs `target/<profile>/examples/<name>` and returns its stdout.
fn run_example(name: &str) -> String {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test> → target/<profile>/examples/<name>
    let path: PathBuf = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .expect("target directory");
    assert!(
        path.exists(),
        "{} is not built: run the whole suite with `cargo test --workspace` (it builds the examples) \
         or `cargo build --examples` first",
        path.display()
    );
    let output = Command::new(&path).output().expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "example {name} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn assert_contains(output: &str, expected: &[&str]) {
    for line in expected {
        assert!(output.contains(line), "missing {line:?} in:\n{output}");
    }
}

#[test]
fn personas_denies_gpu_apps_and_studio_from_outside_the_office() {
    let output = run_example("personas");
    assert_contains(
        &output,
        &[
            "=== Role team-a-data-scientist ===",
            "=== Role team-a-mlops ===",
            "=== Role team-a-sagemaker-compute ===",
            "IAM quotas: ok",
        ],
    );
    let row = |what: &str| {
        output
            .lines()
            .find(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no row {what:?}"))
            .split_whitespace()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
    };
    // Columns reversed: compute, MLOps, data scientist.
    assert_eq!(row("CreateApp JupyterLab on GPU"), ["denied", "DENIED", "DENIED"]);
    assert_eq!(
        row("Open own Studio profile from outside"),
        ["denied", "DENIED", "DENIED"]
    );
    assert_eq!(
        row("Open own Studio profile from the office"),
        ["denied", "allowed", "allowed"]
    );
}

#[test]
fn sagemaker_oidc_provider_logs_in_and_calls_sagemaker() {
    let output = run_example("sagemaker_oidc_provider");
    assert_contains(
        &output,
        &[
            "thumbprint ",
            "oidc-provider/127.0.0.1:",
            ": created",
            "role arn:aws:iam::123456789012:role/sagemaker-notebook-users: created",
            "signed in as alice (alice@ml-team.example)",
            "SageMaker answered the web-identity credentials",
        ],
    );
}

#[test]
fn cognito_ml_workload_reads_the_provider_back_and_reruns_as_a_no_op() {
    let output = run_example("cognito_ml_workload");
    assert_contains(
        &output,
        &[
            "identity provider Corporate: created",
            "the provider read back matches the spec",
            "identity provider Corporate: unchanged",
        ],
    );
}

#[test]
fn saml_ml_team_exchanges_a_signed_login_and_refuses_a_tampered_one() {
    let output = run_example("saml_ml_team");
    assert_contains(
        &output,
        &[
            "saml-provider/ml-team-idp: created",
            "role arn:aws:iam::123456789012:role/ml-team: created",
            "validated: subject \"alice@ml-team.example\"",
            "temporary credentials for arn:aws:iam::123456789012:role/ml-team",
            "SageMaker answered the team's credentials",
            "refused: the SAML response's signature is invalid",
        ],
    );
}

#[test]
fn azure_ad_studio_applies_isolated_teams_opens_every_profile_and_destroys() {
    let output = run_example("azure_ad_studio");
    assert_contains(
        &output,
        &[
            "deployment contoso-ml: 3 teams, 10 users, admin group ML-Platform-Admins",
            "nested groups flattened: ML-Platform-Admins has 1 member(s)",
            "applied 26 change(s) to contoso-ml",
            "isolated: no cross-team access",
            "alice@contoso.example        member of ML-Vision, profile alice-contoso-example",
            "erik.larsen@contoso.example  member of ML-Forecasting, profile erik-larsen-contoso-example",
            ": opened Studio as hana-sato-contoso-example",
            ": opened Studio as julia-contoso-example",
            "the same URL again: refused (already used)",
            "plan for contoso-ml: no changes",
            "second apply: 0 change(s), a no-op",
            "retained: EFS fs-",
            "the emulator confirms: the home file systems are retained",
            "destroy done: nothing of contoso-ml is left",
        ],
    );
    // The admin (through a nested group) has the console and no Studio profile.
    let admin = output
        .lines()
        .find(|l| l.starts_with("kofi.admin@contoso.example"))
        .expect("the admin's row in the isolation report");
    assert!(admin.trim_end().ends_with("| yes"), "{admin}");
}

#[test]
fn secure_studio_sso_logs_in_through_the_gateway_only_from_the_network() {
    let output = run_example("secure_studio_sso");
    assert_contains(
        &output,
        &[
            "applied ",
            "\"aws:VpcSourceIp\": \"10.20.0.0/16\"",
            "CreatePresignedDomainUrl by gateway role     from 10.20.4.17     aws:VpcSourceIp: Allow",
            "CreatePresignedDomainUrl by gateway role     from 198.51.100.23  aws:VpcSourceIp: ExplicitDeny",
            "CreatePresignedDomainUrl by an administrator from 198.51.100.23  aws:VpcSourceIp: ExplicitDeny",
            "from 10.20.4.17: 303 See Other to https://d-",
            "followed the redirect: Studio opened as alice",
            "the same login from 198.51.100.23: 403 refused (network_denied)",
            "the first response posted again: 403 refused (saml.replayed)",
            "a response whose user was edited: 403 refused (saml.signature_invalid)",
            "nothing of acme-research is left",
        ],
    );
    // The audit log names who opened what from where, and never carries the assertion.
    assert!(output.contains(r#""outcome":"allowed","client_ip":"10.20.4.17","user":"alice""#));
    assert!(!output.contains("<saml"), "the output shows an assertion");
    assert!(!output.contains("token=") || output.matches("token=").count() == output.matches("?token=...").count());
}
