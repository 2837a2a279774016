//! Interop with a certified OpenID Provider: the npm package `oidc-provider`, started by
//! `tests/interop/oidc-provider/provider.mjs` (installed once with `npm ci` under
//! `target/studio-fed-interop/oidc-provider`), serves the authorization-code + PKCE login through
//! the gateway's `/oidc/login` and `/oidc/callback`. A small browser (cookies per host, redirects
//! followed by hand) fills in the provider's own login and consent forms. The provider's signing
//! key is rotated under a running gateway, at once and with an overlap (the new key published
//! before it signs, the old one withdrawn after), a callback whose state was edited is refused,
//! and with the provider's standard-conforming default (profile claims only at the UserInfo
//! endpoint) the gateway reads the user and team from UserInfo.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumRef;
use openssl::rsa::Rsa;
use serde_json::{Value, json};
use studio_fed_access::audit::{AuditEvent, Outcome};
use support::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use url::Url;

/// The gateway's client at the provider. The secret has characters that `client_secret_basic`
/// must form-encode before Base64 (RFC 6749 §2.3.1), which both sides have to agree on.
const CLIENT: &str = "studio-gateway";
const SECRET: &str = "interop:secret/with+specials";
/// The account at the provider (its `sub`); the development login form accepts any password.
const ACCOUNT: &str = "248289761001";
const PASSWORD: &str = "any password will do";
/// The gateway's login cookie.
const LOGIN_COOKIE: &str = "studio_fed_oidc";

// --- installation -------------------------------------------------------------------------------

/// `tests/interop/oidc-provider` of this checkout.
fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/interop/oidc-provider")
        .canonicalize()
        .expect("tests/interop/oidc-provider of this checkout")
}

/// `target/studio-fed-interop/oidc-provider` (`CARGO_TARGET_DIR` honoured): test-only, never the
/// source tree.
fn install_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("studio-fed-interop/oidc-provider")
}

