//! The byte ranges of a message received so far: a sorted set of disjoint half-open
//! intervals, so that overlapping and repeated chunks count once.

/// Disjoint, sorted, non-adjacent `[start, end)` intervals.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ranges {
    spans: Vec<(u64, u64)>,
    covered: u64,
}

impl Ranges {
    /// An empty set with room for a few gaps (chunks that arrive in order never need
    /// more than one interval).
    pub(crate) fn new() -> Ranges {
        Ranges {
            spans: Vec::with_capacity(4),
            covered: 0,
        }
    }

    /// Adds `[start, end)`; returns how many of its bytes were not covered before.
    pub(crate) fn insert(&mut self, start: u64, end: u64) -> u64 {
        if start >= end {
            return 0;
        }
        // The first interval that ends at or after `start` (may merge with it).
        let first = self.spans.partition_point(|&(_, e)| e < start);
        // The intervals from `first` that start at or before `end` all merge.
        let mut last = first;
        let mut merged = (start, end);
        let mut already = 0;
        while let Some(&(s, e)) = self.spans.get(last) {
            if s > end {
                break;
            }
            already += e.min(end).saturating_sub(s.max(start));
            merged = (merged.0.min(s), merged.1.max(e));
            last += 1;
        }
        let added = (end - start) - already;
        if first == last {
            self.spans.insert(first, merged);
        } else {
            self.spans[first] = merged;
            self.spans.drain(first + 1..last);
        }
        self.covered += added;
        added
    }

    /// How many bytes are covered.
    pub(crate) fn covered(&self) -> u64 {
        self.covered
    }

    /// Whether `[0, total)` is covered whole.
    pub(crate) fn covers(&self, total: u64) -> bool {
        total == 0 || self.spans.first() == Some(&(0, total)) || self.covered_prefix() >= total
    }

    /// The end of the interval that starts at 0 (0 when none does).
    pub(crate) fn covered_prefix(&self) -> u64 {
        match self.spans.first() {
            Some(&(0, end)) => end,
            _ => 0,
        }
    }

    /// The intervals.
    pub(crate) fn spans(&self) -> &[(u64, u64)] {
        &self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_byte_once() {
        let mut r = Ranges::new();
        assert_eq!(r.insert(10, 20), 10);
        assert_eq!(r.insert(0, 5), 5);
        assert_eq!(r.insert(15, 25), 5);
        assert_eq!(r.insert(0, 5), 0);
        assert_eq!(r.spans(), &[(0, 5), (10, 25)]);
        assert_eq!(r.insert(3, 12), 5);
        assert_eq!(r.spans(), &[(0, 25)]);
        assert_eq!(r.covered(), 25);
        assert!(r.covers(25));
        assert!(!r.covers(26));
        assert_eq!(r.insert(25, 30), 5, "adjacent intervals merge");
        assert_eq!(r.spans(), &[(0, 30)]);
        assert_eq!(r.insert(40, 40), 0);
    }
}
