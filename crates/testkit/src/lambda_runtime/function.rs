//! A function's execution environment: the package unzipped into a task root, and its
//! `bootstrap` started the way Lambda starts a custom runtime (`provided.al2023`).
//!
//! The process runs `{task root}/bootstrap` with no arguments, in the task root, with an emptied
//! environment holding only what Lambda sets: `AWS_LAMBDA_RUNTIME_API`, `_HANDLER`,
//! `LAMBDA_TASK_ROOT`, `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`,
//! `AWS_LAMBDA_FUNCTION_VERSION`, `AWS_REGION`, `AWS_DEFAULT_REGION` and the credentials
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), plus the function's own
//! [`variable`](Function::variable)s (its configuration's `Environment`, e.g. `AWS_ENDPOINT_URL`
//! to reach the emulator).
//!
//! [`Function::in_root`] starts it in a chroot instead (coreutils `chroot`, so root is needed),
//! with the task root at `/var/task` inside it: see [`super::root`]. `chroot` changes the
//! working directory to the new `/`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::AsyncReadExt as _;
use tokio::process::{Child, Command};

use super::api::RuntimeApi;
use super::lock;

/// Unzips a deployment package into `task_root` (created), keeping each file's Unix mode, as
/// Lambda does. Refuses entries that would land outside it.
pub fn unpack(zip: &Path, task_root: &Path) -> std::io::Result<()> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip)?).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(task_root)?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(std::io::Error::other)?;
        let name = entry.enclosed_name().ok_or_else(|| {
            std::io::Error::other(format!("the package entry {:?} is outside the task root", entry.name()))
        })?;
        let path = task_root.join(name);
        if entry.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents)?;
        std::fs::write(&path, contents)?;
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o7777))?;
        }
    }
    Ok(())
}

/// A function to start under a [`RuntimeApi`].
#[derive(Debug, Clone)]
pub struct Function {
    task_root: PathBuf,
    handler: String,
    name: String,
    memory_mb: u32,
    region: String,
    credentials: [String; 3],
    variables: Vec<(String, String)>,
    root: Option<PathBuf>,
}

impl Function {
    /// The function whose package is unpacked in `task_root`, with this handler (`_HANDLER`).
    /// Defaults: name `studio-fed-gateway`, 128 MB, region `eu-west-1`, test credentials.
    pub fn new(task_root: impl Into<PathBuf>, handler: &str) -> Function {
        Function {
            task_root: task_root.into(),
            handler: handler.to_owned(),
            name: "studio-fed-gateway".into(),
            memory_mb: 128,
            region: "eu-west-1".into(),
            credentials: [
                "AKIAIOSFODNN7EXAMPLE".into(),
                "test-secret".into(),
                "test-session-token".into(),
            ],
            variables: Vec::new(),
            root: None,
        }
    }

    /// The region (`AWS_REGION` and `AWS_DEFAULT_REGION`).
    pub fn region(mut self, region: &str) -> Function {
        region.clone_into(&mut self.region);
        self
    }

    /// The execution role's credentials Lambda hands the process.
    pub fn credentials(mut self, access_key_id: &str, secret_access_key: &str, session_token: &str) -> Function {
        self.credentials = [access_key_id.into(), secret_access_key.into(), session_token.into()];
        self
    }

    /// One of the function's own environment variables (its configuration's `Environment`).
    pub fn variable(mut self, name: &str, value: &str) -> Function {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Runs the bootstrap in a chroot at `root`, where the task root must be `root/var/task`.
    pub fn in_root(mut self, root: impl Into<PathBuf>) -> Function {
        self.root = Some(root.into());
        self
    }

    /// The function's ARN, as `/invocation/next` hands it out.
    pub fn arn(&self) -> String {
        format!("arn:aws:lambda:{}:123456789012:function:{}", self.region, self.name)
    }

    /// Starts `bootstrap` under `api`.
    pub fn start(&self, api: &RuntimeApi) -> std::io::Result<Started> {
        let (mut command, task_root) = match &self.root {
            None => {
                let mut command = Command::new(self.task_root.join("bootstrap"));
                command.current_dir(&self.task_root);
                (command, self.task_root.display().to_string())
            }
            Some(root) => {
                let inside = self.task_root.strip_prefix(root).map_err(|_| {
                    std::io::Error::other(format!(
                        "the task root {} is not inside the root {}",
                        self.task_root.display(),
                        root.display()
                    ))
                })?;
                let task_root = Path::new("/").join(inside);
                let mut command = Command::new(chroot()?);
                command.arg(root).arg(task_root.join("bootstrap")).current_dir(root);
                (command, task_root.display().to_string())
            }
        };
        let region = self.region.as_str();
        let [key, secret, token] = &self.credentials;
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("_HANDLER", &self.handler)
            .env("LAMBDA_TASK_ROOT", task_root)
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", self.memory_mb.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_SESSION_TOKEN", token)
            .envs(self.variables.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started_at = Instant::now();
        let mut child = command.spawn()?;
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(collect(stdout, log.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(collect(stderr, log.clone()));
        }
        Ok(Started { child, started_at, log })
    }
}

/// coreutils' `chroot` (the tests' PATH is not the process's, which is emptied).
fn chroot() -> std::io::Result<PathBuf> {
    ["/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot", "/bin/chroot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .ok_or_else(|| std::io::Error::other("no chroot command (coreutils) in /usr/sbin, /usr/bin, /sbin or /bin"))
}

async fn collect(mut stream: impl tokio::io::AsyncRead + Unpin, log: Arc<Mutex<String>>) {
    let mut buffer = [0; 8192];
    while let Ok(n @ 1..) = stream.read(&mut buffer).await {
        let text = String::from_utf8_lossy(&buffer[..n]);
        lock(&log).push_str(&text);
    }
}

/// A started bootstrap, killed when dropped.
pub struct Started {
    child: Child,
    started_at: Instant,
    log: Arc<Mutex<String>>,
}

impl Started {
    /// When the process was spawned.
    pub fn started_at(&self) -> Instant {
        self.started_at
    }

    /// What it wrote to stdout and stderr so far (Lambda sends both to the function's log).
    pub fn log(&self) -> String {
        lock(&self.log).clone()
    }

    /// Its peak resident memory so far (`VmHWM` of `/proc/<pid>/status`), in KiB; `None` once it
    /// has exited.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
    }

    /// Waits for it to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// Kills it and waits for it.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.child.kill().await
    }
}
