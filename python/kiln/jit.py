"""kiln.jit: trace a function or module into one Kiln IR function, run it through the compile cache, save it as a
model file (.kiln) and load it back. docs/jit.md is the user guide; docs/file-format.md ("Model files") specifies
the file.

Tracing runs the forward once on example inputs under no_grad, with the inputs and the module's parameters and
buffers standing as the arguments of the function (lib/Trace/Export.cpp): every op recorded from them becomes an
op of `@forward`, other memory the forward reads becomes a trailing "constant.N" argument. Shapes are static.
"""

import collections
import contextlib
import inspect
import os
import re
import threading
import warnings

import numpy as np

from kiln import _C
from kiln import serialization as _serialization
from kiln._grad_mode import no_grad

__all__ = ["trace", "save", "load", "TracedModule", "TracerWarning", "TracingCheckError"]

MODEL_VERSION = "1"
_DTYPE_BY_ELEMENT = {"f32": "float32", "f64": "float64", "f16": "float16", "bf16": "bfloat16", "i8": "int8",
                     "ui8": "uint8", "i32": "int32", "i64": "int64", "i1": "bool"}


class TracerWarning(Warning):
    """A Python value or Python control flow computed from a traced tensor was frozen into the trace."""


class TracingCheckError(Exception):
    """check_trace found the traced function disagreeing with the eager one."""

    def __init__(self, graph_diff_error, tensor_compare_error, extra_msg=None):
        self.message = "Tracing failed sanity checks!\n"
        if extra_msg is not None:
            self.message += extra_msg + "\n"
        if graph_diff_error is not None:
            self.message += graph_diff_error + "\n"
        if tensor_compare_error is not None:
            self.message += tensor_compare_error
        super().__init__(self.message)


# --- Python values of traced tensors ------------------------------------------------------------------------

_WARNINGS = {
    "__bool__": "Converting a tensor to a Python boolean",
    "__int__": "Converting a tensor to a Python integer",
    "__float__": "Converting a tensor to a Python float",
    "__index__": "Converting a tensor to a Python index",
    "item": "Converting a tensor to a Python number",
    "tolist": "Converting a tensor to a Python list",
    "numpy": "Converting a tensor to a NumPy array",
    "__array__": "Converting a tensor to a NumPy array",
}
_FROZEN = (" might cause the trace to be incorrect. We can't record the data flow of Python values, so this value "
           "will be treated as a constant in the future. This means that the trace might not generalize to other "
           "inputs!")
_ITERATING = ("Iterating over a tensor might cause the trace to be incorrect. Passing a tensor of different shape "
              "won't change the number of iterations executed (and might lead to errors or silently give incorrect "
              "results).")
_state = threading.local()


def _warning_wrapper(original, message):
    def wrapper(self, *args, **kwargs):
        # Only the outermost conversion warns (bool() calls item() calls numpy()); tensors that are not part of
        # the traced graph (constants in memory) convert silently.
        if getattr(_state, "converting", False) or not self._is_pending:
            return original(self, *args, **kwargs)
        warnings.warn(message, TracerWarning, stacklevel=2)
        _state.converting = True
        try:
            return original(self, *args, **kwargs)
        finally:
            _state.converting = False

    return wrapper


@contextlib.contextmanager
def _conversion_warnings():
    tensor = _C.Tensor
    saved = {}
    messages = {name: prefix + _FROZEN for name, prefix in _WARNINGS.items()}
    messages["__iter__"] = _ITERATING
    for name, message in messages.items():
        if name in tensor.__dict__:
            saved[name] = tensor.__dict__[name]
            setattr(tensor, name, _warning_wrapper(getattr(tensor, name), message))
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(tensor, name, original)


# --- Tracing ------------------------------------------------------------------------------------------------


