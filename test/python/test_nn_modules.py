"""kiln.nn.Module mechanics: registration, iteration, state_dict, hooks, modes, conversion, repr, containers and
Parameter."""
import collections
import copy
import pickle

import numpy as np
import pytest

import kiln
import kiln.nn as nn
from nn_reference import close


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.block = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
        self.scale = nn.Parameter(kiln.ones(1))
        self.register_buffer("steps", kiln.zeros((), dtype=kiln.int64))
        self.register_buffer("cache", kiln.zeros(2), persistent=False)
        self.plain = 5

    def forward(self, x):
        return self.block(self.fc(x)) * self.scale


def test_registration_by_attribute():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias", "block.1.weight",
                                                      "block.1.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc", "block"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "block", "block.0", "block.1"]
    assert list(net.modules())[0] is net and len(list(net.children())) == 2
    assert [n for n, _ in net.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.scale"
    assert net.plain == 5 and "plain" not in net._parameters
    assert isinstance(net.scale, nn.Parameter) and net.steps.dtype is kiln.int64
    assert "fc" in dir(net) and "scale" in dir(net) and "steps" in dir(net)
    assert net.get_submodule("block.1") is net.block[1]
    assert net.get_parameter("block.1.bias") is net.block[1].bias and net.get_buffer("steps") is net.steps
    net.extra = nn.Parameter(kiln.zeros(2))
    assert "extra" in dict(net.named_parameters())
    del net.extra
    assert "extra" not in dict(net.named_parameters())
    net.fc = None
    assert [n for n, _ in net.named_children()] == ["block"]
    net.steps = kiln.ones(())
    assert net.steps.item() == 1.0 and "steps" in net._buffers
    net.add_module("head", nn.Identity())
    net.register_module("tail", nn.Tanh())
    net.register_parameter("opt", None)
    assert net.opt is None and [n for n, _ in net.named_children()][-2:] == ["head", "tail"]


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]


def test_registration_errors():
    net = Net()
    with pytest.raises(TypeError, match=r"cannot assign 'kiln.Tensor\(kiln.float32\)' as parameter 'scale' "
                                        r"\(kiln.nn.Parameter or None expected\)"):
        net.scale = kiln.ones(1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'fc'"):
        net.fc = 3
    with pytest.raises(TypeError, match="cannot assign 'str' as buffer 'steps'"):
        net.steps = "x"
    with pytest.raises(KeyError, match="parameter name can.*contain"):
        net.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="attribute 'fc' already exists"):
        net.register_buffer("fc", kiln.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'buf'"):
        net.register_buffer("buf", 3)
    with pytest.raises(TypeError, match="object to parameter 'bias2' \\(kiln.nn.Parameter or None required\\)"):
        net.register_parameter("bias2", kiln.ones(1))
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        net.add_module("x", 3)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        net.missing

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(kiln.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward" function'):
        nn.Module()(1)


def test_state_dict_round_trip():
    net, other = Net(), Net()
    state = net.state_dict()
    assert isinstance(state, collections.OrderedDict)
    assert list(state) == ["scale", "steps", "fc.weight", "fc.bias", "block.1.weight", "block.1.bias"]
    assert not state["fc.weight"].requires_grad and net.state_dict(keep_vars=True)["fc.weight"] is net.fc.weight
    weight = other.fc.weight
    result = other.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert other.fc.weight is weight and other.fc.weight.requires_grad  # copied in place
    for name, value in state.items():
        np.testing.assert_array_equal(other.state_dict()[name].numpy(), value.numpy())
    x = kiln.randn(5, 3)
    np.testing.assert_array_equal(other(x).detach().numpy(), net(x).detach().numpy())


def test_load_state_dict_errors_and_non_strict():
    layer = nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as info:
        layer.load_state_dict({"weight": kiln.randn(3, 3), "bias": kiln.randn(3), "foo": kiln.ones(1)})
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n\tUnexpected key(s) in state_dict: \"foo\". \n\tsize mismatch for "
        "weight: copying a param with shape kiln.Size([3, 3]) from checkpoint, the shape in current model is "
        "kiln.Size([3, 2]).")
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias". '):
        layer.load_state_dict({"weight": kiln.randn(3, 2)})
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", expected kiln.Tensor'):
        layer.load_state_dict({"weight": 3, "bias": kiln.randn(3)})
    result = layer.load_state_dict({"weight": kiln.ones(3, 2), "extra.x": kiln.ones(1)}, strict=False)
    assert result == (["bias"], ["extra.x"]) and result.missing_keys == ["bias"]
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra.x'])"
    assert (layer.weight.numpy() == 1).all()
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        layer.load_state_dict({"weight": kiln.ones(2, 2)}, strict=False)
    bn = nn.BatchNorm1d(2)
    state = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(state).missing_keys == []  # as PyTorch for checkpoints without the counter


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = layer(kiln.ones(3, 2))
    close(out, np.broadcast_to(layer.bias.detach().numpy() + 1, (3, 2)).astype(np.float64), kiln.float32)
    assert calls == [kiln.Size([3, 2])]
    pre.remove()
    post.remove()
    close(layer(kiln.zeros(1, 2)), layer.bias.detach().numpy()[None].astype(np.float64), kiln.float32)
    assert len(calls) == 1
    seen = []
    with layer.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True):
        layer.register_forward_hook(lambda m, args, kwargs, out: seen.append(args[0].sum().item()), with_kwargs=True)
        layer(kiln.zeros(1, 2))
    layer(kiln.zeros(1, 2))
    assert seen == [2.0, 0.0]  # the pre-hook was removed on leaving the with block
    order = []
    layer.register_forward_pre_hook(lambda m, a: order.append("first"))
    layer.register_forward_pre_hook(lambda m, a: order.append("prepended"), prepend=True)
    layer(kiln.zeros(1, 2))
    assert order == ["prepended", "first"]


