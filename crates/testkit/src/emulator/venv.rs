//! The emulator's pinned Python virtual environment under `target/`, created on
//! first use and reused afterwards.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::Error;

/// Where the emulator's Python sources live, and where its environment goes.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// `tests/emulator` of the studio-fed repository.
    pub source: PathBuf,
    /// `target/studio-fed-emulator`.
    pub home: PathBuf,
}

impl Layout {
    /// The layout of this checkout; `STUDIO_FED_EMULATOR_DIR` and
    /// `CARGO_TARGET_DIR` override the defaults.
    pub fn discover() -> Result<Layout, Error> {
        // crates/testkit → the repository root.
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir);
        let source = std::env::var_os("STUDIO_FED_EMULATOR_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join("tests/emulator"));
        if !source.join("requirements.txt").is_file() {
            return Err(Error::Setup(format!(
                "the emulator's sources are not at {}: run from a studio-fed checkout or set \
                 STUDIO_FED_EMULATOR_DIR to its tests/emulator folder",
                source.display()
            )));
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join("target"));
        Ok(Layout {
            source,
            home: target.join("studio-fed-emulator"),
        })
    }

    /// The venv's Python interpreter.
    pub fn python(&self) -> PathBuf {
        self.home.join("venv/bin/python")
    }
}

/// Makes sure the virtual environment exists and holds exactly the pinned
/// requirements, installing them once. Safe to call from many processes at once.
pub(super) fn ensure(layout: &Layout) -> Result<(), Error> {
    let requirements = fs::read_to_string(layout.source.join("requirements.txt"))
        .map_err(|e| Error::Setup(format!("cannot read the emulator's requirements.txt: {e}")))?;
    let marker = layout.home.join("venv/.studio-fed-requirements");
    if fs::read_to_string(&marker).is_ok_and(|installed| installed == requirements) {
        return Ok(());
    }
    fs::create_dir_all(&layout.home)
        .map_err(|e| Error::Setup(format!("cannot create {}: {e}", layout.home.display())))?;
    let lock = File::create(layout.home.join(".lock"))
        .map_err(|e| Error::Setup(format!("cannot create the emulator's lock file: {e}")))?;
    lock.lock()
        .map_err(|e| Error::Setup(format!("cannot lock the emulator's environment: {e}")))?;
    // Another process may have finished the install while this one waited.
    if fs::read_to_string(&marker).is_ok_and(|installed| installed == requirements) {
        return Ok(());
    }
    let pins: Vec<&str> = requirements
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    eprintln!(
        "studio-fed-testkit: installing the local AWS emulator ({}) into {}; this happens once",
        pins.join(", "),
        layout.home.join("venv").display()
    );
    let python = std::env::var("STUDIO_FED_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    run(
        Command::new(&python)
            .args(["-m", "venv", "--clear"])
            .arg(layout.home.join("venv")),
        &format!(
            "creating a Python virtual environment with `{python} -m venv` failed. The emulator needs \
             Python 3.9+ with venv: install it (Debian/Ubuntu: apt-get install python3 python3-venv) \
             or point STUDIO_FED_PYTHON at a suitable interpreter"
        ),
    )?;
    run(
        Command::new(layout.python())
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(layout.source.join("requirements.txt")),
        "pip could not install the emulator's pinned requirements: check that PyPI is reachable \
         (or that pip's index settings point at a mirror), then run the tests again",
    )?;
    fs::write(&marker, requirements).map_err(|e| Error::Setup(format!("cannot write {}: {e}", marker.display())))
}

fn run(command: &mut Command, failure: &str) -> Result<Output, Error> {
    match command.output() {
        Ok(output) if output.status.success() => Ok(output),
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(Error::Setup(format!("{failure}\n{}", tail.join("\n"))))
        }
        Err(e) => Err(Error::Setup(format!("{failure} ({e})"))),
    }
}
