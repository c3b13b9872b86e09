//! Replays a generated access history through `Detector::observe` and reports how many events
//! per second the detectors take in. Only the time inside `observe` (and, for the first week,
//! `learn`) is counted; generating the history is not.
//!
//! ```text
//! cargo run --release -p phiguard-detect --example replay_throughput -- [TENANTS] [DAYS]
//! ```
//!
//! The defaults, 24 tenants (336 actors) over 90 days, make about 3.1 million
//! events, of which the first week is learnt and the rest observed.

#![allow(clippy::unwrap_used)] // A benchmark: panics on bad arguments are fine.

#[path = "../tests/support/history.rs"]
mod history;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use history::{History, World};
use jiff::civil::date;
use phiguard_detect::{DetectConfig, Detector};

const SEED: u64 = 0x7468_726f_7567_6870;

/// Days taken in with `learn` before observing.
const WARM_UP_DAYS: u32 = 7;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let tenants: usize = arguments.first().map_or(24, |text| text.parse().unwrap());
    let days: u32 = arguments.get(1).map_or(90, |text| text.parse().unwrap());

    let world = World::new(SEED, tenants, date(2026, 1, 5), days);
    let actors = world.actors.len();
    let mut detector = Detector::new(DetectConfig::default(), world.directory()).unwrap();
    let mut history = History::new(world, SEED);

    // The first week warms baselines and known networks up, as `serve` does on its history.
    let wall = Instant::now();
    let (mut learnt, mut learning) = (0u64, Duration::ZERO);
    for _ in 0..WARM_UP_DAYS.min(days) {
        let day = history.next_day().unwrap();
        let started = Instant::now();
        for replayed in &day {
            detector.learn(&replayed.event, replayed.evidence);
        }
        learning += started.elapsed();
        learnt += day.len() as u64;
    }

    let mut observing = Duration::ZERO;
    let (mut events, mut updated) = (0u64, 0u64);
    let mut raised = BTreeMap::new();
    while let Some(day) = history.next_day() {
        let started = Instant::now();
        for replayed in &day {
            for change in detector.observe(&replayed.event, replayed.evidence) {
                if change.is_new() {
                    *raised.entry(change.alert().rule).or_insert(0u64) += 1;
                } else {
                    updated += 1;
                }
            }
        }
        observing += started.elapsed();
        events += day.len() as u64;
    }

    let rate = events as f64 / observing.as_secs_f64();
    println!(
        "{events} events ({tenants} tenants, {actors} actors, {days} days) observed in {:.3} s: \
         {rate:.0} events/s ({:.2} us/event); {:.1} s wall clock including generation",
        observing.as_secs_f64(),
        observing.as_secs_f64() * 1e6 / events as f64,
        wall.elapsed().as_secs_f64(),
    );
    println!(
        "warm-up: {learnt} events learnt at {:.0} events/s",
        learnt as f64 / learning.as_secs_f64()
    );
    println!("alerts raised by rule: {raised:?}; {updated} updates to open alerts");
}