def _flatten_outputs(value, strict, where="output"):
    """(flat list of tensors, structure): structure is None for a tensor, else (type, [structures])."""
    if isinstance(value, _C.Tensor):
        return [value], None
    if isinstance(value, list) and strict:
        raise RuntimeError(
            f"kiln.jit.trace(): encountering a list at the {where} of the tracer might cause the trace to be "
            "incorrect, this is only valid if the container structure does not change based on the module's "
            "inputs. Consider using a tuple instead, or pass strict=False to trace() to allow this behavior.")
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        flat, parts = [], []
        for i, item in enumerate(value):
            f, s = _flatten_outputs(item, strict, f"{where}[{i}]")
            flat += f
            parts.append(s)
        return flat, (type(value), parts)
    raise TypeError(f"kiln.jit.trace(): the traced function must return a Tensor or a tuple (or, with strict=False, "
                    f"a list) of Tensors, but its {where} is a {type(value).__name__}")


def _unflatten(flat, structure):
    it = iter(flat)

    def build(s):
        if s is None:
            return next(it)
        kind, parts = s
        return kind(build(p) for p in parts)

    return build(structure)


def _example_tuple(example_inputs, what="example_inputs"):
    if isinstance(example_inputs, _C.Tensor):
        example_inputs = (example_inputs,)
    if not isinstance(example_inputs, (tuple, list)):
        raise TypeError(f"kiln.jit.trace(): {what} must be a Tensor or a tuple of Tensors, "
                        f"not {type(example_inputs).__name__}")
    for i, x in enumerate(example_inputs):
        if not isinstance(x, _C.Tensor):
            raise TypeError(f"kiln.jit.trace(): {what}[{i}] must be a Tensor, not {type(x).__name__} (only tensor "
                            "inputs can be traced)")
    return tuple(example_inputs)


