//! bulk_read and bulk_export: how much PHI one actor reads per hour, and one request at once.
//!
//! bulk_read counts the PHI reads ([`super::is_phi_read`]) of each clock hour in UTC. Hours with
//! at least one read are *active hours*; the counts of the latest `history_hours` of them are
//! the actor's history. When an hour begins, its threshold is fixed: the floor while fewer than
//! `min_active_hours` are known, otherwise `max(floor, ceil(multiplier × q))` where `q` is the
//! nearest-rank `quantile` of the history. The hour fires on every read that leaves its count
//! above the threshold. Every active hour joins the history, alerting or not: one bulk hour
//! barely moves a high quantile of hundreds, and a role that really changes stops alerting.
//!
//! bulk_export tracks each request id of the actor until it has been idle for
//! `request_idle_minutes`, counting distinct subjects read within it; it fires when that count
//! reaches the threshold, and on every PHI read of the request after that. An event whose
//! `count` (search hits) reaches the threshold fires on its own.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use jiff::Timestamp;
use phiguard_core::{AuditEvent, DetectionRule, EvidenceRef, RequestId, Severity, SubjectId};

use crate::config::{BulkExportConfig, BulkReadConfig, minutes};
use crate::finding::{Facts, Finding, ReadBasis};

const SECONDS_PER_HOUR: i64 = 3600;

/// One actor's reads in the current hour and its past active hours.
#[derive(Debug)]
pub(crate) struct HourlyReads {
    /// The current hour, as hours since the Unix epoch; `None` before the first read.
    hour: Option<i64>,
    count: u64,
    /// The first reads of the hour, up to the evidence cap.
    first_reads: Vec<EvidenceRef>,
    reported: bool,
    threshold: u64,
    basis: ReadBasis,
    /// Read counts of past active hours, oldest first.
    history: VecDeque<u32>,
}

impl HourlyReads {
    pub(crate) fn new(config: &BulkReadConfig) -> HourlyReads {
        HourlyReads {
            hour: None,
            count: 0,
            first_reads: Vec::new(),
            reported: false,
            threshold: config.floor,
            basis: ReadBasis::ColdStart {
                active_hours: 0,
                needed: config.min_active_hours,
                floor: config.floor,
            },
            history: VecDeque::new(),
        }
    }

    pub(crate) fn observe(
        &mut self,
        event: &AuditEvent,
        evidence: EvidenceRef,
        config: &BulkReadConfig,
        evidence_cap: usize,
        scratch: &mut Vec<u32>,
    ) -> Option<Finding> {
        if !super::is_phi_read(event) {
            return None;
        }

        let hour = event.time.as_second().div_euclid(SECONDS_PER_HOUR);
        if self.hour.is_none_or(|current| hour > current) {
            self.begin_hour(hour, config, scratch);
        }

        self.count += 1;
        if self.first_reads.len() < evidence_cap {
            self.first_reads.push(evidence);
        }
        if self.count <= self.threshold {
            return None;
        }

        let (evidence, evidence_total) = if self.reported {
            (vec![evidence], 1)
        } else {
            (self.first_reads.clone(), self.count)
        };
        self.reported = true;
        Some(Finding {
            rule: DetectionRule::BulkRead,
            severity: Severity::High,
            evidence,
            evidence_total,
            facts: Facts::BulkRead {
                reads: self.count,
                hour_start: hour_start(self.hour.unwrap_or(hour)),
                threshold: self.threshold,
                basis: self.basis,
            },
        })
    }

    /// How many past active hours are remembered.
    pub(crate) fn history_len(&self) -> usize {
        self.history.len()
    }

    fn begin_hour(&mut self, hour: i64, config: &BulkReadConfig, scratch: &mut Vec<u32>) {
        if self.count > 0 {
            let history_cap = config.history_hours as usize;
            while self.history.len() >= history_cap {
                self.history.pop_front();
            }
            self.history
                .push_back(u32::try_from(self.count).unwrap_or(u32::MAX));
        }

        self.hour = Some(hour);
        self.count = 0;
        self.first_reads.clear();
        self.reported = false;
        (self.threshold, self.basis) = threshold(&self.history, config, scratch);
    }
}

fn hour_start(hour: i64) -> Timestamp {
    Timestamp::from_second(hour.saturating_mul(SECONDS_PER_HOUR)).unwrap_or(Timestamp::MIN)
}

/// The threshold of an hour from the history before it.
fn threshold(
    history: &VecDeque<u32>,
    config: &BulkReadConfig,
    scratch: &mut Vec<u32>,
) -> (u64, ReadBasis) {
    if history.len() < config.min_active_hours as usize {
        let basis = ReadBasis::ColdStart {
            active_hours: history.len(),
            needed: config.min_active_hours,
            floor: config.floor,
        };
        return (config.floor, basis);
    }

    scratch.clear();
    scratch.extend(history.iter().copied());
    let rank = (config.quantile * scratch.len() as f64).ceil() as usize;
    let index = rank.clamp(1, scratch.len()) - 1;
    let (_, baseline, _) = scratch.select_nth_unstable(index);
    let baseline = u64::from(*baseline);

    let scaled = (config.multiplier * baseline as f64).ceil();
    let scaled = if scaled >= u64::MAX as f64 {
        u64::MAX
    } else {
        scaled as u64
    };
    let basis = ReadBasis::Baseline {
        floor: config.floor,
        multiplier: config.multiplier,
        quantile: config.quantile,
        baseline,
        active_hours: scratch.len(),
    };
    (config.floor.max(scaled), basis)
}

