//! The harness the integration tests share: a temporary working directory per test, the real
//! `phiguard` binary run in it (one-shot commands and `serve`), a small HTTP client, tenant
//! setup, fixtures and the PHI leak scanner.
//!
//! Every test gets its own directory, data directory, port and server process, so tests run in
//! parallel and leave nothing behind. A server is killed when its handle drops, also when a test
//! panics.

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

pub(crate) mod fixtures;
pub(crate) mod http;
pub(crate) mod phi;
pub(crate) mod setup;

use std::fs::File;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub(crate) use http::Request;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_phiguard");

/// How long a server may take to answer `/healthz` after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A temporary working directory with a data directory inside it.
pub(crate) struct Workspace {
    root: TempDir,
}

/// What a finished command printed and how it ended.
#[derive(Debug)]
pub(crate) struct CliOutput {
    /// The exit code (`None` if killed by a signal).
    pub(crate) code: Option<i32>,
    /// Standard output.
    pub(crate) stdout: String,
    /// Standard error.
    pub(crate) stderr: String,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    /// A fresh, empty working directory.
    ///
    /// With `PHIGUARD_ITEST_KEEP` set in the environment, the directory is left behind for
    /// inspection (its path is in every failure message that names a file).
    pub(crate) fn new() -> Self {
        let mut root = tempfile::Builder::new()
            .prefix("phiguard-itest-")
            .tempdir()
            .expect("a temporary directory");
        root.disable_cleanup(std::env::var_os("PHIGUARD_ITEST_KEEP").is_some());
        Workspace { root }
    }

    /// The working directory (commands run here; `phiguard.toml` would be read from here).
    pub(crate) fn root(&self) -> &Path {
        self.root.path()
    }

    /// The data directory every command is pointed at.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.root().join("phiguard-data")
    }

    /// A file beside the data directory, for logs, fixtures and copies.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }

    /// The binary with the data directory set, run in the working directory, with every
    /// `PHIGUARD_*` variable of the test's own environment removed.
    pub(crate) fn command(&self) -> Command {
        self.command_for(&self.data_dir())
    }

    /// As [`Workspace::command`], for another data directory.
    pub(crate) fn command_for(&self, data_dir: &Path) -> Command {
        let mut command = Command::new(BIN);
        command.current_dir(self.root());
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PHIGUARD_") {
                command.env_remove(name);
            }
        }
        command.arg("--data-dir").arg(data_dir);
        command
    }

    /// Runs a command to completion.
    pub(crate) fn cli(&self, args: &[&str]) -> CliOutput {
        run(self.command().args(args))
    }

    /// Runs a command that must succeed and returns its standard output.
    #[track_caller]
    pub(crate) fn cli_ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert_eq!(
            output.code,
            Some(0),
            "`phiguard {}` failed:\n{}",
            args.join(" "),
            output.stderr
        );
        output.stdout
    }

    /// Starts `phiguard serve` on a free loopback port and waits until it answers.
    pub(crate) fn serve(&self) -> Server {
        self.serve_with(&ServeOptions::default())
    }

    /// Starts `phiguard serve` with options.
    pub(crate) fn serve_with(&self, options: &ServeOptions) -> Server {
        self.serve_dir(&self.data_dir(), options)
    }

    /// Starts `phiguard serve` on another data directory.
    pub(crate) fn serve_dir(&self, data_dir: &Path, options: &ServeOptions) -> Server {
        let mut last_failure = String::new();
        for attempt in 0..5 {
            let addr = free_loopback_port();
            let listen = SocketAddr::new(options.listen_ip.unwrap_or(addr.ip()), addr.port());
            let log = self.path(&format!("serve-{}-{attempt}.log", addr.port()));
            let stdout = self.path(&format!("serve-{}-{attempt}.out", addr.port()));
            let mut command = self.command_for(data_dir);
            if let Some(level) = &options.log {
                command.args(["--log", level]);
            }
            command
                .args(["serve", "--listen", &listen.to_string()])
                .envs(options.env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(File::create(&stdout).expect("stdout file"))
                .stderr(File::create(&log).expect("log file"));
            let child = command.spawn().expect("phiguard could not be started");
            let mut server = Server {
                child: Some(child),
                addr,
                log,
                stdout,
            };

            match server.wait_ready(options.tls) {
                Ok(()) => return server,
                Err(exit) => {
                    last_failure = format!("{exit}\n{}", server.log());
                    // Another test may have taken the port between our probe and the bind.
                    if !last_failure.contains("in use") {
                        break;
                    }
                }
            }
        }
        panic!("phiguard serve did not start:\n{last_failure}");
    }
}

