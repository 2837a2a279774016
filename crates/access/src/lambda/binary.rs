//! Whether an executable can be the bootstrap of a `provided.al2023` function: a 64-bit Linux ELF
//! for x86_64 or arm64 that needs no shared library besides glibc's and no glibc newer than 2.34,
//! the version of Amazon Linux 2023. Anything else would die at start on Lambda with "error while
//! loading shared libraries" or "version `GLIBC_2.xx' not found".

use std::collections::BTreeMap;

use object::Endianness;
use object::elf::{self, FileHeader64};
use object::read::elf::{FileHeader as _, ProgramHeader as _, Sym as _};

/// The glibc of `provided.al2023` (Amazon Linux 2023).
pub const GLIBC: (u32, u32) = (2, 34);

/// The shared libraries of glibc (and its `libgcc_s`) that `provided.al2023` has. The dynamic
/// loader, `ld-linux-*.so.*`, is allowed by its name pattern.
pub const GLIBC_LIBRARIES: [&str; 6] = [
    "libc.so.6",
    "libm.so.6",
    "libgcc_s.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
];

/// What to do about a library the runtime lacks.
const BUILD_WITHOUT_LIBRARIES: &str = "build studio-fed without system libraries: the default \
     features (no `xmlsec` feature, which links libxmlsec1 and libxml2), with OpenSSL vendored";

/// The processor of a Lambda function, as its `Architectures` setting names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// `x86_64`.
    X86_64,
    /// `arm64` (ELF machine aarch64).
    Arm64,
}

impl Architecture {
    /// The name in Lambda's `Architectures` (`x86_64` or `arm64`).
    pub fn lambda_name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The cargo-zigbuild target that links against glibc 2.34.
    fn zigbuild_target(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64-unknown-linux-gnu.2.34",
            Architecture::Arm64 => "aarch64-unknown-linux-gnu.2.34",
        }
    }
}

/// Checks that `bytes`, the executable at `path`, can run on `provided.al2023`, and returns its
/// architecture. The error lists every reason it cannot: its format or processor, each shared
/// library the runtime lacks, each glibc symbol version newer than 2.34 (with the symbols that
/// need it), and what to build instead.
pub fn check(path: &str, bytes: &[u8]) -> Result<Architecture, crate::Error> {
    let incompatible = |problems: Vec<String>| crate::Error::Incompatible {
        path: path.to_owned(),
        problems,
    };
    if !bytes.starts_with(b"\x7fELF\x02") {
        return Err(incompatible(vec![not_linux(format_of(bytes))]));
    }
    let header = FileHeader64::<Endianness>::parse(bytes)
        .map_err(|e| incompatible(vec![format!("its ELF header cannot be read ({e})")]))?;
    let read = |e: object::Error| incompatible(vec![format!("its ELF file cannot be read ({e})")]);
    let endian = header.endian().map_err(read)?;
    let architecture = match header.e_machine(endian) {
        elf::EM_X86_64 => Architecture::X86_64,
        elf::EM_AARCH64 => Architecture::Arm64,
        other => {
            return Err(incompatible(vec![format!(
                "it is an ELF for machine {} (e_machine); Lambda runs x86_64 and arm64 (aarch64): \
                 build for x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu",
                other.0
            )]));
        }
    };
    let os_abi = header.e_ident().os_abi;
    if os_abi != elf::ELFOSABI_NONE && os_abi != elf::ELFOSABI_GNU {
        return Err(incompatible(vec![format!(
            "it is an ELF for another operating system (OS ABI {}): build for Linux",
            os_abi.0
        )]));
    }

    let mut problems = Vec::new();
    for interpreter in interpreters(header, endian, bytes).map_err(read)? {
        if !interpreter.starts_with("/lib64/ld-linux-") && !interpreter.starts_with("/lib/ld-linux-") {
            problems.push(format!(
                "its program interpreter is {interpreter}, not glibc's dynamic loader: {BUILD_WITHOUT_LIBRARIES}, \
                 for a *-unknown-linux-gnu target"
            ));
        }
    }
    let sections = header.sections(endian, bytes).map_err(read)?;
    let dynamic = sections.dynamic_table(endian, bytes).map_err(read)?;
    let mut foreign = Vec::new();
    for entry in dynamic.iter().filter(|d| d.tag == elf::DT_NEEDED) {
        let library = String::from_utf8_lossy(dynamic.string(entry).map_err(read)?).into_owned();
        if !is_glibc_library(&library) {
            foreign.push(library);
        }
    }
    if !foreign.is_empty() {
        problems.push(format!(
            "it needs shared libraries that provided.al2023 does not have: {}; {BUILD_WITHOUT_LIBRARIES}",
            foreign.join(", ")
        ));
    }
    let too_new: Vec<String> = too_new_glibc(&sections, endian, bytes)
        .map_err(read)?
        .into_iter()
        .map(|(version, symbols)| {
            let shown: Vec<_> = symbols.iter().take(5).map(String::as_str).collect();
            match symbols.len() - shown.len() {
                _ if shown.is_empty() => version,
                0 => format!("{version} (for {})", shown.join(", ")),
                more => format!("{version} (for {} and {more} more)", shown.join(", ")),
            }
        })
        .collect();
    if !too_new.is_empty() {
        problems.push(format!(
            "it needs {}, newer than provided.al2023's glibc {major}.{minor}: build against glibc \
             {major}.{minor} or older, e.g. `pip install cargo-zigbuild ziglang`, then `cargo zigbuild \
             --release -p studio-fed-cli --target {}`",
            too_new.join(", "),
            architecture.zigbuild_target(),
            major = GLIBC.0,
            minor = GLIBC.1,
        ));
    }
    if problems.is_empty() {
        Ok(architecture)
    } else {
        Err(incompatible(problems))
    }
}

