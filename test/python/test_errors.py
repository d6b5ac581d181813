"""Bad arguments raise the Python exception PyTorch raises, naming the function and the values."""

import numpy as np
import pytest

import kiln


@pytest.fixture
def t():
    return kiln.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))


def test_index_errors(t):
    with pytest.raises(IndexError, match=r"^transpose\(\): Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)$"):
        t.transpose(0, 5)
    with pytest.raises(IndexError, match=r"select\(\): index 2 out of range for tensor of size \[2, 3\] at dimension 0"):
        t.select(0, 2)
    with pytest.raises(IndexError, match=r"unsqueeze\(\): Dimension out of range"):
        t.unsqueeze(-4)
    with pytest.raises(IndexError, match=r"permute\(\): Dimension out of range"):
        t.permute(0, 2)
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for dimension 1 with size 3"):
        t[:, 3]
    with pytest.raises(IndexError, match=r"single ellipsis"):
        t[..., ...]
    with pytest.raises(IndexError, match=r"only integers, slices"):
        t[1.5]
    with pytest.raises(IndexError, match=r"size\(\): Dimension out of range"):
        t.size(2)
    with pytest.raises(IndexError, match=r"select\(\) cannot be applied to a 0-dim tensor"):
        kiln.tensor(1.0).select(0, 0)


def test_type_errors(t):
    with pytest.raises(TypeError, match=r"from_numpy\(\): can't convert np.ndarray of type numpy.int16"):
        kiln.from_numpy(np.zeros(3, dtype=np.int16))
    with pytest.raises(TypeError, match=r"numpy.complex128"):
        kiln.from_numpy(np.zeros(3, dtype=np.complex128))
    with pytest.raises(TypeError, match=r"numpy.object"):
        kiln.from_numpy(np.array([object()]))
    with pytest.raises(TypeError, match=r"from_numpy\(\): expected np.ndarray \(got list\)"):
        kiln.from_numpy([1, 2])
    with pytest.raises(TypeError, match=r"Got unsupported ScalarType BFloat16"):
        kiln.tensor([1.0], dtype=kiln.bfloat16).numpy()
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(kiln.tensor(1.0))
    with pytest.raises(TypeError, match=r"view\(\): argument 'size' must be tuple of ints, but found element of type float at pos 1"):
        t.view(3, 2.0)
    with pytest.raises(TypeError, match=r"tensor\(\): can't convert np.ndarray of type numpy.int16"):
        kiln.tensor(np.zeros(2, dtype=np.int16))
    with pytest.raises(TypeError, match=r"tensor\(\): Could not infer dtype of list"):
        kiln.tensor([1, "a"])


def test_value_errors(t):
    a = np.arange(6.0)[::-1]
    with pytest.raises(ValueError, match=r"from_numpy\(\): At least one stride in the given numpy array is negative"):
        kiln.from_numpy(a)
    with pytest.raises(ValueError, match=r"device\(\).*gpu:0"):
        kiln.device("gpu:0")
    with pytest.raises(ValueError, match=r"device\(\): Invalid device string: 'cuda:x'"):
        kiln.device("cuda:x")
    with pytest.raises(ValueError, match=r"step must be greater than zero"):
        t[::0]
    with pytest.raises(ValueError, match=r"step must be greater than zero"):
        t[::-1]
    with pytest.raises(ValueError, match=r"tensor\(\): could not build a tensor"):
        kiln.tensor([[1, 2], [3]])


def test_runtime_errors(t):
    with pytest.raises(RuntimeError, match=r"view\(\): view size is not compatible with input tensor's size and stride.*Use \.reshape\(\.\.\.\) instead"):
        t.t().view(6)
    with pytest.raises(RuntimeError, match=r"view\(\): shape '\[4, 2\]' is invalid for input of size 6"):
        t.view(4, 2)
    with pytest.raises(RuntimeError, match=r"as_strided\(\): sizes \[3, 3\], strides \[3, 1\], storage offset 0, and itemsize 4 requiring a storage size of 36 are out of bounds for storage of size 24"):
        t.as_strided((3, 3), (3, 1))
    with pytest.raises(RuntimeError, match=r"expand\(\): The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton dimension 1"):
        t.expand(2, 4)
    with pytest.raises(RuntimeError, match=r"empty\(\): Trying to create tensor with negative dimension -2: \[-2, 3\]"):
        kiln.empty(-2, 3)
    with pytest.raises(RuntimeError, match=r"item\(\): a Tensor with 6 elements cannot be converted to Scalar"):
        t.item()
    with pytest.raises(RuntimeError, match=r"narrow\(\): start \(2\) \+ length \(2\) exceeds dimension size \(3\)"):
        t.narrow(1, 2, 2)
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        t.unsqueeze(0).t()
    with pytest.raises(RuntimeError, match=r"permute\(\): duplicate dims"):
        t.permute(1, 1)
    with pytest.raises(RuntimeError, match=r"view\(\): argument 'size' element at pos 0 does not fit in int64"):
        t.view(2**70)


def test_not_implemented_errors():
    with pytest.raises(NotImplementedError, match=r"tensor\(\): tensors on device 'cuda:0' are not supported yet"):
        kiln.tensor([1.0], device="cuda:0")
    with pytest.raises(NotImplementedError, match=r"empty\(\)"):
        kiln.empty(2, device=kiln.device("cuda"))


def test_errors_leave_the_tensor_usable(t):
    with pytest.raises(IndexError):
        t.transpose(0, 9)
    assert t.transpose(0, 1).tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
