//! When to retry. Attempt `n` (1-based) is due at `created_at + SCHEDULE[n - 1]`, measured from
//! the event's creation rather than from the previous attempt, so a slow or down receiver does
//! not stretch the schedule. After [`MAX_ATTEMPTS`] failed attempts the delivery is dead-lettered.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// Offset from the event's creation at which each attempt is due: 9 attempts over 3 days.
pub const SCHEDULE: [Duration; 9] = [
    Duration::seconds(0),
    Duration::minutes(1),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(8),
    Duration::hours(24),
    Duration::hours(48),
    Duration::hours(72),
];

/// Attempts made before a delivery is dead-lettered.
pub const MAX_ATTEMPTS: u32 = SCHEDULE.len() as u32;

/// Jitter: ±1/10 of the offset (the last attempt only gets the + side, so it is never before
/// the 3 days are up).
const JITTER_DIVISOR: i64 = 10;

/// Offset from the event's creation at which attempt `attempt` (1-based) is due, without
/// jitter. `None` for attempt 0 and for every attempt after [`MAX_ATTEMPTS`]: dead letter.
pub fn delay_before_attempt(attempt: u32) -> Option<Duration> {
    let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
    SCHEDULE.get(index).copied()
}

/// When the next attempt is due after `attempts_made` attempts (0 for a new event), with
/// jitter so that many deliveries failing together do not all retry in the same second.
/// `None` when all [`MAX_ATTEMPTS`] are used up: move the delivery to the dead letters.
/// The result may be in the past if the dispatcher is behind; then it is due at once.
pub fn next_attempt_at(created_at: DateTime<Utc>, attempts_made: u32) -> Option<DateTime<Utc>> {
    next_attempt_at_with(&mut rand::thread_rng(), created_at, attempts_made)
}

fn next_attempt_at_with(
    rng: &mut impl Rng,
    created_at: DateTime<Utc>,
    attempts_made: u32,
) -> Option<DateTime<Utc>> {
    let attempt = attempts_made.checked_add(1)?;
    let delay = delay_before_attempt(attempt)?;
    let spread = delay.num_milliseconds() / JITTER_DIVISOR;
    let jitter_ms = if spread == 0 {
        0
    } else if attempt == MAX_ATTEMPTS {
        rng.gen_range(0..=spread)
    } else {
        rng.gen_range(-spread..=spread)
    };
    created_at.checked_add_signed(delay + Duration::milliseconds(jitter_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_else(|| panic!("valid timestamp"))
    }

    #[test]
    fn enough_attempts_over_enough_time() {
        const { assert!(MAX_ATTEMPTS >= 8) };
        let last = delay_before_attempt(MAX_ATTEMPTS).unwrap_or_else(|| panic!("last attempt"));
        assert!(last >= Duration::days(3));
        assert_eq!(delay_before_attempt(1), Some(Duration::zero()));
    }

    #[test]
    fn schedule_is_strictly_increasing() {
        for pair in SCHEDULE.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
        // Even with the jitter the order cannot change: each offset is >= 1.5x the one before,
        // and 1.1 / 0.9 < 1.5.
        for pair in SCHEDULE.windows(2).skip(1) {
            assert!(
                pair[0].num_milliseconds() * 3 <= pair[1].num_milliseconds() * 2,
                "{pair:?}"
            );
        }
    }

    #[test]
    fn none_outside_the_schedule() {
        assert_eq!(delay_before_attempt(0), None);
        assert_eq!(delay_before_attempt(MAX_ATTEMPTS + 1), None);
        assert_eq!(delay_before_attempt(u32::MAX), None);
        assert_eq!(next_attempt_at(created(), MAX_ATTEMPTS), None);
        assert_eq!(next_attempt_at(created(), u32::MAX), None);
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_keeps_the_order() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let mut previous: Option<DateTime<Utc>> = None;
            for made in 0..MAX_ATTEMPTS {
                let at = next_attempt_at_with(&mut rng, created(), made)
                    .unwrap_or_else(|| panic!("attempt {} is scheduled", made + 1));
                let nominal = SCHEDULE[made as usize].num_milliseconds();
                let actual = (at - created()).num_milliseconds();
                assert!(
                    (actual - nominal).abs() * 10 <= nominal,
                    "{made}: {actual} vs {nominal}"
                );
                if let Some(previous) = previous {
                    assert!(at > previous);
                }
                previous = Some(at);
            }
            // The first attempt is immediate, the last never before three days.
            assert_eq!(
                next_attempt_at_with(&mut rng, created(), 0),
                Some(created())
            );
            let last = previous.unwrap_or_else(|| panic!("attempts were scheduled"));
            assert!(last - created() >= Duration::days(3));
        }
    }
}
