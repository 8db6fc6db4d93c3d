// One decode step's attention over a KV cache, float32, for the CPU backend (model.attention.attend_cached).
//
// XLA:CPU runs a decode step's score and value products as B x K tiny batched matmuls ([G, H] x [H, S]), each
// over the whole cache buffer, filled or not: on the tiny preset at batch 64 they were a third of a step. This
// kernel reads a row's keys and values only up to the last slot its mask allows, and does the scores, the
// softmax and the value sum in one pass per (batch row, KV head), on XLA's intra-op pool.
//
// The arithmetic is the reference's: scores q.k / sqrt(H), masked slots excluded, softmax with its maximum
// subtracted, then the probabilities' weighted sum of the values (only the order of the sums differs).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "thread_blocks.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

// exp(x) for x <= 0 (a softmax's shifted scores), within 3 ulp of std::exp, in plain arithmetic that the
// compiler vectorizes: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial for exp(r), 2^n from the
// exponent bits. std::exp is a scalar libm call, and was most of this kernel's time. Below -87.3 the result is
// 0 (std::exp gives subnormals there, which a softmax sum cannot tell from 0 next to its maximum's 1).
inline float ExpNonPositive(float x) {
  const float xc = std::max(x, -87.3f);
  // Round to nearest by adding and removing 1.5 * 2^23 (|x log2 e| < 2^22 here): std::nearbyint does not vectorize.
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = std::fma(n, -0.693359375f, xc);   // ln2 in two parts (Cody-Waite), so r keeps its bits
  const float rr = std::fma(n, 2.12194440e-4f, r);
  float p = 1.3888949e-3f;
  p = std::fma(p, rr, 8.3333811e-3f);
  p = std::fma(p, rr, 4.1666645e-2f);
  p = std::fma(p, rr, 1.6666667e-1f);
  p = std::fma(p, rr, 5.0000000e-1f);
  p = std::fma(p, rr * rr, rr);
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return std::fma(p, scale, scale) * (x >= -87.3f ? 1.0f : 0.0f);
}

// G query heads of one (batch row, KV head) over slots [0, hi): q [G, H], keys [H, S], values [S, H], out [G, H].
// scores, bias: scratch of G * hi and hi floats.
void AttendOne(const float* __restrict q, const float* __restrict k, const float* __restrict v,
               const bool* __restrict mask, int64_t G, int64_t H, int64_t S, int64_t hi, float* __restrict out,
               float* __restrict scores, float* __restrict bias) {
  std::fill(out, out + G * H, 0.0f);
  if (hi == 0) return;
  std::fill(scores, scores + G * hi, 0.0f);
  for (int64_t h = 0; h < H; ++h) {
    const float* kr = k + h * S;
    for (int64_t g = 0; g < G; ++g) {
      const float qg = q[g * H + h];
      float* sg = scores + g * hi;
      for (int64_t s = 0; s < hi; ++s) sg[s] += qg * kr[s];
    }
  }
  const float root = std::sqrt(static_cast<float>(H));
  for (int64_t s = 0; s < hi; ++s) bias[s] = mask[s] ? 0.0f : -std::numeric_limits<float>::infinity();
  for (int64_t g = 0; g < G; ++g) {
    float* sg = scores + g * hi;
    float top = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : top)
    for (int64_t s = 0; s < hi; ++s) {
      sg[s] = sg[s] / root + bias[s];
      top = std::max(top, sg[s]);
    }
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t s = 0; s < hi; ++s) {
      sg[s] = ExpNonPositive(sg[s] - top);   // 0 where masked (-inf)
      sum += sg[s];
    }
    float* og = out + g * H;
    for (int64_t s = 0; s < hi; ++s) {
      const float p = sg[s];
      const float* vr = v + s * H;
      for (int64_t h = 0; h < H; ++h) og[h] += p * vr[h];
    }
    const float inv = 1.0f / sum;
    for (int64_t h = 0; h < H; ++h) og[h] *= inv;
  }
}

// q [B, K, G, H], keys [B, K, H, S], values [B, K, S, H], mask [B, S] (true: the query may see that slot);
// out [B, K, G, H]. A row whose mask is all false gets zeros.
ffi::Error DecodeAttention(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> q, ffi::Buffer<ffi::F32> k,
                           ffi::Buffer<ffi::F32> v, ffi::Buffer<ffi::PRED> mask, ffi::ResultBuffer<ffi::F32> out) {
  auto qd = q.dimensions(), kd = k.dimensions(), vd = v.dimensions(), md = mask.dimensions();
  if (qd.size() != 4 || kd.size() != 4 || vd.size() != 4 || md.size() != 2)
    return ffi::Error::InvalidArgument("midalign_decode_attention: expected q, k, v of rank 4 and a [B, S] mask");
  const int64_t B = qd[0], K = qd[1], G = qd[2], H = qd[3], S = kd[3];
  if (kd[0] != B || kd[1] != K || kd[2] != H || vd[0] != B || vd[1] != K || vd[2] != S || vd[3] != H ||
      md[0] != B || md[1] != S)
    return ffi::Error::InvalidArgument("midalign_decode_attention: q, k, v and mask shapes do not match");
  const float* pq = q.typed_data();
  const float* pk = k.typed_data();
  const float* pv = v.typed_data();
  const bool* pm = mask.typed_data();
  float* po = out->typed_data();
  const int64_t tasks = B * K;
  const int64_t threads = std::max<int64_t>(1, pool.num_threads());
  // A few blocks per thread, so that rows of different fill even out.
  const int64_t nblocks = std::min<int64_t>(tasks, 4 * threads);
  const int64_t span = (tasks + nblocks - 1) / nblocks;
  midalign::RunBlocks(pool, threads, nblocks, [=](int64_t block) {
    std::vector<float> scores(G * S), bias(S);
    const int64_t t1 = std::min(tasks, (block + 1) * span);
    for (int64_t t = block * span; t < t1; ++t) {
      const int64_t b = t / K;
      const bool* mb = pm + b * S;
      int64_t hi = S;
      while (hi > 0 && !mb[hi - 1]) --hi;
      AttendOne(pq + t * G * H, pk + t * H * S, pv + t * S * H, mb, G, H, S, hi, po + t * G * H, scores.data(),
                bias.data());
    }
  });
  return ffi::Error::Success();
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(MidalignDecodeAttention, DecodeAttention,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::PRED>>()
                                  .Ret<ffi::Buffer<ffi::F32>>());
