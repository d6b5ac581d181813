"""kiln.save / kiln.load: a checksummed, memory-mappable container for tensors and the Python values around them
(state dicts, optimizer state), with no pickle and no code run on load. docs/file-format.md specifies the bytes.

The file is a 64-byte header, a UTF-8 JSON manifest (the object tree, the array table, named blobs) and 64-byte
aligned raw little-endian arrays. Every byte is covered by a check: the header and manifest by CRC32s in the
header, each array and blob by its CRC32 in the manifest, and all padding must be zero.
"""

import collections
import json
import math
import os
import secrets
import struct
import zlib

import numpy as np

from kiln import _bfloat16, _C

__all__ = ["FileFormatError", "Container", "save", "load", "load_container", "FORMAT_VERSION"]

MAGIC = b"\x89KILN\r\n\x1a"
FORMAT_VERSION = (1, 0)
ALIGNMENT = 64
HEADER = struct.Struct("<8sHHIQQQI16sI")
assert HEADER.size == 64
MAX_DEPTH = 64        # nesting of the saved object tree (containers inside containers)
MAX_NDIM = 64
_CHUNK = 1 << 20
_INT64 = (-(1 << 63), (1 << 63) - 1)

# Flag bits 16..31 mark features a reader must understand; bits 0..15 may be ignored. Version 1.0 defines none.
_REQUIRED_FLAGS = 0xFFFF0000

# name -> (Kiln dtype, little-endian NumPy dtype of the stored bytes)
DTYPES = {
    "float32": (_C.float32, np.dtype("<f4")),
    "float64": (_C.float64, np.dtype("<f8")),
    "float16": (_C.float16, np.dtype("<f2")),
    "bfloat16": (_C.bfloat16, np.dtype("<u2")),
    "int8": (_C.int8, np.dtype("i1")),
    "uint8": (_C.uint8, np.dtype("u1")),
    "int32": (_C.int32, np.dtype("<i4")),
    "int64": (_C.int64, np.dtype("<i8")),
    "bool": (_C.bool, np.dtype("?")),
}
_DTYPE_NAMES = {kiln_dtype: name for name, (kiln_dtype, _) in DTYPES.items()}


class FileFormatError(RuntimeError):
    """A file that is not a valid Kiln container: damaged, truncated, hostile, or from a newer major version."""


Container = collections.namedtuple("Container", ["obj", "blobs", "metadata"])


def _align(n):
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _path_text(path):
    return ".".join(str(p) for p in path) if path else "<root>"


# --- Saving --------------------------------------------------------------------------------------------------


class _Encoder:
    """The object tree as the manifest's tagged JSON values; tensors go to a table, each object once."""

    def __init__(self):
        self.tensors = []     # (name, tensor), in table order
        self._index = {}      # id(tensor) -> table index

    def encode(self, value, path=()):
        if len(path) > MAX_DEPTH:
            raise ValueError(f"kiln.save: the object at '{_path_text(path[:8])}...' is nested deeper than "
                             f"{MAX_DEPTH} levels (a container that holds itself?)")
        if value is None or value is True or value is False or isinstance(value, str):
            if isinstance(value, str):
                self._check_text(value, path)
            return value
        if isinstance(value, _C.Tensor):
            index = self._index.get(id(value))
            if index is None:
                index = self._index[id(value)] = len(self.tensors)
                self.tensors.append((_path_text(path), value))
            return {"tensor": {"array": index, "requires_grad": bool(value.requires_grad)}}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            value = int(value)
            if not _INT64[0] <= value <= _INT64[1]:
                raise ValueError(f"kiln.save: the int at '{_path_text(path)}' does not fit in 64 bits: {value}")
            return {"int": value}
        if isinstance(value, (float, np.floating)):
            value = float(value)
            if math.isnan(value):
                return {"float": "nan"}
            if math.isinf(value):
                return {"float": "inf" if value > 0 else "-inf"}
            return {"float": value}
        if isinstance(value, _C.dtype):
            return {"dtype": str(value).removeprefix("kiln.")}
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v, path + (i,)) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return {"list": [self.encode(v, path + (i,)) for i, v in enumerate(value)]}
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"kiln.save: dict keys must be str or int, but the dict at '{_path_text(path)}' "
                                    f"has a key of type {type(key).__name__}: {key!r}")
                items.append([self.encode(key, path), self.encode(item, path + (key,))])
            return {"dict": items}
        raise TypeError(f"kiln.save: can't save an object of type {type(value).__name__} (at '{_path_text(path)}'); "
                        "Kiln saves tensors, dicts, lists, tuples, str, int, float, bool, None and dtypes")

    @staticmethod
    def _check_text(text, path):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"kiln.save: the str at '{_path_text(path)}' is not valid Unicode "
                             "(it holds a lone surrogate)") from None


