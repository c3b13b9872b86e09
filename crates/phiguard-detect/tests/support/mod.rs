//! Helpers shared by the integration tests: event builders and a feed that numbers events.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // Shared test set-up: panics on failure.

pub mod history;

use jiff::Timestamp;
use phiguard_core::{
    ActorKind, AuditAction, AuditEvent, Category, Decision, Disclosure, EvidenceRef, Outcome,
    PurposeOfUse, SubjectId,
};
use phiguard_detect::{AlertChange, DetectConfig, Detector, Directory};

/// A timestamp from RFC 3339 text.
pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// A subject id that depends only on `n`.
pub fn subject(n: u64) -> SubjectId {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    SubjectId::from_random(bytes)
}

/// An allowed read of one record by `actor` of `tenant`, disclosing a masked name.
pub fn read(tenant: &str, actor: &str, kind: ActorKind, time: Timestamp) -> AuditEvent {
    let mut event = AuditEvent::new(
        tenant.parse().unwrap(),
        actor.parse().unwrap(),
        kind,
        AuditAction::ReadRecord,
        Decision::Allow,
        Outcome::Success,
    );
    event.time = time;
    event.purpose = Some(PurposeOfUse::Treat);
    event.subject = Some(subject(1));
    event.disclosed.insert(Category::Name, Disclosure::Masked);
    event
}

/// A refused read by `actor` of `tenant`.
pub fn denied(tenant: &str, actor: &str, time: Timestamp) -> AuditEvent {
    let mut event = AuditEvent::new(
        tenant.parse().unwrap(),
        actor.parse().unwrap(),
        ActorKind::User,
        AuditAction::ReadRecord,
        Decision::Deny,
        Outcome::Denied,
    );
    event.time = time;
    event.purpose = Some(PurposeOfUse::Treat);
    event
}

/// A detector and the next sequence number to give an event.
pub struct Feed {
    pub detector: Detector,
    pub seq: u64,
}

impl Feed {
    pub fn new(config: DetectConfig, directory: Directory) -> Feed {
        Feed {
            detector: Detector::new(config, directory).unwrap(),
            seq: 0,
        }
    }

    pub fn with_defaults() -> Feed {
        Feed::new(DetectConfig::default(), Directory::new())
    }

    fn next(&mut self) -> EvidenceRef {
        self.seq += 1;
        EvidenceRef {
            seq: self.seq,
            leaf: self.seq - 1,
        }
    }

    pub fn observe(&mut self, event: &AuditEvent) -> Vec<AlertChange> {
        let evidence = self.next();
        self.detector.observe(event, evidence)
    }

    pub fn learn(&mut self, event: &AuditEvent) {
        let evidence = self.next();
        self.detector.learn(event, evidence);
    }
}
