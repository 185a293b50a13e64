//! Typed neural-network operators added beyond the core set (attention, RMS norm, rotary
//! embedding, …). They sit behind the single [`super::Op::Nn`] variant; inference, lowering,
//! evaluation and codegen for them live in their own `nn` files.

/// ONNX `Attention` (opset 23+), attributes defaulted.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    /// Heads of Q and of K/V; required for 3-D inputs, taken from the shapes for 4-D ones.
    pub q_heads: Option<usize>,
    pub kv_heads: Option<usize>,
    /// `None`: `1 / sqrt(head_size)`.
    pub scale: Option<f32>,
    /// Applied when positive.
    pub softcap: f32,
    pub causal: bool,
    pub qk_mode: u8,
    /// Sliding window (opset 25); -1 = unbounded.
    pub left_window: i64,
    pub right_window: i64,
}

/// ONNX `LinearAttention` (opset 27), attributes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearAttention {
    pub q_heads: usize,
    pub kv_heads: usize,
    /// `None`: `1 / sqrt(d_k)`.
    pub scale: Option<f32>,
    /// Rules `gated` / `gated_delta`: decay input.
    pub gated: bool,
    /// Rules `delta` / `gated_delta`: beta input.
    pub delta: bool,
}

/// MaxPool (with Indices), AveragePool or LpPool over 1 to 3 spatial axes.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolNd {
    pub op: onnxc_templates::generic::pool_nd::PoolOp,
    pub window: super::op::Window,
    pub ceil_mode: bool,
    pub count_include_pad: bool,
    /// MaxPool's `storage_order = 1`.
    pub column_major: bool,
}

/// RNN, GRU or LSTM, attributes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Recurrent {
    /// 0 RNN, 1 GRU, 2 LSTM.
    pub cell: u8,
    pub hidden: usize,
    pub directions: usize,
    pub reverse: bool,
    pub batch_major: bool,
    pub clip: f32,
    pub linear_before_reset: bool,
    pub acts: [onnxc_templates::generic::rnn::RnnAct; 6],
}

/// A neural-network operator (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub enum NnOp {
    /// Inputs Q, K, V, attn_mask, past_key, past_value, nonpad_kv_seqlen; outputs Y,
    /// present_key, present_value, qk_matmul_output.
    Attention(Attention),
    /// X, scale: `X / sqrt(mean(X^2) + eps) * scale` over the axes from `axis`.
    RmsNorm { axis: i64, epsilon: f32 },
    /// X: `X / ||X||_p` along `axis` (`p` is 1 or 2).
    LpNorm { axis: i64, p: u8 },
    /// X, cos_cache, sin_cache, position_ids?.
    Rotary { interleaved: bool, rotary_dim: usize, num_heads: Option<usize> },
    /// X, grid. `mode` 0 nearest, 1 linear, 2 cubic; `padding` 0 zeros, 1 border, 2 reflection.
    GridSample { mode: u8, padding: u8, align_corners: bool },
    /// X, W, R, B?, sequence_lens?, initial_h?, initial_c?, P?; outputs Y, Y_h, Y_c.
    Recurrent(Recurrent),
    /// a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
    QLinearMatMul,
    /// A, B, a_zero_point?, b_zero_point?: int32 products.
    MatMulInteger,
    /// x: y (uint8), y_scale, y_zero_point.
    DynamicQuantizeLinear,
    /// X, scale, bias.
    GroupNorm { groups: usize, epsilon: f32 },
    /// X: normalized to zero mean and unit variance over `axes`.
    MeanVarianceNorm { axes: Vec<i64> },
    /// X.
    Lrn { size: usize, alpha: f32, beta: f32, bias: f32 },
    /// input, image_shape, block_shape (both compile-time constants).
    Col2Im { dilations: Vec<usize>, pads: Vec<usize>, strides: Vec<usize> },
    /// X, I, output_shape? (a compile-time constant).
    MaxUnpool { window: super::op::Window },
    /// X; outputs Y and (MaxPool) Indices.
    Pool(PoolNd),
    /// query, key, value, past_state?, decay?, beta?; outputs output, present_state.
    LinearAttention(LinearAttention),
    /// input, weight, bias?, past_state?; outputs output, present_state.
    CausalConv { silu: bool },
    /// A, B: `Swish_alpha(A) * B`.
    SwiGlu { alpha: f32 },
}

impl NnOp {
    /// The ONNX operator name.
    pub fn name(&self) -> &'static str {
        match self {
            NnOp::Attention(_) => "Attention",
            NnOp::RmsNorm { .. } => "RMSNormalization",
            NnOp::LpNorm { .. } => "LpNormalization",
            NnOp::Rotary { .. } => "RotaryEmbedding",
            NnOp::GridSample { .. } => "GridSample",
            NnOp::MaxUnpool { .. } => "MaxUnpool",
            NnOp::Col2Im { .. } => "Col2Im",
            NnOp::GroupNorm { .. } => "GroupNormalization",
            NnOp::MeanVarianceNorm { .. } => "MeanVarianceNormalization",
            NnOp::Lrn { .. } => "LRN",
            NnOp::QLinearMatMul => "QLinearMatMul",
            NnOp::MatMulInteger => "MatMulInteger",
            NnOp::DynamicQuantizeLinear => "DynamicQuantizeLinear",
            NnOp::Recurrent(r) => ["RNN", "GRU", "LSTM"].get(usize::from(r.cell)).copied().unwrap_or("LSTM"),
            NnOp::LinearAttention(_) => "LinearAttention",
            NnOp::CausalConv { .. } => "CausalConvWithState",
            NnOp::SwiGlu { .. } => "SwiGLU",
            NnOp::Pool(p) => match p.op {
                onnxc_templates::generic::pool_nd::PoolOp::Max => "MaxPool",
                onnxc_templates::generic::pool_nd::PoolOp::Average => "AveragePool",
                onnxc_templates::generic::pool_nd::PoolOp::Lp(_) => "LpPool",
            },
        }
    }
}
