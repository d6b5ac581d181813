"""kiln.Size: the tuple that Tensor.shape and Tensor.size() return, printed as PyTorch prints torch.Size."""


class Size(tuple):
    """A tuple of ints naming a tensor's shape."""

    def __repr__(self):
        return f"kiln.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item
