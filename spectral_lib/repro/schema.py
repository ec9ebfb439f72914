"""The types a results summary must have, checked all the way down when it is written and when it is read.

An experiment's ``fields`` map each top-level key of its summary to a type hint, which
:func:`conform` checks against the JSON value recursively:

- ``int``, ``float`` (an ``int`` is a float), ``str``, ``bool``, ``None``;
- ``list[T]``: every item a ``T``; ``dict[str, T]``: any keys, every value a ``T``;
- a ``TypedDict``: exactly its keys (those of a ``total=False`` class may be absent), each of its type;
- ``T | U``: either;
- a bare ``dict`` or ``list``: the container only, for what is checked where it is made (a run's
  settings by :func:`run_settings.settings`, an experiment's config by the experiment).

A mismatch raises with the path to it (``rows[3].test_error must be float or int or None, got str``).
"""

from __future__ import annotations

import types
import typing


def _options(hint) -> tuple:
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)


def _outer(hint) -> tuple[type, ...]:
    """The Python types of the JSON values ``hint`` (one option of a union) can describe."""
    if hint is None or hint is type(None):
        return (type(None),)
    if hint is float:
        return (float, int)
    if typing.is_typeddict(hint):
        return (dict,)
    return (typing.get_origin(hint) or hint,)


def _name(hint) -> str:
    if typing.is_typeddict(hint):
        return hint.__name__
    if origin := typing.get_origin(hint):
        return f"{origin.__name__}[{', '.join(_written(arg) for arg in typing.get_args(hint))}]"
    return " or ".join(t.__name__ if t is not type(None) else "None" for t in _outer(hint))


def _written(hint) -> str:
    """``hint`` as it is written in the code: ``float``, ``Row | None``, ``list[Row]``."""
    return " | ".join(
        "None" if o is None or o is type(None) else _name(o) if typing.get_origin(o) else o.__name__
        for o in _options(hint)
    )


def describe(hint) -> str:
    """``hint`` in words: ``float or int or None``, ``list[float]``, ``Row``."""
    return " or ".join(_name(option) for option in _options(hint))


def _accepts(value, hint) -> bool:
    kinds = _outer(hint)
    return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)


def keys(value: dict, expected, where: str, optional=frozenset()) -> None:
    """Raise unless ``value`` has exactly the keys ``expected``, those of ``optional`` perhaps not."""
    missing = sorted(set(expected) - set(optional) - set(value))
    unexpected = sorted(set(value) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{where} must have the keys {sorted(expected)}; missing {missing}, unexpected {unexpected}.")


def conform(value, hint, where: str) -> None:
    """Raise unless the JSON value ``value`` is of type ``hint`` (see the module's docstring), all the
    way down; ``where`` names the value in the error."""
    matching = [option for option in _options(hint) if _accepts(value, option)]
    if not matching:
        raise TypeError(f"{where} must be {describe(hint)}, got {type(value).__name__}.")
    hint = matching[0]
    if typing.is_typeddict(hint):
        fields = typing.get_type_hints(hint)
        keys(value, fields, where, hint.__optional_keys__)
        for key, v in value.items():
            conform(v, fields[key], f"{where}.{key}")
    elif typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        for i, v in enumerate(value):
            conform(v, item, f"{where}[{i}]")
    elif typing.get_origin(hint) is dict:
        key, item = typing.get_args(hint)
        for k, v in value.items():
            conform(k, key, f"a key of {where}")
            conform(v, item, f"{where}[{k!r}]")
