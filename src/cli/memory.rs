//! The process's peak resident memory (Linux: `VmHWM` in /proc/self/status), and resetting it
//! between benchmarked models.

/// Peak resident set size in MiB since start or the last [`reset_peak`]; None off Linux.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts a new peak-RSS measurement (writes 5 to /proc/self/clear_refs); false if refused.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_grows_with_a_big_allocation_and_resets() {
        let Some(before) = peak_rss_mib() else {
            return; // not Linux
        };
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let during = peak_rss_mib().unwrap();
        assert!(during >= before.max(64.0), "{before} → {during}");
        drop(block);
        if reset_peak() {
            assert!(peak_rss_mib().unwrap() < during - 32.0);
        }
    }
}
