//! The vault's posture as evidence: each vault check reads the field it should, and a posture of
//! another format version is refused.

#![allow(clippy::unwrap_used)] // Tests panic on set-up failures.

mod common;

use phiguard_assess::{CheckId, Evidence, RegimeId, Status, VaultEvidence};
use phiguard_core::posture::{
    BroadGrant, CheckpointPosture, LedgerVerification, POSTURE_VERSION, TenantPosture, VaultPosture,
};

use common::*;

fn tenant(id: &str) -> TenantPosture {
    TenantPosture {
        tenant: id.parse().unwrap(),
        time_zone: Some("America/New_York".to_owned()),
        key_version: 3,
        key_created: "2026-09-01T00:00:00Z".parse().unwrap(),
        ledger_size: 1200,
        latest_checkpoint: Some(CheckpointPosture {
            size: 1200,
            signed_at: "2026-11-30T23:59:00Z".parse().unwrap(),
        }),
        ledger_verification: Some(LedgerVerification {
            checked_at: "2026-12-01T08:00:00Z".parse().unwrap(),
            entries: 1200,
            consistent: true,
            problem: None,
        }),
        broad_phi_grants: Vec::new(),
        break_glass_uses_90_days: 2,
        break_glass_without_reason_90_days: 0,
        active_actors: 7,
        dormant_actors: Vec::new(),
        live_credentials: 9,
        disposals: 1,
        restricted_subjects: 0,
    }
}

fn posture(tenants: Vec<TenantPosture>) -> VaultPosture {
    VaultPosture {
        version: POSTURE_VERSION,
        collected_at: "2026-12-01T08:00:00Z".parse().unwrap(),
        crypto_module: "AWS-LC".to_owned(),
        fips: false,
        field_encryption: "AES-256-GCM".to_owned(),
        tls_configured: Some(true),
        max_credential_days: 365,
        user_credential_minutes: 720,
        break_glass_minutes: 60,
        dormant_after_days: 90,
        tenants,
    }
}

fn statuses(posture: VaultPosture) -> Vec<(CheckId, Status, Vec<String>)> {
    let (inventory, path) = inventory("shopify-plus-pharmacy.toml");
    let evidence = Evidence {
        inventory,
        inventory_path: path,
        scan: None,
        vault: Some(VaultEvidence::new("posture file test".to_owned(), posture).unwrap()),
        as_of: as_of(),
    };
    let report = run(&evidence, RegimeId::SecurityRule, None);
    let mut found = Vec::new();
    for control in &report.controls {
        for check in &control.checks {
            if !found.iter().any(|(id, _, _)| *id == check.check) {
                found.push((check.check, check.status, check.details.clone()));
            }
        }
    }
    found
}

fn status_of(found: &[(CheckId, Status, Vec<String>)], check: CheckId) -> (Status, Vec<String>) {
    found
        .iter()
        .find(|(id, _, _)| *id == check)
        .map(|(_, status, details)| (*status, details.clone()))
        .unwrap_or_else(|| panic!("no control uses {check}"))
}

#[test]
fn a_healthy_vault_meets_every_vault_check() {
    let found = statuses(posture(vec![tenant("northwind-rx"), tenant("platform")]));
    for check in [
        CheckId::VaultEncryption,
        CheckId::KeyManagement,
        CheckId::AuditTrail,
        CheckId::LedgerIntegrity,
        CheckId::MinimumNecessary,
        CheckId::UniqueIds,
        CheckId::EmergencyAccess,
        CheckId::DormantActors,
        CheckId::AutomaticLogoff,
        CheckId::VaultTransmission,
        CheckId::Disposal,
    ] {
        let (status, details) = status_of(&found, check);
        assert_eq!(status, Status::Met, "{check}: {details:?}");
    }
}

#[test]
fn each_weakness_fails_its_own_check() {
    let mut weak = tenant("northwind-rx");
    weak.key_created = "2025-06-01T00:00:00Z".parse().unwrap();
    weak.broad_phi_grants = vec![BroadGrant {
        policy: "support-sees-all".parse().unwrap(),
        reason: "grants clinical in the clear to role support".to_owned(),
    }];
    weak.dormant_actors = vec!["old-contractor".parse().unwrap()];
    weak.break_glass_without_reason_90_days = 1;
    weak.ledger_verification = Some(LedgerVerification {
        checked_at: "2026-12-01T08:00:00Z".parse().unwrap(),
        entries: 1200,
        consistent: false,
        problem: Some("entry 17 does not hash to its leaf".to_owned()),
    });
    let mut unsigned = tenant("platform");
    unsigned.latest_checkpoint = None;
    unsigned.ledger_verification = None;
    let mut posture = posture(vec![weak, unsigned]);
    posture.tls_configured = Some(false);
    let found = statuses(posture);

    let expect = [
        (CheckId::KeyManagement, "made 548 days ago"),
        (CheckId::MinimumNecessary, "policy `support-sees-all`"),
        (CheckId::DormantActors, "old-contractor"),
        (CheckId::EmergencyAccess, "1 without a reason"),
        (CheckId::LedgerIntegrity, "entry 17"),
        (CheckId::AuditTrail, "no signed checkpoint"),
        (CheckId::VaultTransmission, "without TLS"),
    ];
    for (check, detail) in expect {
        let (status, details) = status_of(&found, check);
        assert!(
            matches!(status, Status::NotMet | Status::PartiallyMet),
            "{check}: {status:?}"
        );
        assert!(
            details.iter().any(|d| d.contains(detail)),
            "{check}: {details:?}"
        );
    }
}

#[test]
fn one_tampered_ledger_fails_integrity_however_many_others_verify() {
    let mut tampered = tenant("northwind-rx");
    tampered.ledger_verification = Some(LedgerVerification {
        checked_at: "2026-12-01T08:00:00Z".parse().unwrap(),
        entries: 1200,
        consistent: false,
        problem: Some("entry 0 does not hash to its leaf".to_owned()),
    });
    let found = statuses(posture(vec![tampered, tenant("platform"), tenant("other")]));
    let (status, _) = status_of(&found, CheckId::LedgerIntegrity);
    assert_eq!(status, Status::NotMet);
}

#[test]
fn a_posture_of_another_version_is_refused() {
    let mut newer = posture(vec![tenant("northwind-rx")]);
    newer.version = POSTURE_VERSION + 1;
    let error = VaultEvidence::new("https://vault.example".to_owned(), newer).unwrap_err();
    assert!(error.to_string().contains("format version 2"), "{error}");
}
