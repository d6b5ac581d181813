// Optimizer updates recorded from C++: the ops kiln.optim's Python loop would
// record for one parameter, in one call instead of one Python call per op.
// They are recorded, not run, and fuse with the next step's program as any
// recorded op; their numerics are those of the same ops recorded from Python.
#pragma once

#include "lib/Trace/Trace.h"

namespace kiln::trace {

struct AdadeltaOptions {
  double rho = 0.9;
  double eps = 1e-6;
  double weightDecay = 0;
  bool maximize = false;
};

// torch.optim.Adadelta for one parameter (grad mode must be off):
//   step += 1; g = -grad if maximize else grad; g += weightDecay * param;
//   squareAvg = squareAvg * rho + g * g * (1 - rho);
//   delta = sqrt(accDelta + eps) / sqrt(squareAvg + eps) * g;
//   accDelta = accDelta * rho + delta * delta * (1 - rho);
//   param -= delta * lr.
void adadeltaUpdate(LazyTensor &param, const LazyTensor &grad, LazyTensor &squareAvg,
                    LazyTensor &accDelta, LazyTensor &step, const LazyTensor &lr,
                    const AdadeltaOptions &options);

} // namespace kiln::trace
