//! `phiguard-bench`: authorized record reads over HTTP, with policy, decryption and audit on
//! (the real `phiguard serve` router), against the same read path with policy and decryption
//! off (the bare path, which only this benchmark can reach).
//!
//! It creates a vault in a temporary directory, imports `--patients` Synthea-shaped fictional
//! patients, starts each router on a loopback port inside this process, and drives it with
//! `--connections` keep-alive HTTP/1.1 connections from a load generator on the same machine,
//! reading records chosen at random. It reports reads per second and latency percentiles for
//! both paths and their cost ratio.
//!
//! ```text
//! cargo run --release -p phiguard-bench -- --patients 200 --seconds 10
//! ```

mod ledger;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use phiguard_core::{ActorKind, AuditAction, RecordId, TenantId};
use phiguard_records::synthetic::{BundleShape, Generator};
use phiguard_server::ServerConfig;
use phiguard_store::AuditQuery;
use phiguard_vault::{ActorSpec, Caller, ImportFormat, NoProgress, SystemJob, Vault, VaultConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Full,
    Bare,
    Both,
    /// The full path with the detectors of `phiguard serve` off, then on.
    Detection,
}

/// Measures authorized record reads over HTTP.
#[derive(Debug, Parser)]
#[command(name = "phiguard-bench", max_term_width = 100)]
struct Args {
    /// Fictional Synthea-shaped patients to import.
    #[arg(long, default_value_t = 200)]
    patients: usize,
    /// Encounters per patient (each brings observations, claims and more).
    #[arg(long, default_value_t = 8)]
    encounters: usize,
    /// Seconds to measure each path.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of warm-up before each measurement.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Which paths to measure.
    #[arg(long, value_enum, default_value = "both")]
    mode: Mode,
    /// Keep the vault in this directory instead of a temporary one.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    /// Instead of reads, measure this many durable ledger appends through the store from
    /// `--connections` concurrent writers, then inclusion proofs at the final size (0: off).
    #[arg(long, default_value_t = 0)]
    ledger_appends: u64,
}

struct Fixture {
    vault: Arc<Vault>,
    tenant: TenantId,
    token: String,
    records: Arc<Vec<RecordId>>,
}

#[derive(Debug, Clone)]
struct Measurement {
    path: &'static str,
    reads: u64,
    errors: u64,
    seconds: f64,
    reads_per_second: f64,
    p50_micros: u32,
    p99_micros: u32,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()?;
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()?;

    let temp = tempfile::tempdir()?;
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().join("data"));

    if args.ledger_appends > 0 {
        let measured = server.block_on(ledger::run(&dir, args.ledger_appends, args.connections))?;
        #[allow(clippy::print_stdout, reason = "the benchmark's result")]
        let () = if args.json {
            println!("{}", measured.to_json());
        } else {
            println!("{}", measured.to_text());
        };
        return Ok(());
    }
    let started = Instant::now();
    let fixture = server.block_on(setup(&dir, &args))?;
    // Progress goes to standard error so that `--json` output stays clean.
    #[allow(clippy::print_stderr, reason = "a benchmark's progress line")]
    let () = eprintln!(
        "loaded {} patients ({} records) in {:.1} s",
        args.patients,
        fixture.records.len(),
        started.elapsed().as_secs_f64()
    );

    let mut results = Vec::new();
    for (path, bare, detect) in [
        ("full", false, false),
        ("bare", true, false),
        ("full+detect", false, true),
    ] {
        let wanted = match args.mode {
            Mode::Both => !detect,
            Mode::Full => !bare && !detect,
            Mode::Bare => bare,
            Mode::Detection => !bare,
        };
        if !wanted {
            continue;
        }
        // The detectors tail the audit trail beside the request path, as in `phiguard serve`.
        let detection = if detect {
            server.block_on(phiguard_server::detection::start(
                Arc::clone(&fixture.vault),
                phiguard_server::detection::DetectionSettings::default(),
                phiguard_delivery::DeliveryConfig::default(),
            ))?
        } else {
            None
        };
        let app = if bare {
            bare_router(&fixture)
        } else {
            full_router(&fixture)
        };
        let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let serving = server.spawn(async move { axum::serve(listener, app).await });

        let prefix = if bare { "/bench/bare" } else { "/v1/tenants" };
        let load = Load {
            addr,
            prefix,
            tenant: fixture.tenant.to_string(),
            token: fixture.token.clone(),
            records: Arc::clone(&fixture.records),
        };
        client.block_on(load.run(&args, Duration::from_secs(args.warmup)))?;
        let measured = client.block_on(load.run(&args, Duration::from_secs(args.seconds)))?;
        serving.abort();
        if let Some(detection) = detection {
            let lag = server.block_on(async {
                let target = fixture.vault.latest_audit_seq().unwrap_or(0);
                let started = Instant::now();
                while fixture.vault.detector_cursor().ok().flatten().unwrap_or(0) < target
                    && started.elapsed() < Duration::from_secs(60)
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                started.elapsed()
            });
            #[allow(clippy::print_stderr, reason = "a benchmark's progress line")]
            let () = eprintln!(
                "detectors caught up with the trail {:.2} s after the load stopped",
                lag.as_secs_f64()
            );
            server.block_on(detection.stop(Duration::from_secs(1)));
        }
        results.push(measured.into_measurement(path));
    }

    report(&args, &results);
    Ok(())
}

