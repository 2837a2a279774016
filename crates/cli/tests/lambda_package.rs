//! `studio-fed gateway package`, and the package started the way AWS Lambda starts a
//! `provided.al2023` function: unzipped into a task root, `bootstrap` run with no arguments and
//! Lambda's environment only, under a local Runtime API (`studio_fed_testkit::lambda_runtime`).
//! It answers an API Gateway HTTP API event and a Lambda function URL event carrying a signed
//! SAML login with a 303 to a presigned URL from the emulator, and reports a bad configuration to
//! `/init/error`. Its ELF is read here, independently of the product's own check: it must need
//! only glibc's libraries, and no glibc newer than 2.34 (Amazon Linux 2023's). As root on Linux it
//! also runs in a chroot holding only glibc and the CA bundle, so a missing library shows by
//! running it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../../access/tests/support/mod.rs"]
mod support;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use object::Endianness;
use object::elf::{DT_NEEDED, FileHeader64};
use object::read::elf::FileHeader as _;
use serde_json::Value;
use studio_fed_testkit::lambda_runtime::event::{self, Front};
use studio_fed_testkit::lambda_runtime::root::{self, GLIBC_LIBRARIES as GLIBC};
use studio_fed_testkit::lambda_runtime::{Function, RuntimeApi, unpack};
use support::{USER, World, world};

const PUBLIC_URL: &str = "https://studio-login.example.com";
const ACS: &str = "https://studio-login.example.com/saml/acs";
const CLIENT_IP: &str = "203.0.113.10";
/// Long enough for a start and a login on a busy 2-core machine; only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(60);

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("studio-fed-lambda-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A SAML gateway configuration for `domain`, with its IdP metadata next to it (a relative path).
fn write_config(dir: &Path, domain: &str, metadata_xml: &str) -> PathBuf {
    let folder = dir.join("config");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("idp-metadata.xml"), metadata_xml).unwrap();
    let config = support::saml_config("idp-metadata.xml", domain, "")
        .replace("{URL}", PUBLIC_URL)
        .replace("127.0.0.0/8", "203.0.113.0/24");
    let path = folder.join("gateway.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn studio_fed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studio-fed"))
        .args(args)
        .output()
        .expect("run studio-fed")
}

/// `studio-fed gateway package -f config --zip zip`, and `extra` arguments.
fn run_package(config: &Path, zip: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "gateway",
        "package",
        "-f",
        config.to_str().unwrap(),
        "--zip",
        zip.to_str().unwrap(),
    ];
    args.extend(extra);
    studio_fed(&args)
}

/// Packages `config` into `dir/gateway.zip`.
fn package(dir: &Path, config: &Path) -> PathBuf {
    let zip = dir.join("gateway.zip");
    let out = run_package(config, &zip, &[]);
    assert!(
        out.status.success(),
        "package failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    zip
}

/// Each entry of the zip: name, Unix mode, contents.
fn entries(zip: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).unwrap();
            (entry.name().unwrap().into_owned(), entry.unix_mode().unwrap(), contents)
        })
        .collect()
}

/// The NEEDED libraries and the required symbol versions of a 64-bit little-endian ELF.
fn needs(elf: &[u8]) -> (Vec<String>, Vec<String>) {
    let header = FileHeader64::<Endianness>::parse(elf).expect("a 64-bit ELF");
    let endian = header.endian().unwrap();
    let sections = header.sections(endian, elf).unwrap();
    let dynamic = sections.dynamic_table(endian, elf).unwrap();
    let libraries = dynamic
        .iter()
        .filter(|d| d.tag == DT_NEEDED)
        .map(|d| String::from_utf8_lossy(dynamic.string(d).unwrap()).into_owned())
        .collect();
    let mut versions = Vec::new();
    if let Some((mut needs, link)) = sections.gnu_verneed(endian, elf).unwrap() {
        let strings = sections.strings(endian, elf, link).unwrap();
        while let Some((_, mut auxiliaries)) = needs.next().unwrap() {
            while let Some(auxiliary) = auxiliaries.next().unwrap() {
                versions.push(String::from_utf8_lossy(auxiliary.name(endian, strings).unwrap()).into_owned());
            }
        }
    }
    (libraries, versions)
}

/// `GLIBC_2.34` as (2, 34); `None` for a version that is not a glibc release number.
fn glibc_release(version: &str) -> Option<(u32, u32)> {
    let mut numbers = version.strip_prefix("GLIBC_")?.split('.');
    Some((numbers.next()?.parse().ok()?, numbers.next()?.parse().ok()?))
}

