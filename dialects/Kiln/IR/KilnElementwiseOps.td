// Kiln's elementwise ops: unary math, broadcasting binary arithmetic, comparisons, logic, bitwise ops and where.
#ifndef KILN_ELEMENTWISE_OPS_TD
#define KILN_ELEMENTWISE_OPS_TD

// The bitwise ops work on the bits of integers and bools; shifts, as in
// PyTorch, on integers only.
def Kiln_IntOrBoolElementType : AnyTypeOf<[I1, I8, I32, I64, UI8],
    "Kiln integer or bool element type (i1, i8, i32, i64, ui8)">;
def Kiln_IntElementType : AnyTypeOf<[I8, I32, I64, UI8],
    "Kiln integer element type (i8, i32, i64, ui8)">;
def Kiln_IntOrBoolTensor : RankedTensorOf<[Kiln_IntOrBoolElementType]>;
def Kiln_IntTensor : RankedTensorOf<[Kiln_IntElementType]>;

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

// One result element per operand element, same type as the operand.
// `exampleElement` is the element type the generated example uses;
// `differentiable` attaches the VJP rule (KilnVJPElementwise.cpp).
class Kiln_UnaryOp<string mnemonic, string opSummary, string opDescription,
                   Type operandType = Kiln_Tensor, string exampleElement = "f32",
                   bit differentiable = 1>
    : Kiln_Op<mnemonic, !listconcat(
          [KilnElementwiseOpInterface, InferTypeOpAdaptor],
          !if(differentiable, [KilnDifferentiable], []))> {
  let summary = opSummary;
  // Built from strings, not a code block, so the generated markdown is not
  // indented into a literal block after the one-line opDescription.
  let description = opDescription #
      "\n\nThe result has the operand's type. Example:\n\n```mlir\n%r = kiln." #
      mnemonic # " %x : tensor<4x8x" # exampleElement # ">\n```\n";
  let arguments = (ins operandType:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location>,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      inferred.push_back(adaptor.getInput().getType());
      return ::mlir::success();
    }
  }];
}

// Transcendental functions are only defined on floating-point tensors.
class Kiln_FloatUnaryOp<string mnemonic, string opSummary, string opDescription>
    : Kiln_UnaryOp<mnemonic, opSummary,
                   opDescription # " The operand must have a float element type.",
                   Kiln_FloatTensor>;

def Kiln_NegOp : Kiln_UnaryOp<"neg", "negation", "Computes `-x`; integers wrap.">;
def Kiln_AbsOp : Kiln_UnaryOp<"abs", "absolute value", "Computes `|x|`.">;
def Kiln_ExpOp : Kiln_FloatUnaryOp<"exp", "exponential", "Computes `e^x`.">;
def Kiln_LogOp : Kiln_FloatUnaryOp<"log", "natural logarithm", "Computes `ln(x)`.">;
def Kiln_Log1pOp : Kiln_FloatUnaryOp<"log1p", "log(1 + x)",
    "Computes `ln(1 + x)`, accurate for small `x`.">;
def Kiln_Expm1Op : Kiln_FloatUnaryOp<"expm1", "exp(x) - 1",
    "Computes `e^x - 1`, accurate for small `x`.">;
def Kiln_SqrtOp : Kiln_FloatUnaryOp<"sqrt", "square root", "Computes `sqrt(x)`.">;
def Kiln_RsqrtOp : Kiln_FloatUnaryOp<"rsqrt", "reciprocal square root",
    "Computes `1 / sqrt(x)`.">;
def Kiln_TanhOp : Kiln_FloatUnaryOp<"tanh", "hyperbolic tangent", "Computes `tanh(x)`.">;
def Kiln_SigmoidOp : Kiln_FloatUnaryOp<"sigmoid", "logistic sigmoid",
    "Computes `1 / (1 + e^-x)`.">;
def Kiln_ReluOp : Kiln_UnaryOp<"relu", "rectified linear unit", "Computes `max(x, 0)`.">;
def Kiln_SiluOp : Kiln_FloatUnaryOp<"silu", "sigmoid linear unit",
    "Computes `x * sigmoid(x)`.">;
def Kiln_SinOp : Kiln_FloatUnaryOp<"sin", "sine", "Computes `sin(x)` in radians.">;
def Kiln_CosOp : Kiln_FloatUnaryOp<"cos", "cosine", "Computes `cos(x)` in radians.">;
def Kiln_ErfOp : Kiln_FloatUnaryOp<"erf", "Gauss error function", "Computes `erf(x)`.">;
def Kiln_FloorOp : Kiln_UnaryOp<"floor", "round toward negative infinity",
    "Rounds down; the identity on integers.">;
def Kiln_CeilOp : Kiln_UnaryOp<"ceil", "round toward positive infinity",
    "Rounds up; the identity on integers.">;
