//! `studio-fed plan | apply | report | destroy`, run as a user runs them: the
//! real binary on a deployment file, against the local AWS emulator through
//! the standard AWS environment variables.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use studio_fed_testkit::emulator::{ACCESS_KEY_ID, Emulator, SECRET_ACCESS_KEY};

/// One IAM-mode team: no identity-store users or groups are needed.
const DEPLOYMENT: &str = r#"
name = "cli-test"
account = "123456789012"

[[teams]]
name = "analytics"
group = "ML-Analytics"
persona = "data-scientist"

[teams.domain]
auth_mode = "IAM"
app_network_access_type = "VpcOnly"
vpc_id = "vpc-0a1b2c3d4e5f60718"
subnets = ["subnet-0a1b2c3d4e5f60718"]
security_groups = ["sg-0a1b2c3d4e5f60718"]
s3_buckets = ["cli-test-data/analytics"]

[[teams.users]]
user_name = "hana@example.com"
"#;

/// An SSO team whose group is not in the identity store: a blocked plan.
const BLOCKED: &str = r#"
name = "cli-blocked"
account = "123456789012"

[[teams]]
name = "vision"
group = "No-Such-Group"
persona = "data-scientist"
domain = { auth_mode = "SSO", vpc_id = "vpc-0a1b2c3d", subnets = ["subnet-0a1b2c3d"], security_groups = ["sg-0a1b2c3d"], s3_buckets = ["cli-test-data/vision"] }
users = [{ user_name = "nobody@example.com" }]
"#;

/// Writes `contents` to a fresh file in the test's own temporary folder.
fn file(test: &str, name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("studio-fed-cli-deployment-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write file");
    path
}

/// Runs the binary with stdin closed (not a terminal), against `emulator` when given.
fn studio_fed(emulator: Option<&Emulator>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_studio-fed"));
    command.args(args).stdin(Stdio::null());
    // Never the developer's own account or profile.
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(name);
    }
    command
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    match emulator {
        Some(emulator) => command
            .env("AWS_ENDPOINT_URL", emulator.endpoint_url())
            .env("AWS_REGION", emulator.region()),
        // Nothing listens on port 9: a call that is made fails at once.
        None => command
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_REGION", "us-east-1"),
    };
    command.output().expect("run studio-fed")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_invalid_deployment_file_exits_1_naming_file_and_line() {
    let bad = file("invalid", "deployment.toml", "name = \"acme\"\nteams = 3\n");
    for command in ["plan", "apply", "destroy", "report"] {
        let out = studio_fed(None, &[command, "-f", path(&bad)]);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", show(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error: {}:2:9: teams: invalid type", bad.display())),
            "{command}: {}",
            show(&out)
        );
        assert!(out.stdout.is_empty(), "{command}: {}", show(&out));
    }
    let missing = bad.with_file_name("missing.toml");
    let out = studio_fed(None, &["plan", "-f", path(&missing)]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&missing.display().to_string()),
        "{}",
        show(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_apply_report_destroy_against_the_emulator() {
    let emulator = Emulator::start().await.expect("emulator");
    let emulator = Some(&emulator);
    let deployment = file("lifecycle", "deployment.toml", DEPLOYMENT);
    let f = path(&deployment);

    // Pending changes: exit 2, the plan on stdout.
    let out = studio_fed(emulator, &["plan", "-f", f]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("plan for cli-test: "), "{}", show(&out));
    assert!(stdout.contains("cli-test-analytics"), "{}", show(&out));

    // The same as JSON.
    let out = studio_fed(emulator, &["plan", "-f", f, "-o", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    assert_eq!(json["deployment"], "cli-test");
    assert!(
        json["changes"].as_array().is_some_and(|c| !c.is_empty()),
        "{}",
        show(&out)
    );

    // No terminal and no --yes: refused, nothing changed.
    let out = studio_fed(emulator, &["apply", "-f", f]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stdin is not a terminal")
            && String::from_utf8_lossy(&out.stderr).contains("pass --yes"),
        "{}",
        show(&out)
    );
    let out = studio_fed(emulator, &["plan", "-f", f]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));

    // Apply, then nothing is pending.
    let out = studio_fed(emulator, &["apply", "-f", f, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("applied "),
        "{}",
        show(&out)
    );
    let out = studio_fed(emulator, &["plan", "-f", f]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("plan for cli-test: no changes"),
        "{}",
        show(&out)
    );
    let out = studio_fed(emulator, &["apply", "-f", f]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "nothing to apply, nothing to ask: {}",
        show(&out)
    );

    // The isolation report, as a table and as JSON.
    let out = studio_fed(emulator, &["report", "-f", f]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("hana@example.com"), "{}", show(&out));
    assert!(stdout.contains("isolated: no cross-team access"), "{}", show(&out));
    let out = studio_fed(emulator, &["report", "-f", f, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    assert_eq!(json["isolated"], true);

    // Destroy keeps the home EFS by default and says so; then nothing is left.
    let out = studio_fed(emulator, &["destroy", "-f", f]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --yes"),
        "{}",
        show(&out)
    );
    let out = studio_fed(emulator, &["destroy", "-f", f, "--yes", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("destroy JSON");
    assert_eq!(json["plan"]["destroy"], true);
    let retained = json["apply"]["retained"].as_array().expect("retained");
    assert!(
        retained
            .iter()
            .any(|r| r.as_str().is_some_and(|r| r.starts_with("EFS fs-"))),
        "{}",
        show(&out)
    );
    let out = studio_fed(emulator, &["destroy", "-f", f]);
    assert_eq!(out.status.code(), Some(0), "nothing left to destroy: {}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no changes"),
        "{}",
        show(&out)
    );

    // A blocked plan: printed, and exit 1.
    let blocked = file("lifecycle", "blocked.toml", BLOCKED);
    let out = studio_fed(emulator, &["plan", "-f", path(&blocked)]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("blocked: group \"No-Such-Group\""),
        "{}",
        show(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the plan is blocked"),
        "{}",
        show(&out)
    );
}
