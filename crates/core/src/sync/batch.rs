//! Splitting what a device pushes into requests the relay accepts.

use std::ops::Range;

/// Most chunks in one push request.
pub const PUSH_MAX_CHUNKS: usize = 200;
/// Most envelope bytes in one push request: well under the relay's 16 MiB body limit, as base64
/// adds a third.
pub const PUSH_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Splits items of the given sizes, in order, into consecutive batches of at most `max_chunks`
/// items and `max_bytes` bytes. An item larger than `max_bytes` goes alone (the relay judges it).
/// No item is left out or repeated; no batch is empty.
pub fn plan_batches(sizes: &[usize], max_chunks: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let max_chunks = max_chunks.max(1);
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0usize);
    for (i, &size) in sizes.iter().enumerate() {
        let full = i - start >= max_chunks || (i > start && bytes.saturating_add(size) > max_bytes);
        if full {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes = bytes.saturating_add(size);
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test(unsupported = test)]
    fn batches_by_count_and_by_bytes() {
        assert_eq!(plan_batches(&[], 2, 10), Vec::<Range<usize>>::new());
        assert_eq!(
            plan_batches(&[1, 1, 1, 1, 1], 2, 100),
            vec![0..2, 2..4, 4..5]
        );
        assert_eq!(plan_batches(&[6, 4, 1, 9], 10, 10), vec![0..2, 2..4]);
        assert_eq!(plan_batches(&[6, 4, 1, 10], 10, 10), vec![0..2, 2..3, 3..4]);
        // Too big for any batch: alone.
        assert_eq!(plan_batches(&[3, 50, 3], 10, 10), vec![0..1, 1..2, 2..3]);
        assert_eq!(plan_batches(&[5, 5], 0, 100), vec![0..1, 1..2]);
    }

    proptest! {
        #[wasm_bindgen_test(unsupported = test)]
        fn every_item_once_in_order_within_limits(
            sizes in prop::collection::vec(0usize..300, 0..200),
            max_chunks in 1usize..20,
            max_bytes in 1usize..1000,
        ) {
            let batches = plan_batches(&sizes, max_chunks, max_bytes);
            let mut next = 0;
            for b in &batches {
                prop_assert_eq!(b.start, next);
                prop_assert!(b.end > b.start);
                prop_assert!(b.len() <= max_chunks);
                let bytes: usize = sizes[b.clone()].iter().sum();
                prop_assert!(bytes <= max_bytes || b.len() == 1);
                next = b.end;
            }
            prop_assert_eq!(next, sizes.len());
            // Greedy: a batch closes only when the next item would not fit.
            for w in batches.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let with_next: usize = sizes[a.start..=b.start].iter().sum();
                prop_assert!(a.len() == max_chunks || with_next > max_bytes);
            }
        }
    }
}
