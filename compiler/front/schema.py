"""The JSON Schema of the spec format, generated from the pydantic models of `resnetc.front.spec`.

Most of it is pydantic's own output: every field's schema comes from its `WithJsonSchema`
annotation and its description from its `Field`. Two fields are read from a YAML shape that differs
from their model (their `BeforeValidator`s reshape it), so their schema is rebuilt here from the
same models: `stages` (a mapping from stage name to a cell, or to `{cell, stride}`) and `expect`
(a mapping from layer name to a size, plus `downsample`). Defaults are shown as the user writes
them (`"3x3"`, not the `Choice` that holds it). Output is deterministic: `text()` gives the same
bytes on every machine.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from . import limits, notation, spec
from .notation import BY, NUMBER

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_STAGE_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
_SIZE = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": rf"^\s*{NUMBER}(\s*{BY}\s*{NUMBER})?\s*$"},
    ],
    "examples": ["56x56"],
}


class _Generator(GenerateJsonSchema):
    """pydantic's generator, writing a `Choice`/`Flag`/`Value` default as its plain value."""

    def encode_default(self, dft: Any) -> Any:
        """The default as the user would write it."""
        return super().encode_default(_plain(dft))


def _plain(value: Any) -> Any:
    """A default with every spanned value (`Choice("3x3", None)`) replaced by what it holds."""
    if isinstance(value, (spec.Choice, spec.Flag, spec.Value, spec.Name, spec.Rate)):
        return value.value
    if isinstance(value, spec.Kernel):
        return notation.kernel_text(value.value)
    if isinstance(value, spec.NormChoice):
        return notation.norm_text(value.groups)
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    return value


def _stages(defs: dict[str, Any], described: dict[str, Any]) -> dict[str, Any]:
    stage = defs.pop("Stage")
    cell = stage["properties"]["cell"]
    entry = {
        "type": "object",
        "description": stage["description"],
        "properties": {k: v for k, v in stage["properties"].items() if k != "name"},
        "required": ["cell"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": described["description"],
        "propertyNames": {"pattern": _STAGE_NAME},
        "minProperties": 1,
        "maxProperties": limits.MAX_STAGES,
        "additionalProperties": {"anyOf": [cell, entry]},
        "examples": [{"conv2_x": get_args(spec.CellT)[-1].json_schema["examples"][0]}],
    }


def _expect(defs: dict[str, Any], described: dict[str, Any]) -> dict[str, Any]:
    expect = defs.pop("Expect")
    sizes = expect["properties"]["sizes"]
    return {
        "type": "object",
        "description": described["description"],
        "properties": {"downsample": expect["properties"]["downsample"]},
        "additionalProperties": {**_SIZE, "description": sizes["description"]},
        "examples": [{"conv1": "112x112", "conv5_x": "7x7", "downsample": 32}],
    }


def _drop_unreferenced(schema: dict[str, Any]) -> None:
    text = json.dumps({k: v for k, v in schema.items() if k != "$defs"})
    for name in list(schema["$defs"]):
        if f'"#/$defs/{name}"' not in text:
            del schema["$defs"][name]


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a resnetc spec, as a dict."""
    out = spec.Spec.model_json_schema(schema_generator=_Generator)
    props = out["properties"]
    props["stages"] = _stages(out["$defs"], props["stages"])
    props["expect"] = _expect(out["$defs"], props["expect"])
    for name in ("Name", "Span", "Size"):
        out["$defs"].pop(name, None)
    _drop_unreferenced(out)
    return {
        "$schema": DIALECT,
        "title": "resnetc spec",
        "description": (
            "A residual network written as one column of the ResNet paper's Table 1"
            " (He et al. 2016), compiled to PyTorch by resnetc. Written by `resnetc schema`."
        ),
        **{k: v for k, v in out.items() if k not in ("title", "description")},
    }


def text() -> str:
    """The schema as JSON text: two-space indented, keys in a fixed order, a final newline."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