def test_train_eval_apply_and_requires_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.9), nn.BatchNorm1d(2))
    assert model.training and model[1].training
    assert model.eval() is model and not model[1].training and not model[2].training
    x = kiln.ones(4, 2)
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())  # deterministic in eval
    model.train()
    assert model[2].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        model.train("yes")
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Dropout", "BatchNorm1d", "Sequential"]
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_zero_grad():
    layer = nn.Linear(2, 2)
    layer(kiln.ones(1, 2)).sum().backward()
    assert layer.weight.grad is not None
    layer.zero_grad(set_to_none=False)
    assert (layer.weight.grad.numpy() == 0).all()
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_to_dtype_and_device():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model(kiln.randn(4, 2)).sum().backward()
    weight = model[0].weight
    assert model.to(kiln.float64) is model
    assert model[0].weight is weight and weight.dtype is kiln.float64 and weight.requires_grad
    assert isinstance(weight, nn.Parameter) and weight.grad.dtype is kiln.float64
    assert model[1].running_mean.dtype is kiln.float64 and model[1].num_batches_tracked.dtype is kiln.int64
    assert model(kiln.randn(4, 2, dtype=kiln.float64)).dtype is kiln.float64
    assert model.float()[0].weight.dtype is kiln.float32
    assert model.half()[0].bias.dtype is kiln.float16
    assert model.double()[0].bias.dtype is kiln.float64
    assert model.to("cpu") is model and model.cpu() is model
    model.to(kiln.zeros(1, dtype=kiln.float32))
    assert model[0].weight.dtype is kiln.float32
    with pytest.raises(NotImplementedError, match="Module.to\\(\\): device 'cuda:1' is not supported"):
        model.to("cuda:1")
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                        "dtype=kiln.int64"):
        model.to(kiln.int64)
    with pytest.raises(NotImplementedError, match="device 'cuda' is not supported"):
        nn.Linear(2, 2, device="cuda")


def test_repr():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding="same", bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(8, 10),
        nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.GELU(approximate="tanh")]),
        nn.ModuleDict({"norm": nn.LayerNorm([4, 5]), "emb": nn.Embedding(10, 3, padding_idx=0)}),
        nn.Conv1d(2, 4, 3, stride=2, dilation=2, groups=2, padding_mode="circular"),
        nn.AvgPool2d(3), nn.AdaptiveAvgPool2d((None, 7)), nn.GroupNorm(2, 4), nn.Unflatten(1, (2, 5)),
        nn.LeakyReLU(), nn.Softmax(dim=1), nn.CrossEntropyLoss())
    assert repr(model) == """Sequential(
  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False)
  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (2): ReLU(inplace=True)
  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  (4): Flatten(start_dim=1, end_dim=-1)
  (5): Dropout(p=0.1, inplace=False)
  (6): Linear(in_features=8, out_features=10, bias=True)
  (7): ModuleList(
    (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
    (3): GELU(approximate='tanh')
  )
  (8): ModuleDict(
    (norm): LayerNorm((4, 5), eps=1e-05, elementwise_affine=True)
    (emb): Embedding(10, 3, padding_idx=0)
  )
  (9): Conv1d(2, 4, kernel_size=(3,), stride=(2,), dilation=(2,), groups=2, padding_mode=circular)
  (10): AvgPool2d(kernel_size=3, stride=3, padding=0)
  (11): AdaptiveAvgPool2d(output_size=(None, 7))
  (12): GroupNorm(2, 4, eps=1e-05, affine=True)
  (13): Unflatten(dim=1, unflattened_size=(2, 5))
  (14): LeakyReLU(negative_slope=0.01)
  (15): Softmax(dim=1)
  (16): CrossEntropyLoss()
)"""
    assert repr(nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2))) == \
        "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2))"
    assert repr(Net()) == """Net(
  (fc): Linear(in_features=3, out_features=4, bias=True)
  (block): Sequential(
    (0): ReLU()
    (1): Linear(in_features=4, out_features=2, bias=True)
  )
)"""

    class Custom(nn.Module):
        def extra_repr(self):
            return "first line\nsecond line"

    assert repr(Custom()) == "Custom(\n  first line\n  second line\n)"


