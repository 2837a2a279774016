//! Pinned Python virtual environments under `target/`, created on first use and reused
//! afterwards: one per folder of Python sources with a `requirements.txt` (the emulator's
//! `tests/emulator`, the SAML peers' `tests/interop/pysaml2`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Which environment: its sources, where it goes, and how to talk about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    /// What the environment runs, for messages ("the local AWS emulator").
    pub purpose: &'static str,
    /// The sources' folder, relative to the repository root (`tests/emulator`).
    pub source: &'static str,
    /// The environment variable that overrides the sources' folder.
    pub source_var: &'static str,
    /// The folder under the target directory (`studio-fed-emulator`).
    pub home: &'static str,
    /// The oldest Python the pinned packages install on, for messages ("3.10").
    pub min_python: &'static str,
}

/// Where an environment's Python sources live, and where its virtual environment goes.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    purpose: &'static str,
    min_python: &'static str,
    /// The folder with `requirements.txt`.
    pub source: PathBuf,
    /// `target/<home>`, holding `venv/`.
    pub home: PathBuf,
}

impl Layout {
    /// The layout of this checkout; the spec's `source_var` and `CARGO_TARGET_DIR` override the
    /// defaults.
    pub fn discover(spec: &Spec) -> Result<Layout, String> {
        // crates/testkit → the repository root.
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir);
        let source = std::env::var_os(spec.source_var)
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join(spec.source));
        if !source.join("requirements.txt").is_file() {
            return Err(format!(
                "the sources of {} are not at {}: run from a studio-fed checkout or set {} to its {} \
                 folder",
                spec.purpose,
                source.display(),
                spec.source_var,
                spec.source
            ));
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join("target"));
        Ok(Layout {
            purpose: spec.purpose,
            min_python: spec.min_python,
            source,
            home: target.join(spec.home),
        })
    }

    /// The venv's Python interpreter.
    pub fn python(&self) -> PathBuf {
        self.home.join("venv/bin/python")
    }

    /// Makes sure the virtual environment exists and holds exactly the pinned requirements,
    /// installing them once. Safe to call from many processes at once.
    pub fn ensure(&self) -> Result<(), String> {
        let requirements_file = self.source.join("requirements.txt");
        let requirements = fs::read_to_string(&requirements_file)
            .map_err(|e| format!("cannot read {}: {e}", requirements_file.display()))?;
        let marker = self.home.join("venv/.studio-fed-requirements");
        if fs::read_to_string(&marker).is_ok_and(|installed| installed == requirements) {
            return Ok(());
        }
        fs::create_dir_all(&self.home).map_err(|e| format!("cannot create {}: {e}", self.home.display()))?;
        let lock_file = self.home.join(".lock");
        let lock = File::create(&lock_file).map_err(|e| format!("cannot create {}: {e}", lock_file.display()))?;
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_file.display()))?;
        // Another process may have finished the install while this one waited.
        if fs::read_to_string(&marker).is_ok_and(|installed| installed == requirements) {
            return Ok(());
        }
        let pins: Vec<&str> = requirements
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
            .collect();
        eprintln!(
            "studio-fed-testkit: installing {} ({}) into {}; this happens once",
            self.purpose,
            pins.join(", "),
            self.home.join("venv").display()
        );
        let python = std::env::var("STUDIO_FED_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        run(
            Command::new(&python)
                .args(["-m", "venv", "--clear"])
                .arg(self.home.join("venv")),
            &format!(
                "creating a Python virtual environment with `{python} -m venv` failed. {} needs Python \
                 {}+ with venv: install it (Debian/Ubuntu: apt-get install python3 python3-venv) or \
                 point STUDIO_FED_PYTHON at a suitable interpreter",
                self.purpose, self.min_python
            ),
        )?;
        run(
            Command::new(self.python())
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(&requirements_file),
            &format!(
                "pip could not install the pinned requirements of {} ({}): check that PyPI is \
                 reachable (or that pip's index settings point at a mirror), then run the tests again",
                self.purpose,
                requirements_file.display()
            ),
        )?;
        fs::write(&marker, requirements).map_err(|e| format!("cannot write {}: {e}", marker.display()))
    }
}

/// Runs a command to completion; a failure is `failure` and the last lines it printed on stderr.
fn run(command: &mut Command, failure: &str) -> Result<Output, String> {
    match command.output() {
        Ok(output) if output.status.success() => Ok(output),
        Ok(output) => Err(format!("{failure}\n{}", stderr_tail(&output))),
        Err(e) => Err(format!("{failure} ({e})")),
    }
}

/// The last lines a command printed on stderr.
pub(crate) fn stderr_tail(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}
