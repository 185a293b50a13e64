//! ONNX `RNN`, `GRU` and `LSTM`: forward, reverse or bidirectional, with `sequence_lens`,
//! initial states, peepholes, clipping, custom activations and both layouts.
//!
//! The recurrent state of one (direction, batch row) lives on the stack, so the hidden size is
//! bounded by [`MAX_HIDDEN`] (the compiler checks it).

use crate::rt::math;

/// Largest hidden size the kernel handles.
pub const MAX_HIDDEN: usize = 256;

/// An activation function of the recurrence (`activations` with their alpha and beta).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnAct {
    /// 0 Sigmoid, 1 Tanh, 2 Relu, 3 HardSigmoid, 4 LeakyRelu, 5 ThresholdedRelu, 6 ScaledTanh,
    /// 7 Affine, 8 Elu, 9 Softsign, 10 Softplus.
    pub kind: u8,
    pub alpha: f32,
    pub beta: f32,
}

impl RnnAct {
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        let (a, b) = (self.alpha, self.beta);
        match self.kind {
            0 => math::sigmoid(x),
            1 => math::tanh(x),
            2 => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            3 => (a * x + b).clamp(0.0, 1.0),
            4 => {
                if x >= 0.0 {
                    x
                } else {
                    a * x
                }
            }
            5 => {
                if x > a {
                    x
                } else {
                    0.0
                }
            }
            6 => a * math::tanh(b * x),
            7 => a * x + b,
            8 => {
                if x >= 0.0 {
                    x
                } else {
                    a * (math::exp(x) - 1.0)
                }
            }
            9 => x / (1.0 + math::abs(x)),
            _ => math::ln(1.0 + math::exp(x)),
        }
    }
}

/// Geometry and options of one recurrent layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RnnParams {
    /// 0 RNN, 1 GRU, 2 LSTM.
    pub cell: u8,
    pub seq: usize,
    pub batch: usize,
    pub input: usize,
    pub hidden: usize,
    /// 1 or 2.
    pub directions: usize,
    /// The single direction runs backwards.
    pub reverse: bool,
    /// `layout = 1`: batch-major X, Y, Y_h and Y_c.
    pub batch_major: bool,
    /// Gate pre-activations are clipped to `[-clip, clip]` when positive.
    pub clip: f32,
    /// GRU: apply the reset gate after the recurrent product.
    pub linear_before_reset: bool,
    /// Per direction: f, g, h.
    pub acts: [RnnAct; 6],
}

/// Optional inputs of [`rnn`].
#[derive(Clone, Copy)]
pub struct RnnInputs<'a> {
    pub bias: Option<&'a [f32]>,
    pub seq_lens: Option<&'a [i32]>,
    pub initial_h: Option<&'a [f32]>,
    pub initial_c: Option<&'a [f32]>,
    pub peepholes: Option<&'a [f32]>,
}

/// Gates per cell kind.
#[inline(always)]
fn gates(cell: u8) -> usize {
    match cell {
        0 => 1,
        1 => 3,
        _ => 4,
    }
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for (&x, &y) in a.iter().zip(b) {
        s += x * y;
    }
    s
}

