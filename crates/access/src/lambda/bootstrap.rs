//! The package's `bootstrap` on Lambda.
//!
//! Lambda's `provided.al2023` runtime starts `$LAMBDA_TASK_ROOT/bootstrap` with no arguments and
//! puts the function's handler in `_HANDLER`. Started that way, studio-fed serves the
//! configuration file the handler names in the package, `$LAMBDA_TASK_ROOT/$_HANDLER`: the handler
//! of a function made from `studio-fed gateway package` is the configuration's file name (e.g.
//! `gateway.toml`, which the command prints). A start that fails (no handler, a handler naming no
//! file, a bad configuration, a missing metadata file) is reported to the Runtime API's
//! `/init/error`, so that it shows in the function's log and in the answer to the invoke.

use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};

use lambda_runtime_api_client::PooledClient;
use lambda_runtime_api_client::body::Body;

use crate::Error;

/// The executable's name in a Lambda package.
pub const BOOTSTRAP: &str = "bootstrap";

/// The Runtime API's init error endpoint.
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";

/// Whether a process with these arguments (`std::env::args_os()`, the program first) was started
/// the way Lambda starts a custom runtime: as `bootstrap`, with no arguments.
pub fn started_by_lambda(mut args: impl Iterator<Item = OsString>) -> bool {
    let Some(program) = args.next() else {
        return false;
    };
    Path::new(&program).file_name() == Some(OsStr::new(BOOTSTRAP)) && args.next().is_none()
}

/// The configuration file the function serves: `task_root/handler`, from `LAMBDA_TASK_ROOT` and
/// `_HANDLER`. The handler must be a file name (or a relative path) inside the package.
pub fn config_path(task_root: Option<OsString>, handler: Option<OsString>) -> Result<PathBuf, Error> {
    const SET_IT: &str = "set the function's handler to the gateway configuration's file name in the \
                          package (`studio-fed gateway package` prints it, e.g. gateway.toml)";
    let task_root = task_root
        .filter(|root| !root.is_empty())
        .ok_or_else(|| Error::Config("LAMBDA_TASK_ROOT is not set: Lambda sets it to the package's folder".into()))?;
    let handler = handler
        .filter(|handler| !handler.is_empty())
        .ok_or_else(|| Error::Config(format!("the function has no handler (_HANDLER is not set): {SET_IT}")))?;
    let inside = Path::new(&handler)
        .components()
        .all(|component| matches!(component, Component::Normal(_)));
    if !inside {
        return Err(Error::Config(format!(
            "the function's handler {} is not a file in the package: {SET_IT}",
            handler.to_string_lossy()
        )));
    }
    let path = Path::new(&task_root).join(&handler);
    if !path.is_file() {
        return Err(Error::Config(format!(
            "the function's handler is {}, but the package has no such file ({}): {SET_IT}",
            handler.to_string_lossy(),
            path.display()
        )));
    }
    Ok(path)
}

/// Reports a failed start to the Lambda Runtime API at `AWS_LAMBDA_RUNTIME_API`
/// (`POST /2018-06-01/runtime/init/error`, error type `Runtime.InitError`), with `message` as
/// the `errorMessage`. Call it before exiting when the gateway cannot start on Lambda.
pub async fn report_init_error(message: &str) -> Result<(), Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| Error::Lambda("AWS_LAMBDA_RUNTIME_API is not set: not started by Lambda".into()))?;
    let endpoint: http::Uri = api
        .parse()
        .map_err(|e| Error::Lambda(format!("AWS_LAMBDA_RUNTIME_API {api:?} is not host:port: {e}")))?;
    let client = PooledClient::builder().with_endpoint(endpoint).build();
    let body = serde_json::json!({
        "errorMessage": message,
        "errorType": "Runtime.InitError",
        "stackTrace": [],
    });
    let request = lambda_runtime_api_client::build_request()
        .method(http::Method::POST)
        .uri(INIT_ERROR)
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| Error::Lambda(format!("cannot build the {INIT_ERROR} request: {e}")))?;
    let response = client
        .call(request)
        .await
        .map_err(|e| Error::Lambda(format!("cannot reach the Runtime API at {api} ({INIT_ERROR}): {e}")))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(Error::Lambda(format!(
            "the Runtime API answered {INIT_ERROR} with {}",
            response.status()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = OsString> {
        list.iter().map(OsString::from).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn lambda_starts_bootstrap_without_arguments() {
        assert!(started_by_lambda(args(&["/var/task/bootstrap"])));
        assert!(started_by_lambda(args(&["bootstrap"])));
        assert!(!started_by_lambda(args(&["/var/task/bootstrap", "serve"])));
        assert!(!started_by_lambda(args(&["/usr/local/bin/studio-fed"])));
        assert!(!started_by_lambda(args(&[])));
    }

    #[test]
    fn the_handler_names_the_configuration_in_the_package() {
        let root = std::env::temp_dir().join(format!("studio-fed-bootstrap-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("gateway.toml"), "").unwrap();
        let path = |handler: Option<&str>| config_path(Some(root.clone().into()), handler.map(OsString::from));
        assert_eq!(path(Some("gateway.toml")).unwrap(), root.join("gateway.toml"));

        let missing = path(Some("hello.handler")).unwrap_err().to_string();
        assert!(
            missing.contains("handler is hello.handler, but the package has no such file")
                && missing.contains("set the function's handler to the gateway configuration's file name"),
            "{missing}"
        );
        let unset = path(None).unwrap_err().to_string();
        assert!(unset.contains("_HANDLER is not set"), "{unset}");
        let outside = path(Some("../etc/passwd")).unwrap_err().to_string();
        assert!(outside.contains("is not a file in the package"), "{outside}");
        let no_root = config_path(None, Some("gateway.toml".into())).unwrap_err().to_string();
        assert!(no_root.contains("LAMBDA_TASK_ROOT is not set"), "{no_root}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