/// Options for `phiguard serve`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServeOptions {
    /// `--log FILTER`.
    pub(crate) log: Option<String>,
    /// Extra environment variables.
    pub(crate) env: Vec<(String, String)>,
    /// The server speaks TLS, so readiness is a TCP connect rather than `/healthz`.
    pub(crate) tls: bool,
    /// Listen on this address instead of 127.0.0.1 (the tests still connect through
    /// loopback).
    pub(crate) listen_ip: Option<IpAddr>,
}

/// Runs a prepared command to completion and captures its output.
pub(crate) fn run(command: &mut Command) -> CliOutput {
    let output = command
        .stdin(Stdio::null())
        .output()
        .expect("phiguard could not be run");
    CliOutput {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs a command that should end by itself, killing it after `timeout` (then `code` is
/// `None` and `stderr` says so).
pub(crate) fn run_with_timeout(command: &mut Command, timeout: Duration) -> CliOutput {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let out_path = scratch.path().join("stdout");
    let err_path = scratch.path().join("stderr");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("phiguard could not be run");

    let started = Instant::now();
    let timed_out = loop {
        if child.try_wait().expect("polling the process").is_some() {
            break false;
        }
        if started.elapsed() >= timeout {
            let _ = child.kill();
            break true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = child.wait().expect("waiting for the process");
    let code = if timed_out { None } else { status.code() };

    let mut stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    if timed_out {
        stderr.push_str(&format!("\n[still running after {timeout:?}; killed]"));
    }
    CliOutput {
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr,
    }
}

/// A loopback address whose port was free a moment ago.
pub(crate) fn free_loopback_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    listener.local_addr().expect("the ephemeral port")
}

/// A running `phiguard serve`. Killed when dropped.
pub(crate) struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    log: PathBuf,
    stdout: PathBuf,
}

impl Server {
    fn wait_ready(&mut self, tls: bool) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < STARTUP_TIMEOUT {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().expect("polling the server process")
            {
                return Err(format!("phiguard serve exited with {status}"));
            }
            let ready = if tls {
                TcpStream::connect(self.addr).is_ok()
            } else {
                TcpStream::connect(self.addr).is_ok() && self.get("/healthz").send().status == 200
            };
            if ready {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Err("phiguard serve did not answer in time".to_owned())
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything it wrote to standard error so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The file its standard error goes to.
    pub(crate) fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything it wrote to standard output so far.
    pub(crate) fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// A request to this server.
    pub(crate) fn request(&self, method: &str, path: &str) -> Request {
        Request::new(self.addr, method, path)
    }

    /// A GET request.
    pub(crate) fn get(&self, path: &str) -> Request {
        self.request("GET", path)
    }

    /// A POST request.
    pub(crate) fn post(&self, path: &str) -> Request {
        self.request("POST", path)
    }

    /// A PUT request.
    pub(crate) fn put(&self, path: &str) -> Request {
        self.request("PUT", path)
    }

    /// A DELETE request.
    pub(crate) fn delete(&self, path: &str) -> Request {
        self.request("DELETE", path)
    }

    /// Kills the process at once (SIGKILL), as a crash would: SQLite gets no chance to
    /// checkpoint, so the write-ahead logs stay as they were.
    pub(crate) fn kill(mut self) {
        self.kill_now();
    }

    /// Asks the process to stop (SIGTERM) and waits for it.
    pub(crate) fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("a running server");
        let signalled = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill could not be run");
        assert!(signalled.success(), "SIGTERM could not be delivered");

        let started = Instant::now();
        let stopped = loop {
            if child
                .try_wait()
                .expect("polling the server process")
                .is_some()
            {
                break true;
            }
            if started.elapsed() >= Duration::from_secs(30) {
                let _ = child.kill();
                break false;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let status = child.wait().expect("waiting for the server process");
        assert!(
            stopped,
            "phiguard serve did not stop within 30 s of SIGTERM"
        );
        status
    }

    fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// Opens one of the data directory's SQLite files for tampering or inspection while the
/// server may be running.
pub(crate) fn open_db(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("opening a SQLite file");
    conn.busy_timeout(Duration::from_secs(20))
        .expect("a busy timeout");
    conn
}
