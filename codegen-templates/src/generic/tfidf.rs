//! ONNX `TfIdfVectorizer` over integer tokens: counts the pool's n-grams (with skips) in each
//! row and weighs the counts (TF, IDF or TFIDF).

/// Shape and options of one `TfIdfVectorizer`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TfIdfParams {
    pub rows: usize,
    /// Tokens per row.
    pub cols: usize,
    /// Output columns per row (`max(ngram_indexes) + 1`).
    pub out_size: usize,
    /// 0 TF, 1 IDF, 2 TFIDF.
    pub mode: u8,
    pub min_gram: usize,
    pub max_gram: usize,
    pub max_skip: usize,
}

/// The pool: `pool` holds the n-grams, the (i+1)-grams starting at `ngram_counts[i]`;
/// `ngram_indexes[k]` is the output column of the k-th n-gram of the pool; `weights` (empty:
/// all 1) is indexed by output column.
#[derive(Clone, Copy, Debug)]
pub struct TfIdfPool<'a> {
    pub pool: &'a [i64],
    pub ngram_counts: &'a [i64],
    pub ngram_indexes: &'a [i64],
    pub weights: &'a [f32],
}

impl TfIdfPool<'_> {
    /// The (start, end, id of the first) of the n-grams of length `n`, if the pool has any.
    fn segment(&self, n: usize) -> Option<(usize, usize, usize)> {
        let bound = |i: usize| -> Option<usize> {
            match self.ngram_counts.get(i) {
                Some(&c) => usize::try_from(c).ok().map(|c| c.min(self.pool.len())),
                None => Some(self.pool.len()),
            }
        };
        let mut first_id = 0;
        for m in 1..n {
            let (b, e) = (bound(m - 1)?, bound(m)?);
            first_id += e.saturating_sub(b) / m;
        }
        if n == 0 || n > self.ngram_counts.len() {
            return None;
        }
        Some((bound(n - 1)?, bound(n)?, first_id))
    }

    /// The output column of the n-gram `token(0), …, token(n-1)`, if it is in the pool (the last
    /// one wins when the pool repeats an n-gram).
    fn column(&self, n: usize, token: impl Fn(usize) -> Option<i64>) -> Option<usize> {
        let (b, e, first_id) = self.segment(n)?;
        let grams = self.pool.get(b..e)?.chunks_exact(n);
        let count = grams.len();
        let found = grams.rev().position(|g| g.iter().enumerate().all(|(k, &v)| token(k) == Some(v)))?;
        let id = first_id + count - 1 - found;
        self.ngram_indexes.get(id).and_then(|&c| usize::try_from(c).ok())
    }
}

/// ONNX `TfIdfVectorizer`: `x` is `[rows, cols]` tokens (int32 or int64), `y` `[rows, out_size]`.
pub fn tfidf<T: Copy + Into<i64>>(p: &TfIdfParams, pool: TfIdfPool, x: &[T], y: &mut [f32]) {
    if p.out_size == 0 || x.len() < p.rows * p.cols || y.len() < p.rows * p.out_size {
        return;
    }
    for (r, y_row) in y.chunks_exact_mut(p.out_size).take(p.rows).enumerate() {
        y_row.iter_mut().for_each(|v| *v = 0.0);
        let row_start = r * p.cols;
        let token = |i: usize| -> Option<i64> { if i < p.cols { x.get(row_start + i).map(|&t| t.into()) } else { None } };
        for skip in 0..=p.max_skip {
            let step = skip + 1;
            // Unigrams do not depend on the skip: counted once, at the first distance.
            let lo = if skip > 0 && p.min_gram <= 1 { 2 } else { p.min_gram.max(1) };
            if lo > p.max_gram {
                break;
            }
            for start in 0..p.cols {
                for n in lo..=p.max_gram {
                    if start + (n - 1) * step >= p.cols {
                        break;
                    }
                    if let Some(col) = pool.column(n, |k| token(start + k * step)) {
                        if let Some(v) = y_row.get_mut(col) {
                            *v += 1.0;
                        }
                    }
                }
            }
        }
        let weight = |i: usize| pool.weights.get(i).copied().unwrap_or(1.0);
        match p.mode {
            1 => y_row.iter_mut().enumerate().for_each(|(i, v)| *v = if *v > 0.0 { weight(i) } else { 0.0 }),
            2 => y_row.iter_mut().enumerate().for_each(|(i, v)| *v *= weight(i)),
            _ => {}
        }
    }
}