def _array_bytes(tensors):
    """Each tensor's values as a contiguous little-endian NumPy array of its stored dtype.

    The values are copied (clone) in one program, so the caller's tensors never hand their memory to NumPy
    (which would make every later in-place update of them copy instead of swap buffers).
    """
    copies = []
    for _, t in tensors:
        t = t.detach()
        copies.append(t.to(_C.float32) if t.dtype is _C.bfloat16 else t.clone())
    if copies:
        _C._materialize(copies)
    arrays = []
    for (_, t), copy in zip(tensors, copies):
        values = copy.numpy()
        if t.dtype is _C.bfloat16:
            values = _bfloat16.to_bits(values)
        stored = DTYPES[_DTYPE_NAMES[t.dtype]][1]
        arrays.append(np.ascontiguousarray(values.astype(stored, copy=False)))
    return arrays


def _plan(obj, blobs, metadata):
    """The header, manifest and the pieces of the data section ((offset, bytes-like) in order) of a file."""
    encoder = _Encoder()
    root = encoder.encode(obj)
    arrays = _array_bytes(encoder.tensors)
    table, pieces, offset = [], [], 0
    for (name, t), array in zip(encoder.tensors, arrays):
        raw = array.reshape(-1).view(np.uint8)
        table.append({"name": name, "dtype": _DTYPE_NAMES[t.dtype], "shape": list(t.shape), "offset": offset,
                      "length": raw.nbytes, "crc32": zlib.crc32(raw)})
        pieces.append((offset, raw))
        offset = _align(offset + raw.nbytes)
    blob_table = {}
    for name, blob in (blobs or {}).items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"kiln.save: blob names must be non-empty str, got {name!r}")
        raw = memoryview(blob).cast("B")
        blob_table[name] = {"offset": offset, "length": raw.nbytes, "crc32": zlib.crc32(raw)}
        pieces.append((offset, raw))
        offset = _align(offset + raw.nbytes)
    manifest = {"producer": "kiln", "root": root, "arrays": table}
    if blob_table:
        manifest["blobs"] = blob_table
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("kiln.save: metadata must map str to str")
        manifest["metadata"] = dict(metadata)
    text = json.dumps(manifest, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    data_offset = _align(HEADER.size + len(text))
    header = _header(len(text), data_offset, offset, zlib.crc32(text))
    return header, text, data_offset, pieces, offset


def _header(manifest_length, data_offset, data_length, manifest_crc, version=FORMAT_VERSION, flags=0):
    fields = [MAGIC, version[0], version[1], flags, manifest_length, data_offset, data_length, manifest_crc,
              bytes(16), 0]
    crc = zlib.crc32(HEADER.pack(*fields)[:60])
    fields[-1] = crc
    return HEADER.pack(*fields)


def _write(out, plan):
    header, text, data_offset, pieces, data_length = plan
    out.write(header)
    out.write(text)
    out.write(bytes(data_offset - HEADER.size - len(text)))
    position = 0
    for offset, raw in pieces:
        out.write(bytes(offset - position))
        for start in range(0, raw.nbytes, _CHUNK):
            out.write(raw[start:start + _CHUNK])
        position = offset + raw.nbytes
    out.write(bytes(data_length - position))


def _open_temporary(directory, name):
    """A new file next to the target (same file system, so os.replace is atomic), honouring the umask."""
    path = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    return os.fdopen(fd, "wb"), path


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not every platform opens directories (Windows); the rename itself is still atomic there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _save_to_path(path, plan):
    path = os.path.realpath(path)  # replace a symbolic link's target, not the link
    directory, name = os.path.split(path)
    out, temporary = _open_temporary(directory, name)
    try:
        with out:
            _write(out, plan)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def save(obj, f, *, blobs=None, metadata=None):
    """Saves `obj` (tensors inside dicts, lists, tuples and plain values) to `f`: a path, written atomically (a
    temporary file in the same directory, fsync'ed, then renamed over the target), or a writable binary file.

    `blobs` (name -> bytes) and `metadata` (str -> str) are stored alongside for load_container (model files).
    """
    plan = _plan(obj, blobs, metadata)
    if isinstance(f, (str, os.PathLike)):
        _save_to_path(os.fspath(f), plan)
    elif hasattr(f, "write"):
        _write(f, plan)
    else:
        raise TypeError(f"kiln.save: f must be a path or a writable binary file, not {type(f).__name__}")


# --- Loading -------------------------------------------------------------------------------------------------


class _Source:
    """Bytes of a file by offset: a memory map or in-memory bytes (`buffer`), or a seekable file object.

    `exact`: the container must fill the source (a path); a file object may hold more after it.
    """

    def __init__(self, name, size, buffer=None, file=None, start=0, exact=True):
        self.name, self.size, self.buffer, self.file, self.start = name, size, buffer, file, start
        self.exact = exact

    def error(self, message):
        return FileFormatError(f"kiln.load: {self.name}: {message}")

    def read(self, offset, length):
        """An owned (or, from a memory map, viewed) uint8 array of `length` bytes; the caller checked bounds."""
        if self.buffer is not None:
            view = self.buffer[offset:offset + length]
            return view if isinstance(self.buffer, np.memmap) else view.copy()
        array = np.empty(length, np.uint8)
        self.file.seek(self.start + offset)
        got = self.file.readinto(memoryview(array))
        if got != length:
            raise self.error(f"truncated: expected {offset + length} bytes, file has {offset + (got or 0)}")
        return array

    def check_zero(self, offset, length, what):
        for start in range(offset, offset + length, _CHUNK):
            chunk = self.read(start, min(_CHUNK, offset + length - start))
            if chunk.any():
                raise self.error(f"nonzero padding byte in {what} at offset {start + int(np.flatnonzero(chunk)[0])}")


def _open_source(f, use_mmap):
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        name = repr(path)
        size = os.path.getsize(path)
        if use_mmap:
            buffer = np.memmap(path, dtype=np.uint8, mode="c") if size else np.empty(0, np.uint8)
            return _Source(name, size, buffer=buffer), None
        handle = open(path, "rb")  # closed by load_container
        return _Source(name, size, file=handle), handle
    if not hasattr(f, "read"):
        raise TypeError(f"kiln.load: f must be a path or a readable binary file, not {type(f).__name__}")
    name = repr(getattr(f, "name", None) or f"<{type(f).__name__}>")
    if use_mmap:
        if not hasattr(f, "fileno"):
            raise ValueError("kiln.load: mmap=True needs a path or a file with a file descriptor")
        start = f.tell()
        size = os.fstat(f.fileno()).st_size - start
        buffer = np.memmap(f, dtype=np.uint8, mode="c", offset=start) if size > 0 else np.empty(0, np.uint8)
        return _Source(name, size, buffer=buffer, exact=False), None
    if hasattr(f, "seekable") and f.seekable() and hasattr(f, "readinto"):
        start = f.tell()
        size = f.seek(0, os.SEEK_END) - start
        f.seek(start)
        return _Source(name, size, file=f, start=start, exact=False), None
    data = f.read()
    return _Source(name, len(data), buffer=np.frombuffer(data, np.uint8), exact=False), None


def _read_header(src):
    magic = src.read(0, min(src.size, 8)).tobytes()
    if not MAGIC.startswith(magic):
        raise src.error(f"not a Kiln file (magic bytes {magic!r}, expected {MAGIC!r})")
    if src.size < HEADER.size:
        raise src.error(f"truncated: expected at least {HEADER.size} bytes of header, file has {src.size}")
    raw = src.read(0, HEADER.size).tobytes()
    (_, major, minor, flags, manifest_length, data_offset, data_length, manifest_crc, reserved,
     header_crc) = HEADER.unpack(raw)
    if major != FORMAT_VERSION[0]:
        raise src.error(f"unsupported format version {major}.{minor} (this Kiln reads {FORMAT_VERSION[0]}.x)")
    if zlib.crc32(raw[:60]) != header_crc:
        raise src.error("header checksum mismatch (the header is damaged)")
    if flags & _REQUIRED_FLAGS:
        raise src.error(f"the file needs features this Kiln lacks (flags 0x{flags:08x}, format {major}.{minor})")
    if minor <= FORMAT_VERSION[1] and (flags or any(reserved)):
        raise src.error("reserved header fields are not zero")
    if data_offset % ALIGNMENT or data_length % ALIGNMENT or data_offset < HEADER.size + manifest_length:
        raise src.error(f"bad layout: manifest of {manifest_length} bytes, data section at {data_offset} of "
                        f"{data_length} bytes (offsets must be multiples of {ALIGNMENT}, after the manifest)")
    expected = data_offset + data_length
    if src.size < expected:
        raise src.error(f"truncated: expected {expected} bytes, file has {src.size}")
    if src.exact and src.size > expected:
        raise src.error(f"{src.size - expected} trailing bytes after the data section")
    return manifest_length, data_offset, data_length, manifest_crc


def _no_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _read_manifest(src, manifest_length, manifest_crc):
    text = src.read(HEADER.size, manifest_length).tobytes()
    if zlib.crc32(text) != manifest_crc:
        raise src.error("manifest checksum mismatch (the manifest is damaged)")
    try:
        manifest = json.loads(text.decode("utf-8"), object_pairs_hook=_no_duplicates,
                              parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise src.error(f"the manifest is not valid JSON: {str(error)[:200]}") from None
    if not isinstance(manifest, dict):
        raise src.error("the manifest is not a JSON object")
    return manifest


def _is_int(value):
    return type(value) is int


def _check_extent(src, what, entry, data_length):
    for field in ("offset", "length", "crc32"):
        if not _is_int(entry.get(field)):
            raise src.error(f"{what}: '{field}' must be an integer, got {str(entry.get(field))[:80]}")
    offset, length = entry["offset"], entry["length"]
    if offset < 0 or length < 0:
        raise src.error(f"{what}: negative offset or length ({offset}, {length})")
    if offset % ALIGNMENT:
        raise src.error(f"{what}: offset {offset} is not a multiple of {ALIGNMENT}")
    if offset + length > data_length:
        raise src.error(f"{what}: bytes {offset}..{offset + length} lie outside the data section of "
                        f"{data_length} bytes")
    if not 0 <= entry["crc32"] < 1 << 32:
        raise src.error(f"{what}: crc32 {entry['crc32']} is not a 32-bit value")
    return offset, length


def _check_tables(src, manifest, data_length):
    """Validates the array table and blobs; returns [(offset, length, kind, key, entry)] sorted by offset."""
    arrays = manifest.get("arrays")
    if not isinstance(arrays, list):
        raise src.error("the manifest's 'arrays' must be a list")
    extents = []
    for i, entry in enumerate(arrays):
        if not isinstance(entry, dict):
            raise src.error(f"array #{i} must be a JSON object")
        name = entry.get("name", f"#{i}")
        if not isinstance(name, str):
            raise src.error(f"array #{i}: 'name' must be a string")
        what = f"array '{name}'"
        dtype = entry.get("dtype")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise src.error(f"{what}: unknown dtype {str(dtype)[:80]!r} (known: {', '.join(DTYPES)})")
        shape = entry.get("shape")
        if (not isinstance(shape, list) or len(shape) > MAX_NDIM
                or not all(_is_int(s) and s >= 0 for s in shape)):
            raise src.error(f"{what}: shape must be a list of at most {MAX_NDIM} non-negative integers, "
                            f"got {str(shape)[:100]}")
        offset, length = _check_extent(src, what, entry, data_length)
        needed = math.prod(shape) * DTYPES[dtype][1].itemsize
        if needed != length:
            raise src.error(f"{what}: shape {shape} of {dtype} needs {needed} bytes, but its length is {length}")
        extents.append((offset, length, "array", i, entry))
    blobs = manifest.get("blobs", {})
    if not isinstance(blobs, dict):
        raise src.error("the manifest's 'blobs' must be a JSON object")
    for name, entry in blobs.items():
        if not isinstance(entry, dict):
            raise src.error(f"blob '{name}' must be a JSON object")
        offset, length = _check_extent(src, f"blob '{name}'", entry, data_length)
        extents.append((offset, length, "blob", name, entry))
    metadata = manifest.get("metadata", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise src.error("the manifest's 'metadata' must map strings to strings")
    extents.sort(key=lambda e: (e[0], e[1]))
    end, previous = 0, None
    for offset, length, kind, key, entry in extents:
        if offset < end:
            raise src.error(f"{_describe(kind, key, entry)} overlaps {previous}")
        end, previous = offset + length, _describe(kind, key, entry)
    return extents


def _describe(kind, key, entry):
    return f"array '{entry.get('name', f'#{key}')}'" if kind == "array" else f"blob '{key}'"


def _make_tensor(raw, entry):
    kiln_dtype, stored = DTYPES[entry["dtype"]]
    values = raw.view(stored).reshape(entry["shape"])
    if kiln_dtype is _C.bfloat16:
        return _bfloat16.from_bits(values.astype(np.uint16, copy=False))
    if not stored.isnative:
        values = values.astype(stored.newbyteorder("="))
    if kiln_dtype is _C.bool and values.view(np.uint8).max(initial=0) > 1:
        raise ValueError("bool values other than 0 and 1")
    return _C.from_numpy(values)


def _read_data(src, data_offset, data_length, extents):
    """Reads every array and blob in file order, checking the padding between them and every checksum."""
    tensors, blobs, position = {}, {}, 0
    for offset, length, kind, key, entry in extents:
        what = _describe(kind, key, entry)
        src.check_zero(data_offset + position, offset - position, f"the padding before {what}")
        raw = src.read(data_offset + offset, length)
        if zlib.crc32(raw) != entry["crc32"]:
            raise src.error(f"{what} checksum mismatch (stored 0x{entry['crc32']:08x}, computed "
                            f"0x{zlib.crc32(raw):08x})")
        if kind == "array":
            try:
                tensors[key] = _make_tensor(raw, entry)
            except ValueError as error:
                raise src.error(f"{what}: {error}") from None
        else:
            blobs[key] = raw.tobytes() if not isinstance(src.buffer, np.memmap) else memoryview(raw)
        position = offset + length
    src.check_zero(data_offset + position, data_length - position, "the padding at the end of the data section")
    return tensors, blobs


class _Decoder:
    """The manifest's tagged JSON values back into Python objects; each array becomes one tensor."""

    def __init__(self, src, tensors, arrays, place):
        self.src, self.tensors, self.arrays, self.place = src, tensors, arrays, place
        self.made = {}

    def fail(self, path, message):
        return self.src.error(f"manifest value at '{_path_text(path)}': {message}")

    def decode(self, value, path=()):
        if len(path) > MAX_DEPTH:
            raise self.fail(path[:8], f"nested deeper than {MAX_DEPTH} levels")
        if value is None or isinstance(value, (bool, str)):
            return value
        if not isinstance(value, dict) or len(value) != 1:
            raise self.fail(path, f"expected null, a boolean, a string or a one-key tagged object, got "
                                  f"{str(value)[:80]}")
        (tag, body), = value.items()
        if tag == "int":
            if not _is_int(body) or not _INT64[0] <= body <= _INT64[1]:
                raise self.fail(path, f"'int' must hold a 64-bit integer, got {str(body)[:80]}")
            return body
        if tag == "float":
            if body in ("nan", "inf", "-inf"):
                return float(body)
            if isinstance(body, bool) or not isinstance(body, (int, float)):
                raise self.fail(path, f"'float' must hold a number, 'nan', 'inf' or '-inf', got {str(body)[:80]}")
            return float(body)
        if tag in ("list", "tuple"):
            if not isinstance(body, list):
                raise self.fail(path, f"'{tag}' must hold a JSON array")
            items = [self.decode(v, path + (i,)) for i, v in enumerate(body)]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            return self._dict(body, path)
        if tag == "tensor":
            return self._tensor(body, path)
        if tag == "dtype":
            if not isinstance(body, str) or body not in DTYPES:
                raise self.fail(path, f"unknown dtype {str(body)[:80]!r}")
            return DTYPES[body][0]
        raise self.fail(path, f"unknown tag {tag!r}")

    def _dict(self, body, path):
        if not isinstance(body, list):
            raise self.fail(path, "'dict' must hold a JSON array of [key, value] pairs")
        result = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.fail(path, "'dict' entries must be [key, value] pairs")
            key = self.decode(pair[0], path)
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise self.fail(path, f"dict keys must be strings or ints, got {key!r}")
            if key in result:
                raise self.fail(path, f"duplicate dict key {key!r}")
            result[key] = self.decode(pair[1], path + (key,))
        return result

    def _tensor(self, body, path):
        if not isinstance(body, dict) or not _is_int(body.get("array")) or not isinstance(
                body.get("requires_grad", False), bool):
            raise self.fail(path, "'tensor' must hold {\"array\": index, \"requires_grad\": bool}")
        index = body["array"]
        if not 0 <= index < len(self.arrays):
            raise self.fail(path, f"tensor refers to array {index}, but the file has {len(self.arrays)}")
        if index not in self.made:
            tensor = self.place(self.tensors[index])
            if body.get("requires_grad", False):
                if not tensor.dtype.is_floating_point:
                    raise self.fail(path, f"a {tensor.dtype} tensor can't require grad")
                tensor.requires_grad_(True)
            self.made[index] = tensor
        return self.made[index]


def _placer(map_location):
    """map_location as PyTorch takes it: None, 'cpu', a kiln.device, a {'cpu': ...} dict or a callable."""
    if callable(map_location):
        return lambda t: map_location(t, "cpu")
    target = map_location
    if isinstance(map_location, dict):
        target = map_location.get("cpu", "cpu")
    if target is not None and str(target) != "cpu":
        raise NotImplementedError(f"kiln.load: map_location {map_location!r}: only cpu is supported")
    return lambda t: t


def load_container(f, *, mmap=False, map_location=None):
    """Reads a Kiln file: Container(obj, blobs, metadata). See load()."""
    place = _placer(map_location)
    src, handle = _open_source(f, mmap)
    try:
        manifest_length, data_offset, data_length, manifest_crc = _read_header(src)
        manifest = _read_manifest(src, manifest_length, manifest_crc)
        src.check_zero(HEADER.size + manifest_length, data_offset - HEADER.size - manifest_length,
                       "the padding after the manifest")
        extents = _check_tables(src, manifest, data_length)
        if "root" not in manifest:
            raise src.error("the manifest has no 'root'")
        tensors, blobs = _read_data(src, data_offset, data_length, extents)
        if src.file is not None:
            src.file.seek(src.start + data_offset + data_length)
        obj = _Decoder(src, tensors, manifest["arrays"], place).decode(manifest["root"])
        return Container(obj, blobs, dict(manifest.get("metadata", {})))
    finally:
        if handle is not None:
            handle.close()


def load(f, map_location=None, *, mmap=False, weights_only=None):
    """Loads what kiln.save wrote. `f` is a path or a readable binary file.

    Nothing in the file is executed (there is no pickle), so weights_only is accepted and ignored. With mmap=True
    (a path or a real file) arrays are mapped copy-on-write and wrapped without a copy; checksums are still
    verified. Any damaged or hostile input raises kiln.serialization.FileFormatError (a RuntimeError) naming the
    file and the problem.
    """
    return load_container(f, mmap=mmap, map_location=map_location).obj
