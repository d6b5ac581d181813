"""Shared-memory segments through which DataLoader workers hand batches to the main process.

A worker writes every array and tensor of a batch into one segment, a file under /dev/shm named
`kiln_dl_<main pid>_<iterator token>_w<worker id>_<sequence>`, at page-aligned offsets (the file grows as arrays
arrive, so default_collate can stack straight into it), and sends only the pickled rest of the batch, in which each
array is a reference (offset, dtype, shape). The main process maps the file, unlinks it at once, and wraps each
array as a NumPy view of its own mapping of the file's pages (and a kiln tensor on it by kiln.from_numpy): no
copy. Each mapping lives as long as its array or tensor does.

Every name of one iterator starts with its prefix, so shutting the iterator down removes whatever is left of it,
whichever worker wrote it and whether it was announced or not: see remove_segments.
"""

import io
import mmap
import os
import pickle
import secrets
import tempfile

import numpy as np

import kiln

SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
PREFIX = "kiln_dl_"
_ALIGN = mmap.ALLOCATIONGRANULARITY


def iterator_prefix():
    """The name prefix of one DataLoader iterator's segments."""
    return f"{PREFIX}{os.getpid()}_{secrets.token_hex(4)}_"


def remove_segments(prefix):
    """Unlinks every segment whose name starts with `prefix`; returns how many there were."""
    try:
        names = [name for name in os.listdir(SHM_DIR) if name.startswith(prefix)]
    except OSError:
        return 0
    for name in names:
        unlink(name)
    return len(names)


def remove_openmp_registration(pid):
    """Removes the file by which LLVM's OpenMP runtime registers a process that started it
    (/dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid>). The runtime removes it in an exit handler, but worker processes
    end with os._exit (as multiprocessing ends every child) or by a signal, which run none."""
    if SHM_DIR == "/dev/shm":
        unlink(f"__KMP_REGISTERED_LIB_{pid}_{os.getuid()}")


def unlink(name):
    try:
        os.unlink(os.path.join(SHM_DIR, name))
    except FileNotFoundError:
        pass


class SegmentWriter:
    """A worker's segment for one batch; the file is created at the first array that has bytes."""

    def __init__(self, name):
        self.name = name
        self.size = 0
        self._fd = None
        self._created = False
        self._regions = []  # (address, end, offset) of each mapped array, to find arrays already in the segment

    @property
    def created(self):
        return self._created

    def _allocate(self, shape, dtype):
        """A C-contiguous array in the segment and its offset (None for an empty array, which needs no bytes)."""
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes == 0:
            return np.empty(shape, dtype), None
        if not self._created:
            self._fd = os.open(os.path.join(SHM_DIR, self.name), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            self._created = True
        offset = -(-self.size // _ALIGN) * _ALIGN
        try:
            # Reserving the pages (rather than ftruncate's holes) turns a full /dev/shm into this error instead of
            # a SIGBUS at the first write.
            os.posix_fallocate(self._fd, offset, nbytes)
        except OSError as error:
            raise OSError(
                error.errno,
                f"DataLoader worker: cannot allocate {nbytes} bytes of shared memory in {SHM_DIR} for a batch "
                f"({error.strerror}); free space there or make it larger (docker: --shm-size)",
            ) from None
        self.size = offset + nbytes
        array = np.ndarray(shape, dtype, buffer=mmap.mmap(self._fd, nbytes, offset=offset))
        address = array.ctypes.data
        self._regions.append((address, address + nbytes, offset))
        return array, offset

    def stack(self, arrays):
        """default_collate's stack, written straight into the segment: a kiln tensor on the mapping."""
        out, _ = self._allocate((len(arrays),) + arrays[0].shape, np.result_type(arrays[0]))
        np.stack(arrays, out=out)
        return kiln.from_numpy(out)

    def _place(self, array):
        """The offset of `array`'s bytes in the segment: where they already are, else where they are copied to."""
        if array.size and array.flags.c_contiguous:
            address = array.ctypes.data
            for start, end, offset in self._regions:
                if start <= address and address + array.nbytes <= end:
                    return offset + address - start
        out, offset = self._allocate(array.shape, array.dtype)
        np.copyto(out, array)
        return offset

    def reference(self, obj):
        """The persistent id of a tensor or array (None for anything else, which is pickled as usual)."""
        if isinstance(obj, kiln.Tensor):
            tensor = obj.detach()
            bfloat16 = tensor.dtype == kiln.bfloat16
            array = (tensor.to(kiln.float32) if bfloat16 else tensor).numpy()
            return ("tensor", self._place(array), array.dtype, array.shape, bfloat16, obj.requires_grad)
        if type(obj) is np.ndarray or isinstance(obj, np.memmap):
            if obj.dtype.hasobject:
                return None
            return ("array", self._place(obj), obj.dtype, obj.shape, False, False)
        return None

    def pack(self, data):
        """`data` pickled, its arrays and tensors replaced by references into the segment."""
        buffer = io.BytesIO()
        _Packer(buffer, self).dump(data)
        return buffer.getvalue()

    def close(self):
        """Closes the file; its mappings stay until the arrays on them are freed."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self):
        """Closes and unlinks the file: the batch will not be announced."""
        self.close()
        if self._created:
            unlink(self.name)


class _Packer(pickle.Pickler):
    def __init__(self, file, segment):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._segment = segment

    def persistent_id(self, obj):
        return self._segment.reference(obj)


class _Unpacker(pickle.Unpickler):
    def __init__(self, file, fd):
        super().__init__(file)
        self._fd = fd

    def persistent_load(self, pid):
        kind, offset, dtype, shape, bfloat16, requires_grad = pid
        if offset is None:
            array = np.empty(shape, dtype)
        else:
            # Each array maps its own pages, so that keeping one tensor of a batch does not keep the others.
            start = offset - offset % _ALIGN
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            mapping = mmap.mmap(self._fd, offset - start + nbytes, offset=start)
            array = np.ndarray(shape, dtype, buffer=mapping, offset=offset - start)
        if kind == "array":
            return array
        tensor = kiln.from_numpy(array)
        if bfloat16:
            tensor = tensor.to(kiln.bfloat16)
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor


def load(name, payload):
    """The batch a worker announced: unpickles the payload with its arrays and tensors as views of segment `name`
    (when the batch has one), mapped, then unlinked."""
    if name is None:
        return _Unpacker(io.BytesIO(payload), None).load()
    try:
        fd = os.open(os.path.join(SHM_DIR, name), os.O_RDWR)
    except FileNotFoundError:
        raise RuntimeError(f"DataLoader: the shared-memory segment {name} of a batch is missing") from None
    try:
        return _Unpacker(io.BytesIO(payload), fd).load()
    finally:
        os.close(fd)
        unlink(name)