def _input_names(func, count):
    try:
        params = [p for p in inspect.signature(func).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        names = [p.name for p in params[:count]]
    except (TypeError, ValueError):
        names = []
    if len(names) != count or len(set(names)) != count:
        names = [f"input{i}" for i in range(count)]
    return names


def _module_state(module):
    """name -> tensor: the state_dict's entries (parameters and buffers), each tensor once (tied weights keep the
    first name)."""
    state, seen = collections.OrderedDict(), set()
    for name, t in module.state_dict(keep_vars=True).items():
        if id(t) in seen or not isinstance(t, _C.Tensor):
            continue
        seen.add(id(t))
        state[name] = t
    return state


def _spec(name, t):
    return {"name": name, "dtype": _serialization._DTYPE_NAMES[t.dtype], "shape": list(t.shape)}


def _describe_spec(spec):
    return f"{spec['dtype']}{spec['shape']}"


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Traces `func` (a function or an nn.Module, whose forward is traced) on `example_inputs` (a Tensor or a tuple
    of Tensors) and returns a TracedModule: one Kiln IR function of the inputs and the module's parameters and
    buffers, callable on inputs of the example's shapes and dtypes.

    Python control flow and Python values computed from tensors are frozen at their traced values (a TracerWarning
    says where). With check_trace the result is compared with eager on the example (and on check_inputs, a list
    of input tuples), raising TracingCheckError when they differ by more than check_tolerance.
    """
    if example_kwarg_inputs is not None:
        raise NotImplementedError("kiln.jit.trace(): example_kwarg_inputs is not supported; pass example_inputs")
    if example_inputs is None:
        raise TypeError("kiln.jit.trace(): example_inputs is required")
    from kiln.nn import Module

    inputs = _example_tuple(example_inputs)
    if isinstance(func, Module):
        module, forward, source = func, func, type(func).__name__
        names = _input_names(func.forward, len(inputs))
        weights = _module_state(func)
    elif callable(func):
        module, forward, source = None, func, getattr(func, "__name__", type(func).__name__)
        names = _input_names(func, len(inputs))
        weights = collections.OrderedDict()
    else:
        raise TypeError(f"kiln.jit.trace(): expected a function or an nn.Module, got {type(func).__name__}")

    # Inputs the trace may make pending must be whole tensors of their own; an input that is also a weight
    # (or twice the same tensor) gets a copy.
    seen = {id(t) for t in weights.values()}
    traced_inputs = []
    for x in inputs:
        if id(x) in seen or not _C._is_whole_base(x):
            x = x.clone()
        seen.add(id(x))
        traced_inputs.append(x.detach() if x.requires_grad else x)
    arguments = traced_inputs + list(weights.values())
    weight_names = list(weights)

    _C._jit_begin_capture(arguments)
    try:
        with no_grad(), _conversion_warnings():
            result = forward(*traced_inputs)
        flat, structure = _flatten_outputs(result, strict)
        if not flat:
            raise RuntimeError("kiln.jit.trace(): the traced function returned no tensor")
        text, constants, _, _ = _C._jit_export(flat, "forward")
    finally:
        modified, eager = _C._jit_end_capture()
    if modified:
        labels = [names[i] if i < len(names) else weight_names[i - len(names)] for i in modified]
        raise RuntimeError(
            f"kiln.jit.trace(): the traced function modified {', '.join(repr(n) for n in labels)} in place; "
            "in-place updates of inputs or module state cannot be exported (a BatchNorm in training mode? call "
            ".eval() before tracing)")
    if eager:
        random = [k for k in eager if k.startswith("rand") or k == "bernoulli"]
        if random:
            raise RuntimeError(
                f"kiln.jit.trace(): the traced function draws random numbers ({', '.join(sorted(set(random)))}), "
                "which cannot be exported: their values would be frozen into the trace (a Dropout in training "
                "mode? call .eval() before tracing)")
        raise NotImplementedError(
            f"kiln.jit.trace(): {', '.join(sorted(set(eager)))}() runs as an eager kernel and cannot be "
            "exported (its result would be frozen into the trace)")

    for i, c in enumerate(constants):
        weights[f"constant.{i}"] = c.contiguous().clone()
    try:
        graph = _C._ir_from_bytecode(_C._ir_to_bytecode(text))
    except ValueError as error:
        raise RuntimeError(f"kiln.jit.trace(): the traced graph cannot be exported: {error}") from None
    input_specs = [_spec(n, x) for n, x in zip(names, traced_inputs)]
    output_specs = [_spec(f"output{i}", y) for i, y in enumerate(flat)]
    traced = TracedModule(graph, input_specs, output_specs, weights, source=source, structure=structure)
    traced.training = module.training if module is not None else False

    if check_trace:
        _check(traced, forward, [inputs], flat, check_tolerance)
        if check_inputs is not None:
            with no_grad():
                cases = [_example_tuple(c, f"check_inputs[{i}]") for i, c in enumerate(check_inputs)]
            _check(traced, forward, cases, None, check_tolerance)
    return traced


def _check(traced, forward, cases, expected_flat, tolerance):
    for n, case in enumerate(cases):
        if expected_flat is None:
            with no_grad():
                expected, _ = _flatten_outputs(forward(*case), False)
        else:
            expected = expected_flat
        try:
            got = traced._run(case)
        except (TypeError, ValueError) as error:
            raise TracingCheckError(None, None, f"check input {n}: the traced function cannot run it: {error}")
        if len(got) != len(expected):
            raise TracingCheckError("Graph diff:", None, f"check input {n}: the traced function returns "
                                    f"{len(got)} outputs, eager {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = g.numpy(), e.numpy()
            if g.shape != e.shape or g.dtype != e.dtype:
                raise TracingCheckError(None, f"Output {i} of check input {n}: traced {g.dtype}{list(g.shape)}, "
                                        f"eager {e.dtype}{list(e.shape)}")
            if g.dtype == np.bool_ or np.issubdtype(g.dtype, np.integer):
                bad = g != e
                diff = float(np.abs(g.astype(np.float64) - e.astype(np.float64)).max()) if g.size else 0.0
            else:
                g64, e64 = g.astype(np.float64), e.astype(np.float64)
                bad = ~np.isclose(g64, e64, rtol=tolerance, atol=tolerance, equal_nan=True)
                diff = float(np.nanmax(np.abs(g64 - e64))) if g.size else 0.0
            if bad.any():
                raise TracingCheckError(
                    None, f"Output {i} of check input {n}: the traced function's values differ from the eager "
                    f"function's: max absolute difference {diff:.6g} at {int(bad.sum())} of {g.size} elements "
                    f"(tolerance {tolerance}). The trace may have frozen Python control flow or a Python value "
                    "(see the TracerWarnings).")


# --- The traced module --------------------------------------------------------------------------------------

_OP_LINE = re.compile(r'^\s*(%[\w#:]+) = "([\w.]+)"\((.*?)\)(?: <\{(.*)\}>)?(?: \{.*\})? : \((.*)\) -> (.+)$')
_RETURN_LINE = re.compile(r'^\s*"func.return"\((.*?)\)')
_BLOCK_ARGS = re.compile(r"\^bb0\((.*)\):")


def _split_top(text):
    parts, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "<[({":
            depth += 1
        elif not quoted and ch in ">])}":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def _attr_value(text):
    m = re.fullmatch(r"array<\w+(?::\s*(.*))?>", text)
    if m:
        return "[" + ", ".join(v.strip() for v in (m.group(1) or "").split(",") if v.strip()) + "]"
    m = re.fullmatch(r"#\w+<\w+ (\w+)>", text)
    if m:
        return repr(m.group(1))
    m = re.fullmatch(r"(.+?) : \w+", text)
    if m:
        return m.group(1)
    return {"true": "True", "false": "False"}.get(text, text)


def _type_text(text):
    m = re.fullmatch(r"tensor<(.*)>", text.strip())
    if not m:
        return text
    parts = m.group(1).split("x")
    element = _DTYPE_BY_ELEMENT.get(parts[-1], parts[-1])
    return f"{element}[{', '.join(parts[:-1])}]"


def _code(graph, names):
    """A Python-like listing of the generic-form module `graph`; `names` names its block arguments in order."""
    lines, values = [], {}
    body = []
    for line in graph.splitlines():
        m = _BLOCK_ARGS.search(line)
        if m:
            for i, arg in enumerate(_split_top(m.group(1))):
                value, type_ = arg.split(":", 1)
                values[value.strip()] = names[i] if i < len(names) else f"arg{i}"
            continue
        m = _OP_LINE.match(line)
        if m:
            result, op, operands, attrs, _, type_ = m.groups()
            name = f"x{len(values)}"
            while name in values.values():
                name += "_"
            values[result] = name
            args = [values.get(o.strip(), o.strip()) for o in operands.split(",") if o.strip()]
            if attrs:
                for a in _split_top(attrs):
                    key, _, value = a.partition("=")
                    args.append(f"{key.strip()}={_attr_value(value.strip())}")
            short = op[len("kiln."):] if op.startswith("kiln.") else op
            body.append(f"    {name} = kiln.{short}({', '.join(args)})  # {_type_text(type_)}")
            continue
        m = _RETURN_LINE.match(line)
        if m:
            outs = [values.get(o.strip(), o.strip()) for o in m.group(1).split(",") if o.strip()]
            body.append(f"    return {', '.join(outs)}")
    return body


class TracedModule:
    """A traced forward: Kiln IR (`graph`) plus named weights, callable on inputs of the traced shapes and dtypes.

    What kiln.jit.trace returns (for a module or a function) and kiln.jit.load reads back.
    """

    def __init__(self, graph, inputs, outputs, weights, *, source=None, structure=None):
        self._graph = graph
        self._inputs = inputs
        self._outputs = outputs
        self._weights = collections.OrderedDict(weights)
        self._source = source
        self._structure = structure
        self._compiled = None
        self.training = False

    # Introspection.
    @property
    def graph(self):
        """The Kiln IR of @forward (MLIR generic op form): inputs, then the weights, as arguments."""
        return self._graph

    @property
    def code(self):
        """A readable Python-like listing: one line per op, weights named as in state_dict."""
        names = [s["name"] for s in self._inputs] + list(self._weights)
        head = ", ".join(f"{s['name']}: {_describe_spec(s)}" for s in self._inputs)
        outs = ", ".join(_describe_spec(s) for s in self._outputs)
        return "\n".join([f"def forward({head}) -> ({outs}):"] + _code(self._graph, names)) + "\n"

    @property
    def inputs(self):
        """[{'name', 'dtype', 'shape'}] of the inputs the traced forward takes."""
        return [dict(s) for s in self._inputs]

    @property
    def outputs(self):
        return [dict(s) for s in self._outputs]

    @property
    def original_name(self):
        return self._source or "TracedModule"

    def state_dict(self):
        """The weights: parameters and buffers named as in the traced module's state_dict, then the constants the
        trace captured ("constant.0", ...)."""
        return collections.OrderedDict(self._weights)

    def named_parameters(self):
        return iter(self._weights.items())

    def parameters(self):
        return iter(self._weights.values())

    def eval(self):
        """Kept for PyTorch compatibility: the trace's train/eval behaviour was fixed when it was traced."""
        self.training = False
        return self

    def train(self, mode=True):
        self.training = mode
        return self

    def __repr__(self):
        return f"{self.original_name}(traced, inputs={[_describe_spec(s) for s in self._inputs]})"

    # Running.
    def _function(self):
        if self._compiled is None:
            self._compiled = _C.compiler.compile(self._graph, "forward")
        return self._compiled

    def _run(self, inputs):
        if len(inputs) != len(self._inputs):
            raise TypeError(f"forward() of the traced {self.original_name} expected {len(self._inputs)} input(s) "
                            f"({', '.join(_describe_spec(s) for s in self._inputs)}), but got {len(inputs)}")
        for i, (x, spec) in enumerate(zip(inputs, self._inputs)):
            if not isinstance(x, _C.Tensor):
                raise TypeError(f"forward(): input {i} ('{spec['name']}') must be a kiln.Tensor, not "
                                f"{type(x).__name__}")
            got = {"dtype": _serialization._DTYPE_NAMES[x.dtype], "shape": list(x.shape)}
            if got["dtype"] != spec["dtype"] or got["shape"] != spec["shape"]:
                raise ValueError(
                    f"forward(): input {i} ('{spec['name']}') must be {_describe_spec(spec)}, but got "
                    f"{_describe_spec(got)} (a traced function has the static shapes and dtypes of its example "
                    "inputs; trace again for other shapes)")
        weights = [w.detach() for w in self._weights.values()]
        return list(self._function()(*[x.detach() for x in inputs], *weights))

    def __call__(self, *inputs):
        outputs = self._run(inputs)
        if self._structure is not None or len(outputs) != 1:
            if self._structure is None:
                return tuple(outputs)
            return _unflatten(outputs, self._structure)
        return outputs[0]

    forward = __call__

    def save(self, path):
        """Saves the model file (see kiln.jit.save)."""
        save(self, path)


# --- Model files --------------------------------------------------------------------------------------------


def save(m, f, _extra_files=None):
    """Writes TracedModule `m` to `f` (a path, written atomically, or a writable binary file) as a Kiln model
    file: the IR as MLIR bytecode, the weights as aligned, checksummed arrays (docs/file-format.md)."""
    if not isinstance(m, TracedModule):
        raise TypeError(f"kiln.jit.save(): expected a TracedModule (from kiln.jit.trace), got {type(m).__name__}")
    if _extra_files:
        raise NotImplementedError("kiln.jit.save(): _extra_files is not supported")
    root = {
        "format": "kiln.model",
        "version": 1,
        "inputs": m.inputs,
        "outputs": m.outputs,
        "weights": collections.OrderedDict((k, v.detach()) for k, v in m._weights.items()),
    }
    if m._source:
        root["source"] = m._source
    blob = _C._ir_to_bytecode(m._graph)
    _serialization.save(root, f, blobs={"ir": blob},
                        metadata={"kiln.file": "model", "kiln.model_version": MODEL_VERSION})


def _name_of(f):
    return repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else repr(getattr(f, "name", "<file>"))


def _check_specs(fail, what, value):
    if not isinstance(value, list):
        fail(f"'{what}' must be a list, not {type(value).__name__}")
    for i, spec in enumerate(value):
        where = f"'{what}'[{i}]"
        if not isinstance(spec, dict) or set(spec) != {"name", "dtype", "shape"}:
            fail(f"{where} must be a dict with keys 'name', 'dtype' and 'shape'")
        if not isinstance(spec["name"], str):
            fail(f"{where}['name'] must be a str")
        if not isinstance(spec["dtype"], str) or spec["dtype"] not in _serialization.DTYPES:
            fail(f"{where}['dtype'] must be a dtype name, not {spec['dtype']!r}")
        shape = spec["shape"]
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            fail(f"{where}['shape'] must be a list of non-negative ints, not {shape!r}")


def load(f, map_location=None, _extra_files=None, *, mmap=True):
    """Loads a model file written by kiln.jit.save: a TracedModule. Everything is verified first (the container's
    checksums and bounds, the model keys, the IR: bytecode, dialect verifier, one @forward, weights and inputs
    matching its signature); nothing in the file is executed. Raises kiln.serialization.FileFormatError naming the
    file and the problem. With mmap=True (default, for a path) weights are memory-mapped copy-on-write."""
    name = _name_of(f)

    def fail(message):
        raise _serialization.FileFormatError(f"kiln.jit.load: {name}: {message}")

    container = _serialization.load_container(f, mmap=mmap and isinstance(f, (str, os.PathLike)),
                                              map_location=map_location)
    kind = container.metadata.get("kiln.file")
    if kind != "model":
        fail("not a model file (a kiln.save checkpoint?)" if kind is None else
             f"not a model file (kiln.file is {kind!r})")
    version = container.metadata.get("kiln.model_version")
    if version != MODEL_VERSION:
        fail(f"unknown model version {version!r} (this Kiln reads version {MODEL_VERSION})")
    root = container.obj
    if not isinstance(root, dict):
        fail(f"the root must be a dict, not {type(root).__name__}")
    for key in ("format", "version", "inputs", "outputs", "weights"):
        if key not in root:
            fail(f"the root has no {key!r}")
    if root["format"] != "kiln.model":
        fail(f"'format' must be 'kiln.model', not {root['format']!r}")
    if type(root["version"]) is not int or root["version"] != 1:
        fail(f"unknown 'version' {root['version']!r} (this Kiln reads 1)")
    _check_specs(fail, "inputs", root["inputs"])
    _check_specs(fail, "outputs", root["outputs"])
    weights = root["weights"]
    if not isinstance(weights, dict):
        fail(f"'weights' must be a dict, not {type(weights).__name__}")
    for key, w in weights.items():
        if not isinstance(key, str) or not isinstance(w, _C.Tensor):
            fail(f"'weights' must map names to tensors (entry {key!r} is a {type(w).__name__})")
    source = root.get("source")
    if source is not None and not isinstance(source, str):
        fail(f"'source' must be a str, not {type(source).__name__}")
    blob = container.blobs.get("ir")
    if blob is None:
        fail("no 'ir' blob")
    try:
        graph = _C._ir_from_bytecode(bytes(blob))
        arguments, results = _C._ir_signature(graph)
    except ValueError as error:
        reason = str(error).partition("invalid model IR:")[2].strip().replace("\n", "; ")
        fail(f"the 'ir' blob is not valid model IR: {reason}")
    expected = [(s["name"], s["dtype"], s["shape"], "input") for s in root["inputs"]]
    expected += [(k, _serialization._DTYPE_NAMES[w.dtype], list(w.shape), "weight") for k, w in weights.items()]
    if len(arguments) != len(expected):
        fail(f"@forward takes {len(arguments)} arguments, but the file lists {len(root['inputs'])} inputs and "
             f"{len(weights)} weights")
    for i, ((element, shape), (label, dtype, want, what)) in enumerate(zip(arguments, expected)):
        if _DTYPE_BY_ELEMENT.get(element) != dtype or list(shape) != want:
            fail(f"{what} {label!r} is {dtype}{want}, but @forward's argument {i} is "
                 f"{_DTYPE_BY_ELEMENT.get(element, element)}{list(shape)}")
    if len(results) != len(root["outputs"]):
        fail(f"@forward returns {len(results)} results, but the file lists {len(root['outputs'])} outputs")
    for i, ((element, shape), spec) in enumerate(zip(results, root["outputs"])):
        if _DTYPE_BY_ELEMENT.get(element) != spec["dtype"] or list(shape) != spec["shape"]:
            fail(f"output {spec['name']!r} is {_describe_spec(spec)}, but @forward's result {i} is "
                 f"{_DTYPE_BY_ELEMENT.get(element, element)}{list(shape)}")
    return TracedModule(graph, root["inputs"], root["outputs"], weights, source=source)
