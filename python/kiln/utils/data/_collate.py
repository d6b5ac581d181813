"""default_collate and default_convert as torch.utils.data: samples to batched tensors, with PyTorch's dtype rules.

Tensors and NumPy arrays are stacked by NumPy (no program to compile) and wrapped with kiln.from_numpy. Inside a
DataLoader worker the stacked output is allocated in the batch's shared-memory segment (`_segment`, set by the
worker around collate_fn), so the batch reaches the main process without another copy, as PyTorch's collate
stacks into shared memory.
"""

import collections.abc
import copy
import re

import numpy as np

import kiln

# Set by a DataLoader worker while it collates: the batch's SegmentWriter (kiln/utils/data/_shared.py).
_segment = None

_STR_OBJ_DTYPE = re.compile(r"[SaUO]")

_ERR_FORMAT = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _check_equal_shapes(shapes):
    for position, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 "
                f"and {list(shape)} at entry {position}"
            )


def _stack_arrays(arrays):
    """A kiln tensor of the arrays stacked on a new dim 0, in the worker's shared segment when there is one."""
    if _segment is not None:
        return _segment.stack(arrays)
    return kiln.from_numpy(np.stack(arrays))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    _check_equal_shapes([tuple(tensor.shape) for tensor in batch])
    dtype = batch[0].dtype
    if dtype == kiln.bfloat16 or any(t.dtype != dtype or t.requires_grad for t in batch):
        # NumPy has no bfloat16, promotes differently and drops autograd history: kiln stacks these.
        return kiln.stack(batch, 0)
    return _stack_arrays([tensor.numpy() for tensor in batch])


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if _STR_OBJ_DTYPE.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERR_FORMAT.format(batch[0].dtype))
    _check_equal_shapes([array.shape for array in batch])
    if any(array.dtype != batch[0].dtype for array in batch):
        return kiln.stack([kiln.from_numpy(np.ascontiguousarray(array)) for array in batch], 0)
    kiln.from_numpy(np.empty(0, batch[0].dtype))  # names the dtype kiln cannot hold, before any allocation
    return _stack_arrays(batch)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return kiln.from_numpy(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return kiln.tensor(batch, dtype=kiln.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    # bools are ints in Python: a batch of them becomes a bool tensor, mixed with ints an int64 one, as PyTorch.
    return kiln.tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    kiln.Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch, *, collate_fn_map=None):
    """Collates a list of samples recursively; `collate_fn_map` maps element types to functions for them."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: collate([sample[key] for sample in batch], collate_fn_map=collate_fn_map) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(collated)
                return clone
            return elem_type(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        for position, sample in enumerate(batch):
            if len(sample) != size:
                raise RuntimeError(
                    f"default_collate: each element in list of batch should be of equal size, but element 0 has "
                    f"{size} and element {position} has {len(sample)}"
                )
        transposed = [collate(list(samples), collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for position, value in enumerate(transposed):
                    clone[position] = value
                return clone
            return elem_type(transposed)
        except TypeError:
            return transposed
    raise TypeError(_ERR_FORMAT.format(elem_type))


def default_collate(batch):
    """Samples to a batch, as torch.utils.data.default_collate: tensors and arrays are stacked on a new dim 0
    (equal shapes required), Python floats become a float64 tensor, ints an int64 one (bools a bool one), NumPy
    scalars a tensor of their dtype, str/bytes stay a list; mappings, namedtuples and sequences are collated field
    by field (tuples become lists)."""
    if not isinstance(batch, collections.abc.Sequence) or isinstance(batch, (str, bytes)) or not batch:
        raise TypeError(f"default_collate: expected a non-empty list of samples, got {batch!r:.80}")
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """One sample without batching, as torch.utils.data.default_convert: NumPy arrays and scalars become tensors
    (sharing memory), containers are converted element by element (tuples become lists), the rest is unchanged."""
    elem_type = type(data)
    if isinstance(data, kiln.Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_", "string_"):
        if isinstance(data, np.ndarray) and _STR_OBJ_DTYPE.search(data.dtype.str) is not None:
            return data
        return kiln.from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return elem_type(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for position, value in enumerate(converted):
                    clone[position] = value
                return clone
            return elem_type(converted)
        except TypeError:
            return converted
    return data