def Kiln_RoundOp : Kiln_UnaryOp<"round", "round half to even",
    "Rounds to the nearest integer, ties to even as `torch.round` does; the "
    "identity on integers.">;
def Kiln_SignOp : Kiln_UnaryOp<"sign", "sign",
    "Yields -1, 0 or 1 by the sign of `x`; NaN stays NaN.">;

def Kiln_GeluOp : Kiln_FloatUnaryOp<"gelu", "Gaussian error linear unit",
    "Computes `x * Phi(x)`, with `Phi` the standard normal CDF; "
    "`approximate tanh` uses PyTorch's tanh approximation instead of `erf`."> {
  let arguments = (ins Kiln_FloatTensor:$input,
      DefaultValuedAttr<Kiln_GeluApproximateAttr,
                        "::kiln::GeluApproximate::none">:$approximate);
  let assemblyFormat = [{
    $input (`approximate` `` $approximate^)? attr-dict `:` type($input)
  }];
}

def Kiln_LogicalNotOp
    : Kiln_Op<"logical_not", [KilnElementwiseOpInterface, InferTypeOpAdaptor]> {
  let summary = "logical negation";
  let description = [{
    Yields `true` where the operand is zero (or `false`) and `false`
    elsewhere. Any element type is accepted; the result is an `i1` tensor of
    the operand's shape.

    ```mlir
    %r = kiln.logical_not %x : tensor<4xf32>   // tensor<4xi1>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Kiln_BitwiseNotOp : Kiln_UnaryOp<"bitwise_not", "bitwise not",
    "Computes `~x`, flipping every bit; on `i1` it is logical not. The operand "
    "must have an integer or bool element type.",
    Kiln_IntOrBoolTensor, "i32", /*differentiable=*/0> {
  let results = (outs Kiln_IntOrBoolTensor:$result);
}

//===----------------------------------------------------------------------===//
// Binary (broadcasting)
//===----------------------------------------------------------------------===//

// Both operands share an element type and broadcast NumPy-style; `boolResult`
// makes the result element type i1 (comparisons and logic). `exampleElement`
// is the element type the generated example uses. Ops with `differentiable`
// set and no `boolResult` (the arithmetic ones) carry a VJP rule.
class Kiln_BinaryOp<string mnemonic, string opSummary, string opDescription,
                    bit boolResult = 0, Type operandType = Kiln_Tensor,
                    string exampleElement = "f32", bit differentiable = 1>
    : Kiln_Op<mnemonic, !listconcat(
          [KilnElementwiseOpInterface, InferTypeOpAdaptor],
          !if(!and(differentiable, !not(boolResult)),
              [KilnDifferentiable], []))> {
  let summary = opSummary;
  let description = opDescription #
      "\n\nThe operands must have the same element type and broadcastable "
      "shapes (NumPy/PyTorch rules: align trailing dimensions; sizes must match "
      "or one of them be 1). The result shape is the broadcast shape. "
      "Example:\n\n```mlir\n%r = kiln." # mnemonic # " %a, %b : tensor<4x1x" #
      exampleElement # ">, tensor<1x8x" # exampleElement # ">\n```\n";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::kiln::inferBroadcastResultType(
          location, getOperationName(), adaptor.getOperands(),
          /*boolResult=*/}] # !if(boolResult, "true", "false") # [{, inferred);
    }
  }];
}

def Kiln_AddOp : Kiln_BinaryOp<"add", "addition", "Computes `lhs + rhs`."> {
  let hasFolder = 1;
}
def Kiln_SubOp : Kiln_BinaryOp<"sub", "subtraction", "Computes `lhs - rhs`."> {
  let hasFolder = 1;
}
def Kiln_MulOp : Kiln_BinaryOp<"mul", "multiplication", "Computes `lhs * rhs`."> {
  let hasFolder = 1;
}
def Kiln_DivOp : Kiln_BinaryOp<"div", "division",
    "Computes `lhs / rhs`. On integers the quotient is truncated toward zero "
    "(C semantics); PyTorch's true division of integers is expressed by the "
    "front end casting both operands to a float type first."> {
  let hasFolder = 1;
}
def Kiln_PowOp : Kiln_BinaryOp<"pow", "power", "Computes `lhs ^ rhs`.">;
def Kiln_MaximumOp : Kiln_BinaryOp<"maximum", "elementwise maximum",
    "Computes `max(lhs, rhs)`; NaN propagates as in `torch.maximum`.">;
def Kiln_MinimumOp : Kiln_BinaryOp<"minimum", "elementwise minimum",
    "Computes `min(lhs, rhs)`; NaN propagates as in `torch.minimum`.">;