/// What a file that is not a 64-bit ELF is, by its first bytes.
fn format_of(bytes: &[u8]) -> &'static str {
    match bytes {
        [0x7f, b'E', b'L', b'F', 1, ..] => "a 32-bit ELF",
        [0xcf | 0xce, 0xfa, 0xed, 0xfe, ..] | [0xca, 0xfe, 0xba, 0xbe, ..] => "a Mach-O file (macOS)",
        [b'M', b'Z', ..] => "a PE file (Windows)",
        [b'#', b'!', ..] => "a script",
        _ => "a file of another format",
    }
}

fn not_linux(kind: &str) -> String {
    format!(
        "it is not a 64-bit Linux executable (ELF) but {kind}: Lambda runs Linux x86_64 and arm64 \
         executables; build one (e.g. `cargo zigbuild --release -p studio-fed-cli --target \
         aarch64-unknown-linux-gnu.2.34`) and pass it with --binary"
    )
}

/// Whether `library` (a `DT_NEEDED` name) is one of glibc's.
pub fn is_glibc_library(library: &str) -> bool {
    GLIBC_LIBRARIES.contains(&library)
        || library
            .strip_prefix("ld-linux-")
            .is_some_and(|rest| rest.contains(".so."))
}

/// The `PT_INTERP` paths (one at most in a well-formed executable).
fn interpreters(
    header: &FileHeader64<Endianness>,
    endian: Endianness,
    bytes: &[u8],
) -> Result<Vec<String>, object::Error> {
    let mut found = Vec::new();
    for segment in header.program_headers(endian, bytes)? {
        if let Some(path) = segment.interpreter(endian, bytes)? {
            found.push(String::from_utf8_lossy(path).into_owned());
        }
    }
    Ok(found)
}

/// The `GLIBC_*` version requirements that glibc 2.34 cannot satisfy, each with the symbols that
/// need it (none for a requirement without symbols, such as `GLIBC_ABI_DT_RELR`).
fn too_new_glibc(
    sections: &object::read::elf::SectionTable<'_, FileHeader64<Endianness>>,
    endian: Endianness,
    bytes: &[u8],
) -> Result<BTreeMap<String, Vec<String>>, object::Error> {
    let mut too_new = BTreeMap::new();
    if let Some((mut needs, link)) = sections.gnu_verneed(endian, bytes)? {
        let strings = sections.strings(endian, bytes, link)?;
        while let Some((_need, mut entries)) = needs.next()? {
            while let Some(entry) = entries.next()? {
                let version = String::from_utf8_lossy(entry.name(endian, strings)?).into_owned();
                if needs_newer_glibc(&version) {
                    too_new.insert(version, Vec::new());
                }
            }
        }
    }
    if too_new.is_empty() {
        return Ok(too_new);
    }
    if let Some(versions) = sections.versions(endian, bytes)? {
        let symbols = sections.symbols(endian, bytes, elf::SHT_DYNSYM)?;
        for (index, symbol) in symbols.enumerate() {
            let Some(version) = versions.version(versions.version_index(endian, index).index())? else {
                continue;
            };
            let version = String::from_utf8_lossy(version.name());
            if let Some(needing) = too_new.get_mut(version.as_ref()) {
                let name = symbol.name(endian, symbols.strings())?;
                needing.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    Ok(too_new)
}

/// Whether a symbol version requirement is a glibc one that glibc 2.34 does not provide:
/// `GLIBC_2.35` and later, and the non-numbered ones (`GLIBC_ABI_DT_RELR` came with 2.36).
fn needs_newer_glibc(version: &str) -> bool {
    let Some(number) = version.strip_prefix("GLIBC_") else {
        return false;
    };
    let mut parts = number.split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) > GLIBC,
        (Some(Ok(major)), None) => (major, 0) > GLIBC,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_up_to_2_34_are_accepted() {
        for version in ["GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.34", "GCC_3.0", "GCC_12.0.0"] {
            assert!(!needs_newer_glibc(version), "{version}");
        }
        for version in [
            "GLIBC_2.35",
            "GLIBC_2.38",
            "GLIBC_3.0",
            "GLIBC_ABI_DT_RELR",
            "GLIBC_PRIVATE",
        ] {
            assert!(needs_newer_glibc(version), "{version}");
        }
    }

    #[test]
    fn only_glibc_libraries_are_glibc_libraries() {
        for library in [
            "libc.so.6",
            "libgcc_s.so.1",
            "ld-linux-x86-64.so.2",
            "ld-linux-aarch64.so.1",
        ] {
            assert!(is_glibc_library(library), "{library}");
        }
        for library in [
            "libxmlsec1.so.1",
            "libssl.so.3",
            "libc.so",
            "ld-musl-x86_64.so.1",
            "ld-linux",
        ] {
            assert!(!is_glibc_library(library), "{library}");
        }
    }
}
