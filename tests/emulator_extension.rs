//! The emulator extension's own pytest suite (`tests/emulator/tests`), which
//! checks each added API against AWS's documented behaviour, run as part of
//! `cargo test` so the README's one test command covers it.

use std::process::Command;

use studio_fed_testkit::emulator::PythonEnvironment;

#[test]
fn extension_pytest_suite_passes() {
    let environment = PythonEnvironment::prepare().expect("emulator Python environment");
    let output = Command::new(&environment.python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(&environment.source_dir)
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    println!("pytest: {summary}");
    assert!(
        output.status.success(),
        "the emulator extension's pytest suite failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(summary.contains(" passed") && !summary.contains("failed"), "{summary}");
}
