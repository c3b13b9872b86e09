//! How long to wait before a retry: exponential ceilings with full jitter.

use std::time::Duration;

/// How the wait before a retry is drawn below its ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// Uniformly at random between zero and the ceiling, so that many senders retrying after
    /// one outage spread out instead of arriving together (the default).
    #[default]
    Full,
    /// Exactly the ceiling. For tests and measurements, where delays must be predictable.
    None,
}

/// Ceilings that start at `initial` and double with each retry, up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The ceiling of the wait before retry number `retry` (1 for the first retry).
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(63);
        let factor = 1_u64 << doublings;
        let millis = u64::try_from(self.initial.as_millis())
            .unwrap_or(u64::MAX)
            .saturating_mul(factor);
        Duration::from_millis(millis).min(self.max)
    }

    /// The wait before retry number `retry`, with `jitter`. When the receiver asked for a
    /// pause with `Retry-After`, the wait is at least that, capped at `max`.
    pub(crate) fn delay(
        &self,
        retry: u32,
        jitter: Jitter,
        retry_after: Option<Duration>,
    ) -> Duration {
        let ceiling = self.ceiling(retry);
        let drawn = match jitter {
            Jitter::Full => ceiling.mul_f64(random_unit()),
            Jitter::None => ceiling,
        };
        match retry_after {
            Some(asked) => drawn.max(asked.min(self.max)),
            None => drawn,
        }
    }
}

/// A uniform draw from [0, 1) out of the AWS-LC generator; the ceiling itself when the
/// generator fails, which only makes that one wait longer.
fn random_unit() -> f64 {
    let mut bytes = [0_u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 1.0;
    }
    // 53 random bits give every double in [0, 1) that the format can space evenly.
    let bits = u64::from_le_bytes(bytes) >> 11;
    bits as f64 / (1_u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff(initial_ms: u64, max_ms: u64) -> Backoff {
        Backoff {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_millis(max_ms),
        }
    }

    #[test]
    fn ceilings_double_up_to_the_maximum() {
        let backoff = backoff(1_000, 300_000);
        let ceilings: Vec<u64> = (1..=11)
            .map(|retry| backoff.ceiling(retry).as_secs())
            .collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn full_jitter_stays_below_the_ceiling_and_spreads() {
        let backoff = backoff(100, 10_000);
        let draws: Vec<Duration> = (0..200)
            .map(|_| backoff.delay(3, Jitter::Full, None))
            .collect();
        assert!(draws.iter().all(|d| *d <= Duration::from_millis(400)));
        assert!(draws.iter().any(|d| *d < Duration::from_millis(200)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(200)));
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_maximum() {
        let backoff = backoff(1, 5_000);
        let asked = Some(Duration::from_secs(2));
        assert!(backoff.delay(1, Jitter::Full, asked) >= Duration::from_secs(2));
        let too_long = Some(Duration::from_secs(3_600));
        assert_eq!(
            backoff.delay(1, Jitter::None, too_long),
            Duration::from_secs(5)
        );
        assert_eq!(
            backoff.delay(1, Jitter::None, None),
            Duration::from_millis(1)
        );
    }
}
