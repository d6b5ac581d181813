"""repr(tensor) in PyTorch's format (torch/_tensor_str.py's rules, default print options)."""

import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80

# Dtypes PyTorch leaves out of the repr because they are what inference gives.
_DEFAULT_DTYPES = ("float32", "int64", "bool")


class _Formatter:
    """Picks one width and notation (int-valued, fixed or scientific) for every element."""

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return
        flat = flat.astype(np.float64)
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        low, high = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8
            if not self.sci_mode:
                # "+ 1" makes room for the trailing "." of an integer-valued float.
                widths = (len(f"{v:.0f}") + 1 for v in finite.tolist())
                self.max_width = max(self.max_width, max(widths))
        else:
            self.sci_mode = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
            if not self.sci_mode:
                widths = (len(f"{v:.{PRECISION}f}") for v in finite.tolist())
                self.max_width = max(self.max_width, max(widths))
        if self.sci_mode:
            widths = (len(f"{v:.{PRECISION}e}") for v in finite.tolist())
            self.max_width = max(self.max_width, max(widths))

    def width(self):
        return self.max_width

    def format(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{PRECISION}f}"
        return (self.max_width - len(text)) * " " + text


def _summarized(values):
    """The elements repr shows when summarizing: EDGEITEMS at each end of every dim."""
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * EDGEITEMS:
        values = np.concatenate((values[:EDGEITEMS], values[-EDGEITEMS:]))
    if values.ndim == 1:
        return values
    return np.stack([_summarized(row) for row in values])


def _vector_str(values, indent, summarize, formatter):
    element_length = formatter.width() + 2
    per_line = max(1, int(math.floor((LINEWIDTH - indent) / element_length)))
    if summarize and values.shape[0] > 2 * EDGEITEMS:
        data = (
            [formatter.format(v) for v in values[:EDGEITEMS].tolist()]
            + [" ..."]
            + [formatter.format(v) for v in values[-EDGEITEMS:].tolist()]
        )
    else:
        data = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values, indent, summarize, formatter):
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, formatter)
    rows = range(values.shape[0])
    if summarize and values.shape[0] > 2 * EDGEITEMS:
        head = [_nested_str(values[i], indent + 1, summarize, formatter) for i in rows[:EDGEITEMS]]
        tail = [_nested_str(values[i], indent + 1, summarize, formatter) for i in rows[-EDGEITEMS:]]
        slices = head + ["..."] + tail
    else:
        slices = [_nested_str(values[i], indent + 1, summarize, formatter) for i in rows]
    separator = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(slices) + "]"


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t):
    """`tensor([[1., 2.],\\n        [3., 4.]])`, as PyTorch prints it."""
    from kiln._tensor import _to_numpy_values

    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    dtype_name = repr(t.dtype).split(".", 1)[1]
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        if dtype_name != "float32":
            suffixes.append(f"dtype={t.dtype!r}")
        body = "[]"
    else:
        if dtype_name not in _DEFAULT_DTYPES:
            suffixes.append(f"dtype={t.dtype!r}")
        values = _to_numpy_values(t)
        summarize = values.size > THRESHOLD
        formatter = _Formatter(_summarized(values) if summarize else values, t.dtype.is_floating_point)
        body = _nested_str(values, indent, summarize, formatter)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