def test_parameter():
    p = nn.Parameter(kiln.ones(2))
    assert isinstance(p, kiln.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)" == str(p)
    frozen = nn.Parameter(kiln.ones(2, dtype=kiln.float64), requires_grad=False)
    assert repr(frozen) == "Parameter containing:\ntensor([1., 1.], dtype=kiln.float64)"
    assert type(p * 2) is kiln.Tensor and (p * 2).grad_fn is not None
    source = kiln.zeros(2)
    q = nn.Parameter(source)
    with kiln.no_grad():
        q.add_(1)
    assert source.tolist() == [0, 0] and isinstance(q, nn.Parameter)  # a copy, updated in place
    assert tuple(nn.Parameter().shape) == (0,)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        nn.Parameter(kiln.tensor([1, 2]))
    assert not nn.Parameter(kiln.tensor([1, 2]), requires_grad=False).requires_grad


def test_deepcopy_and_pickle():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc.weight is not net.fc.weight and isinstance(clone.fc.weight, nn.Parameter)
    np.testing.assert_array_equal(clone.fc.weight.detach().numpy(), net.fc.weight.detach().numpy())
    with kiln.no_grad():
        net.fc.weight.add_(1)
    assert not np.allclose(clone.fc.weight.detach().numpy(), net.fc.weight.detach().numpy())
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.fc.weight.detach().numpy(), net.fc.weight.detach().numpy())
    assert restored.fc.weight.requires_grad and [n for n, _ in restored.named_buffers()] == ["steps", "cache"]


def test_sequential():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    x = kiln.randn(4, 2)
    close(seq(x).detach(), c(b(a(x))).detach().numpy().astype(np.float64), kiln.float32)
    named = nn.Sequential(collections.OrderedDict([("first", a), ("act", b)]))
    assert named.first is a and [n for n, _ in named.named_children()] == ["first", "act"]
    seq.append(nn.Tanh())
    assert len(seq) == 4 and isinstance(seq[3], nn.Tanh)
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and seq[1] is c
    seq.insert(1, b)
    assert seq[1] is b and len(seq) == 4
    assert seq.pop(0) is a and len(seq) == 3
    seq[0] = nn.Identity()
    assert isinstance(seq[0], nn.Identity)
    assert len(seq + nn.Sequential(nn.ReLU())) == 4 and len(seq.extend([nn.ReLU()])) == 4
    with pytest.raises(IndexError, match="index 7 is out of range"):
        seq[7]
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        seq["a"]


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    assert isinstance(layers.pop(-1), nn.Tanh) and len(layers) == 4
    layers += nn.ModuleList([nn.ReLU()])
    assert len(layers) == 5
    with pytest.raises(IndexError, match="index 9 is out of range"):
        layers[9]
    with pytest.raises(NotImplementedError, match="missing the required \"forward\" function"):
        layers(kiln.ones(1))
    table = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(1, 1)})
    table["c"] = nn.Tanh()
    table.update([("d", nn.Identity())])
    assert list(table) == ["a", "b", "c", "d"] and "b" in table and len(table) == 4
    assert list(table.keys()) == ["a", "b", "c", "d"] and isinstance(table.pop("a"), nn.ReLU)
    assert [n for n, _ in table.named_parameters()] == ["b.weight", "b.bias"]
    with pytest.raises(KeyError):
        table["zzz"]
    table.clear()
    assert len(table) == 0