/// The folder holding `provider.mjs` and its `node_modules`, installed with `npm ci` once: once
/// per process (the tests of this file run in parallel) and under a file lock (other processes).
async fn installed_provider() -> PathBuf {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    tokio::task::spawn_blocking(|| INSTALLED.get_or_init(install).clone())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn install() -> Result<PathBuf, String> {
    let node = tool_version("node")?;
    let major: u32 = node
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("cannot read the version of Node.js from `node --version`: {node:?}"))?;
    if major < 20 {
        return Err(format!(
            "the OIDC interop test needs Node.js 20 or later for oidc-provider 9; `node --version` says {}",
            node.trim()
        ));
    }
    tool_version("npm")?;

    let source = source_dir();
    let home = install_dir();
    fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let lock = File::create(home.join(".lock")).map_err(|e| format!("cannot create the install lock: {e}"))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", home.display()))?;
    let read = |name: &str| {
        fs::read(source.join(name)).map_err(|e| format!("cannot read {name} in {}: {e}", source.display()))
    };
    let lockfile = read("package-lock.json")?;
    // In node_modules, so an interrupted or wiped install is redone.
    let marker = home.join("node_modules/.studio-fed-package-lock.json");
    if fs::read(&marker).ok().as_deref() != Some(lockfile.as_slice()) {
        eprintln!(
            "interop_oidc_provider: installing oidc-provider with `npm ci` into {}; this happens once",
            home.display()
        );
        let write = |name: &str, bytes: &[u8]| {
            fs::write(home.join(name), bytes).map_err(|e| format!("cannot write {name} in {}: {e}", home.display()))
        };
        write("package.json", &read("package.json")?)?;
        write("package-lock.json", &lockfile)?;
        let output = std::process::Command::new("npm")
            .args(["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(&home)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run npm: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`npm ci` of tests/interop/oidc-provider failed ({}): check that the npm registry is \
                 reachable (or that npm's registry setting points at a mirror)\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        fs::write(&marker, &lockfile).map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    }
    // The script runs from here (node resolves `oidc-provider` next to it); it is refreshed on every
    // run but written only when it changed, so one already running is never rewritten underneath.
    let script = read("provider.mjs")?;
    if fs::read(home.join("provider.mjs")).ok().as_deref() != Some(script.as_slice()) {
        fs::write(home.join("provider.mjs"), script).map_err(|e| format!("cannot copy provider.mjs: {e}"))?;
    }
    Ok(home)
}

/// `tool --version`, or an error saying what to install.
fn tool_version(tool: &str) -> Result<String, String> {
    let missing = |why: String| {
        format!(
            "the OIDC interop test runs the npm package oidc-provider and needs Node.js 20+ and npm on \
             PATH (Debian/Ubuntu: apt-get install nodejs npm, or https://nodejs.org): `{tool} --version` {why}"
        )
    };
    let output = std::process::Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| missing(format!("could not run: {e}")))?;
    if !output.status.success() {
        return Err(missing(format!("failed: {}", output.status)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

// --- the provider ---------------------------------------------------------------------------------

/// A fresh RSA signing key as a private JWK for oidc-provider's `jwks`.
fn rsa_jwk(kid: &str) -> Value {
    let rsa = Rsa::generate(2048).unwrap();
    let b64 = |n: &BigNumRef| URL_SAFE_NO_PAD.encode(n.to_vec());
    json!({
        "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
        "n": b64(rsa.n()), "e": b64(rsa.e()), "d": b64(rsa.d()),
        "p": b64(rsa.p().unwrap()), "q": b64(rsa.q().unwrap()),
        "dp": b64(rsa.dmp1().unwrap()), "dq": b64(rsa.dmq1().unwrap()), "qi": b64(rsa.iqmp().unwrap()),
    })
}

/// What the provider is started with.
#[derive(Clone)]
struct ProviderSettings {
    redirect_uri: String,
    claims: Value,
    claims_in_id_token: bool,
}

/// `provider.mjs` running on 127.0.0.1; killed when dropped (and it exits by itself when this
/// process ends, since its stdin closes).
struct OidcProviderProcess {
    child: Child,
    /// `METHOD /path` of every request this process served.
    requests: Arc<Mutex<Vec<String>>>,
    issuer: String,
    port: u16,
    settings: ProviderSettings,
    jwks_file: PathBuf,
}

impl OidcProviderProcess {
    async fn start(settings: ProviderSettings, keys: &[Value]) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let jwks_file = std::env::temp_dir().join(format!(
            "studio-fed-interop-jwks-{}-{}.json",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::write(&jwks_file, json!({ "keys": keys }).to_string()).unwrap();
        let (child, requests, issuer) = spawn_provider(0, &settings, &jwks_file).await;
        let port = Url::parse(&issuer).unwrap().port().unwrap();
        Self {
            child,
            requests,
            issuer,
            port,
            settings,
            jwks_file,
        }
    }

    /// Stops the provider and starts it again on the same port (same issuer, client and
    /// account) with only these keys: what a provider that rotated its signing key serves.
    async fn restart_with_keys(&mut self, keys: &[Value]) {
        self.child.kill().await.unwrap();
        fs::write(&self.jwks_file, json!({ "keys": keys }).to_string()).unwrap();
        let (child, requests, issuer) = spawn_provider(self.port, &self.settings, &self.jwks_file).await;
        assert_eq!(issuer, self.issuer);
        self.child = child;
        self.requests = requests;
    }

    /// How many `GET path` requests this process (since its last start) has served.
    fn gets(&self, path: &str) -> usize {
        let wanted = format!("GET {path}");
        self.requests.lock().unwrap().iter().filter(|r| **r == wanted).count()
    }

    /// The `kid`s of the provider's published JWKS.
    async fn published_kids(&self) -> Vec<String> {
        let jwks: Value = client()
            .get(format!("{}/jwks", self.issuer))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for OidcProviderProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = fs::remove_file(&self.jwks_file);
    }
}

const READY: &str = "oidc-provider ready on ";

const REQUEST: &str = "request ";

/// Starts `provider.mjs`: the process, its request log and its issuer.
async fn spawn_provider(
    port: u16,
    settings: &ProviderSettings,
    jwks_file: &Path,
) -> (Child, Arc<Mutex<Vec<String>>>, String) {
    let dir = installed_provider().await;
    let mut command = Command::new("node");
    command
        .arg("provider.mjs")
        .args(["--port", &port.to_string()])
        .arg("--jwks")
        .arg(jwks_file)
        .args(["--client-id", CLIENT, "--client-secret", SECRET])
        .args(["--redirect-uri", &settings.redirect_uri])
        .args(["--account", ACCOUNT, "--claims", &settings.claims.to_string()]);
    if settings.claims_in_id_token {
        command.arg("--claims-in-id-token");
    }
    let mut child = command
        .current_dir(&dir)
        .stdin(Stdio::piped()) // kept open: the provider exits when it closes
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node provider.mjs");
    let stderr = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let kept = Arc::clone(&stderr);
    tokio::spawn(async move {
        while let Ok(Some(line)) = err_lines.next_line().await {
            kept.lock().unwrap().push(line);
        }
    });
    let mut out_lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), out_lines.next_line()).await;
    // Keep draining (so the provider never blocks on a full pipe), recording the requests.
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok(Some(line)) = out_lines.next_line().await {
            if let Some(request) = line.strip_prefix(REQUEST) {
                log.lock().unwrap().push(request.to_owned());
            }
        }
    });
    match first {
        Ok(Ok(Some(line))) if line.starts_with(READY) => (child, requests, line[READY.len()..].trim().to_owned()),
        other => {
            let _ = child.kill().await;
            panic!(
                "oidc-provider did not start ({other:?}); its stderr:\n{}",
                stderr.lock().unwrap().join("\n")
            );
        }
    }
}

// --- a browser ------------------------------------------------------------------------------------

/// A response as the browser saw it.
#[derive(Debug)]
struct Page {
    url: Url,
    status: u16,
    location: Option<Url>,
    error_code: String,
    body: String,
}

impl Page {
    fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status) && self.location.is_some()
    }
}

#[derive(Debug, Clone)]
struct Cookie {
    host: String,
    path: String,
    name: String,
    value: String,
}

/// Just enough of a browser: cookies kept per host and path (like a browser: not per port,
/// HttpOnly and SameSite irrelevant for top-level navigations on one site), redirects followed
/// one by one.
struct Browser {
    http: reqwest::Client,
    cookies: Vec<Cookie>,
}

impl Browser {
    fn new() -> Self {
        Self {
            http: client(),
            cookies: Vec::new(),
        }
    }

    async fn get(&mut self, url: &Url) -> Page {
        let request = self.http.get(url.clone());
        self.send(request, url).await
    }

    /// Submits a form the way a browser does (`application/x-www-form-urlencoded`).
    async fn submit(&mut self, form: &Form) -> Page {
        let request = self.http.post(form.action.clone()).form(&form.fields);
        self.send(request, &form.action).await
    }

    /// Follows `page`'s redirects until a page that is not a redirect, or a redirect to a URL
    /// starting with `stop_at`, which is returned unfollowed.
    async fn follow(&mut self, mut page: Page, stop_at: &str) -> Page {
        for _ in 0..10 {
            match &page.location {
                Some(next) if page.is_redirect() && !next.as_str().starts_with(stop_at) => {
                    let next = next.clone();
                    page = self.get(&next).await;
                }
                _ => return page,
            }
        }
        panic!("more than 10 redirects, the last to {:?}", page.location);
    }

    fn cookie(&self, host: &str, name: &str) -> Option<&Cookie> {
        self.cookies.iter().find(|c| c.host == host && c.name == name)
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder, url: &Url) -> Page {
        let host = url.host_str().unwrap().to_owned();
        let path = url.path();
        let header = self
            .cookies
            .iter()
            .filter(|c| c.host == host && path_matches(path, &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect::<Vec<_>>()
            .join("; ");
        if !header.is_empty() {
            request = request.header("cookie", header);
        }
        let response = request.send().await.unwrap();
        for set_cookie in response.headers().get_all("set-cookie") {
            self.store(&host, path, set_cookie.to_str().unwrap());
        }
        let location = response
            .headers()
            .get("location")
            .map(|l| url.join(l.to_str().unwrap()).unwrap());
        Page {
            url: url.clone(),
            status: response.status().as_u16(),
            location,
            error_code: error_code(&response),
            body: response.text().await.unwrap(),
        }
    }

    /// RFC 6265 §5.2, for the attributes the gateway and the provider use.
    fn store(&mut self, host: &str, request_path: &str, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let mut path = match request_path.rfind('/') {
            Some(0) | None => "/".to_owned(),
            Some(i) => request_path[..i].to_owned(),
        };
        let mut expired = false;
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            match key.to_ascii_lowercase().as_str() {
                "path" if val.starts_with('/') => path = val.to_owned(),
                "max-age" => expired = val.parse::<i64>().is_ok_and(|s| s <= 0),
                "expires" => {
                    expired |= OffsetDateTime::parse(val, &Rfc2822).is_ok_and(|at| at <= OffsetDateTime::now_utc())
                }
                _ => {}
            }
        }
        self.cookies
            .retain(|c| !(c.host == host && c.path == path && c.name == name));
        if !expired {
            self.cookies.push(Cookie {
                host: host.to_owned(),
                path,
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// The one `<form>` of an HTML page: where it posts, and its inputs with their values.
#[derive(Debug)]
struct Form {
    action: Url,
    fields: Vec<(String, String)>,
}

impl Form {
    fn parse(page: &Page) -> Form {
        let html = &page.body;
        let start = html
            .find("<form")
            .unwrap_or_else(|| panic!("no form on {}:\n{html}", page.url));
        assert!(
            html[start + 1..].find("<form").is_none(),
            "several forms on {}",
            page.url
        );
        let end = html[start..].find("</form>").map_or(html.len(), |e| start + e);
        let form = &html[start..end];
        let (form_tag, _) = tag_attributes(form);
        let attribute = |name: &str| form_tag.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert!(
            attribute("method").is_some_and(|m| m.eq_ignore_ascii_case("post")),
            "{form}"
        );
        let action = page.url.join(attribute("action").unwrap_or("")).unwrap();
        let mut fields = Vec::new();
        let mut rest = form;
        while let Some(i) = rest.find("<input") {
            let (attributes, len) = tag_attributes(&rest[i..]);
            let get = |name: &str| attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            if let Some(name) = get("name") {
                fields.push((name, get("value").unwrap_or_default()));
            }
            rest = &rest[i + len..];
        }
        Form { action, fields }
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Types into an input the form has.
    fn fill(&mut self, name: &str, value: &str) {
        let field = self
            .fields
            .iter_mut()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the form has no input `{name}`"));
        field.1 = value.to_owned();
    }
}

/// The attributes of the tag at the start of `html` (values unescaped), and the tag's length.
fn tag_attributes(html: &str) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut i = html
        .find(|c: char| c.is_ascii_whitespace() || c == '>')
        .unwrap_or(html.len());
    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' {
            return (attributes, (i + 1).min(bytes.len()));
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            let quote = bytes.get(i).copied().filter(|q| matches!(q, b'"' | b'\''));
            let value_start = i + usize::from(quote.is_some());
            let value_end = match quote {
                Some(q) => html[value_start..]
                    .find(char::from(q))
                    .map_or(html.len(), |e| value_start + e),
                None => html[value_start..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .map_or(html.len(), |e| value_start + e),
            };
            value = unescape(&html[value_start..value_end]);
            i = value_end + usize::from(quote.is_some());
        }
        attributes.push((name, value));
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

// --- the scenario ---------------------------------------------------------------------------------

struct Interop {
    w: World,
    op: OidcProviderProcess,
    gw: TestGateway,
}

/// The emulator with the profile of [`USER`] in team `vision`, oidc-provider with the gateway's
/// client and an account whose `preferred_username` is that user and whose `groups` include
/// `vision`, and a gateway discovering the provider.
async fn setup(claims_in_id_token: bool) -> Interop {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = format!("http://{}", listener.local_addr().unwrap());
    let settings = ProviderSettings {
        redirect_uri: format!("{gateway_url}/oidc/callback"),
        claims: json!({
            "preferred_username": USER,
            "name": "Ada Vision",
            "groups": ["all-staff", "vision"],
        }),
        claims_in_id_token,
    };
    let keys = [rsa_jwk("interop-key-1")];
    let (w, op) = tokio::join!(world(), OidcProviderProcess::start(settings, &keys));
    let config = format!(
        r#"
[gateway]
public_url = "{{URL}}"
cookie_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
[network]
allowed_cidrs = ["127.0.0.0/8"]
[teams.vision]
domain = "{domain}"
[oidc]
issuer = "{issuer}"
client_id = "{CLIENT}"
client_secret = "{SECRET}"
scopes = ["profile", "groups"]
user_claim = "preferred_username"
team_claim = "groups"
[limits]
rate_limit_per_minute = 6000
rate_limit_burst = 1000
"#,
        domain = w.domain,
        issuer = op.issuer,
    );
    let gw = start_gateway_on(listener, &config, w.emulator.sdk_config(), None).await;
    Interop { w, op, gw }
}

/// `/oidc/login`, then the provider's login form (the account and any password) and its consent
/// form, up to the provider's redirect to the gateway's callback, which is returned unfollowed.
async fn sign_in_at_provider(browser: &mut Browser, o: &Interop) -> Url {
    let callback = format!("{}/oidc/callback", o.gw.url);
    let start = browser
        .get(&Url::parse(&format!("{}/oidc/login", o.gw.url)).unwrap())
        .await;
    assert_eq!(start.status, 303, "{}", start.error_code);
    let authorize = start.location.clone().unwrap();
    assert!(
        authorize.as_str().starts_with(&format!("{}/auth?", o.op.issuer)),
        "{authorize}"
    );
    let query = |name: &str| {
        authorize
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(query("response_type").as_deref(), Some("code"));
    assert_eq!(query("code_challenge_method").as_deref(), Some("S256"));
    assert!(query("nonce").is_some() && query("state").is_some());

    let login = browser.follow(start, &callback).await;
    assert_eq!(login.status, 200, "{login:?}");
    let mut form = Form::parse(&login);
    assert_eq!(form.value("prompt"), Some("login"), "{form:?}");
    form.fill("login", ACCOUNT);
    form.fill("password", PASSWORD);
    let submitted = browser.submit(&form).await;
    let consent = browser.follow(submitted, &callback).await;
    assert_eq!(consent.status, 200, "{consent:?}");
    let form = Form::parse(&consent);
    assert_eq!(form.value("prompt"), Some("consent"), "{form:?}");
    let submitted = browser.submit(&form).await;
    let to_callback = browser.follow(submitted, &callback).await;
    assert!(to_callback.is_redirect(), "{to_callback:?}");
    to_callback.location.unwrap()
}

/// The gateway's answer to the callback: a 303 to a presigned URL the emulator redeems.
async fn assert_opens_profile(browser: &mut Browser, o: &Interop, callback: &Url) {
    let answer = browser.get(callback).await;
    assert_eq!(answer.status, 303, "{}: {}", answer.error_code, answer.body);
    let presigned = answer.location.unwrap();
    assert!(
        o.w.emulator.redeem(presigned.as_str()).await.unwrap().valid,
        "{presigned}"
    );
    // The pending login is spent.
    assert!(browser.cookie("127.0.0.1", LOGIN_COOKIE).is_none());
}

fn last_event(o: &Interop) -> AuditEvent {
    o.gw.audit.events().pop().unwrap()
}

#[tokio::test]
async fn a_code_and_pkce_login_at_oidc_provider_opens_the_users_profile() {
    let o = setup(true).await;
    let mut browser = Browser::new();
    let callback = sign_in_at_provider(&mut browser, &o).await;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    };
    // RFC 9207: oidc-provider names itself in the authorization response; the gateway checks it.
    assert_eq!(param("iss").as_deref(), Some(o.op.issuer.as_str()), "{callback}");
    assert!(param("code").is_some() && param("state").is_some(), "{callback}");
    assert!(browser.cookie("127.0.0.1", LOGIN_COOKIE).is_some());

    assert_opens_profile(&mut browser, &o, &callback).await;
    let event = last_event(&o);
    assert_eq!(
        (
            event.method,
            event.outcome,
            event.user.as_deref(),
            event.team.as_deref(),
            event.domain.as_deref(),
        ),
        (
            "oidc",
            Outcome::Allowed,
            Some(USER),
            Some("vision"),
            Some(o.w.domain.as_str())
        ),
        "{event:?}"
    );

    // The same callback again (the browser's back button): no login cookie any more.
    let again = browser.get(&callback).await;
    assert_eq!((again.status, again.error_code.as_str()), (400, "login_cookie"));
}

#[tokio::test]
async fn a_rotated_signing_key_is_picked_up_by_the_running_gateway() {
    let mut o = setup(true).await;
    let mut browser = Browser::new();
    let callback = sign_in_at_provider(&mut browser, &o).await;
    assert_opens_profile(&mut browser, &o, &callback).await;
    assert_eq!(o.op.published_kids().await, ["interop-key-1"]);

    // The provider rotates: the old key is gone, a new one signs. The gateway keeps running with
    // the JWKS it discovered at start, which does not have the new key.
    o.op.restart_with_keys(&[rsa_jwk("interop-key-2")]).await;
    assert_eq!(o.op.published_kids().await, ["interop-key-2"]);
    assert_eq!(o.op.gets("/jwks"), 1, "only the test's own look");

    let mut browser = Browser::new();
    let callback = sign_in_at_provider(&mut browser, &o).await;
    assert_opens_profile(&mut browser, &o, &callback).await;
    // The unknown `kid` made the gateway fetch the JWKS once; the next login uses the cache.
    assert_eq!(o.op.gets("/jwks"), 2);
    let mut browser = Browser::new();
    let callback = sign_in_at_provider(&mut browser, &o).await;
    assert_opens_profile(&mut browser, &o, &callback).await;
    assert_eq!(o.op.gets("/jwks"), 2);

    let events = o.gw.audit.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e.outcome == Outcome::Allowed && e.user.as_deref() == Some(USER)),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_key_rotation_with_an_overlap_costs_one_jwks_fetch_and_no_refused_login() {
    let mut o = setup(true).await;
    let started_with: Value = serde_json::from_str(&fs::read_to_string(&o.op.jwks_file).unwrap()).unwrap();
    let (key_1, key_2) = (started_with["keys"][0].clone(), rsa_jwk("interop-key-2"));
    // Each phase restarts the provider (the first key signs) and logs in once. `gets` counts
    // since the restart, the test's own look at the JWKS included.
    let mut phase = async |keys: &[Value], jwks_fetches_by_the_gateway: usize| {
        o.op.restart_with_keys(keys).await;
        let kids: Vec<String> = keys.iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
        assert_eq!(o.op.published_kids().await, kids);
        let mut browser = Browser::new();
        let callback = sign_in_at_provider(&mut browser, &o).await;
        assert_opens_profile(&mut browser, &o, &callback).await;
        assert_eq!(o.op.gets("/jwks"), 1 + jwks_fetches_by_the_gateway, "{kids:?}");
    };
    // The new key is published before it signs: the old one still signs, nothing to fetch.
    phase(&[key_1.clone(), key_2.clone()], 0).await;
    // The new key signs while the old one is still published: its unknown kid costs one fetch.
    phase(&[key_2.clone(), key_1], 1).await;
    // The old key is withdrawn: the gateway already holds the new one.
    phase(&[key_2], 0).await;
    let events = o.gw.audit.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e.outcome == Outcome::Allowed), "{events:?}");
}

#[tokio::test]
async fn a_callback_with_a_tampered_state_is_refused() {
    let o = setup(true).await;
    let mut browser = Browser::new();
    let callback = sign_in_at_provider(&mut browser, &o).await;
    let mut tampered = callback.clone();
    tampered.set_query(Some(
        &url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(callback.query_pairs().map(|(name, value)| {
                let value = if name == "state" {
                    format!("{value}x")
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            }))
            .finish(),
    ));
    let answer = browser.get(&tampered).await;
    assert_eq!(
        (answer.status, answer.error_code.as_str()),
        (403, "oidc.state_mismatch")
    );
    assert!(answer.location.is_none());
    let event = last_event(&o);
    assert_eq!(
        (event.outcome, event.code.as_deref(), event.user),
        (Outcome::Refused, Some("oidc.state_mismatch"), None)
    );
    // The refusal spent the pending login: the genuine callback cannot be used after it.
    let genuine = browser.get(&callback).await;
    assert_eq!((genuine.status, genuine.error_code.as_str()), (400, "login_cookie"));
    assert!(o.gw.audit.events().iter().all(|e| e.outcome == Outcome::Refused));
}

/// oidc-provider's default (`conformIdTokenClaims`) follows OpenID Connect Core §5.4: with an
/// access token issued, scope claims such as `preferred_username` and `groups` are only at the
/// UserInfo endpoint, not in the ID token. The gateway then reads them from UserInfo (whose `sub`
/// must be the ID token's) and the login goes through.
#[tokio::test]
async fn profile_claims_only_at_userinfo_are_read_from_userinfo() {
    let o = setup(false).await;
    let mut browser = Browser::new();
    let callback = sign_in_at_provider(&mut browser, &o).await;
    let answer = browser.get(&callback).await;
    assert_eq!(answer.status, 303, "{} {}", answer.error_code, answer.body);
    let event = last_event(&o);
    assert_eq!(
        (event.outcome, event.user.as_deref(), event.team.as_deref()),
        (Outcome::Allowed, Some(USER), Some("vision"))
    );
}
