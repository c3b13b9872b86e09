#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

//! The vault's posture, measured from real state: broad tenant policies, dormant actors,
//! break-glass use, ledger verification against tampering, who may read it, and that it holds
//! no PHI of the patients the vault keeps.

use std::collections::BTreeMap;
use std::path::Path;

use phiguard_core::posture::{TenantPosture, VaultPosture};
use phiguard_core::{
    ActorId, ActorKind, AuditAction, Decision, PurposeOfUse, Role, SubjectId, TenantId, Timestamp,
};
use phiguard_records::builtin_type;
use phiguard_records::fhir::parse_bundle;
use phiguard_records::synthetic::{BundleShape, Generator, phi_strings};
use phiguard_store::AuditQuery;
use phiguard_vault::{
    ActorSpec, Caller, ImportFormat, NewRecord, NoProgress, PLATFORM_TENANT, SystemJob, Vault,
    VaultConfig, VaultError,
};
use serde_json::json;

const NORTHWIND: &str = "northwind";
const SOUTHGATE: &str = "southgate";

/// The store keeps microseconds.
fn micros_ago(days: i64) -> i64 {
    Timestamp::now().as_microsecond() - days * 24 * 3600 * 1_000_000
}

struct Fixture {
    dir: tempfile::TempDir,
    vault: Vault,
    operator_token: String,
}