/// Up to this many distinct subjects a request keeps in a plain list before switching to a
/// hash set: most requests touch one subject.
const SMALL_REQUEST: usize = 16;

/// The most requests one actor keeps open. Past it, requests that have touched a single subject
/// are forgotten first: an integration making thousands of one-subject requests a minute would
/// otherwise hold memory for each until it idles out, and such a request is no bulk export
/// unless its own `count` says so, which is judged without the request's state.
const MAX_OPEN_REQUESTS: usize = 4_096;

/// One open request of one actor.
#[derive(Debug)]
struct Request {
    last: Timestamp,
    /// Hashes of the distinct subjects read so far; emptied once the request has fired.
    few: Vec<u64>,
    many: HashSet<u64>,
    distinct: u64,
    reads: u64,
    first_reads: Vec<EvidenceRef>,
    reported: bool,
}

impl Request {
    fn new(at: Timestamp) -> Request {
        Request {
            last: at,
            few: Vec::new(),
            many: HashSet::new(),
            distinct: 0,
            reads: 0,
            first_reads: Vec::new(),
            reported: false,
        }
    }

    fn add_subject(&mut self, subject: &SubjectId) {
        let mut hasher = DefaultHasher::new();
        subject.hash(&mut hasher);
        let key = hasher.finish();

        let added = if self.many.is_empty() {
            if self.few.contains(&key) {
                false
            } else if self.few.len() < SMALL_REQUEST {
                self.few.push(key);
                true
            } else {
                self.many.extend(self.few.drain(..));
                self.many.insert(key)
            }
        } else {
            self.many.insert(key)
        };
        if added {
            self.distinct += 1;
        }
    }
}

/// One actor's open requests.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    open: HashMap<RequestId, Request>,
}

impl Requests {
    pub(crate) fn observe(
        &mut self,
        event: &AuditEvent,
        evidence: EvidenceRef,
        config: &BulkExportConfig,
        evidence_cap: usize,
    ) -> Option<Finding> {
        if !super::is_phi_read(event) {
            return None;
        }

        let counted = event.count.filter(|count| *count >= config.threshold);
        let request = event
            .request_id
            .as_ref()
            .and_then(|id| self.track(id, event, evidence, config, evidence_cap));
        let distinct = request.as_ref().map_or(0, |request| request.distinct);
        let fired_before = request.as_ref().is_some_and(|request| request.reported);
        if counted.is_none() && distinct < config.threshold && !fired_before {
            return None;
        }

        let (evidence, evidence_total) = match request {
            Some(request) if !request.reported => {
                request.reported = true;
                request.few = Vec::new();
                request.many = HashSet::new();
                (std::mem::take(&mut request.first_reads), request.reads)
            }
            _ => (vec![evidence], 1),
        };
        let facts = match counted {
            Some(count) if distinct < config.threshold => Facts::BulkExport {
                amount: count,
                threshold: config.threshold,
                by_count: true,
                action: event.action,
            },
            _ => Facts::BulkExport {
                amount: distinct,
                threshold: config.threshold,
                by_count: false,
                action: event.action,
            },
        };
        Some(Finding {
            rule: DetectionRule::BulkExport,
            severity: Severity::High,
            evidence,
            evidence_total,
            facts,
        })
    }

    /// Takes an event into its request: a new distinct subject counts until the request has
    /// fired, and the first reads are kept as evidence. A request idle for longer than the
    /// configuration keeps it starts afresh, whether or not a sweep has dropped it yet.
    fn track(
        &mut self,
        id: &RequestId,
        event: &AuditEvent,
        evidence: EvidenceRef,
        config: &BulkExportConfig,
        evidence_cap: usize,
    ) -> Option<&mut Request> {
        let idle = minutes(config.request_idle_minutes);
        let fresh = self
            .open
            .get(id)
            .is_none_or(|request| event.time.duration_since(request.last) > idle);
        if fresh {
            if self.open.len() >= MAX_OPEN_REQUESTS {
                self.open
                    .retain(|_, request| request.distinct > 1 || request.reported);
                if self.open.len() >= MAX_OPEN_REQUESTS {
                    // Every one of them spans several subjects: keep the most recent half.
                    let mut lasts: Vec<Timestamp> = self.open.values().map(|r| r.last).collect();
                    lasts.sort_unstable();
                    let cut = lasts[lasts.len() / 2];
                    self.open.retain(|_, request| request.last >= cut);
                }
            }
            self.open.insert(id.clone(), Request::new(event.time));
        }
        let request = self.open.get_mut(id)?;

        request.last = request.last.max(event.time);
        request.reads += 1;
        if request.first_reads.len() < evidence_cap {
            request.first_reads.push(evidence);
        }
        if !request.reported
            && let Some(subject) = &event.subject
        {
            request.add_subject(subject);
        }
        Some(request)
    }

    /// How many requests are open.
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    /// Forgets requests idle for longer than the configuration keeps them.
    pub(crate) fn sweep(&mut self, now: Timestamp, config: &BulkExportConfig) {
        let idle = minutes(config.request_idle_minutes);
        self.open
            .retain(|_, request| now.duration_since(request.last) <= idle);
    }
}
