"""The results schemas are checked all the way down, with the path to what is wrong."""

from typing import TypedDict

import pytest

from spectral_lib.repro import schema


class _Point(TypedDict):
    x: float
    label: str | None


class Point(_Point, total=False):
    note: str


def test_a_typed_dict_needs_its_keys_but_the_optional_ones_and_each_of_its_type():
    schema.conform({"x": 1, "label": None}, Point, "p")  # an int is a float; None is allowed; note is optional
    schema.conform({"x": 1.5, "label": "a", "note": "n"}, Point, "p")
    with pytest.raises(ValueError, match=r"p must have the keys .*; missing \['label'\], unexpected \['y'\]"):
        schema.conform({"x": 1.0, "y": 2}, Point, "p")
    with pytest.raises(TypeError, match=r"p.label must be str or None, got int"):
        schema.conform({"x": 1.0, "label": 3}, Point, "p")
    with pytest.raises(TypeError, match=r"p.x must be float or int, got bool"):  # a bool is not a number here
        schema.conform({"x": True, "label": None}, Point, "p")


def test_lists_and_mappings_are_checked_item_by_item_and_a_bare_container_is_not():
    hint = dict[str, list[Point]]
    schema.conform({"a": [{"x": 0, "label": None}], "b": []}, hint, "r")
    with pytest.raises(TypeError, match=r"r\['a'\]\[1\].x must be float or int, got str"):
        schema.conform({"a": [{"x": 0, "label": None}, {"x": "0", "label": None}]}, hint, "r")
    with pytest.raises(TypeError, match=r"a key of r must be str, got int"):
        schema.conform({1: []}, hint, "r")
    with pytest.raises(TypeError, match=r"r must be dict\[str, list\[Point\]\] or None, got list"):
        schema.conform([], hint | None, "r")
    schema.conform({"anything": object()}, dict, "r")
