"""Matrix products, einsum, triangles and diagonals, sorting, and kiln.linalg, composed from kiln._C's recorders.

Products go to kiln.matmul (_C._matmul); einsum lowers every contraction to permutes, reshapes and one batched
matmul per operand pair; tril/triu mask with row/column iotas recorded as constants, so a program's key depends on
the shape only; sort and topk are the C++ eager kernels (_C._sort, _C._topk).
"""

import builtins
import math
import sys
import types

from kiln._registry import exporter
from kiln import _C
from kiln._ops import _SCALAR_NAMES, _assign_result
from kiln._reductions import _MAX, _MIN, _SUM, _dim_list, _reduced, norm_over, return_type, wrap_dim

FUNCTIONS = {}
METHODS = {}

_Sort = return_type("sort", ["values", "indices"])
_Topk = return_type("topk", ["values", "indices"])


_export = exporter(FUNCTIONS, METHODS)


def _check_tensor(op, name, value):
    if not isinstance(value, _C.Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def _shape_text(t):
    return "x".join(map(str, t.shape))


# -------------------------------------------------------------------------------------------------------- products


@_export("matmul")
def matmul(input, other):
    """torch.matmul: dot, matrix-vector, matrix-matrix or broadcast batched product by the operands' ranks."""
    _check_tensor("matmul", "input", input)
    _check_tensor("matmul", "other", other)
    result = _C._matmul(input, other)
    if input.shape[-1] == 0:
        # An empty contraction is all zeros (kiln.matmul with K = 0 is not handed to the compiler).
        return _C._full(list(result.shape), 0, result.dtype)
    return result


def _same_dtype(op, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}(): expected m1 and m2 to have the same dtype, but got: "
                           f"{_SCALAR_NAMES[a.dtype]} != {_SCALAR_NAMES[b.dtype]}")


@_export("mm")
def mm(input, mat2):
    """Matrix product of two 2-D tensors (no broadcasting)."""
    _check_tensor("mm", "input", input)
    _check_tensor("mm", "mat2", mat2)
    if input.dim() != 2:
        raise RuntimeError(f"mm(): self must be a matrix, got {input.dim()}-D")
    if mat2.dim() != 2:
        raise RuntimeError(f"mm(): mat2 must be a matrix, got {mat2.dim()}-D")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm(): mat1 and mat2 shapes cannot be multiplied ({_shape_text(input)} and "
                           f"{_shape_text(mat2)})")
    _same_dtype("mm", input, mat2)
    return matmul(input, mat2)


@_export("bmm")
def bmm(input, mat2):
    """Batched matrix product of [b, n, k] and [b, k, m] tensors (no broadcasting)."""
    _check_tensor("bmm", "input", input)
    _check_tensor("bmm", "mat2", mat2)
    if input.dim() != 3:
        raise RuntimeError(f"bmm(): batch1 must be a 3D tensor, got {input.dim()}-D")
    if mat2.dim() != 3:
        raise RuntimeError(f"bmm(): batch2 must be a 3D tensor, got {mat2.dim()}-D")
    b, _, k = input.shape
    if tuple(mat2.shape[:2]) != (b, k):
        raise RuntimeError(f"bmm(): Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but "
                           f"got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    _same_dtype("bmm", input, mat2)
    return matmul(input, mat2)


@_export("mv")
def mv(input, vec):
    _check_tensor("mv", "input", input)
    _check_tensor("mv", "vec", vec)
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"mv(): vector + matrix @ vector expected, got {input.dim()}, {vec.dim()}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"mv(): size mismatch, got mat ({_shape_text(input)}), vec ({vec.shape[0]})")
    _same_dtype("mv", input, vec)
    return matmul(input, vec)


@_export("dot")
def dot(input, tensor):
    """Inner product of two 1-D tensors of one dtype."""
    _check_tensor("dot", "input", input)
    _check_tensor("dot", "tensor", tensor)
    if input.dim() != 1 or tensor.dim() != 1:
        raise RuntimeError(f"dot(): 1D tensors expected, but got {input.dim()}D and {tensor.dim()}D tensors")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"dot(): inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{tensor.shape[0]}] to have the same number of elements, but got {input.shape[0]} and "
                           f"{tensor.shape[0]} elements respectively")
    if input.dtype != tensor.dtype:
        raise RuntimeError(f"dot(): expected both vectors to have same dtype, but found "
                           f"{_SCALAR_NAMES[input.dtype]} and {_SCALAR_NAMES[tensor.dtype]}")
    return matmul(input, tensor)



