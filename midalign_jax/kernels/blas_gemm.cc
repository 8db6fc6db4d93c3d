// A float32 matmul handed to a CBLAS library (OpenBLAS as bundled with numpy) through XLA's FFI, for the CPU
// backend, whose own dot runs the model's projection shapes slower than that library (bench/README.md).
//
// The BLAS function is not linked: Python finds it and passes its address once through
// midalign_blas_set_sgemm. The address lives in this process only, so it is never put into the HLO, where a
// persistent compilation cache could carry it into another process.
//
// Threads: the product is split into row or column blocks that run on XLA's own intra-op pool, each a single-threaded
// sgemm. Letting the library start its own threads instead puts two pools on the same cores, and XLA's
// spinning workers then slow the library's (the train step ran slower than with XLA's dot that way,
// bench/README.md).
#include <algorithm>
#include <cstdint>

#include "thread_blocks.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

using Sgemm64 = void (*)(int, int, int, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                         int64_t, float, float*, int64_t);
using Sgemm32 = void (*)(int, int, int, int32_t, int32_t, int32_t, float, const float*, int32_t, const float*,
                         int32_t, float, float*, int32_t);

using SetLocalThreads = int (*)(int);

void* g_sgemm = nullptr;
int g_int_bits = 0;
SetLocalThreads g_set_local_threads = nullptr;

void Sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
           int64_t ldb, float* c, int64_t ldc) {
  if (g_int_bits == 64) {
    reinterpret_cast<Sgemm64>(g_sgemm)(kRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  } else {
    reinterpret_cast<Sgemm32>(g_sgemm)(kRowMajor, ta, tb, static_cast<int32_t>(m), static_cast<int32_t>(n),
                                       static_cast<int32_t>(k), 1.0f, a, static_cast<int32_t>(lda), b,
                                       static_cast<int32_t>(ldb), 0.0f, c, static_cast<int32_t>(ldc));
  }
}

// C[batch] = op(A[batch]) @ op(B[batch or shared]); op transposes the trailing two dims when asked. A and B
// are row-major with their leading dims as a batch; B may have no batch dims (one weight for every batch).
ffi::Error Gemm(ffi::ThreadPool pool, ffi::Buffer<ffi::F32> a, ffi::Buffer<ffi::F32> b,
                ffi::ResultBuffer<ffi::F32> c, int64_t trans_a, int64_t trans_b) {
  if (g_sgemm == nullptr) return ffi::Error::InvalidArgument("midalign_blas_gemm: no sgemm was registered");
  auto ad = a.dimensions(), bd = b.dimensions(), cd = c->dimensions();
  if (ad.size() < 2 || bd.size() < 2 || cd.size() != ad.size())
    return ffi::Error::InvalidArgument("midalign_blas_gemm: operands need at least two dims");
  const int64_t ra = ad[ad.size() - 2], ca = ad[ad.size() - 1];
  const int64_t rb = bd[bd.size() - 2], cb = bd[bd.size() - 1];
  const int64_t m = trans_a ? ca : ra, k = trans_a ? ra : ca;
  const int64_t kb = trans_b ? cb : rb, n = trans_b ? rb : cb;
  if (k != kb || cd[cd.size() - 2] != m || cd[cd.size() - 1] != n)
    return ffi::Error::InvalidArgument("midalign_blas_gemm: contracted or output dims do not match");
  int64_t batch = 1;
  for (size_t i = 0; i + 2 < ad.size(); ++i) batch *= ad[i];
  const bool shared_b = bd.size() == 2;
  if (!shared_b && bd.size() != ad.size())
    return ffi::Error::InvalidArgument("midalign_blas_gemm: B must have A's batch dims or none");
  const int ta = trans_a ? kTrans : kNoTrans, tb = trans_b ? kTrans : kNoTrans;
  const float* pa = a.typed_data();
  const float* pb = b.typed_data();
  float* pc = c->typed_data();
  // Blocks of C: by rows when there are enough of them, else by columns (a decode step has a few rows and a wide
  // output head). Rows of a plain A are its rows and rows of a transposed A its columns, so a row block starts
  // at row r0 or at column r0 of the same buffer, with the same leading dimension; likewise for B's columns.
  const int64_t threads = g_set_local_threads ? std::max<int64_t>(1, pool.num_threads()) : 1;
  const int64_t want = (threads + batch - 1) / batch;
  const bool by_rows = m >= 64 * want || m >= n;
  const int64_t extent = by_rows ? m : n;
  const int64_t per_batch = std::max<int64_t>(1, std::min<int64_t>(want, extent / (by_rows ? 64 : 256)));
  const int64_t span = (extent + per_batch - 1) / per_batch;
  midalign::RunBlocks(pool, threads, batch * per_batch, [=](int64_t i) {
    const int64_t bi = i / per_batch, e0 = (i % per_batch) * span, e1 = std::min(extent, e0 + span);
    if (e0 >= e1) return;
    const int previous = g_set_local_threads ? g_set_local_threads(1) : 0;
    const float* ai = pa + bi * ra * ca;
    const float* bb = shared_b ? pb : pb + bi * rb * cb;
    float* ci = pc + bi * m * n;
    if (by_rows) {
      Sgemm(ta, tb, e1 - e0, n, k, ai + (trans_a ? e0 : e0 * ca), ca, bb, cb, ci + e0 * n, n);
    } else {
      Sgemm(ta, tb, m, e1 - e0, k, ai, ca, bb + (trans_b ? e0 * cb : e0), cb, ci + e0, n);
    }
    if (g_set_local_threads) g_set_local_threads(previous);
  });
  return ffi::Error::Success();
}

}  // namespace

// set_local_threads: the library's per-thread thread count (OpenBLAS openblas_set_num_threads_local), or null,
// in which case every product is one call and the library threads it itself.
extern "C" void midalign_blas_set_sgemm(void* fn, int int_bits, void* set_local_threads) {
  g_sgemm = fn;
  g_int_bits = int_bits;
  g_set_local_threads = reinterpret_cast<SetLocalThreads>(set_local_threads);
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(MidalignBlasGemm, Gemm,
                              ffi::Ffi::Bind()
                                  .Ctx<ffi::ThreadPool>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Attr<int64_t>("trans_a")
                                  .Attr<int64_t>("trans_b"));