/// Runs the layer. `y` is `[seq, dirs, batch, hidden]` (batch-major: `[batch, seq, dirs,
/// hidden]`), `y_h`/`y_c` are `[dirs, batch, hidden]` (`[batch, dirs, hidden]`). Does nothing
/// if a buffer is too short or the hidden size exceeds [`MAX_HIDDEN`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn rnn(
    p: &RnnParams,
    x: &[f32],
    w: &[f32],
    r: &[f32],
    opt: RnnInputs<'_>,
    mut y: Option<&mut [f32]>,
    mut y_h: Option<&mut [f32]>,
    mut y_c: Option<&mut [f32]>,
) {
    let (hs, g, dirs) = (p.hidden, gates(p.cell), p.directions);
    if hs > MAX_HIDDEN || hs == 0 || dirs == 0 || dirs > 2 {
        return;
    }
    let (Some(x), Some(w), Some(r)) = (
        x.get(..p.seq * p.batch * p.input),
        w.get(..dirs * g * hs * p.input),
        r.get(..dirs * g * hs * hs),
    ) else {
        return;
    };
    let y_len = p.seq * dirs * p.batch * hs;
    let state_len = dirs * p.batch * hs;
    if y.as_deref().is_some_and(|v| v.len() < y_len)
        || y_h.as_deref().is_some_and(|v| v.len() < state_len)
        || y_c.as_deref().is_some_and(|v| v.len() < state_len)
        || opt.bias.is_some_and(|v| v.len() < dirs * 2 * g * hs)
        || opt.seq_lens.is_some_and(|v| v.len() < p.batch)
        || opt.initial_h.is_some_and(|v| v.len() < state_len)
        || opt.initial_c.is_some_and(|v| v.len() < state_len)
        || opt.peepholes.is_some_and(|v| v.len() < dirs * 3 * hs)
    {
        return;
    }
    if let Some(y) = y.as_deref_mut() {
        y.iter_mut().for_each(|v| *v = 0.0);
    }
    let clip = |v: f32| if p.clip > 0.0 { v.clamp(-p.clip, p.clip) } else { v };
    let y_at = |t: usize, d: usize, b: usize| {
        if p.batch_major {
            ((b * p.seq + t) * dirs + d) * hs
        } else {
            ((t * dirs + d) * p.batch + b) * hs
        }
    };
    let state_at = |d: usize, b: usize| if p.batch_major { (b * dirs + d) * hs } else { (d * p.batch + b) * hs };
    for d in 0..dirs {
        let backward = d == 1 || p.reverse;
        let (Some(wd), Some(rd)) = (w.get(d * g * hs * p.input..), r.get(d * g * hs * hs..)) else {
            return;
        };
        let act = |j: usize| p.acts.get(d * 3 + j).copied().unwrap_or(p.acts[0]);
        let acts = [act(0), act(1), act(2)];
        for b in 0..p.batch {
            let mut h = [0.0f32; MAX_HIDDEN];
            let mut c = [0.0f32; MAX_HIDDEN];
            let mut pre = [0.0f32; 4 * MAX_HIDDEN];
            let s0 = (d * p.batch + b) * hs;
            if let Some(h0) = opt.initial_h.and_then(|v| v.get(s0..s0 + hs)) {
                h.iter_mut().zip(h0).for_each(|(a, &v)| *a = v);
            }
            if let Some(c0) = opt.initial_c.and_then(|v| v.get(s0..s0 + hs)) {
                c.iter_mut().zip(c0).for_each(|(a, &v)| *a = v);
            }
            let len = opt.seq_lens.and_then(|v| v.get(b)).map_or(p.seq, |&l| (l.max(0) as usize).min(p.seq));
            for step in 0..len {
                let t = if backward { len - 1 - step } else { step };
                let xo = if p.batch_major { (b * p.seq + t) * p.input } else { (t * p.batch + b) * p.input };
                let Some(xt) = x.get(xo..xo + p.input) else {
                    return;
                };
                let bias = |k: usize| -> (f32, f32) {
                    let base = d * 2 * g * hs;
                    let wb = opt.bias.and_then(|v| v.get(base + k)).copied().unwrap_or(0.0);
                    let rb = opt.bias.and_then(|v| v.get(base + g * hs + k)).copied().unwrap_or(0.0);
                    (wb, rb)
                };
                // Input and recurrent products per gate row (GRU's candidate handled below).
                for (k, v) in pre.iter_mut().enumerate().take(g * hs) {
                    let wx = wd.get(k * p.input..(k + 1) * p.input).map_or(0.0, |row| dot(row, xt));
                    let (wb, rb) = bias(k);
                    let candidate = p.cell == 1 && k >= 2 * hs;
                    let rh = if candidate { 0.0 } else { rd.get(k * hs..(k + 1) * hs).map_or(0.0, |row| dot(row, &h)) };
                    *v = wx + wb + if candidate { 0.0 } else { rh + rb };
                }
                match p.cell {
                    0 => {
                        for (hv, &v) in h.iter_mut().zip(&pre).take(hs) {
                            *hv = acts[0].apply(clip(v));
                        }
                    }
                    1 => {
                        // Gates z, r, then the candidate h~ with the reset gate.
                        let mut z = [0.0f32; MAX_HIDDEN];
                        let mut rg = [0.0f32; MAX_HIDDEN];
                        let zr = z.iter_mut().zip(rg.iter_mut()).zip(pre.iter().zip(pre.iter().skip(hs)));
                        for ((zv, rv), (&pz, &pr)) in zr.take(hs) {
                            *zv = acts[0].apply(clip(pz));
                            *rv = acts[0].apply(clip(pr));
                        }
                        let mut cand = [0.0f32; MAX_HIDDEN];
                        for (i, (cv, &pc)) in cand.iter_mut().zip(pre.iter().skip(2 * hs)).enumerate().take(hs) {
                            let k = 2 * hs + i;
                            let (_, rb) = bias(k);
                            let row = rd.get(k * hs..(k + 1) * hs).unwrap_or(&[]);
                            let rec = if p.linear_before_reset {
                                rg.get(i).copied().unwrap_or(0.0) * (dot(row, &h) + rb)
                            } else {
                                let mut s = 0.0f32;
                                for ((&rw, &hv), &rv) in row.iter().zip(&h).zip(&rg) {
                                    s += rw * rv * hv;
                                }
                                s + rb
                            };
                            *cv = acts[1].apply(clip(pc + rec));
                        }
                        for ((hv, &zv), &cv) in h.iter_mut().zip(&z).zip(&cand).take(hs) {
                            *hv = (1.0 - zv) * cv + zv * *hv;
                        }
                    }
                    _ => {
                        // Gates i, o, f, c with peepholes i, o, f.
                        let peep = |j: usize, i: usize| opt.peepholes.and_then(|v| v.get(d * 3 * hs + j * hs + i)).copied().unwrap_or(0.0);
                        let at = |k: usize| pre.get(k).copied().unwrap_or(0.0);
                        for (i, (hv, cv)) in h.iter_mut().zip(c.iter_mut()).enumerate().take(hs) {
                            let ct = *cv;
                            let ig = acts[0].apply(clip(at(i) + peep(0, i) * ct));
                            let fg = acts[0].apply(clip(at(2 * hs + i) + peep(2, i) * ct));
                            let cg = acts[1].apply(clip(at(3 * hs + i)));
                            let cn = fg * ct + ig * cg;
                            let og = acts[0].apply(clip(at(hs + i) + peep(1, i) * cn));
                            *cv = cn;
                            *hv = og * acts[2].apply(cn);
                        }
                    }
                }
                if let Some(out) = y.as_deref_mut().and_then(|v| v.get_mut(y_at(t, d, b)..y_at(t, d, b) + hs)) {
                    out.copy_from_slice(h.get(..hs).unwrap_or(&[]));
                }
            }
            let so = state_at(d, b);
            if let Some(out) = y_h.as_deref_mut().and_then(|v| v.get_mut(so..so + hs)) {
                out.iter_mut().zip(&h).for_each(|(o, &v)| *o = v);
            }
            if let Some(out) = y_c.as_deref_mut().and_then(|v| v.get_mut(so..so + hs)) {
                out.iter_mut().zip(&c).for_each(|(o, &v)| *o = v);
            }
        }
    }
}
