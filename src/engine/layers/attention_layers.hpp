// Factories for the kinds that make attention and gated blocks explainable exactly
// (../shared/fixtures/transformer/RULES.md): products of two computed tensors, batched
// matrix products, elementwise math functions, LayerNorm (Softmax: layers.hpp).
// Every rule maps output multipliers to input multipliers linearly with coefficients from
// the forward values at X and at the stream's reference, so summation-to-delta is exact.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/layers/layers.hpp"

namespace seqlift {

// ---- product.cpp: z = a (op) b of two computed tensors with numpy broadcasting ----
/// op: "Add", "Sub" (linear, summed over broadcast axes) or "Mul" (two-player Shapley
/// split m_a = m_z (b + b_r) / 2, m_b = m_z (a + a_r) / 2).
std::unique_ptr<Layer> make_broadcast_binary(const std::string& op, const Shape& a, const Shape& b);

// ---- matmul.cpp: Z = A B of two computed tensors, per-sample [..., M, K] x [..., K, N]
// (leading axes equal or broadcast) ----
/// Rule: m_A = m_Z mid(B)^T, m_B = mid(A)^T m_Z (Shapley split of each product term).
std::unique_ptr<Layer> make_matmul(const Shape& a, const Shape& b);

// ---- elementwise_math.cpp: Sqrt, Reciprocal, Pow (constant exponent), Erf ----
/// Rescale with closed-form ratios in double (derivative at the midpoint when
/// |x - r| < 1e-6). `exponent` is used by Pow only.
std::unique_ptr<Layer> make_math(const std::string& kind, const Shape& shape,
                                 double exponent = 1.0);
bool is_math_kind(const std::string& kind);

// ---- layernorm.cpp: LayerNormalization over the trailing axes from `axis` ----
/// gamma / beta: numel of the normalised block (already broadcast) or empty (1 / 0).
/// rms: RMSNorm (no centring).
std::unique_ptr<Layer> make_layernorm(const Shape& shape, int64_t axis, double epsilon,
                                      std::vector<float> gamma, std::vector<float> beta,
                                      bool rms = false);

}  // namespace seqlift
