// VJP rule of max_pool2d: each output's cotangent goes to the one window
// element PyTorch's kernels record, found by comparing every window element
// with the result.
#include "dialects/Kiln/IR/KilnVJP.h"

#include <array>
#include <limits>
#include <map>

using namespace mlir;
using namespace kiln;

namespace {

// One window element of a max pooling: `value` holds it for every output
// position, `mask` (null when all are) where it is a real input element, not
// padding, and `offset` is its input row and column minus the output's row and
// column times the stride.
struct PoolTap {
  Value value, mask;
  std::array<int64_t, 2> offset;
};

// The index in `taps` of the window element whose cotangent each output takes,
// as PyTorch's max pooling kernels choose it (`val > max || isnan(val)` over
// the window in row-major order): the first element equal to the maximum, or
// the last NaN when the window holds one (the maximum is NaN then, equal to
// nothing). Padding is -inf, equal to a maximum only when every real element
// is -inf, and never NaN. An output whose window is only padding gets
// taps.size(). The result is i32 of `y`'s shape.
Value maxPoolWinner(VJPBuilder &v, ArrayRef<PoolTap> taps, Value y) {
  auto i32 = IntegerType::get(y.getContext(), 32);
  auto index = [&](int64_t k) {
    return v.create<SplatOp>(RankedTensorType::get({}, i32),
                             IntegerAttr::get(i32, k));
  };
  Value winner = index(taps.size());
  for (size_t k = taps.size(); k-- > 0;) {
    Value eq = v.create<EqOp>(taps[k].value, y);
    if (taps[k].mask)
      eq = v.create<LogicalAndOp>(eq, taps[k].mask);
    winner = v.create<WhereOp>(eq, index(k), winner);
  }
  for (auto [k, tap] : llvm::enumerate(taps))
    winner = v.create<WhereOp>(v.create<NeOp>(tap.value, tap.value), index(k),
                               winner);
  return v.broadcastTo(winner,
                       llvm::cast<RankedTensorType>(y.getType()).clone(i32));
}

int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// The input gradient: output (oh, ow) gives g to input row oh * s + offset[0]
// and column ow * s + offset[1] of its winning tap. Splitting input rows into
// blocks of `s`, that is block oh + floor(offset / s), row offset mod s within
// it: on the grid [N, C, blocks, s0, blocks, s1] every tap's share is `g` (and
// `winner`) shifted by whole blocks, put at one position of the block. Taps
// with the same shift share one select, against a constant holding each tap's
// index at its position: the grid is a sum of elementwise, broadcasting ops,
// with no per-tap padding or interleaving. `taps` is not empty.
Value maxPoolScatter(VJPBuilder &v, MaxPool2dOp op, ArrayRef<PoolTap> taps,
                     Value winner, Value g, ArrayRef<int64_t> stride) {
  RankedTensorType inputType = op.getInput().getType();
  ArrayRef<int64_t> x = inputType.getShape(), y = op.getType().getShape();
  auto block = [&](const PoolTap &tap, int a) {
    return floorDiv(tap.offset[a], stride[a]);
  };
  int64_t first[2], widest[2];
  for (int a = 0; a < 2; ++a) {
    first[a] = widest[a] = block(taps.front(), a);
    for (const PoolTap &tap : taps) {
      first[a] = std::min(first[a], block(tap, a));
      widest[a] = std::max(widest[a], block(tap, a));
    }
    widest[a] -= first[a];
  }
  // Outputs shifted by up to `widest` blocks read padding: no winner, no g.
  const int64_t none[] = {0, 0, widest[0], widest[1]};
  auto i32 = IntegerType::get(inputType.getContext(), 32);
  Value paddedWinner = winner;
  if (widest[0] || widest[1])
    paddedWinner = v.create<PadOp>(
        winner, none, none,
        IntegerAttr::get(i32, static_cast<int64_t>(taps.size())));
  Value paddedG = v.padOrSlice(g, none, none);
  const int64_t paddedShape[] = {
      x[0], x[1], y[2] + 2 * widest[0], 1, y[3] + 2 * widest[1], 1};
  paddedWinner = v.reshape(paddedWinner, paddedShape);
  paddedG = v.reshape(paddedG, paddedShape);

  // Tap indices by shift, at their position in the block (-1 elsewhere).
  auto positionsType =
      RankedTensorType::get({1, 1, 1, stride[0], 1, stride[1]}, i32);
  std::map<std::pair<int64_t, int64_t>, SmallVector<int32_t>> byShift;
  for (auto [k, tap] : llvm::enumerate(taps)) {
    int64_t shift[2], position[2];
    for (int a = 0; a < 2; ++a) {
      shift[a] = block(tap, a) - first[a];
      position[a] = tap.offset[a] - block(tap, a) * stride[a];
    }
    auto &positions = byShift[{shift[0], shift[1]}];
    positions.resize(stride[0] * stride[1], -1);
    positions[position[0] * stride[1] + position[1]] = k;
  }
  int64_t blocks[2] = {y[2] + widest[0], y[3] + widest[1]};
  auto shifted = [&](Value value, std::pair<int64_t, int64_t> shift) {
    return v.sliceDim(v.sliceDim(value, 2, widest[0] - shift.first,
                                 widest[0] - shift.first + blocks[0]),
                      4, widest[1] - shift.second,
                      widest[1] - shift.second + blocks[1]);
  };
  Value grid;
  for (auto &[shift, positions] : byShift) {
    Value taken =
        v.create<EqOp>(shifted(paddedWinner, shift),
                       v.create<ConstantOp>(DenseElementsAttr::get(
                           positionsType, ArrayRef<int32_t>(positions))));
    Value share = v.select(taken, shifted(paddedG, shift));
    grid = grid ? v.add(grid, share) : share;
  }
  grid = v.reshape(grid,
                   {x[0], x[1], blocks[0] * stride[0], blocks[1] * stride[1]});
  const int64_t low[] = {0, 0, first[0] * stride[0], first[1] * stride[1]},
                high[] = {0, 0, x[2] - (first[0] + blocks[0]) * stride[0],
                          x[3] - (first[1] + blocks[1]) * stride[1]};
  return v.padOrSlice(grid, low, high);
}

// Non-overlapping windows (stride == kernel, no dilation, padding or window
// past the edge) tile the input: as [N, C, OH, kH, OW, kW] every window element
// is a slice of that view, all real.
Value maxPoolTiledGrad(VJPBuilder &v, MaxPool2dOp op, Value g) {
  RankedTensorType inputType = op.getInput().getType();
  ArrayRef<int64_t> x = inputType.getShape(), y = op.getType().getShape(),
                    k = op.getKernelSize();
  Value tiles =
      v.reshape(v.sliceDim(v.sliceDim(op.getInput(), 2, 0, y[2] * k[0]), 3, 0,
                           y[3] * k[1]),
                {x[0], x[1], y[2], k[0], y[3], k[1]});
  SmallVector<PoolTap> taps;
  for (int64_t i = 0; i < k[0]; ++i) {
    for (int64_t j = 0; j < k[1]; ++j) {
      const int64_t starts[] = {0, 0, 0, i, 0, j},
                    ends[] = {x[0], x[1], y[2], i + 1, y[3], j + 1},
                    steps[] = {1, 1, 1, 1, 1, 1};
      taps.push_back(
          {v.create<SliceOp>(tiles, starts, ends, steps), Value(), {i, j}});
    }
  }
  Value y6 = v.reshape(op.getResult(), {x[0], x[1], y[2], 1, y[3], 1});
  Value winner = v.reshape(maxPoolWinner(v, taps, y6), y);
  return maxPoolScatter(v, op, taps, winner, g, k);
}

// Any windows: window element (i, j) of every output position is a strided
// slice of the input padded with -inf (and past its end, so that windows
// ceil_mode lets hang over the edge stay in bounds), masked where it reads
// padding.
Value maxPoolGeneralGrad(VJPBuilder &v, MaxPool2dOp op, Value g) {
  RankedTensorType inputType = op.getInput().getType();
  ArrayRef<int64_t> x = inputType.getShape(), y = op.getType().getShape(),
                    k = op.getKernelSize(), s = op.getStride(),
                    p = op.getPadding(), d = op.getDilation();
  // Padded only as far as the last window reaches.
  SmallVector<int64_t> low(4, 0), high(4, 0);
  for (int a = 0; a < 2; ++a) {
    int64_t reach = (y[2 + a] - 1) * s[a] + (k[a] - 1) * d[a] + 1;
    low[2 + a] = p[a];
    high[2 + a] = std::max<int64_t>(0, reach - x[2 + a] - p[a]);
  }
  Value padded = op.getInput();
  if (llvm::any_of(low, [](int64_t n) { return n > 0; }) ||
      llvm::any_of(high, [](int64_t n) { return n > 0; })) {
    auto element = llvm::cast<FloatType>(inputType.getElementType());
    padded = v.create<PadOp>(
        padded, low, high,
        FloatAttr::get(element, -std::numeric_limits<double>::infinity()));
  }

  // Whether output row (or column) o reads a real element through tap t.
  auto real = [&](int a, int64_t o, int64_t t) {
    int64_t at = o * s[a] + t * d[a] - p[a];
    return at >= 0 && at < x[2 + a];
  };
  auto maskType = RankedTensorType::get(
      y.drop_front(2), IntegerType::get(inputType.getContext(), 1));
  auto isSet = [](bool b) { return b; };
  SmallVector<PoolTap> taps;
  for (int64_t i = 0; i < k[0]; ++i) {
    for (int64_t j = 0; j < k[1]; ++j) {
      SmallVector<bool> mask;
      for (int64_t oh = 0; oh < y[2]; ++oh)
        for (int64_t ow = 0; ow < y[3]; ++ow)
          mask.push_back(real(0, oh, i) && real(1, ow, j));
      // A tap that only ever reads padding gets nothing.
      if (llvm::none_of(mask, isSet))
        continue;
      const int64_t starts[] = {0, 0, i * d[0], j * d[1]},
                    ends[] = {x[0], x[1], i * d[0] + (y[2] - 1) * s[0] + 1,
                              j * d[1] + (y[3] - 1) * s[1] + 1},
                    steps[] = {1, 1, s[0], s[1]};
      Value maskValue = llvm::all_of(mask, isSet)
                            ? Value()
                            : v.create<ConstantOp>(DenseElementsAttr::get(
                                  maskType, ArrayRef<bool>(mask)));
      taps.push_back({v.create<SliceOp>(padded, starts, ends, steps),
                      maskValue,
                      {i * d[0] - p[0], j * d[1] - p[1]}});
    }
  }
  if (taps.empty())
    return v.fill(inputType, 0.0);
  Value winner = maxPoolWinner(v, taps, op.getResult());
  return maxPoolScatter(v, op, taps, winner, g, s);
}

} // namespace

// Each output's cotangent goes to the one input element PyTorch's kernels
// record as the window's argmax (maxPoolWinner); overlapping windows add up.
// Windows that tile the input take the cheaper path.
LogicalResult MaxPool2dOp::buildVJP(OpBuilder &b, ValueRange gs,
                                    SmallVectorImpl<Value> &grads) {
  Value g = gs[0];
  if (!g || !isDifferentiable(getInput())) {
    grads.push_back(Value());
    return success();
  }
  VJPBuilder v(b, getLoc());
  ArrayRef<int64_t> x = getInput().getType().getShape(),
                    y = getType().getShape();
  bool tiled = true;
  for (int a = 0; a < 2; ++a)
    tiled &= getStride()[a] == getKernelSize()[a] && getDilation()[a] == 1 &&
             getPadding()[a] == 0 && y[2 + a] * getKernelSize()[a] <= x[2 + a];
  grads.push_back(tiled ? maxPoolTiledGrad(v, *this, g)
                        : maxPoolGeneralGrad(v, *this, g));
  return success();
}
