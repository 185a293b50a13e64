//! Typed views of aligned byte buffers: the activation arena and the weights blob.
//!
//! This is the one place where bytes become `f32`/`i64`/… slices. The casts are sound because
//! [`Element`] is implemented only for plain integer and float types, for which every bit
//! pattern is a valid value, and because the alignment is checked before casting.

/// Types that may be viewed in place inside a byte buffer: every bit pattern is a valid value.
///
/// ONNX `bool` tensors are stored as `u8` (0 or 1) for this reason.
pub trait Element: Copy + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

macro_rules! elements {
    ($($t:ty),*) => { $( impl sealed::Sealed for $t {} impl Element for $t {} )* };
}
elements!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

/// 64-byte aligned storage for the arena and the weights blob.
#[repr(C, align(64))]
pub struct Aligned<B: ?Sized>(pub B);

/// Views `bytes` as a slice of `T`.
///
/// The planner places every tensor at a multiple of 64 bytes inside 64-byte aligned storage, so
/// the alignment holds by construction; a misaligned or ragged view yields an empty slice rather
/// than undefined behaviour.
#[inline(always)]
pub fn cast<T: Element>(bytes: &[u8]) -> &[T] {
    let size = core::mem::size_of::<T>();
    if bytes.as_ptr().align_offset(core::mem::align_of::<T>()) != 0 || bytes.len() / size * size != bytes.len() {
        return &[];
    }
    // SAFETY: the pointer is aligned for `T` (checked above), the length is a whole number of
    // `T`s, every bit pattern is a valid `T` (`Element`), and the lifetime is that of `bytes`.
    unsafe { core::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size) }
}

/// Views `bytes` as a mutable slice of `T`; see [`cast`].
#[inline(always)]
pub fn cast_mut<T: Element>(bytes: &mut [u8]) -> &mut [T] {
    let size = core::mem::size_of::<T>();
    if bytes.as_ptr().align_offset(core::mem::align_of::<T>()) != 0 || bytes.len() / size * size != bytes.len() {
        return &mut [];
    }
    // SAFETY: as in `cast`; the exclusive borrow of `bytes` is moved into the result.
    unsafe { core::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<T>(), bytes.len() / size) }
}

/// Splits the arena into `N` disjoint mutable byte regions given as `(offset, length)` pairs.
///
/// The memory planner guarantees that the regions of one layer never overlap; if they did (a
/// planner bug), or one ran past the end, the affected regions come back empty instead of
/// aliasing, and the kernels then write nothing.
#[inline(always)]
pub fn split<const N: usize>(arena: &mut [u8], regions: [(usize, usize); N]) -> [&mut [u8]; N] {
    // Visit the regions in increasing offset order, cutting each off the remaining tail.
    let mut order = [(0usize, (0usize, 0usize)); N];
    for (slot, entry) in order.iter_mut().zip(regions.into_iter().enumerate()) {
        *slot = entry;
    }
    order.sort_unstable_by_key(|&(_, (offset, _))| offset);
    let mut out: [&mut [u8]; N] = core::array::from_fn(|_| -> &mut [u8] { &mut [] });
    let mut rest: &mut [u8] = arena;
    let mut consumed = 0usize;
    for (i, (offset, len)) in order {
        let Some(skip) = offset.checked_sub(consumed) else { continue };
        if skip > rest.len() || len > rest.len() - skip {
            continue;
        }
        let tail = core::mem::take(&mut rest);
        let Some((region, tail)) = tail
            .split_at_mut_checked(skip)
            .and_then(|(_, tail)| tail.split_at_mut_checked(len))
        else {
            break; // not reached: the lengths were checked above
        };
        if let Some(slot) = out.get_mut(i) {
            *slot = region;
        }
        rest = tail;
        consumed = offset + len;
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn split_returns_disjoint_regions_in_request_order() {
        let mut arena = Aligned([0u8; 256]);
        let [a, b, c] = split(&mut arena.0, [(128, 64), (0, 64), (64, 16)]);
        assert_eq!((a.len(), b.len(), c.len()), (64, 64, 16));
        a[0] = 1;
        b[0] = 2;
        c[0] = 3;
        assert_eq!((arena.0[128], arena.0[0], arena.0[64]), (1, 2, 3));
    }

    #[test]
    fn overlapping_or_out_of_range_regions_come_back_empty() {
        let mut arena = Aligned([0u8; 128]);
        let [a, b, c] = split(&mut arena.0, [(0, 64), (32, 64), (120, 64)]);
        assert_eq!((a.len(), b.len(), c.len()), (64, 0, 0));
    }

    #[test]
    fn cast_checks_alignment_and_length() {
        let arena = Aligned([0u8; 64]);
        assert_eq!(cast::<f32>(&arena.0[..16]).len(), 4);
        assert!(cast::<f32>(&arena.0[1..5]).is_empty());
        assert!(cast::<f32>(&arena.0[..6]).is_empty());
    }
}