#[test]
fn the_package_holds_the_bootstrap_the_configuration_and_the_files_it_names() {
    let dir = scratch("layout");
    let metadata = "<md:EntityDescriptor entityID=\"https://idp.example.test\"/>";
    let config = write_config(&dir, "d-abc123", metadata);
    let zip = package(&dir, &config);

    let entries = entries(&zip);
    let names: Vec<&str> = entries.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["bootstrap", "gateway.toml", "idp-metadata.xml"]);
    let [
        (_, bootstrap_mode, bootstrap),
        (_, config_mode, packaged),
        (_, metadata_mode, packaged_metadata),
    ] = &entries[..]
    else {
        unreachable!()
    };
    assert_eq!(bootstrap_mode & 0o7777, 0o755);
    assert_eq!(bootstrap_mode & 0o170000, 0o100000, "a regular file");
    assert_eq!((config_mode & 0o7777, metadata_mode & 0o7777), (0o644, 0o644));
    assert!(
        *bootstrap == std::fs::read(env!("CARGO_BIN_EXE_studio-fed")).unwrap(),
        "the bootstrap is the running studio-fed"
    );
    assert_eq!(packaged_metadata.as_slice(), metadata.as_bytes());
    let packaged: toml::Table = String::from_utf8(packaged.clone()).unwrap().parse().unwrap();
    assert_eq!(packaged["saml"]["metadata_file"].as_str(), Some("idp-metadata.xml"));
    assert_eq!(packaged["gateway"]["public_url"].as_str(), Some(PUBLIC_URL));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_bootstrap_needs_only_glibc_up_to_2_34() {
    let dir = scratch("elf");
    let config = write_config(&dir, "d-abc123", "<md:EntityDescriptor/>");
    let zip = package(&dir, &config);
    let (_, _, bootstrap) = entries(&zip)
        .into_iter()
        .find(|(name, _, _)| name == "bootstrap")
        .unwrap();
    let (libraries, versions) = needs(&bootstrap);
    let foreign: Vec<_> = libraries
        .iter()
        .filter(|l| !GLIBC.contains(&l.as_str()) && !l.starts_with("ld-linux-"))
        .collect();
    assert!(foreign.is_empty(), "needs libraries provided.al2023 lacks: {foreign:?}");
    let too_new: Vec<_> = versions
        .iter()
        .filter(|v| v.starts_with("GLIBC_") && glibc_release(v).is_none_or(|release| release > (2, 34)))
        .collect();
    assert!(too_new.is_empty(), "needs a glibc newer than 2.34: {too_new:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_binary_that_cannot_run_on_lambda_is_refused_and_the_reason_named() {
    let dir = scratch("refused");
    let config = write_config(&dir, "d-abc123", "<md:EntityDescriptor/>");
    // studio-fed, changed to need one more library that provided.al2023 does not have.
    let mut binary = std::fs::read(env!("CARGO_BIN_EXE_studio-fed")).unwrap();
    let at = binary
        .windows(14)
        .position(|w| w == b"libgcc_s.so.1\0")
        .expect("a Rust executable needs libgcc_s");
    binary[at..at + 13].copy_from_slice(b"libxmlsec.so1");
    let path = dir.join("studio-fed-linked");
    std::fs::write(&path, binary).unwrap();
    let zip = dir.join("gateway.zip");
    let out = run_package(&config, &zip, &["--binary", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot run on AWS Lambda's provided.al2023 runtime")
            && stderr.contains("shared libraries that provided.al2023 does not have: ")
            && stderr.contains("libxmlsec.so1")
            && stderr.contains("build studio-fed without system libraries"),
        "{stderr}"
    );
    assert!(!zip.exists(), "no package is written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `POST /saml/acs` with a signed login, as `front` sends it.
fn acs_event(front: Front, saml_response: &str) -> Value {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("SAMLResponse", saml_response)
        .append_pair("RelayState", "")
        .finish();
    event::form_post(front, "eu-west-1", "/saml/acs", &form, CLIENT_IP)
}

/// Starts `function` and checks that it answers a login from each of `fronts` with a 303 to a presigned URL the emulator issued for the user.
async fn serves_logins(w: &World, function: Function, fronts: &[Front]) {
    let api = RuntimeApi::start(&function.arn()).await.unwrap();
    let mut started = function.start(&api).unwrap();
    for &front in fronts {
        let response = w
            .idp
            .identity_center_style(ACS, &format!("{ACS}/"), USER, &w.domain)
            .build()
            .unwrap()
            .base64();
        let invocation = api.invoke(&acs_event(front, &response));
        let answer = tokio::select! {
            answer = tokio::time::timeout(PATIENCE, invocation.answer()) => answer
                .unwrap_or_else(|_| panic!("no answer; the function's log:\n{}", started.log()))
                .expect("an answer"),
            status = started.wait() => panic!("it exited ({status:?}) without answering; its log:\n{}", started.log()),
        };
        let json = answer
            .json()
            .unwrap_or_else(|| panic!("not a JSON response: {answer:?}; log:\n{}", started.log()));
        assert_eq!(json["statusCode"], 303, "{front:?}: {json}; log:\n{}", started.log());
        let location = json["headers"]["location"].as_str().expect("a Location header");
        let redemption = w.emulator.redeem(location).await.unwrap();
        assert!(redemption.valid, "{location}: {redemption:?}");
        assert_eq!(redemption.user_profile_name.as_deref(), Some(USER));
        assert_eq!(redemption.domain_id.as_deref(), Some(w.domain.as_str()));
    }
    started.stop().await.unwrap();
}

fn function(w: &World, task_root: &Path) -> Function {
    Function::new(task_root, "gateway.toml")
        .region(w.emulator.region())
        .variable("AWS_ENDPOINT_URL", w.emulator.endpoint_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_answers_http_api_and_function_url_logins_under_the_runtime_api() {
    let w = world().await;
    let dir = scratch("runtime");
    let config = write_config(&dir, &w.domain, &w.idp.metadata_xml());
    let zip = package(&dir, &config);
    let task_root = dir.join("task");
    unpack(&zip, &task_root).unwrap();
    serves_logins(&w, function(&w, &task_root), &[Front::HttpApi, Front::FunctionUrl]).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_that_fails_is_reported_to_init_error() {
    let dir = scratch("init-error");
    let config = write_config(&dir, "d-abc123", "<md:EntityDescriptor/>");
    let zip = package(&dir, &config);
    let task_root = dir.join("task");
    unpack(&zip, &task_root).unwrap();

    // The metadata file the configuration names is missing.
    std::fs::remove_file(task_root.join("idp-metadata.xml")).unwrap();
    let missing = init_error(Function::new(&task_root, "gateway.toml")).await;
    assert!(missing.contains("idp-metadata.xml"), "{missing}");

    // A handler that does not name the configuration (the console's default for custom runtimes).
    let handler = init_error(Function::new(&task_root, "function.handler")).await;
    assert!(
        handler.contains("the function's handler is function.handler, but the package has no such file")
            && handler.contains("set the function's handler to the gateway configuration's file name"),
        "{handler}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Starts `function`, and returns the message it reports to `/init/error` before it exits.
async fn init_error(function: Function) -> String {
    let api = RuntimeApi::start(&function.arn()).await.unwrap();
    let mut started = function.start(&api).unwrap();
    let error = tokio::time::timeout(PATIENCE, api.init_error())
        .await
        .unwrap_or_else(|_| panic!("no /init/error; the function's log:\n{}", started.log()));
    assert_eq!(error.error_type.as_deref(), Some("Runtime.InitError"));
    let status = tokio::time::timeout(PATIENCE, started.wait()).await.unwrap().unwrap();
    assert!(!status.success(), "it exits after a failed start");
    error.message()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

/// In a chroot with only glibc's libraries and the CA bundle, as on provided.al2023: a library
/// the bootstrap needs and the runtime lacks stops it at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_answers_logins_in_a_root_with_only_glibc() {
    if !running_as_root() {
        eprintln!("skipped: chroot needs root");
        return;
    }
    let w = world().await;
    let dir = scratch("chroot");
    let config = write_config(&dir, &w.domain, &w.idp.metadata_xml());
    let zip = package(&dir, &config);
    let root_dir = dir.join("root");
    let task_root = root::provided_al2023(&root_dir).unwrap();
    unpack(&zip, &task_root).unwrap();
    let libraries: Vec<_> = walk(&root_dir)
        .into_iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| n.contains(".so"))
        .collect();
    assert!(
        libraries
            .iter()
            .all(|l| GLIBC.contains(&l.as_str()) || l.starts_with("ld-linux-")),
        "{libraries:?}"
    );
    serves_logins(&w, function(&w, &task_root).in_root(&root_dir), &[Front::HttpApi]).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