@_export("outer", "ger")
def outer(input, vec2):
    """The outer product input[i] * vec2[j] of two 1-D tensors, with type promotion."""
    _check_tensor("outer", "input", input)
    _check_tensor("outer", "vec2", vec2)
    for name, t in (("self", input), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer(): Expected 1-D argument {name}, but got {t.dim()}-D")
    return input.reshape(-1, 1) * vec2


def _scaled_sum(op, input, product, beta, alpha):
    """beta * input + alpha * product, with input broadcast to the product (beta = 0 ignores input, NaN included)."""
    if alpha != 1:
        product = product * alpha
    shape = tuple(_C._broadcast_shapes(op, tuple(input.shape), tuple(product.shape)))
    if shape != tuple(product.shape):
        raise RuntimeError(f"{op}(): input of shape {list(input.shape)} cannot be broadcast to the product's shape "
                           f"{list(product.shape)}")
    if beta == 0:
        return _C._cast(product, _C._result_type([input, product]))
    return (input if beta == 1 else input * beta) + product


@_export("addmm")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


@_export("baddbmm")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


@_export("tensordot", method=False)
def tensordot(a, b, dims=2):
    """Contracts dims[0] of `a` with dims[1] of `b` (an int n means a's last n with b's first n)."""
    if hasattr(dims, "__index__"):
        n = dims.__index__()
        if n < 0:
            raise RuntimeError(f"tensordot(): tensordot expects dims >= 0, but got dims={n}")
        dims_a, dims_b = list(range(a.dim() - n, a.dim())), list(range(n))
    else:
        dims_a, dims_b = ([d] if hasattr(d, "__index__") else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("tensordot(): both dimension lists should have same length")
    dims_a = [wrap_dim("tensordot", d, a.dim()) for d in dims_a]
    dims_b = [wrap_dim("tensordot", d, b.dim()) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot(): contracted dimensions need to match, but first has size "
                               f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.dim()) if d not in dims_a]
    free_b = [d for d in range(b.dim()) if d not in dims_b]
    k = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(*free_a, *dims_a).reshape(math.prod(a.shape[d] for d in free_a), k)
    right = b.permute(*dims_b, *free_b).reshape(k, math.prod(b.shape[d] for d in free_b))
    return matmul(left, right).reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


# ---------------------------------------------------------------------------------------------------------- einsum


def _parse_term(term, position):
    """'ab...c' -> ['a', 'b', '...', 'c'], checking the subscript characters."""
    labels, i = [], 0
    while i < len(term):
        if term.startswith("...", i):
            if "..." in labels:
                raise RuntimeError("einsum(): found more than one ellipsis ('...') in one operand")
            labels.append("...")
            i += 3
        elif term[i].isascii() and term[i].isalpha():
            labels.append(term[i])
            i += 1
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {position + i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
    return labels


def _expand_ellipsis(labels, ndim, index, ell_rank):
    """Replaces '...' by the integer labels of the broadcast dims it covers (right-aligned across operands)."""
    named = len(labels) - (1 if "..." in labels else 0)
    if "..." not in labels:
        if named != ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({ndim}) for operand {index} and no ellipsis was given")
        return labels
    if named > ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more than the number "
                           f"of dimensions ({ndim}) for operand {index}")
    covered = ndim - named
    at = labels.index("...")
    return labels[:at] + list(range(ell_rank - covered, ell_rank)) + labels[at + 1:]


def _take_diagonals(x, labels, index):
    """A label repeated within one operand ('ii->i') selects the diagonal of those dims."""
    while True:
        repeated = next((lab for lab in labels if labels.count(lab) > 1), None)
        if repeated is None:
            return x, labels
        d1 = labels.index(repeated)
        d2 = labels.index(repeated, d1 + 1)
        if x.shape[d1] != x.shape[d2]:
            raise RuntimeError(f"einsum(): subscript {repeated} is repeated for operand {index} but the sizes don't "
                               f"match, {x.shape[d1]} != {x.shape[d2]}")
        x = diagonal(x, 0, d1, d2)
        labels = [lab for i, lab in enumerate(labels) if i not in (d1, d2)] + [repeated]


def _sum_out(x, labels, keep):
    dims = [i for i, lab in enumerate(labels) if lab not in keep]
    if not dims:
        return x, labels
    return _C._reduce("einsum", _SUM, x, dims, False, x.dtype), [lab for lab in labels if lab in keep]


def _contract(a, la, b, lb, keep):
    """sum over the labels shared by a and b but not in `keep`, as one batched matmul; labels: batch, a's, b's."""
    a, la = _sum_out(a, la, keep | set(lb))
    b, lb = _sum_out(b, lb, keep | set(la))
    batch = [lab for lab in la if lab in lb and lab in keep]
    summed = [lab for lab in la if lab in lb and lab not in keep]
    left = [lab for lab in la if lab not in lb]
    right = [lab for lab in lb if lab not in la]
    size = {}
    for lab in batch + summed:
        size[lab] = builtins.max(a.shape[la.index(lab)], b.shape[lb.index(lab)])
    size.update({lab: a.shape[la.index(lab)] for lab in left})
    size.update({lab: b.shape[lb.index(lab)] for lab in right})

    def arrange(x, labels, order):
        x = x.permute(*[labels.index(lab) for lab in order])
        return x.expand(*[size[lab] for lab in order])

    def count(group):
        return math.prod(size[lab] for lab in group)

    nb, nl, nk, nr = count(batch), count(left), count(summed), count(right)
    a3 = arrange(a, la, batch + left + summed).reshape(nb, nl, nk)
    b3 = arrange(b, lb, batch + summed + right).reshape(nb, nk, nr)
    result = matmul(a3, b3).reshape(*[size[lab] for lab in batch + left + right])
    return result, batch + left + right


@_export("einsum", method=False)
def einsum(equation, *operands):
    """Einstein summation: 'ij,jk->ik', 'bhqd,bhkd->bhqk', '...ij,...jk->...ik', 'ii->i', implicit output, etc.
    Operands are contracted left to right; each pair is one batched matmul."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): the sublist form einsum(op, [dims], ...) is not supported; pass an equation")
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for i, op in enumerate(operands):
        _check_tensor("einsum", f"operands[{i}]", op)
        if op.dtype != operands[0].dtype:
            raise RuntimeError(f"einsum(): expected all operands to have the same dtype, but operand {i} is "
                               f"{_SCALAR_NAMES[op.dtype]} and operand 0 is {_SCALAR_NAMES[operands[0].dtype]}")
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms, position = [], 0
    for term in lhs.split(","):
        terms.append(_parse_term(term, position))
        position += len(term) + 1
    if len(terms) != len(operands):
        more = "more" if len(operands) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {more} operands were provided than specified in the equation")
    ell_rank = builtins.max((op.dim() - len(t) + 1 for t, op in zip(terms, operands) if "..." in t), default=0)
    labels = [_expand_ellipsis(t, op.dim(), i, ell_rank) for i, (t, op) in enumerate(zip(terms, operands))]
    ell = list(range(ell_rank))
    if arrow:
        out = _parse_term(rhs, len(lhs) + 2)
        out = out[:out.index("...")] + ell + out[out.index("...") + 1:] if "..." in out else out
        for lab in out:
            if out.count(lab) > 1:
                raise RuntimeError(f"einsum(): output subscript {lab} appears more than once in the output")
            if not builtins.any(lab in ls for ls in labels):
                raise RuntimeError(f"einsum(): output subscript {lab} does not appear in the equation for any "
                                   "input operand")
    else:
        letters = [lab for ls in labels for lab in ls if isinstance(lab, str)]
        out = ell + sorted(lab for lab in set(letters) if letters.count(lab) == 1)
    xs = []
    for i, (x, ls) in enumerate(zip(operands, labels)):
        x, ls = _take_diagonals(x, ls, i)
        xs.append((x, ls))
    sizes = {}
    for i, (x, ls) in enumerate(xs):
        for lab, s in zip(ls, x.shape):
            if sizes.get(lab, 1) != 1 and s != 1 and s != sizes[lab]:
                name = "..." if isinstance(lab, builtins.int) else lab
                raise RuntimeError(f"einsum(): operands do not broadcast: subscript {name} has size {sizes[lab]} in "
                                   f"an earlier operand but {s} in operand {i}")
            sizes[lab] = builtins.max(sizes.get(lab, 1), s)
    x, ls = xs[0]
    if len(xs) == 1:
        x, ls = _sum_out(x, ls, set(out))
    for i in range(1, len(xs)):
        keep = set(out).union(*(set(later) for _, later in xs[i + 1:]))
        x, ls = _contract(x, ls, xs[i][0], xs[i][1], keep)
    return x.permute(*[ls.index(lab) for lab in out]).expand(*[sizes[lab] for lab in out])


# ------------------------------------------------------------------------------------------ triangles, diagonals


def _iota(n):
    """[0, 1, ..., n-1] as an int64 constant: the program's key depends on n only."""
    values = ", ".join(map(str, range(n)))
    return _C._record("kiln.constant", [], _C.int64, [n], f"value = dense<[{values}]> : tensor<{n}xi64>")


def _offsets(rows, cols):
    """col - row over a rows x cols grid."""
    return _iota(cols).reshape(1, cols) - _iota(rows).reshape(rows, 1)


def _triangle(op, input, diagonal, lower):
    _check_tensor(op, "input", input)
    if input.dim() < 2:
        raise RuntimeError(f"{op}(): input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2], input.shape[-1]
    if input.numel() == 0:
        return input.clone()
    offsets = _offsets(rows, cols)
    keep = offsets <= diagonal if lower else offsets >= diagonal
    return _C._where(keep, input, _C._full([], 0, input.dtype))


@_export("tril")
def tril(input, diagonal=0):
    """The lower triangle (col - row <= diagonal) of the last two dims; the rest is zero."""
    return _triangle("tril", input, diagonal, True)


@_export("triu")
def triu(input, diagonal=0):
    return _triangle("triu", input, diagonal, False)


def _tril_(self, diagonal=0):
    return _assign_result(self, tril(self, diagonal))


def _triu_(self, diagonal=0):
    return _assign_result(self, triu(self, diagonal))


METHODS["tril_"] = _tril_
METHODS["triu_"] = _triu_


@_export("diagonal")
def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal of dims dim1 and dim2 (moved to the last dim), as torch.diagonal."""
    return _diagonal_view(input, offset, dim1, dim2)


def _diagonal_view(input, offset, dim1, dim2):
    _check_tensor("diagonal", "input", input)
    d1, d2 = wrap_dim("diagonal", dim1, input.dim()), wrap_dim("diagonal", dim2, input.dim())
    if d1 == d2:
        raise RuntimeError(f"diagonal(): dimensions cannot be identical {dim1}, {dim2}")
    sizes, strides = list(input.shape), list(input.stride())
    if offset >= 0:
        length = builtins.max(0, builtins.min(sizes[d1], sizes[d2] - offset))
        start = offset * strides[d2]
    else:
        length = builtins.max(0, builtins.min(sizes[d1] + offset, sizes[d2]))
        start = -offset * strides[d1]
    storage_offset = input.storage_offset() + (start if length > 0 else 0)
    keep = [d for d in range(input.dim()) if d not in (d1, d2)]
    return input.as_strided([sizes[d] for d in keep] + [length],
                            [strides[d] for d in keep] + [strides[d1] + strides[d2]], storage_offset)


@_export("diag")
def diag(input, diagonal=0):
    """1-D -> a square matrix with `input` on the given diagonal; 2-D -> a copy of that diagonal."""
    _check_tensor("diag", "input", input)
    if input.dim() == 2:
        return _diagonal_view(input, diagonal, 0, 1).clone()
    if input.dim() != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    k = abs(diagonal)
    n = input.shape[0] + k
    if n == 0:
        return _C._full([0, 0], 0, input.dtype)
    values = input
    if k:
        values = _C._record("kiln.pad", [input], input.dtype, [n], f"high = array<i64: {k}>, low = array<i64: 0>")
    values = values.reshape(n, 1) if diagonal >= 0 else values.reshape(1, n)
    return _C._where(_offsets(n, n) == diagonal, values, _C._full([], 0, input.dtype))


@_export("trace")
def trace(input):
    """Sum of the main diagonal of a matrix (integers sum in int64)."""
    _check_tensor("trace", "input", input)
    if input.dim() != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with dim {input.dim()}")
    return _C._reduce("trace", _SUM, _diagonal_view(input, 0, 0, 1), None, False)


# ---------------------------------------------------------------------------------------------------------- sorting


@_export("sort")
def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along `dim`; NaN sorts as the largest value."""
    _check_tensor("sort", "input", input)
    return _Sort(*_C._sort(input, dim, descending, stable))


@_export("argsort")
def argsort(input, dim=-1, descending=False, stable=False):
    _check_tensor("argsort", "input", input)
    return _C._sort(input, dim, descending, stable)[1]


@_export("msort")
def msort(input):
    return sort(input, 0).values


@_export("topk")
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) values along `dim` and their indices."""
    _check_tensor("topk", "input", input)
    return _Topk(*_C._topk(input, k, dim, largest, sorted))


# ----------------------------------------------------------------------------------------------------- kiln.linalg


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """'fro' and the induced 1/-1/inf/-inf norms over the matrix dims `dim` (2 and 'nuc' need an SVD)."""
    op = "linalg.matrix_norm"
    if A.dim() < 2:
        raise RuntimeError(f"{op}(): The input tensor A must have at least 2 dimensions.")
    d0, d1 = (wrap_dim(op, d, A.dim()) for d in dim)
    if ord == "fro":
        return norm_over(op, A, 2, (d0, d1), keepdim, dtype)
    if ord not in (1, -1, float("inf"), float("-inf")):
        raise RuntimeError(f"{op}(): the {ord!r} norm needs singular values, which kiln does not compute")
    # 1-norms take the sum over rows (d0) first, inf-norms over columns (d1).
    inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = norm_over(op, A, 1, inner, True, dtype)
    out_shape, _ = _reduced(A.shape, _dim_list(op, (d0, d1), A.dim()), keepdim)
    if A.shape[outer] == 0:
        raise RuntimeError(f"{op}(): cannot compute the {ord} norm of an empty matrix")
    return _C._reduce(op, _MAX if ord > 0 else _MIN, sums, [outer], True).reshape(out_shape)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: the vector norm for one dim (or a flattened input when ord is None), else matrix_norm."""
    if dim is not None and hasattr(dim, "__index__"):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return norm_over("linalg.norm", A, 2, dim, keepdim, dtype)
    if dim is None:
        if A.dim() not in (1, 2):
            raise RuntimeError("linalg.norm(): If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.dim()}D.")
        dim = tuple(range(A.dim()))
    if len(dim) == 1:
        return norm_over("linalg.norm", A, ord, dim, keepdim, dtype)
    return matrix_norm(A, ord, dim, keepdim, dtype=dtype)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The `ord`-norm of the elements over `dim` (None: all, flattened)."""
    return norm_over("linalg.vector_norm", x, ord, dim, keepdim, dtype)


def vecdot(x, y, *, dim=-1):
    return _C._reduce("linalg.vecdot", _SUM, x * y, [wrap_dim("linalg.vecdot", dim, builtins.max(x.dim(), y.dim()))],
                      False, _C._result_type([x, y]))


def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return diagonal(A, offset, dim1, dim2)


linalg = types.ModuleType("kiln.linalg", "Vector and matrix norms and products (the part of torch.linalg that "
                                         "needs no decomposition).")
linalg.vector_norm = vector_norm
linalg.matrix_norm = matrix_norm
linalg.norm = linalg_norm
linalg.matmul = matmul
linalg.vecdot = vecdot
linalg.diagonal = linalg_diagonal
sys.modules["kiln.linalg"] = linalg
FUNCTIONS["linalg"] = linalg
