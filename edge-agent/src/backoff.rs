//! Reconnect delays: exponential with full jitter, so a fleet of agents that lost the same
//! router or broker does not come back in lockstep.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            attempt: 0,
        }
    }

    /// The delay before the next attempt: uniform in [min, min·2^attempt], capped at max.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .min
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let spread = ceiling.saturating_sub(self.min);
        self.min + spread.mul_f64(random_fraction())
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

fn random_fraction() -> f64 {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 4];
    // Jitter does not need to be secret; on the (never seen) failure we simply do not jitter.
    let _ = SystemRandom::new().fill(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_within_bounds_and_reset() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(5));
        let mut backoff = Backoff::new(min, max);
        for attempt in 0..40u32 {
            let delay = backoff.next_delay();
            let ceiling = min.saturating_mul(1u32 << attempt.min(16)).min(max);
            assert!(
                delay >= min && delay <= ceiling,
                "attempt {attempt}: {delay:?}"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= min);
    }

    #[test]
    fn delays_are_jittered() {
        let mut a = Backoff::new(Duration::from_millis(10), Duration::from_secs(60));
        let delays: Vec<_> = (0..10).map(|_| a.next_delay()).collect();
        let mut sorted = delays.clone();
        sorted.dedup();
        assert!(sorted.len() > 5, "{delays:?}");
    }
}
