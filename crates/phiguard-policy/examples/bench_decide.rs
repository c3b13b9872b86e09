//! Measures the cost of one access decision.
//!
//! Compares (a) the single annotated evaluation that `TenantPolicies::decide` performs with
//! (b) the alternative of one Cedar evaluation per PHI category (nine), for an authorized
//! record read by a clinician under the default policies plus a few tenant policies.
//!
//! ```text
//! cargo run --release -p phiguard-policy --example bench_decide -- [iterations] [single]
//! ```
//!
//! `single` skips (b), for profiling (a) alone.

use std::time::{Duration, Instant};

use phiguard_core::{ActorKind, PurposeOfUse, RecordId, SubjectId, TenantId};
use phiguard_policy::{
    AccessDecision, AccessRequest, Action, PolicyEngine, Principal, Resource, TenantPolicies,
    TenantPolicy,
};

const TENANT_POLICIES: &[(&str, &str)] = &[
    (
        "oncology-nurses",
        r#"@clear("name, clinical") @masked("contact")
           permit (
             principal in Phiguard::Role::"nurse",
             action in [Phiguard::Action::"read_record", Phiguard::Action::"list_records"],
             resource
           )
           when { principal.hasTag("ward") && principal.getTag("ward") == "oncology" };"#,
    ),
    (
        "no-clinical-on-orders",
        r#"@withhold("clinical")
           forbid (principal, action == Phiguard::Action::"read_record", resource)
           when { resource.record_type == "shopify.order" };"#,
    ),
    (
        "no-night-exports",
        r#"forbid (principal, action == Phiguard::Action::"search", resource)
           when { context.purpose == "HMARKT" };"#,
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(200_000);

    let engine = PolicyEngine::new()?;
    let tenant: TenantId = "northwind".parse()?;
    let own: Vec<TenantPolicy> = TENANT_POLICIES
        .iter()
        .map(|(id, text)| TenantPolicy {
            id: (*id).into(),
            text: (*text).into(),
        })
        .collect();
    let policies = engine.compile_tenant(&tenant, &own)?;
    let clinician = Principal::new(
        tenant.clone(),
        "dr-okafor".parse()?,
        ActorKind::User,
        ["clinician".parse()?],
        [("department".to_owned(), "cardiology".to_owned())],
    )?;
    let subject = SubjectId::from_random([3; 16]);
    let record = RecordId::from_random([4; 16]);
    let request = AccessRequest {
        principal: &clinician,
        action: Action::ReadRecord,
        resource: Resource::Record {
            tenant: &tenant,
            subject: &subject,
            record: &record,
            record_type: "fhir.Observation",
            restricted: false,
        },
        purpose: PurposeOfUse::Treat,
        break_glass: false,
    };

    let single = policies.decide(&request);
    let nine = policies.decide_per_category(&request);
    assert!(
        single.is_allowed(),
        "the benchmark request must be authorized: {single:?}"
    );
    assert_eq!(single, nine, "the two designs must agree");

    println!(
        "{} policies ({} tenant), {iterations} authorized record reads, one thread",
        policies.policy_ids().len(),
        own.len()
    );
    report(
        "(a) one annotated evaluation ",
        &policies,
        &request,
        iterations,
        TenantPolicies::decide,
    );
    if std::env::args().nth(2).as_deref() == Some("single") {
        return Ok(());
    }
    report(
        "(b) one evaluation per category",
        &policies,
        &request,
        iterations / 4,
        TenantPolicies::decide_per_category,
    );
    parallel("(a) on every core", &policies, &request, iterations);
    Ok(())
}

/// Aggregate throughput of (a) with one thread per available core, all deciding the same
/// request against the same shared `TenantPolicies`.
fn parallel(
    label: &str,
    policies: &TenantPolicies,
    request: &AccessRequest<'_>,
    iterations: usize,
) {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..iterations {
                    std::hint::black_box(policies.decide(std::hint::black_box(request)));
                }
            });
        }
    });
    let total = started.elapsed();
    println!(
        "{label} ({threads} threads): {:.0} decisions/s",
        (threads * iterations) as f64 / total.as_secs_f64()
    );
}

fn report(
    label: &str,
    policies: &TenantPolicies,
    request: &AccessRequest<'_>,
    iterations: usize,
    decide: fn(&TenantPolicies, &AccessRequest<'_>) -> AccessDecision,
) {
    for _ in 0..iterations / 10 {
        std::hint::black_box(decide(policies, request));
    }

    let mut samples = Vec::with_capacity(iterations);
    let cpu_started = thread_cpu_time();
    let started = Instant::now();
    for _ in 0..iterations {
        let one = Instant::now();
        std::hint::black_box(decide(policies, std::hint::black_box(request)));
        samples.push(one.elapsed());
    }
    let total = started.elapsed();
    let cpu = thread_cpu_time()
        .zip(cpu_started)
        .map(|(end, start)| end.saturating_sub(start));

    samples.sort();
    let percentile = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    println!(
        "{label}: {:>7.0} decisions/s   p50 {:>6.1} µs   p99 {:>6.1} µs   on-CPU {}",
        iterations as f64 / total.as_secs_f64(),
        micros(percentile(50)),
        micros(percentile(99)),
        cpu.map_or("unknown".to_owned(), |cpu| format!(
            "{:.1} µs/decision ({:.0} decisions per CPU-second)",
            micros(cpu) / iterations as f64,
            iterations as f64 / cpu.as_secs_f64()
        )),
    );
}

/// Time this thread spent on a CPU (Linux `schedstat`), so that the figure excludes time
/// other processes on a busy machine took; `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
