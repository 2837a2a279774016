//! The emulator's server process: started on a free 127.0.0.1 port, stopped on drop.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use super::Error;
use crate::venv::Layout;

const READY_PREFIX: &str = "studio-emulator ready on ";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const STDERR_LINES_KEPT: usize = 40;

/// A running emulator process; killed (and reaped) when dropped.
#[derive(Debug)]
pub(super) struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl ServerProcess {
    /// Starts the server on `port` (0 = any free port) and waits until it is ready.
    pub fn start(layout: &Layout, port: u16) -> Result<ServerProcess, Error> {
        let mut child = Command::new(layout.python())
            .args([
                "-m",
                "studio_emulator",
                "--host",
                "127.0.0.1",
                "--exit-with-parent",
                "--port",
            ])
            .arg(port.to_string())
            .current_dir(&layout.source)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Start(format!("cannot run {}: {e}", layout.python().display())))?;
        let stderr = keep_tail(child.stderr.take());
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                let first = lines.next().and_then(Result::ok);
                let _ = ready_tx.send(first);
                // Keep draining so the server never blocks on a full pipe.
                for _ in lines {}
            });
        }
        let mut server = ServerProcess {
            child,
            endpoint: String::new(),
        };
        match ready_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Some(line)) if line.starts_with(READY_PREFIX) => {
                server.endpoint = line[READY_PREFIX.len()..].trim().to_owned();
                Ok(server)
            }
            outcome => {
                let what = match outcome {
                    Ok(Some(line)) => format!("printed {line:?} instead of its ready line"),
                    Ok(None) => "exited before it was ready".to_owned(),
                    Err(_) => format!("was not ready within {} s", STARTUP_TIMEOUT.as_secs()),
                };
                drop(server); // kill it before reading what it printed
                let log = stderr
                    .lock()
                    .map(|l| Vec::from(l.clone()).join("\n"))
                    .unwrap_or_default();
                Err(Error::Start(format!("the emulator {what}; its last output:\n{log}")))
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Drains a pipe on a thread, keeping its last lines for error messages.
fn keep_tail(pipe: Option<impl Read + Send + 'static>) -> Arc<Mutex<VecDeque<String>>> {
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(pipe) = pipe {
        let tail = Arc::clone(&tail);
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == STDERR_LINES_KEPT {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
        });
    }
    tail
}
