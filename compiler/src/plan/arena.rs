//! Arena layout: offsets from live ranges, the lower bound, and the overlap checker.

use crate::error::{Error, Result};
use crate::ir::ValueRef;

/// Alignment of every tensor in the arena (a cache line; enough for any SIMD load).
pub const ALIGN: usize = 64;

/// A value stored in the arena, with its live range in steps (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArenaTensor {
    pub value: ValueRef,
    pub name: String,
    pub bytes: usize,
    /// Step that writes it.
    pub first: usize,
    /// Last step (or final copy) that reads it.
    pub last: usize,
    pub offset: usize,
}

impl ArenaTensor {
    fn aligned_bytes(&self) -> usize {
        self.bytes.div_ceil(ALIGN) * ALIGN
    }

    fn lives_with(&self, other: &ArenaTensor) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

/// Assigns offsets greedily, largest tensors first, each at the lowest aligned offset that
/// does not collide with an already placed tensor whose lifetime overlaps. Returns the arena
/// size. Ties are broken by earlier definition, then by value, so the layout is deterministic.
pub fn assign_offsets(tensors: &mut [ArenaTensor]) -> usize {
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&tensors[a], &tensors[b]);
        y.aligned_bytes().cmp(&x.aligned_bytes()).then(x.first.cmp(&y.first)).then(x.value.cmp(&y.value))
    });
    let mut placed: Vec<usize> = Vec::new();
    let mut size = 0;
    for i in order {
        let need = tensors[i].aligned_bytes();
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|&&j| tensors[j].lives_with(&tensors[i]))
            .map(|&j| (tensors[j].offset, tensors[j].offset + tensors[j].aligned_bytes()))
            .collect();
        busy.sort_unstable();
        let mut offset = 0;
        for (start, end) in busy {
            if start >= offset + need {
                break;
            }
            offset = offset.max(end);
        }
        tensors[i].offset = offset;
        size = size.max(offset + need);
        placed.push(i);
    }
    size
}

/// The largest sum of aligned sizes of tensors live at the same step: no layout fits in less.
pub fn lower_bound(tensors: &[ArenaTensor]) -> usize {
    let steps = tensors.iter().map(|t| t.last + 1).max().unwrap_or(0);
    let mut live = vec![0usize; steps];
    for t in tensors {
        for slot in &mut live[t.first..=t.last] {
            *slot += t.aligned_bytes();
        }
    }
    live.into_iter().max().unwrap_or(0)
}

/// Proves the layout sound: tensors whose lifetimes overlap never share a byte.
pub fn check_no_overlap(tensors: &[ArenaTensor]) -> Result<()> {
    for (i, a) in tensors.iter().enumerate() {
        if a.offset % ALIGN != 0 {
            return Err(Error::internal(format!("arena tensor '{}' is misaligned at {}", a.name, a.offset)));
        }
        for b in &tensors[i + 1..] {
            let disjoint = a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset;
            if a.lives_with(b) && !disjoint && a.bytes > 0 && b.bytes > 0 {
                return Err(Error::internal(format!(
                    "arena plan overlaps '{}' [{}..{}) and '{}' [{}..{}) while both are live",
                    a.name,
                    a.offset,
                    a.offset + a.bytes,
                    b.name,
                    b.offset,
                    b.offset + b.bytes
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::stable_graph::NodeIndex;

    fn t(id: u32, bytes: usize, first: usize, last: usize) -> ArenaTensor {
        ArenaTensor { value: ValueRef { node: NodeIndex::new(id as usize), slot: 0 }, name: format!("t{id}"), bytes, first, last, offset: 0 }
    }

    #[test]
    fn a_chain_reuses_memory() {
        // a -> b -> c -> d: at most two tensors are live at once.
        let mut ts = vec![t(0, 1000, 0, 1), t(1, 1000, 1, 2), t(2, 1000, 2, 3), t(3, 1000, 3, 3)];
        let size = assign_offsets(&mut ts);
        check_no_overlap(&ts).unwrap();
        assert_eq!(size, 2 * 1024);
        assert_eq!(lower_bound(&ts), 2 * 1024);
    }

    #[test]
    fn the_checker_catches_an_overlap() {
        let mut ts = vec![t(0, 100, 0, 2), t(1, 100, 1, 3)];
        ts[1].offset = 64;
        assert!(check_no_overlap(&ts).is_err());
    }

    #[test]
    fn random_lifetimes_stay_sound_and_near_the_bound() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..50 {
            let mut ts: Vec<_> = (0..40)
                .map(|i| {
                    let first = next() % 60;
                    t(i, 64 + next() % 5000, first, first + next() % 8)
                })
                .collect();
            let size = assign_offsets(&mut ts);
            check_no_overlap(&ts).unwrap();
            assert!(size >= lower_bound(&ts));
        }
    }
}