impl Fixture {
    /// A vault with the tenants `northwind` (time zone New York) and `southgate`.
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (vault, bootstrap) = Vault::open(dir.path(), VaultConfig::default())
            .await
            .unwrap();
        let fixture = Fixture {
            dir,
            vault,
            operator_token: bootstrap.unwrap().expose().to_owned(),
        };
        for (id, zone) in [(NORTHWIND, Some("America/New_York")), (SOUTHGATE, None)] {
            fixture
                .vault
                .create_tenant(
                    &fixture.system(id),
                    tenant(id),
                    format!("{id} pharmacy"),
                    zone.map(str::to_owned),
                )
                .await
                .unwrap();
        }
        fixture
    }

    fn system(&self, tenant_id: &str) -> Caller {
        Caller::system(tenant(tenant_id), SystemJob::Administration)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// An actor of `tenant_id` with `roles`, signed in with a fresh credential.
    async fn actor(&self, tenant_id: &str, id: &str, roles: &[&str], kind: ActorKind) -> Caller {
        let spec = ActorSpec {
            id: id.parse().unwrap(),
            kind,
            display_name: String::new(),
            roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
            attributes: BTreeMap::new(),
            disabled: false,
        };
        let admin = self.system(tenant_id);
        self.vault
            .put_actor(&admin, &tenant(tenant_id), spec.clone())
            .await
            .unwrap();
        let issued = self
            .vault
            .issue_credential(&admin, &tenant(tenant_id), &spec.id, None, None)
            .await
            .unwrap();
        self.sign_in(issued.token.expose()).await
    }

    async fn sign_in(&self, token: &str) -> Caller {
        Caller::new(self.vault.authenticate(Some(token)).await.unwrap())
    }

    async fn operator(&self) -> Caller {
        self.sign_in(&self.operator_token).await
    }

    /// The posture as phiguard's own job sees it (every tenant).
    async fn posture(&self) -> VaultPosture {
        self.vault
            .posture(&self.system(PLATFORM_TENANT), None)
            .await
            .unwrap()
    }

    async fn tenant_posture(&self, tenant_id: &str) -> TenantPosture {
        self.posture()
            .await
            .tenants
            .into_iter()
            .find(|t| t.tenant.as_str() == tenant_id)
            .unwrap()
    }

    /// Runs `sql` on the vault database with the append-only triggers dropped, as someone with
    /// file access could.
    fn tamper(&self, sql: &str) {
        let conn = rusqlite::Connection::open(self.path().join("vault.sqlite")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let triggers: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for trigger in triggers {
            conn.execute_batch(&format!("DROP TRIGGER \"{trigger}\";"))
                .unwrap();
        }
        conn.execute_batch(sql).unwrap();
    }

    /// A record about a new subject, stored by phiguard's import job.
    async fn patient(&self, tenant_id: &str, family: &str) -> (SubjectId, phiguard_core::RecordId) {
        let caller = Caller::system(tenant(tenant_id), SystemJob::Import);
        let stored = self
            .vault
            .create_record(
                &caller,
                &tenant(tenant_id),
                NewRecord {
                    record_type: "fhir.Patient".into(),
                    subject_id: None,
                    document: json!({
                        "resourceType": "Patient",
                        "name": [{"family": family, "given": ["Alex"]}],
                        "birthDate": "1970-01-01"
                    }),
                },
            )
            .await
            .unwrap();
        (stored.subject_id, stored.record_id)
    }
}

fn tenant(id: &str) -> TenantId {
    id.parse().unwrap()
}

fn actor_ids(ids: &[ActorId]) -> Vec<&str> {
    ids.iter().map(ActorId::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_reports_settings_keys_counts_and_is_itself_recorded() {
    let fixture = Fixture::new().await;
    let admin = fixture.system(NORTHWIND);
    let northwind = tenant(NORTHWIND);
    fixture.vault.rotate_keys(&admin, &northwind).await.unwrap();
    let (kept, _) = fixture.patient(NORTHWIND, "Keptperson").await;
    let (shut, _) = fixture.patient(NORTHWIND, "Shutperson").await;
    let (gone, _) = fixture.patient(NORTHWIND, "Goneperson").await;
    fixture
        .vault
        .restrict_subject(&admin, &northwind, &shut, true)
        .await
        .unwrap();
    fixture
        .vault
        .dispose_subject(&admin, &northwind, &gone)
        .await
        .unwrap();
    let _ = kept;
    fixture
        .actor(NORTHWIND, "front-desk", &[Role::SUPPORT], ActorKind::User)
        .await;

    let posture = fixture.posture().await;
    assert_eq!(posture.version, phiguard_core::posture::POSTURE_VERSION);
    assert_eq!(posture.field_encryption, "AES-256-GCM");
    assert!(posture.crypto_module.starts_with("AWS-LC"));
    assert_eq!(posture.fips, posture.crypto_module.contains("FIPS"));
    assert_eq!(posture.tls_configured, None);
    let config = VaultConfig::default();
    assert_eq!(posture.max_credential_days, config.max_credential_days);
    assert_eq!(
        posture.user_credential_minutes,
        config.user_credential_minutes
    );
    assert_eq!(posture.break_glass_minutes, config.break_glass_minutes);
    assert_eq!(posture.dormant_after_days, 90);
    let ids: Vec<&str> = posture.tenants.iter().map(|t| t.tenant.as_str()).collect();
    assert_eq!(
        ids,
        [NORTHWIND, PLATFORM_TENANT, SOUTHGATE],
        "ordered by id"
    );

    let north = &posture.tenants[0];
    assert_eq!(north.time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(north.key_version, 2);
    assert!(north.key_created <= posture.collected_at);
    assert_eq!(north.disposals, 1);
    assert_eq!(north.restricted_subjects, 1);
    // The six job actors and the support agent; the agent holds the one live credential.
    assert_eq!(north.active_actors, 7);
    assert_eq!(north.live_credentials, 1);
    assert!(north.dormant_actors.is_empty());
    assert_eq!(north.latest_checkpoint, None);
    assert_eq!(north.ledger_verification, None);
    // The read itself was recorded after the size was taken.
    let (_, counts) = fixture.vault.tenant(&admin, &northwind).await.unwrap();
    assert!(north.ledger_size > 0);
    assert_eq!(north.ledger_size + 1, counts.audit_events);
    assert_eq!(posture.tenants[2].time_zone, None);

    // The read is recorded in the caller's tenant and in each tenant it covered.
    for id in [NORTHWIND, PLATFORM_TENANT, SOUTHGATE] {
        let events = fixture
            .vault
            .audit_events(
                &fixture.system(id),
                &tenant(id),
                &AuditQuery {
                    limit: 1000,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap();
        let read = events
            .iter()
            .filter(|e| e.event.action == AuditAction::ReadConfiguration)
            .find(|e| e.event.target.as_deref() == Some("posture"))
            .unwrap_or_else(|| panic!("no posture read in {id}"));
        assert_eq!(read.event.decision, Decision::Allow);
        assert_eq!(read.event.count, Some(3));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_a_broad_policy_is_reported() {
    let fixture = Fixture::new().await;
    let admin = fixture.system(NORTHWIND);
    for (id, text) in [
        (
            "support-sees-notes",
            r#"@clear("clinical, free_text")
               permit (principal in Phiguard::Role::"support",
                       action == Phiguard::Action::"read_record", resource)
               when { context.purpose == "HOPERAT" };"#,
        ),
        (
            "shipping-labels",
            r#"@clear("address")
               permit (principal in Phiguard::Role::"fulfillment",
                       action == Phiguard::Action::"read_record", resource)
               when { context.purpose == "HOPERAT" };"#,
        ),
        (
            "open-door",
            r#"@clear("name, birthdate")
               permit (principal, action == Phiguard::Action::"read_record", resource)
               when { context.purpose == "HOPERAT" };"#,
        ),
    ] {
        fixture
            .vault
            .put_policy(&admin, &tenant(NORTHWIND), id.into(), text.into())
            .await
            .unwrap();
    }

    let posture = fixture.posture().await;
    let north = &posture.tenants[0];
    let found: Vec<(&str, &str)> = north
        .broad_phi_grants
        .iter()
        .map(|g| (g.policy.as_str(), g.reason.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "open-door",
                "permits every principal, with name, birthdate in the clear"
            ),
            (
                "support-sees-notes",
                "grants clinical, free_text in the clear to role support"
            ),
        ],
        "the fulfillment policy is narrow; the global policies are never listed"
    );
    for other in &posture.tenants[1..] {
        assert!(other.broad_phi_grants.is_empty(), "{}", other.tenant);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dormant_actor_is_reported_and_a_fresh_one_is_not() {
    let fixture = Fixture::new().await;
    let kinds = [
        ("old-clerk", Role::SUPPORT),
        ("old-but-busy", Role::TENANT_ADMIN),
        ("old-and-disabled", Role::SUPPORT),
        ("old-with-a-dead-token", Role::SUPPORT),
    ];
    let mut callers = BTreeMap::new();
    for (id, role) in kinds {
        callers.insert(
            id,
            fixture.actor(NORTHWIND, id, &[role], ActorKind::User).await,
        );
    }

    // Every actor so far (the job actors too) was made 120 days ago; one more is made today.
    fixture.tamper(&format!(
        "UPDATE actors SET created_at = {} WHERE tenant_id = '{NORTHWIND}';",
        micros_ago(120)
    ));
    fixture
        .actor(NORTHWIND, "new-clerk", &[Role::SUPPORT], ActorKind::User)
        .await;

    // The busy one acts; the disabled one is switched off; the dead token's owner only has a
    // refused sign-in, which someone else could have caused.
    fixture
        .vault
        .policies(&callers["old-but-busy"], &tenant(NORTHWIND))
        .await
        .unwrap();
    let admin = fixture.system(NORTHWIND);
    let disabled = ActorSpec {
        id: "old-and-disabled".parse().unwrap(),
        kind: ActorKind::User,
        display_name: String::new(),
        roles: vec![Role::SUPPORT.parse().unwrap()],
        attributes: BTreeMap::new(),
        disabled: true,
    };
    fixture
        .vault
        .put_actor(&admin, &tenant(NORTHWIND), disabled)
        .await
        .unwrap();
    let dead = fixture
        .vault
        .issue_credential(
            &admin,
            &tenant(NORTHWIND),
            &"old-with-a-dead-token".parse().unwrap(),
            None,
            None,
        )
        .await
        .unwrap();
    fixture
        .vault
        .revoke_credential(&admin, &tenant(NORTHWIND), &dead.id)
        .await
        .unwrap();
    assert!(
        fixture
            .vault
            .authenticate(Some(dead.token.expose()))
            .await
            .is_err()
    );
    // A job actor holds no credential at all: issuing one is refused.
    let refused = fixture
        .vault
        .issue_credential(
            &admin,
            &tenant(NORTHWIND),
            &SystemJob::Import.actor(),
            None,
            None,
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");

    let north = fixture.tenant_posture(NORTHWIND).await;
    assert_eq!(
        actor_ids(&north.dormant_actors),
        ["old-clerk", "old-with-a-dead-token"]
    );
    // Six job actors and five people, one of them disabled.
    assert_eq!(north.active_actors, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_uses_are_counted_with_and_without_reasons() {
    let fixture = Fixture::new().await;
    let northwind = tenant(NORTHWIND);
    let admin = fixture.system(NORTHWIND);
    let (subject, record) = fixture.patient(NORTHWIND, "Urgentperson").await;
    fixture
        .vault
        .restrict_subject(&admin, &northwind, &subject, true)
        .await
        .unwrap();
    // A tenant policy that lets ETREAT through without a grant (an access without a reason).
    // Credentials signed in afterwards see it.
    fixture
        .vault
        .put_policy(
            &admin,
            &northwind,
            "emergency-intake".into(),
            r#"permit (principal in Phiguard::Role::"clinician",
                       action == Phiguard::Action::"create_record", resource)
               when { context.purpose == "ETREAT" };"#
                .into(),
        )
        .await
        .unwrap();
    let clinician = fixture
        .actor(NORTHWIND, "dr-okafor", &[Role::CLINICIAN], ActorKind::User)
        .await;
    let support = fixture
        .actor(NORTHWIND, "front-desk", &[Role::SUPPORT], ActorKind::User)
        .await;
    let emergency = |caller: &Caller, reason: Option<&str>| {
        caller
            .clone()
            .with_purpose(Some(PurposeOfUse::Etreat))
            .with_break_glass_reason(reason.map(str::to_owned))
    };

    // Glass broken with a reason: the grant and the read; a second read under the same grant
    // needs no reason of its own.
    let reason = Some("unconscious in the emergency department, bed 12");
    let read = fixture
        .vault
        .read_record(&emergency(&clinician, reason), &northwind, &record)
        .await
        .unwrap();
    assert!(read.break_glass);
    fixture
        .vault
        .read_record(&emergency(&clinician, None), &northwind, &record)
        .await
        .unwrap();

    // Refused emergency requests are not uses.
    let refused = fixture
        .vault
        .read_record(&emergency(&support, reason), &northwind, &record)
        .await;
    assert!(refused.is_err());

    // Through the tenant's own policy, without a grant and without a reason.
    fixture
        .vault
        .create_record(
            &emergency(&clinician, None),
            &northwind,
            NewRecord {
                record_type: "fhir.Patient".into(),
                subject_id: None,
                document: json!({"resourceType": "Patient", "birthDate": "1970-01-01"}),
            },
        )
        .await
        .unwrap();

    let north = fixture.tenant_posture(NORTHWIND).await;
    assert_eq!(north.break_glass_uses_90_days, 3);
    assert_eq!(north.break_glass_without_reason_90_days, 1);
    let south = fixture.tenant_posture(SOUTHGATE).await;
    assert_eq!(south.break_glass_uses_90_days, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_ledger_is_inconsistent_and_the_entry_is_named() {
    let fixture = Fixture::new().await;
    let northwind = tenant(NORTHWIND);
    let admin = fixture.system(NORTHWIND);
    for n in 0..5 {
        fixture.patient(NORTHWIND, &format!("Person{n}")).await;
    }
    let checkpoint = fixture
        .vault
        .issue_checkpoint(&admin, &northwind)
        .await
        .unwrap();

    let north = fixture.tenant_posture(NORTHWIND).await;
    let signed = north.latest_checkpoint.as_ref().unwrap();
    assert_eq!(signed.size, checkpoint.size);
    assert_eq!(
        signed.signed_at.as_microsecond(),
        checkpoint.issued_at.as_microsecond()
    );
    let verified = north.ledger_verification.as_ref().unwrap();
    assert!(verified.consistent, "{:?}", verified.problem);
    assert_eq!(verified.entries, checkpoint.size);
    assert_eq!(verified.problem, None);
    assert!(
        north.ledger_size > checkpoint.size,
        "later reads are not covered"
    );

    // An entry edited in place: its stored leaf hash no longer matches, and it is named.
    fixture.tamper(&format!(
        "UPDATE audit_events SET event = replace(event, '\"outcome\":\"success\"', \
         '\"outcome\":\"failed\"') WHERE tenant_id = '{NORTHWIND}' AND leaf_index = 3;"
    ));
    let north = fixture.tenant_posture(NORTHWIND).await;
    let verification = north.ledger_verification.unwrap();
    assert!(!verification.consistent);
    assert_eq!(
        verification.entries, 3,
        "entries 0 to 2 were re-hashed before it"
    );
    let problem = verification.problem.unwrap();
    assert!(problem.starts_with("entry 3 is bad"), "{problem}");

    // The edit re-hashed as well, as someone who knows RFC 6962 would: the signed root tells.
    let edited: String = rusqlite::Connection::open(fixture.path().join("vault.sqlite"))
        .unwrap()
        .query_row(
            "SELECT event FROM audit_events WHERE tenant_id = ?1 AND leaf_index = 3",
            [NORTHWIND],
            |row| row.get(0),
        )
        .unwrap();
    let rehashed = phiguard_ledger::leaf_hash(edited.as_bytes());
    fixture.tamper(&format!(
        "UPDATE audit_events SET leaf_hash = X'{}' WHERE tenant_id = '{NORTHWIND}' \
         AND leaf_index = 3;",
        rehashed.to_hex()
    ));
    let verification = fixture
        .tenant_posture(NORTHWIND)
        .await
        .ledger_verification
        .unwrap();
    assert!(!verification.consistent);
    assert_eq!(verification.entries, checkpoint.size);
    let problem = verification.problem.unwrap();
    assert!(
        problem.contains("differs from the latest checkpoint's signed root"),
        "{problem}"
    );

    // Southgate's log, untouched and never checkpointed, has nothing to be verified against.
    assert_eq!(
        fixture.tenant_posture(SOUTHGATE).await.ledger_verification,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_ledger_is_inconsistent() {
    let fixture = Fixture::new().await;
    let northwind = tenant(NORTHWIND);
    let admin = fixture.system(NORTHWIND);
    fixture.patient(NORTHWIND, "Someperson").await;
    let checkpoint = fixture
        .vault
        .issue_checkpoint(&admin, &northwind)
        .await
        .unwrap();

    fixture.tamper(&format!(
        "DELETE FROM audit_events WHERE tenant_id = '{NORTHWIND}' AND leaf_index >= {};",
        checkpoint.size - 2
    ));
    let verification = fixture
        .tenant_posture(NORTHWIND)
        .await
        .ledger_verification
        .unwrap();
    assert!(!verification.consistent);
    let problem = verification.problem.unwrap();
    assert!(problem.contains("was truncated"), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_admin_sees_only_its_own_tenant_and_the_operator_sees_all() {
    let fixture = Fixture::new().await;
    let admin = fixture
        .actor(NORTHWIND, "it-lead", &[Role::TENANT_ADMIN], ActorKind::User)
        .await;

    let own = fixture.vault.posture(&admin, Some(true)).await.unwrap();
    let ids: Vec<&str> = own.tenants.iter().map(|t| t.tenant.as_str()).collect();
    assert_eq!(ids, [NORTHWIND]);
    assert_eq!(own.tls_configured, Some(true));

    // Also under HCOMPL, the compliance purpose tenant administrators read audits with.
    let compliance = admin.clone().with_purpose(Some(PurposeOfUse::Hcompl));
    assert_eq!(
        fixture
            .vault
            .posture(&compliance, None)
            .await
            .unwrap()
            .tenants
            .len(),
        1
    );

    let operator = fixture.operator().await;
    let all = fixture.vault.posture(&operator, Some(false)).await.unwrap();
    let ids: Vec<&str> = all.tenants.iter().map(|t| t.tenant.as_str()).collect();
    assert_eq!(ids, [NORTHWIND, PLATFORM_TENANT, SOUTHGATE]);

    // A platform operator role handed out inside an ordinary tenant reaches nothing.
    let pretender = fixture
        .actor(
            SOUTHGATE,
            "pretender",
            &[Role::PLATFORM_OPERATOR],
            ActorKind::User,
        )
        .await;
    assert!(matches!(
        fixture.vault.posture(&pretender, None).await,
        Err(VaultError::Forbidden { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_actor_is_refused_and_the_refusal_is_recorded() {
    let fixture = Fixture::new().await;
    let support = fixture
        .actor(NORTHWIND, "front-desk", &[Role::SUPPORT], ActorKind::User)
        .await;

    let refused = fixture.vault.posture(&support, None).await;
    assert!(
        matches!(
            refused,
            Err(VaultError::Forbidden {
                action: "read_configuration"
            })
        ),
        "{refused:?}"
    );
    let unknown = support.clone().with_purpose_code(Some("NOT-A-PURPOSE"));
    assert!(matches!(
        fixture.vault.posture(&unknown, None).await,
        Err(VaultError::UnknownPurpose(_))
    ));

    let events = fixture
        .vault
        .audit_events(
            &fixture.system(NORTHWIND),
            &tenant(NORTHWIND),
            &AuditQuery {
                actor: Some("front-desk".parse().unwrap()),
                limit: 100,
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    let refusals = events
        .iter()
        .filter(|e| {
            e.event.action == AuditAction::ReadConfiguration && e.event.decision == Decision::Deny
        })
        .count();
    assert_eq!(refusals, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_posture_holds_no_phi_of_the_patients_it_keeps() {
    let fixture = Fixture::new().await;
    let northwind = tenant(NORTHWIND);
    let mut generator = Generator::new(20_240_917);
    let shape = BundleShape {
        encounters: 3,
        observations_per_encounter: 2,
    };
    let bundles = generator.patient_bundles(4, &shape);
    let files: Vec<(String, Vec<u8>)> = bundles
        .iter()
        .enumerate()
        .map(|(n, bundle)| (format!("patient-{n}.json"), bundle.to_bytes()))
        .collect();
    let importer = Caller::system(northwind.clone(), SystemJob::Import);
    fixture
        .vault
        .import(
            &importer,
            &northwind,
            ImportFormat::FhirBundle,
            &files,
            &NoProgress,
        )
        .await
        .unwrap();

    // Make the document as full as it gets: a checkpoint, a broad grant, an emergency read.
    let admin = fixture.system(NORTHWIND);
    fixture
        .vault
        .put_policy(
            &admin,
            &northwind,
            "open-door".into(),
            r#"@clear("*") permit (principal, action, resource);"#.into(),
        )
        .await
        .unwrap();
    fixture
        .vault
        .issue_checkpoint(&admin, &northwind)
        .await
        .unwrap();

    let mut needles: Vec<String> = Vec::new();
    for bundle in &bundles {
        needles.extend(bundle.planted.iter().cloned());
        let parsed = parse_bundle(&bundle.to_bytes()).unwrap();
        for patient in &parsed.patients {
            for (record_type, resource) in patient.all_records() {
                needles.extend(phi_strings(builtin_type(record_type).unwrap(), resource));
            }
        }
    }
    needles.retain(|needle| needle.chars().count() >= 4);
    assert!(
        needles.iter().any(|n| n.starts_with("999-")),
        "SSNs are searched for"
    );
    assert!(needles.len() > 20);

    let posture = fixture.posture().await;
    assert!(!posture.tenants[0].broad_phi_grants.is_empty());
    assert!(posture.tenants[0].ledger_verification.is_some());

    // Every value of the document, as a reader sees it; the field names are the format's own.
    let document = serde_json::to_value(&posture).unwrap();
    let mut values = Vec::new();
    string_values(&document, &mut values);
    let text = values.join("\n");
    let leaked: Vec<&String> = needles
        .iter()
        .filter(|needle| occurs_as_word(&text, needle))
        .collect();
    assert!(leaked.is_empty(), "PHI in the posture: {leaked:?}");
}

fn string_values(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| string_values(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| string_values(v, out)),
        _ => {}
    }
}

/// Whether `needle` occurs in `text` with no letter or digit touching it (`normal` inside
/// "normalise" is no leak).
fn occurs_as_word(text: &str, needle: &str) -> bool {
    let touches = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(needle).any(|(at, _)| {
        !touches(text[..at].chars().next_back())
            && !touches(text[at + needle.len()..].chars().next())
    })
}
