//! The gateway's Lambda deployment package: a zip for the `provided.al2023` runtime holding
//!
//! - `bootstrap` (mode 0755): the studio-fed executable, checked by [`binary::check`];
//! - the configuration, under its own file name (the function's handler, see [`bootstrap`]);
//! - every file the configuration names ([`GatewayConfig::files`]: the IdP metadata, the
//!   AuthnRequest signing key and certificate, the OIDC provider's CA), under its file name, with
//!   the packaged configuration pointing at it.
//!
//! Everything sits at the top of the zip, which Lambda unpacks into `LAMBDA_TASK_ROOT`
//! (`/var/task`). The packaged configuration is the file's own settings, rewritten only where
//! they name files: `STUDIO_FED__*` variables of the packaging shell are not copied into it (set
//! secrets such as `STUDIO_FED__GATEWAY__COOKIE_KEY` on the function), except that a file one of
//! them names is packaged.
//!
//! [`bootstrap`]: super::bootstrap

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::binary::{self, Architecture};
use super::bootstrap::BOOTSTRAP;
use crate::config::set_path;
use crate::{Error, GatewayConfig};

/// What was packaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// The function's handler: the configuration's name in the package.
    pub handler: String,
    /// The function's architecture (`Architectures`), that of the bootstrap.
    pub architecture: Architecture,
    /// The names in the zip, `bootstrap` and the configuration first.
    pub entries: Vec<String>,
}

/// Writes the package of the gateway configured by `config` (a TOML file) to `zip`, with the
/// executable at `executable` as its bootstrap. Refuses an executable that cannot run on
/// `provided.al2023`, a configuration that does not load, and files it names that cannot be read.
pub fn write(config: &Path, executable: &Path, zip: &Path) -> Result<Packaged, Error> {
    let bootstrap = read(executable, "the executable")?;
    let architecture = binary::check(&executable.display().to_string(), &bootstrap)?;
    let loaded = GatewayConfig::load(config)?;
    let handler = file_name(config)?;
    if handler == BOOTSTRAP {
        return Err(Error::Package(format!(
            "the configuration cannot be called {BOOTSTRAP}: that is the executable's name in the package"
        )));
    }

    // The named files, each under its file name, and the configuration pointing at them.
    let text = std::fs::read_to_string(config).map_err(|source| Error::ReadConfig {
        path: config.display().to_string(),
        source,
    })?;
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| Error::Config(format!("{}: {e}", config.display())))?;
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for (setting, path) in loaded.files() {
        let path = PathBuf::from(path);
        let name = file_name(&path)?;
        match files.get(&name) {
            Some(other) if *other != path => {
                return Err(Error::Package(format!(
                    "{setting} names {} and another setting names {}: both would be {name} in the \
                     package; rename one of them",
                    path.display(),
                    other.display()
                )));
            }
            _ if name == BOOTSTRAP || name == handler => {
                return Err(Error::Package(format!(
                    "{setting} names {}, which would be {name} in the package, the name of the {}; \
                     rename it",
                    path.display(),
                    if name == BOOTSTRAP {
                        "executable"
                    } else {
                        "configuration"
                    }
                )));
            }
            _ => {}
        }
        let keys: Vec<String> = setting.split('.').map(str::to_owned).collect();
        set_path(&mut table, &keys, toml::Value::String(name.clone()))
            .map_err(|e| Error::Package(format!("cannot set {setting} in the packaged configuration: {e}")))?;
        files.insert(name, path);
    }
    let packaged_config = format!(
        "# Packaged by `studio-fed gateway package` from {}: the settings naming files name files\n\
         # of this package.\n{}",
        config.display(),
        toml::to_string(&table).map_err(|e| Error::Package(format!("cannot write the configuration: {e}")))?
    );

    let mut entries = vec![
        (BOOTSTRAP.to_owned(), bootstrap, 0o755),
        (handler.clone(), packaged_config.into_bytes(), 0o644),
    ];
    for (name, path) in files {
        let bytes = read(&path, "a file the configuration names")?;
        entries.push((name, bytes, 0o644));
    }
    write_zip(zip, &entries)?;
    Ok(Packaged {
        handler,
        architecture,
        entries: entries.into_iter().map(|(name, _, _)| name).collect(),
    })
}

/// The last component of `path`, as UTF-8.
fn file_name(path: &Path) -> Result<String, Error> {
    path.file_name()
        .and_then(|name| name.to_str())
        .map(str::to_owned)
        .ok_or_else(|| Error::Package(format!("{} has no UTF-8 file name", path.display())))
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Package(format!("cannot read {what} {}: {e}", path.display())))
}

/// Writes `entries` (name, contents, Unix mode) to a new zip at `path`, deflated.
fn write_zip(path: &Path, entries: &[(String, Vec<u8>, u32)]) -> Result<(), Error> {
    let failed = |e: &dyn std::fmt::Display| Error::Package(format!("cannot write {}: {e}", path.display()));
    let file = std::fs::File::create(path).map_err(|e| failed(&e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    for (name, contents, mode) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(*mode)
            .large_file(contents.len() >= u32::MAX as usize);
        zip.start_file(name.as_str(), options).map_err(|e| failed(&e))?;
        zip.write_all(contents).map_err(|e| failed(&e))?;
    }
    let mut writer = zip.finish().map_err(|e| failed(&e))?;
    writer.flush().map_err(|e| failed(&e))
}
