"""The two ways this package changes moto: grafting methods onto its classes and adding state to its backends."""

import inspect


def graft(target: type, source: type) -> None:
    """Copy every function defined on `source` onto `target`, replacing moto's own where names clash."""
    for name, value in vars(source).items():
        if inspect.isfunction(value):
            setattr(target, name, value)


def extend_init(backend_class: type, add_state) -> None:
    """Run `add_state(backend)` after moto's own __init__ (which moto's reset also calls)."""
    moto_init = backend_class.__init__

    def __init__(self, *args, **kwargs):
        moto_init(self, *args, **kwargs)
        add_state(self)

    backend_class.__init__ = __init__
