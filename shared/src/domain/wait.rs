//! The estimate of waits before issue 12: people ahead, typical service time, counters now serving.
//! Kept as the baseline `eta::Predictor::Today` that the server's estimate (`eta.rs`) is measured against.

/// Service time assumed when a service has no finished ticket to learn from: five minutes.
pub const DEFAULT_SERVICE_SECS: u32 = 300;

/// The typical service time from recent samples (seconds): their median, so one long case does not
/// inflate every estimate. `None` when there is no sample.
pub fn typical_service_secs(samples: &[u32]) -> Option<u32> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        ((u64::from(sorted[mid - 1]) + u64::from(sorted[mid])) / 2) as u32
    } else {
        sorted[mid]
    })
}

/// Minutes until a ticket with `people_ahead` is called, when `open_counters` serve its service and
/// each citizen takes `service_secs`. `None` when no counter serves it now: nobody can tell.
pub fn estimate_wait_minutes(people_ahead: u32, service_secs: u32, open_counters: u32) -> Option<u32> {
    if open_counters == 0 {
        return None;
    }
    let total_secs = u64::from(people_ahead) * u64::from(service_secs);
    let per_counter = total_secs.div_ceil(u64::from(open_counters));
    Some(per_counter.div_ceil(60).min(u64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates() {
        let check = |ahead, secs, counters, expected: Option<u32>| {
            assert_eq!(
                estimate_wait_minutes(ahead, secs, counters),
                expected,
                "{ahead} ahead, {secs}s each, {counters} counters"
            );
        };
        check(0, 300, 1, Some(0));
        check(1, 300, 1, Some(5));
        check(3, 300, 2, Some(8)); // 900 s over 2 counters = 450 s = 7.5 min, rounded up
        check(10, 61, 1, Some(11));
        check(5, 300, 0, None);
    }

    #[test]
    fn typical_time_is_the_median() {
        assert_eq!(typical_service_secs(&[]), None);
        assert_eq!(typical_service_secs(&[100]), Some(100));
        assert_eq!(typical_service_secs(&[100, 3000, 120]), Some(120));
        assert_eq!(typical_service_secs(&[100, 200, 300, 4000]), Some(250));
    }
}
