//! A root file system holding only what the `provided.al2023` runtime promises a bootstrap:
//! glibc's shared libraries and its dynamic loader (copied from this machine), and the CA bundle
//! at `/etc/pki/tls/certs/ca-bundle.crt`, with `/etc/ssl/certs/ca-certificates.crt` pointing
//! there. Started in a chroot at it ([`Function::in_root`](super::Function::in_root)), an
//! executable that needs any other library fails as it would on Lambda.

use std::path::{Path, PathBuf};

/// glibc's shared libraries (and `libgcc_s`), which `provided.al2023` has.
pub const GLIBC_LIBRARIES: [&str; 6] = [
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
];

/// glibc's dynamic loaders, at the paths executables name (`PT_INTERP`).
const LOADERS: [&str; 2] = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"];

/// Where this machine may keep them (multiarch Debian and Ubuntu, then Fedora and Amazon Linux).
const LIBRARY_DIRS: [&str; 6] = [
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
];

/// This machine's CA bundle (Debian's, then Amazon Linux's and Fedora's).
const CA_BUNDLES: [&str; 2] = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"];

/// Lays the root out at `root` and returns its task root, `root/var/task`, where the package
/// goes. Each library is copied to the path where this machine keeps it, so that the loader's
/// default search path finds it (there is no `ld.so.cache` in the root).
pub fn provided_al2023(root: &Path) -> std::io::Result<PathBuf> {
    let mut copied = Vec::new();
    for loader in LOADERS.iter().map(Path::new).filter(|path| path.exists()) {
        copy_into(root, loader, loader)?;
        copied.push(loader.to_path_buf());
    }
    for library in GLIBC_LIBRARIES {
        let Some(dir) = LIBRARY_DIRS
            .iter()
            .map(Path::new)
            .find(|dir| dir.join(library).exists())
        else {
            continue;
        };
        copy_into(root, &dir.join(library), &dir.join(library))?;
        copied.push(dir.join(library));
    }
    if !copied.iter().any(|path| path.ends_with("libc.so.6")) {
        return Err(std::io::Error::other(format!(
            "no glibc on this machine in {}: the root needs its libc.so.6",
            LIBRARY_DIRS.join(", ")
        )));
    }
    let bundle = CA_BUNDLES
        .iter()
        .map(Path::new)
        .find(|path| path.exists())
        .ok_or_else(|| std::io::Error::other(format!("no CA bundle on this machine ({})", CA_BUNDLES.join(", "))))?;
    copy_into(root, bundle, Path::new("/etc/pki/tls/certs/ca-bundle.crt"))?;
    let link = root.join("etc/ssl/certs/ca-certificates.crt");
    std::fs::create_dir_all(root.join("etc/ssl/certs"))?;
    if !link.is_symlink() {
        std::os::unix::fs::symlink("/etc/pki/tls/certs/ca-bundle.crt", &link)?;
    }
    let task_root = root.join("var/task");
    std::fs::create_dir_all(&task_root)?;
    Ok(task_root)
}

/// Copies the file `from` (following links) to `root` + `to`.
fn copy_into(root: &Path, from: &Path, to: &Path) -> std::io::Result<()> {
    let target = root.join(to.strip_prefix("/").unwrap_or(to));
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, &target).map(drop)
}
