//! `studio-fed serve` and `studio-fed access policy`, run as a user runs them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use studio_fed_testkit::saml_idp::SamlIdp;

const GATEWAY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/secure_studio_sso_gateway.toml"
);

#[test]
fn access_policy_prints_the_role_policy_and_the_scp() {
    let output = Command::new(env!("CARGO_BIN_EXE_studio-fed"))
        .args(["access", "policy", "-f", GATEWAY, "-o", "json"])
        .output()
        .expect("run studio-fed");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let role = json["role_policy"].to_string();
    assert!(
        role.contains("sagemaker:CreatePresignedDomainUrl") && role.contains("aws:VpcSourceIp"),
        "{role}"
    );
    assert!(role.contains("user-profile/d-0a1b2c3d4e5f/*"), "{role}");
    let scp = json["service_control_policy"].to_string();
    assert!(scp.contains("\"Deny\"") && scp.contains("NotIpAddress"), "{scp}");
}

#[test]
fn access_policy_names_what_is_missing() {
    let output = Command::new(env!("CARGO_BIN_EXE_studio-fed"))
        .args(["access", "policy", "-f", GATEWAY])
        .env("STUDIO_FED__GATEWAY__EXPIRES_IN_SECONDS", "3600")
        .output()
        .expect("run studio-fed");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("expires_in_seconds is 3600; CreatePresignedDomainUrl accepts 5 to 300"),
        "{stderr}"
    );
}

/// Serves, answers /healthz, logs JSON, and on SIGTERM stops and exits 0.
#[cfg(unix)]
#[test]
fn serve_answers_health_logs_json_and_stops_on_sigterm() {
    let idp = SamlIdp::new("https://idp.example.test/metadata").expect("IdP");
    let metadata = std::env::temp_dir().join(format!("studio-fed-cli-serve-{}.xml", std::process::id()));
    std::fs::write(&metadata, idp.metadata_xml()).expect("metadata");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_studio-fed"))
        .args(["serve", "-f", GATEWAY])
        .env("STUDIO_FED__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
        .env("STUDIO_FED__SAML__METADATA_FILE", &metadata)
        .env("STUDIO_FED__REPLAY__STORE", "memory")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start studio-fed serve");

    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut stream) => {
                use std::io::{Read, Write};
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .expect("request");
                let mut answer = String::new();
                stream.read_to_string(&mut answer).expect("answer");
                break answer;
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("the gateway did not listen: {e}"),
        }
    };
    assert!(health.starts_with("HTTP/1.1 200") && health.ends_with("ok"), "{health}");

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(terminated.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let lines: Vec<String> = BufReader::new(child.stderr.take().expect("stderr"))
        .lines()
        .map_while(Result::ok)
        .collect();
    let _ = std::fs::remove_file(&metadata);
    let listening = lines
        .iter()
        .find(|l| l.contains("studio-fed gateway listening"))
        .unwrap_or_else(|| panic!("no listening line in {lines:?}"));
    let json: serde_json::Value = serde_json::from_str(listening).expect("a JSON log line");
    assert_eq!(json["addr"], format!("127.0.0.1:{port}"));
    assert!(lines.iter().any(|l| l.contains("shutting down")), "{lines:?}");
}
