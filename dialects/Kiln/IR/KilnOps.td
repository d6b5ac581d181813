// The operations of the Kiln dialect: constants, casts, shape ops, reductions, matmul, convolution, pooling, indexing.
#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "dialects/Kiln/IR/KilnBase.td"
include "dialects/Kiln/IR/KilnInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Every Kiln op is a pure function of its operands.
class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, !listconcat([Pure], traits)>;

include "dialects/Kiln/IR/KilnElementwiseOps.td"

//===----------------------------------------------------------------------===//
// Constants and casts
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant", [ConstantLike, InferTypeOpAdaptor,
                                          KilnDifferentiable]> {
  let summary = "a tensor constant";
  let description = [{
    Materializes an elements attribute as a tensor; the result type is the
    attribute's type.

    ```mlir
    %c = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Kiln_SplatOp : Kiln_Op<"splat", [ConstantLike, KilnDifferentiable]> {
  let summary = "a tensor filled with one scalar";
  let description = [{
    Fills the result type with the scalar `value`: a `FloatAttr` of the
    element type for float tensors, an `IntegerAttr` of the element type for
    integer and bool tensors. It is the short form of a constant fill and
    folds to a splat elements attribute, which stores one element whatever
    the shape.

    ```mlir
    %z = kiln.splat 0.000000e+00 : f32 -> tensor<128x256xf32>
    %t = kiln.splat true -> tensor<4xi1>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$value attr-dict `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_CastOp : Kiln_Op<"cast", [KilnElementwiseOpInterface, KilnDifferentiable]> {
  let summary = "element type conversion";
  let description = [{
    Converts every element to the result's element type; shapes are equal.
    Float to integer truncates toward zero, anything to `i1` tests for
    non-zero, as `Tensor.to(dtype)` does.

    ```mlir
    %i = kiln.cast %x : tensor<4xf32> to tensor<4xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def Kiln_BroadcastToOp : Kiln_Op<"broadcast_to", [KilnDifferentiable]> {
  let summary = "broadcast to an explicit shape";
  let description = [{
    Expands the operand to the result type by NumPy broadcasting: trailing
    dimensions align, and each operand size equals the result's or is 1.
    Element types are equal.

    ```mlir
    %b = kiln.broadcast_to %x : tensor<1x8xf32> to tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_ReshapeOp : Kiln_Op<"reshape", [KilnDifferentiable]> {
  let summary = "reshape to an explicit static shape";
  let description = [{
    Reinterprets the elements, in row-major order, with the result's shape.
    Both shapes are static with equal element counts; element types are equal.

    ```mlir
    %r = kiln.reshape %x : tensor<4x8xf32> to tensor<32xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kiln_PermuteOp : Kiln_Op<"permute", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "permute dimensions";
  let description = [{
    Result dimension `i` is operand dimension `dims[i]`, as in
    `Tensor.permute(*dims)`. `dims` is a permutation of `0..rank-1`.

    ```mlir
    %t = kiln.permute %x [1, 0] : tensor<4x8xf32>   // tensor<8x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input $dims attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Kiln_SliceOp : Kiln_Op<"slice", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "strided slice";
  let description = [{
    Takes elements `start[d], start[d] + step[d], ...` below `end[d]` along
    every dimension `d`. Indices are already normalized by the front end:
    `0 <= start <= end <= size` and `step >= 1`. The result size along `d` is
    `ceil((end - start) / step)`.

    ```mlir
    %s = kiln.slice %x start [0, 1] end [4, 8] step [1, 2] : tensor<4x8xf32>
    // -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$start,
                   DenseI64ArrayAttr:$end, DenseI64ArrayAttr:$step);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `start` $start `end` $end `step` $step attr-dict `:` type($input)
  }];
}

def Kiln_ConcatOp : Kiln_Op<"concat", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "concatenate along a dimension";
  let description = [{
    Joins one or more tensors of equal rank and element type along `dim`;
    all other sizes must agree.

    ```mlir
    %c = kiln.concat %a, %b dim 1 : tensor<4x3xf32>, tensor<4x5xf32>
    // -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$inputs `dim` $dim attr-dict `:` type($inputs)";
}

def Kiln_PadOp : Kiln_Op<"pad", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "constant padding";
  let description = [{
    Adds `low[d]` elements before and `high[d]` after dimension `d`, filled
    with `value` (a scalar attribute of the element type, zero when absent).

    ```mlir
    %p = kiln.pad %x low [0, 1] high [2, 1] : tensor<4x8xf32>   // tensor<6x10xf32>
    %q = kiln.pad %x low [1] high [1] {value = -1 : i64} : tensor<3xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$low,
                   DenseI64ArrayAttr:$high, OptionalAttr<TypedAttrInterface>:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `low` $low `high` $high attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def Kiln_ReduceOp : Kiln_Op<"reduce", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "reduce over dimensions";
  let description = [{
    Reduces `input` over `dims` (unique, in range; empty means every
    dimension) with `kind`. The reduced dimensions are dropped unless
    `keepdim` is present, which keeps them with size 1. `mean` requires a
    float element type. `argmax` and `argmin` reduce exactly one dimension,
    or, with empty `dims`, the flattened tensor as `torch.argmax(x)` does,
    and yield `i64` indices; the other kinds keep the element type.

    ```mlir
    %s = kiln.reduce sum %x dims [1] : tensor<4x8xf32>            // tensor<4xf32>
    %m = kiln.reduce max %x dims [0, 1] keepdim : tensor<4x8xf32> // tensor<1x1xf32>
    %i = kiln.reduce argmax %x dims [] : tensor<4x8xf32>          // tensor<i64>
    ```
  }];
  let arguments = (ins Kiln_ReduceKindAttr:$kind, Kiln_Tensor:$input,
                   DenseI64ArrayAttr:$dims, UnitAttr:$keepdim);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    `` $kind $input `dims` $dims (`keepdim` $keepdim^)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution and pooling
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "batched matrix product";
  let description = [{
    Multiplies `lhs` of shape `[..., M, K]` by `rhs` of shape `[..., K, N]`
    into `[..., M, N]`. Both have rank >= 2 and the same element type; the
    leading batch dimensions broadcast. (The front end reshapes 1-D operands
    of `torch.matmul` into matrices.)

    ```mlir
    %y = kiln.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x5xf32>  // tensor<2x4x5xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$lhs, Kiln_Tensor:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def Kiln_Conv2dOp : Kiln_Op<"conv2d", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "2-D convolution (NCHW)";
  let description = [{
    `torch.nn.functional.conv2d`: `input` is `[N, C, H, W]`, `weight` is
    `[O, C / groups, kH, kW]`, the optional `bias` is `[O]`. `stride`,
    `padding` (symmetric, per H and W) and `dilation` have two entries each.
    `C` and `O` must be divisible by `groups`. The output is `[N, O, Ho, Wo]`
    with `Ho = (H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0] + 1`
    (and likewise for `Wo`).

    ```mlir
    %y = kiln.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1
        : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
    // -> tensor<8x16x32x32xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_Tensor:$weight,
                   Optional<Kiln_Tensor>:$bias, DenseI64ArrayAttr:$stride,
                   DenseI64ArrayAttr:$padding, DenseI64ArrayAttr:$dilation,
                   I64Attr:$groups);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $stride `padding` $padding
    `dilation` $dilation `groups` $groups attr-dict
    `:` type($input) `,` type($weight) (`,` type($bias)^)?
  }];
}

def Kiln_MaxPool2dOp : Kiln_Op<"max_pool2d", [InferTypeOpAdaptor,
                                              KilnDifferentiable]> {
  let summary = "2-D max pooling (NCHW)";
  let description = [{
    `torch.nn.functional.max_pool2d` on an `[N, C, H, W]` input; padding is
    implicitly negative infinity and at most half the kernel size. With
    `ceil_mode` the output size rounds up, except that a window starting in
    the right padding is dropped, as in PyTorch. Its VJP gives each output's
    cotangent to one input element, the one PyTorch's index records: the first
    maximum of the window in row-major order, or its last NaN.

    ```mlir
    %y = kiln.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1]
        : tensor<1x3x8x8xf32>   // tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$kernel_size,
                   DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                   DenseI64ArrayAttr:$dilation, UnitAttr:$ceil_mode);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `kernel` $kernel_size `stride` $stride `padding` $padding
    `dilation` $dilation (`ceil_mode` $ceil_mode^)? attr-dict `:` type($input)
  }];
}

def Kiln_AvgPool2dOp : Kiln_Op<"avg_pool2d", [InferTypeOpAdaptor,
                                              KilnDifferentiable]> {
  let summary = "2-D average pooling (NCHW)";
  let description = [{
    `torch.nn.functional.avg_pool2d` on a float `[N, C, H, W]` input. Padding
    is at most half the kernel size. `count_include_pad` divides by the full
    window size including padded elements (PyTorch's default, so the front
    end sets it unless told otherwise); without it only real elements count.

    ```mlir
    %y = kiln.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] ceil_mode count_include_pad
        : tensor<1x3x8x8xf32>   // tensor<1x3x5x5xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$input, DenseI64ArrayAttr:$kernel_size,
                   DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                   UnitAttr:$ceil_mode, UnitAttr:$count_include_pad);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $input `kernel` $kernel_size `stride` $stride `padding` $padding
    (`ceil_mode` $ceil_mode^)? (`count_include_pad` $count_include_pad^)?
    attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

def Kiln_GatherOp : Kiln_Op<"gather", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "gather along a dimension";
  let description = [{
    `torch.gather`: `result[i][j][k] = input[index[i][j][k]][j][k]` for
    `dim = 0`, and likewise for other dimensions. `index` is `i64` of the
    input's rank and no larger than the input in any dimension but `dim`;
    the result has the index's shape and the input's element type.

    ```mlir
    %g = kiln.gather %x, %idx dim 1 : tensor<4x8xf32>, tensor<4x2xi64>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IndexTensor:$index, I64Attr:$dim);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $index `dim` $dim attr-dict `:` type($input) `,` type($index)
  }];
}

def Kiln_ScatterOp : Kiln_Op<"scatter", [InferTypeOpAdaptor, KilnDifferentiable]> {
  let summary = "scatter along a dimension";
  let description = [{
    `torch.scatter` / `scatter_add` without mutation: a copy of `input` in
    which `result[index[i][j]][j] = src[i][j]` (for `dim = 0`), or `+=` with
    `reduce add`. `index` is `i64`; `input`, `index` and `src` have one rank;
    each index size is at most `src`'s, and at most `input`'s except along
    `dim`. The result has the input's type.

    ```mlir
    %s = kiln.scatter %x, %idx, %src dim 0 reduce add
        : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_IndexTensor:$index,
                   Kiln_Tensor:$src, I64Attr:$dim,
                   DefaultValuedAttr<Kiln_ScatterReduceAttr,
                                     "::kiln::ScatterReduce::none">:$reduce);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $index `,` $src `dim` $dim (`reduce` `` $reduce^)? attr-dict
    `:` type($input) `,` type($index) `,` type($src)
  }];
}

#endif // KILN_OPS_TD
