//! Which executables `studio_fed_access::lambda::binary::check` lets into a Lambda package, tried
//! on a real executable, a Rust program built here with this toolchain's `rustc` (so it needs
//! glibc only, as a studio-fed built without system libraries does), and on copies of it changed
//! the way a different build would differ: one more shared library, a newer glibc, another
//! processor, another operating system, another format.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use studio_fed_access::lambda::binary::{Architecture, check};

/// A small Rust program (threads, the environment, files, output: what std links), built once.
fn rust_executable() -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let path = BUILT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("studio-fed-lambda-binary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("main.rs");
        std::fs::write(
            &source,
            r#"fn main() {
                let args: Vec<String> = std::env::args().collect();
                let t = std::thread::spawn(move || args.len());
                let n = t.join().unwrap();
                let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
                println!("{n} {} {:?}", text.len(), std::env::var("HOME"));
            }"#,
        )
        .unwrap();
        let executable = dir.join("hello");
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let built = Command::new(rustc)
            .args(["--edition", "2021", "-O", "-o"])
            .arg(&executable)
            .arg(&source)
            .output()
            .expect("run rustc");
        assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
        executable
    });
    std::fs::read(path).unwrap()
}

/// `bytes` with every occurrence of `from` replaced by `to` (of the same length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + to.len()].copy_from_slice(to);
            found += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(found > 0, "{} is not in the executable", String::from_utf8_lossy(from));
    out
}

fn refusal(bytes: &[u8]) -> String {
    check("bootstrap-under-test", bytes).unwrap_err().to_string()
}

#[cfg(target_arch = "x86_64")]
const HERE: Architecture = Architecture::X86_64;
#[cfg(target_arch = "aarch64")]
const HERE: Architecture = Architecture::Arm64;

/// A Rust executable needs glibc only; built on a glibc newer than 2.34 it still needs no symbol
/// newer than 2.34 (Rust's standard library asks for none).
#[test]
fn an_executable_needing_only_glibc_up_to_2_34_is_accepted() {
    let bytes = rust_executable();
    let needs_newer = String::from_utf8_lossy(&bytes).contains("GLIBC_2.35");
    match check("the Rust program", &bytes) {
        Ok(architecture) => assert_eq!(architecture, HERE),
        Err(e) => panic!("refused (this machine's build links something more; GLIBC_2.35 seen: {needs_newer}): {e}"),
    }
}

#[test]
fn a_shared_library_other_than_glibc_is_named_with_what_to_do() {
    // The executable asks for libgcc_s.so.1; a build linking libxmlsec1 asks for that the same way.
    let bytes = replaced(&rust_executable(), b"libgcc_s.so.1\0", b"libxmlsec.so1\0");
    let message = refusal(&bytes);
    assert!(
        message.contains("bootstrap-under-test cannot run on AWS Lambda's provided.al2023 runtime")
            && message.contains("it needs shared libraries that provided.al2023 does not have: libxmlsec.so1;")
            && message.contains("build studio-fed without system libraries"),
        "{message}"
    );
    assert!(!message.contains("libc.so.6"), "glibc itself is fine: {message}");
}

#[test]
fn a_glibc_newer_than_2_34_is_named_with_its_symbols_and_the_zigbuild_target() {
    // Rust's standard library needs __libc_start_main@GLIBC_2.34 when built on glibc >= 2.34;
    // a build on an older glibc does not, so fall back to x86_64's oldest version.
    let bytes = rust_executable();
    let (from, to): (&[u8], &[u8]) = if String::from_utf8_lossy(&bytes).contains("GLIBC_2.34") {
        (b"GLIBC_2.34\0", b"GLIBC_2.39\0")
    } else {
        (b"GLIBC_2.2.5\0", b"GLIBC_9.9.9\0")
    };
    let message = refusal(&replaced(&bytes, from, to));
    let version = String::from_utf8_lossy(&to[..to.len() - 1]).into_owned();
    let target = match HERE {
        Architecture::X86_64 => "x86_64-unknown-linux-gnu.2.34",
        Architecture::Arm64 => "aarch64-unknown-linux-gnu.2.34",
    };
    assert!(
        message.contains(&format!("it needs {version} (for "))
            && message.contains("newer than provided.al2023's glibc 2.34")
            && message.contains(&format!("cargo zigbuild --release -p studio-fed-cli --target {target}")),
        "{message}"
    );
    if from == b"GLIBC_2.34\0" {
        assert!(message.contains("__libc_start_main"), "{message}");
    }
}

#[test]
fn another_processor_another_system_or_another_format_is_refused() {
    let bytes = rust_executable();
    // e_machine (offset 18, little-endian here) = 40, 32-bit ARM.
    let mut arm = bytes.clone();
    arm[18..20].copy_from_slice(&40u16.to_le_bytes());
    let message = refusal(&arm);
    assert!(
        message.contains("it is an ELF for machine 40") && message.contains("Lambda runs x86_64 and arm64"),
        "{message}"
    );

    // EI_OSABI (offset 7) = 9, FreeBSD.
    let mut freebsd = bytes.clone();
    freebsd[7] = 9;
    let message = refusal(&freebsd);
    assert!(message.contains("another operating system (OS ABI 9)"), "{message}");

    // A script is not the executable to package (it would need studio-fed next to it).
    let message = refusal(b"#!/bin/sh\nexec ./studio-fed serve -f gateway.toml\n");
    assert!(
        message.contains("it is not a 64-bit Linux executable (ELF) but a script") && message.contains("--binary"),
        "{message}"
    );

    // ELFCLASS (offset 4) = 1: a 32-bit ELF.
    let mut elf32 = bytes.clone();
    elf32[4] = 1;
    let message = refusal(&elf32);
    assert!(message.contains("but a 32-bit ELF"), "{message}");
}
