//! `phiguard ledger watch`: an independent monitor for a covered entity that does not want to
//! trust its operator. It fetches the server's latest checkpoint, checks the signature with the
//! key the tenant holds, checks that the log only grew since the last checkpoint it kept (with a
//! consistency proof from the server), and keeps the new one.
//!
//! Exit status: 0 the log is consistent with everything seen before; 1 proof of misbehaviour (a
//! bad signature, a rollback, a fork); 2 bad usage or unreadable state; 3 the server could not
//! be asked (unreachable, or it answered with an error) — nothing was learnt either way.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;
use phiguard_core::TenantId;
use phiguard_ledger::{Checkpoint, CheckpointVerifier, ConsistencyProof, verify_consistency};

use super::client::{GetError, VaultClient};
use crate::Failure;
use crate::output;

/// The latest checkpoint kept, inside the state directory.
const LATEST: &str = "latest.note";
/// Every checkpoint kept, inside the state directory.
const HISTORY: &str = "history";
/// The largest response body read.
const MAX_BODY: usize = 1 << 20;
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Options of `phiguard ledger watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// The server's base URL, such as http://127.0.0.1:8620.
    #[arg(long)]
    url: String,
    /// The tenant whose log to watch.
    #[arg(long)]
    tenant: TenantId,
    /// The tenant's verifier key, obtained once from a trusted source.
    #[arg(long, value_name = "VKEY", value_parser = super::ledger::parse_verifier_key)]
    key: CheckpointVerifier,
    /// Where the checkpoints seen so far are kept between runs.
    #[arg(long, value_name = "DIR")]
    state: PathBuf,
    /// A file holding a bearer credential of the tenant allowed `read_audit`.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The purpose of use the requests name.
    #[arg(long, default_value = "HCOMPL")]
    purpose: String,
}

/// Why the watch ended without a verdict on the server.
enum Unchecked {
    /// Usage or state problems: exit 2.
    Input(anyhow::Error),
    /// The server could not be asked: exit 3.
    Unreachable(anyhow::Error),
}

/// A verdict of misbehaviour: exit 1.
struct Misbehaviour(String);

pub(crate) async fn run(args: WatchArgs) -> Result<ExitCode, Failure> {
    match watch(&args).await {
        Ok(Ok(message)) => {
            output::line(&message);
            Ok(ExitCode::SUCCESS)
        }
        Ok(Err(Misbehaviour(message))) => {
            output::error(&message);
            Ok(ExitCode::from(1))
        }
        Err(Unchecked::Input(error)) => Err(Failure::Input(error)),
        Err(Unchecked::Unreachable(error)) => {
            output::error(&format!(
                "could not check the log of tenant {}: {error:#}",
                args.tenant
            ));
            Ok(ExitCode::from(3))
        }
    }
}

async fn watch(args: &WatchArgs) -> Result<Result<String, Misbehaviour>, Unchecked> {
    let input = Unchecked::Input;
    if phiguard_ledger::tenant_of_origin(args.key.origin()).as_ref() != Some(&args.tenant) {
        return Err(input(anyhow!(
            "the verifier key is not for tenant {}",
            args.tenant
        )));
    }
    let token = match &args.token_file {
        Some(path) => Some(
            fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))
                .map_err(input)?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let kept = read_kept(&args.state, &args.key).map_err(input)?;
    let server = Server::new(&args.url, &args.tenant, token, &args.purpose).map_err(input)?;

    // The served checkpoint, as signed.
    let body = server.get("/ledger/checkpoint", "text/plain").await?;
    let served = match args.key.verify(&body) {
        Ok(checkpoint) => checkpoint,
        Err(error) => {
            keep_evidence(&args.state, &body);
            return Ok(Err(Misbehaviour(format!(
                "BAD SIGNATURE: the checkpoint served for tenant {} does not verify with the \
                 given key ({error}). The server may have switched keys or be forging \
                 checkpoints; do not trust it until this is explained.",
                args.tenant
            ))));
        }
    };

    let verdict = match &kept {
        None => Ok(format!(
            "first checkpoint of tenant {} kept: size {}, root {} (trusted on first use)",
            args.tenant,
            served.size(),
            served.root()
        )),
        Some(kept) => compare(&server, kept, &served, &args.tenant).await?,
    };
    match &verdict {
        Ok(_) => keep(&args.state, &body, &served).map_err(input)?,
        Err(_) => keep_evidence(&args.state, &body),
    }
    Ok(verdict)
}

/// Keeps a note that proved misbehaviour under `evidence/`, best effort: the verdict stands
/// even if it cannot be written.
fn keep_evidence(state: &Path, note: &[u8]) {
    let evidence = state.join("evidence");
    let name = format!("{}.note", jiff::Timestamp::now().as_millisecond());
    let written =
        fs::create_dir_all(&evidence).and_then(|()| fs::write(evidence.join(&name), note));
    if let Err(error) = written {
        output::error(&format!(
            "could not keep the offending checkpoint in {}: {error}",
            evidence.display()
        ));
    } else {
        output::error(&format!(
            "the offending checkpoint is kept in {}",
            evidence.join(name).display()
        ));
    }
}

/// Checks that `served` extends `kept`.
async fn compare(
    server: &Server,
    kept: &Checkpoint,
    served: &Checkpoint,
    tenant: &TenantId,
) -> Result<Result<String, Misbehaviour>, Unchecked> {
    if served.size() < kept.size() {
        return Ok(Err(Misbehaviour(format!(
            "ROLLBACK: the server's latest checkpoint of tenant {tenant} covers {} entries, fewer \
             than the {} of a checkpoint it signed before. Entries were removed or the log was \
             restored from an old copy.",
            served.size(),
            kept.size()
        ))));
    }
    if served.size() == kept.size() {
        if served.root() != kept.root() {
            return Ok(Err(Misbehaviour(format!(
                "FORK: two checkpoints of tenant {tenant} at size {} have different roots. The \
                 server is showing different logs to different readers, or rewrote history.",
                served.size()
            ))));
        }
        return Ok(Ok(format!(
            "unchanged: tenant {tenant} at size {}, root {}",
            served.size(),
            served.root()
        )));
    }

    let path = format!(
        "/ledger/proof/consistency?old={}&new={}",
        kept.size(),
        served.size()
    );
    let body = server.get(&path, "application/json").await?;
    let proof: ConsistencyProof = serde_json::from_slice(&body).map_err(|_| {
        Unchecked::Unreachable(anyhow!("the server's consistency proof is not valid JSON"))
    })?;
    match verify_consistency(
        kept.size(),
        served.size(),
        kept.root(),
        served.root(),
        &proof,
    ) {
        Ok(()) => Ok(Ok(format!(
            "consistent: tenant {tenant} grew from {} to {} entries, root {}",
            kept.size(),
            served.size(),
            served.root()
        ))),
        Err(error) => Ok(Err(Misbehaviour(format!(
            "FORK: the checkpoint of tenant {tenant} at size {} is not an extension of the one \
             kept at size {} ({error}). History was rewritten, or the server shows different \
             logs to different readers.",
            served.size(),
            kept.size()
        )))),
    }
}

/// The last checkpoint kept, verified with the key (state from another key is refused).
fn read_kept(state: &Path, key: &CheckpointVerifier) -> anyhow::Result<Option<Checkpoint>> {
    let path = state.join(LATEST);
    if !path.exists() {
        return Ok(None);
    }
    let note = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let checkpoint = key.verify(&note).map_err(|e| {
        anyhow!(
            "the kept checkpoint {} does not verify with the given key ({e}); is this the \
             state directory of another tenant or key?",
            path.display()
        )
    })?;
    Ok(Some(checkpoint))
}

/// Keeps `note` as the latest checkpoint and in the history, replacing atomically.
fn keep(state: &Path, note: &[u8], checkpoint: &Checkpoint) -> anyhow::Result<()> {
    let history = state.join(HISTORY);
    fs::create_dir_all(&history).with_context(|| format!("cannot create {}", history.display()))?;
    let archived = history.join(format!("{:020}.note", checkpoint.size()));
    fs::write(&archived, note).with_context(|| format!("cannot write {}", archived.display()))?;

    let staged = state.join(format!("{LATEST}.new"));
    fs::write(&staged, note).with_context(|| format!("cannot write {}", staged.display()))?;
    fs::rename(&staged, state.join(LATEST))
        .with_context(|| format!("cannot replace {}", state.join(LATEST).display()))
}

/// The server's ledger endpoints for one tenant.
struct Server {
    client: VaultClient,
    base: String,
    token: Option<String>,
    purpose: String,
}

impl Server {
    fn new(
        url: &str,
        tenant: &TenantId,
        token: Option<String>,
        purpose: &str,
    ) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/');
        if base.starts_with("https://") {
            return Err(anyhow!(
                "this build of `ledger watch` speaks plain HTTP only; reach an HTTPS server \
                 through a local TLS client such as `stunnel`, or run watch where plain HTTP on \
                 loopback reaches the server"
            ));
        }
        if !base.starts_with("http://") {
            return Err(anyhow!("--url must start with http://"));
        }
        base.parse::<hyper::Uri>()
            .map_err(|_| anyhow!("--url is not a valid URL"))?;
        Ok(Server {
            client: VaultClient::new(TIMEOUT, MAX_BODY),
            base: format!("{base}/v1/tenants/{tenant}"),
            token,
            purpose: purpose.to_owned(),
        })
    }

    /// GETs `path` under the tenant and returns the body of a 200 answer.
    async fn get(&self, path: &str, accept: &str) -> Result<Vec<u8>, Unchecked> {
        let uri: hyper::Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|_| Unchecked::Input(anyhow!("--url does not form a valid URL")))?;
        let bearer = self.token.as_ref().map(|token| format!("Bearer {token}"));
        let mut headers = vec![
            ("accept", accept),
            ("x-purpose-of-use", self.purpose.as_str()),
        ];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer.as_str()));
        }
        match self.client.get(&uri, &headers).await {
            Ok(body) => Ok(body.to_vec()),
            Err(GetError::Unreachable(e) | GetError::Refused(e)) => Err(Unchecked::Unreachable(e)),
        }
    }
}