async fn setup(dir: &std::path::Path, args: &Args) -> anyhow::Result<Fixture> {
    let (vault, _bootstrap) = Vault::open(dir, VaultConfig::default()).await?;
    let tenant: TenantId = "bench".parse()?;
    let admin = Caller::system(tenant.clone(), SystemJob::Administration);
    vault
        .create_tenant(&admin, tenant.clone(), "Benchmark clinic".into(), None)
        .await?;

    let clinician = ActorSpec {
        id: "dr-bench".parse()?,
        kind: ActorKind::User,
        display_name: "Benchmark clinician".into(),
        roles: vec!["clinician".parse()?],
        attributes: Default::default(),
        disabled: false,
    };
    vault.put_actor(&admin, &tenant, clinician.clone()).await?;
    let lifetime = Some(jiff::SignedDuration::from_hours(24));
    let issued = vault
        .issue_credential(&admin, &tenant, &clinician.id, lifetime, None)
        .await?;

    let shape = BundleShape {
        encounters: args.encounters,
        ..BundleShape::default()
    };
    let mut generator = Generator::new(20_261_204);
    let importer = Caller::system(tenant.clone(), SystemJob::Import);
    for chunk in (0..args.patients).collect::<Vec<_>>().chunks(50) {
        let files: Vec<(String, Vec<u8>)> = chunk
            .iter()
            .map(|i| {
                (
                    format!("patient-{i}.json"),
                    generator.patient_bundle(&shape).to_bytes(),
                )
            })
            .collect();
        vault
            .import(
                &importer,
                &tenant,
                ImportFormat::FhirBundle,
                &files,
                &NoProgress,
            )
            .await?;
    }

    let mut records = Vec::new();
    let mut after = None;
    loop {
        let query = AuditQuery {
            actor: Some(SystemJob::Import.actor()),
            after_seq: after,
            limit: 10_000,
            ..AuditQuery::default()
        };
        let page = vault.audit_events(&admin, &tenant, &query).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        records.extend(
            page.into_iter()
                .filter(|e| e.event.action == AuditAction::CreateRecord)
                .filter_map(|e| e.event.record),
        );
    }
    if records.is_empty() {
        bail!("the import stored no records");
    }

    Ok(Fixture {
        vault: Arc::new(vault),
        tenant,
        token: issued.token.expose().to_owned(),
        records: Arc::new(records),
    })
}

fn full_router(fixture: &Fixture) -> Router {
    phiguard_server::router(Arc::clone(&fixture.vault), ServerConfig::default())
}

fn bare_router(fixture: &Fixture) -> Router {
    Router::new()
        .route(
            "/bench/bare/{tenant}/records/{record}",
            axum::routing::get(bare_read),
        )
        .with_state(Arc::clone(&fixture.vault))
}

