// The Kiln dialect definition, its tensor type constraints and its enum attributes.
#ifndef KILN_BASE_TD
#define KILN_BASE_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::kiln";
  let summary = "Tensor operations with PyTorch's semantics";
  let description = [{
    The Kiln dialect holds the tensor operations that Kiln's PyTorch-shaped
    front end records. Every op works on ranked tensors whose element type is
    one of `f32`, `f64`, `f16`, `bf16`, `i1` (bool), `i8`, `i32`, `i64` or
    `ui8`. Signless integers are signed (PyTorch's `int8`, `int32`,
    `int64`); `ui8` is `uint8`. The dtype lives in the type, never in the op
    name.

    Binary ops broadcast their operands as NumPy and PyTorch do, but never
    promote types: both operands carry the same element type, and the front
    end inserts `kiln.cast` where PyTorch would promote. Result types are
    inferred from the operands wherever they can be, so builders need only
    operands and the assembly omits the result type; ops whose result type is
    an input (`cast`, `reshape`, `broadcast_to`, `constant`, `splat`) spell
    it out.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// The element types Kiln computes with: PyTorch's dtypes that the runtime backs.
def Kiln_ElementType : AnyTypeOf<[F32, F64, F16, BF16, I1, I8, I32, I64, UI8],
    "Kiln element type (f32, f64, f16, bf16, i1, i8, i32, i64, ui8)">;
def Kiln_FloatElementType : AnyTypeOf<[F32, F64, F16, BF16],
    "Kiln float element type (f32, f64, f16, bf16)">;

def Kiln_Tensor : RankedTensorOf<[Kiln_ElementType]>;
def Kiln_FloatTensor : RankedTensorOf<[Kiln_FloatElementType]>;
def Kiln_BoolTensor : RankedTensorOf<[I1]>;
def Kiln_IndexTensor : RankedTensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Kiln_GeluApproximate : I32EnumAttr<"GeluApproximate",
    "how kiln.gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_GeluApproximateAttr
    : EnumAttr<Kiln_Dialect, Kiln_GeluApproximate, "approximate">;

def Kiln_ReduceKind : I32EnumAttr<"ReduceKind", "the reduction kiln.reduce computes", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"prod", 2>,
      I32EnumAttrCase<"max", 3>,
      I32EnumAttrCase<"min", 4>,
      I32EnumAttrCase<"argmax", 5>,
      I32EnumAttrCase<"argmin", 6>
    ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_ReduceKindAttr : EnumAttr<Kiln_Dialect, Kiln_ReduceKind, "reduce_kind">;

def Kiln_ScatterReduce : I32EnumAttr<"ScatterReduce",
    "how kiln.scatter combines a source value with the destination", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"add", 1>
    ]> {
  let cppNamespace = "::kiln";
  let genSpecializedAttr = 0;
}
def Kiln_ScatterReduceAttr
    : EnumAttr<Kiln_Dialect, Kiln_ScatterReduce, "scatter_reduce">;

#endif // KILN_BASE_TD
