//! The emulator's life cycle, seen from outside: the `studio-fed-emulator`
//! launcher, stopping on drop, and the message when Python is missing.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use studio_fed_testkit::emulator::Emulator;

fn port_of(endpoint: &str) -> u16 {
    endpoint.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
}

fn accepts(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[tokio::test]
async fn the_server_stops_when_the_emulator_is_dropped() {
    let emulator = Emulator::start().await.expect("emulator");
    let port = port_of(emulator.endpoint_url());
    assert!(accepts(port));
    drop(emulator);
    assert!(!accepts(port), "port {port} still accepts connections after drop");
}

#[test]
fn launcher_prints_the_exports_and_stops_on_ctrl_c() {
    let mut launcher = Command::new(env!("CARGO_BIN_EXE_studio-fed-emulator"))
        .args(["--port", "0", "--region", "eu-west-1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the launcher");
    let stdout = launcher.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(stdout).lines().take(5).map_while(Result::ok).collect();
    let endpoint = lines
        .iter()
        .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL="))
        .expect("AWS_ENDPOINT_URL export")
        .to_owned();
    assert!(lines.contains(&"export AWS_REGION=eu-west-1".to_owned()), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("export AWS_ACCESS_KEY_ID=")),
        "{lines:?}"
    );
    let port = port_of(&endpoint);
    assert!(accepts(port));

    let interrupted = Command::new("kill")
        .args(["-INT", &launcher.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = launcher.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the launcher did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    assert!(!accepts(port), "the emulator outlived its launcher");
}

#[test]
fn missing_python_is_an_actionable_error() {
    let target = std::env::temp_dir().join(format!("studio-fed-no-python-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_studio-fed-emulator"))
        .args(["--port", "0"])
        .env("CARGO_TARGET_DIR", &target)
        .env("STUDIO_FED_PYTHON", "/nonexistent/python3")
        .output()
        .expect("run the launcher");
    let _ = std::fs::remove_dir_all(&target);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Python 3.9+"), "{stderr}");
    assert!(stderr.contains("apt-get install python3 python3-venv"), "{stderr}");
    assert!(stderr.contains("STUDIO_FED_PYTHON"), "{stderr}");
}