async fn bare_read(
    State(vault): State<Arc<Vault>>,
    Path((tenant, record)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authenticated = match vault.authenticate(token).await {
        Ok(a) => a,
        Err(_) => return StatusCode::UNAUTHORIZED.into_response(),
    };
    let purpose = headers
        .get("x-purpose-of-use")
        .and_then(|v| v.to_str().ok());
    let caller = Caller::new(authenticated).with_purpose_code(purpose);
    let (Ok(tenant), Ok(record)) = (tenant.parse::<TenantId>(), record.parse::<RecordId>()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    match vault.read_record_bare(&caller, &tenant, &record).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(_) => StatusCode::FORBIDDEN.into_response(),
    }
}

#[derive(Clone)]
struct Load {
    addr: SocketAddr,
    prefix: &'static str,
    tenant: String,
    token: String,
    records: Arc<Vec<RecordId>>,
}

struct Tally {
    reads: u64,
    errors: u64,
    latencies: Vec<u32>,
    elapsed: Duration,
}

impl Tally {
    fn into_measurement(mut self, path: &'static str) -> Measurement {
        self.latencies.sort_unstable();
        let percentile = |p: f64| {
            let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies.get(index).copied().unwrap_or(0)
        };
        let seconds = self.elapsed.as_secs_f64();
        Measurement {
            path,
            reads: self.reads,
            errors: self.errors,
            seconds,
            reads_per_second: self.reads as f64 / seconds,
            p50_micros: percentile(0.50),
            p99_micros: percentile(0.99),
        }
    }
}

impl Load {
    async fn run(&self, args: &Args, duration: Duration) -> anyhow::Result<Tally> {
        let started = Instant::now();
        let deadline = started + duration;
        let mut tasks = Vec::with_capacity(args.connections);
        for seed in 0..args.connections as u64 {
            let load = self.clone();
            tasks.push(tokio::spawn(async move {
                load.connection(seed + 1, deadline).await
            }));
        }

        let mut tally = Tally {
            reads: 0,
            errors: 0,
            latencies: Vec::new(),
            elapsed: Duration::ZERO,
        };
        for task in tasks {
            let (reads, errors, latencies) = task.await.context("a load task failed")??;
            tally.reads += reads;
            tally.errors += errors;
            tally.latencies.extend(latencies);
        }
        tally.elapsed = started.elapsed();
        Ok(tally)
    }

    async fn connection(
        self,
        seed: u64,
        deadline: Instant,
    ) -> anyhow::Result<(u64, u64, Vec<u32>)> {
        let stream = tokio::net::TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);

        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let (mut reads, mut errors, mut latencies) = (0u64, 0u64, Vec::with_capacity(1 << 16));
        let authorization = format!("Bearer {}", self.token);
        while Instant::now() < deadline {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let record = &self.records[(state % self.records.len() as u64) as usize];
            let uri = format!("{}/{}/records/{}", self.prefix, self.tenant, record);
            let request = hyper::Request::get(uri)
                .header("host", "127.0.0.1")
                .header("authorization", &authorization)
                .header("x-purpose-of-use", "TREAT")
                .body(Empty::<Bytes>::new())?;

            let sent = Instant::now();
            let response = sender.send_request(request).await?;
            let ok = response.status() == StatusCode::OK;
            let body = response.into_body().collect().await?.to_bytes();
            let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
            if ok && !body.is_empty() {
                reads += 1;
                latencies.push(micros);
            } else {
                errors += 1;
            }
        }
        Ok((reads, errors, latencies))
    }
}

fn report(args: &Args, results: &[Measurement]) {
    let ratio = match (
        results.iter().find(|m| m.path == "full"),
        results.iter().find(|m| m.path == "bare"),
    ) {
        (Some(full), Some(bare)) if full.reads_per_second > 0.0 => {
            Some(bare.reads_per_second / full.reads_per_second)
        }
        _ => None,
    };

    if args.json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|m| {
                serde_json::json!({
                    "path": m.path, "reads": m.reads, "errors": m.errors, "seconds": m.seconds,
                    "reads_per_second": m.reads_per_second,
                    "p50_micros": m.p50_micros, "p99_micros": m.p99_micros,
                })
            })
            .collect();
        let out = serde_json::json!({
            "patients": args.patients, "connections": args.connections,
            "results": rows, "full_cost_over_bare": ratio,
        });
        println!("{out}");
        return;
    }

    println!(
        "{:<12} {:>12} {:>10} {:>10} {:>10} {:>8}",
        "path", "reads/s", "p50 µs", "p99 µs", "reads", "errors"
    );
    for m in results {
        println!(
            "{:<12} {:>12.0} {:>10} {:>10} {:>10} {:>8}",
            m.path, m.reads_per_second, m.p50_micros, m.p99_micros, m.reads, m.errors
        );
    }
    if let Some(ratio) = ratio {
        println!("full path costs {ratio:.2}× the bare path (bare reads/s ÷ full reads/s)");
    }
    if let (Some(off), Some(on)) = (
        results.iter().find(|m| m.path == "full"),
        results.iter().find(|m| m.path == "full+detect"),
    ) && off.reads_per_second > 0.0
    {
        println!(
            "with detection: {:+.1}% reads/s, p50 {:+} µs, p99 {:+} µs",
            (on.reads_per_second / off.reads_per_second - 1.0) * 100.0,
            i64::from(on.p50_micros) - i64::from(off.p50_micros),
            i64::from(on.p99_micros) - i64::from(off.p99_micros)
        );
    }
}