def Kiln_RemainderOp : Kiln_BinaryOp<"remainder", "Python-style remainder",
    "Computes `lhs - floor(lhs / rhs) * rhs`: the result has the sign of "
    "`rhs`, as `torch.remainder` does.">;

def Kiln_EqOp : Kiln_BinaryOp<"eq", "equal", "Yields `lhs == rhs` as `i1`.", 1>;
def Kiln_NeOp : Kiln_BinaryOp<"ne", "not equal", "Yields `lhs != rhs` as `i1`.", 1>;
def Kiln_LtOp : Kiln_BinaryOp<"lt", "less than", "Yields `lhs < rhs` as `i1`.", 1>;
def Kiln_LeOp : Kiln_BinaryOp<"le", "less or equal", "Yields `lhs <= rhs` as `i1`.", 1>;
def Kiln_GtOp : Kiln_BinaryOp<"gt", "greater than", "Yields `lhs > rhs` as `i1`.", 1>;
def Kiln_GeOp : Kiln_BinaryOp<"ge", "greater or equal",
    "Yields `lhs >= rhs` as `i1`.", 1>;

def Kiln_LogicalAndOp : Kiln_BinaryOp<"logical_and", "logical and",
    "Yields `(lhs != 0) and (rhs != 0)` as `i1`.", 1>;
def Kiln_LogicalOrOp : Kiln_BinaryOp<"logical_or", "logical or",
    "Yields `(lhs != 0) or (rhs != 0)` as `i1`.", 1>;
def Kiln_LogicalXorOp : Kiln_BinaryOp<"logical_xor", "logical exclusive or",
    "Yields `(lhs != 0) != (rhs != 0)` as `i1`.", 1>;

// Bitwise logic: integer or bool operands, the result has their element type.
class Kiln_BitwiseBinaryOp<string mnemonic, string opSummary, string opDescription>
    : Kiln_BinaryOp<mnemonic, opSummary,
                    opDescription # " The operands must have an integer or bool "
                    "element type; the result has that element type.",
                    0, Kiln_IntOrBoolTensor, "i32", /*differentiable=*/0> {
  let results = (outs Kiln_IntOrBoolTensor:$result);
}

def Kiln_BitwiseAndOp : Kiln_BitwiseBinaryOp<"bitwise_and", "bitwise and",
    "Computes `lhs & rhs`; on `i1` it is logical and.">;
def Kiln_BitwiseOrOp : Kiln_BitwiseBinaryOp<"bitwise_or", "bitwise or",
    "Computes `lhs | rhs`; on `i1` it is logical or.">;
def Kiln_BitwiseXorOp : Kiln_BitwiseBinaryOp<"bitwise_xor", "bitwise exclusive or",
    "Computes `lhs ^ rhs`; on `i1` it is logical exclusive or.">;

// Shifts of integers by per-element amounts of the same type.
class Kiln_ShiftOp<string mnemonic, string opSummary, string opDescription>
    : Kiln_BinaryOp<mnemonic, opSummary,
                    opDescription # " The operands must have an integer element "
                    "type (not `i1`); the result has that element type.",
                    0, Kiln_IntTensor, "i32", /*differentiable=*/0> {
  let results = (outs Kiln_IntTensor:$result);
}

def Kiln_ShiftLeftOp : Kiln_ShiftOp<"shift_left", "bitwise left shift",
    "Computes `lhs << rhs` as `torch.bitwise_left_shift` does: bits shifted "
    "past the top are lost (the result wraps), and an amount outside "
    "`[0, bit width)` (a negative one included) yields 0.">;
def Kiln_ShiftRightOp : Kiln_ShiftOp<"shift_right", "bitwise right shift",
    "Computes `lhs >> rhs` as `torch.bitwise_right_shift` does: arithmetic "
    "(sign-filling) on the signed types, logical on `ui8`. An amount outside "
    "`[0, bit width)` (a negative one included) yields the sign fill: -1 for "
    "a negative signed `lhs`, 0 otherwise.">;

def Kiln_WhereOp
    : Kiln_Op<"where", [KilnElementwiseOpInterface, InferTypeOpAdaptor,
                        KilnDifferentiable]> {
  let summary = "select between two tensors by a condition";
  let description = [{
    Yields `x` where `cond` is true and `y` elsewhere. `cond` is an `i1`
    tensor; `x` and `y` share an element type. All three shapes broadcast
    together into the result shape.

    ```mlir
    %r = kiln.where %c, %x, %y : tensor<4x1xi1>, tensor<8xf32>, tensor<1xf32>
    // -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Kiln_BoolTensor:$cond, Kiln_Tensor:$x, Kiln_Tensor:$y);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $x `,` $y attr-dict `:` type($cond) `,` type($x) `,` type($y)
  }];
}

#endif // KILN_ELEMENTWISE_OPS_TD
