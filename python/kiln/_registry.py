"""How each module of the op surface registers its kiln functions and Tensor methods (kiln/__init__.py installs them)."""


def exporter(functions, methods):
    """A decorator `@export(*names, method=True, function=True)` filling `functions` (kiln.<name>) and `methods`
    (Tensor.<name>)."""

    def export(*names, method=True, function=True):
        def register(fn):
            for name in names:
                if function:
                    functions[name] = fn
                if method:
                    methods[name] = fn
            return fn

        return register

    return export
