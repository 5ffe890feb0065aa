"""What is wrong with a routine, in a person's words: pydantic's validation errors
turned into problems at the file, line and column of the YAML, with a guess
where one fits ("did you mean 'expression'?")."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ValidationError

from calmflow.core.quantities import duration_text, parse_duration, parse_volume
from calmflow.core.routine import TAGS, ProblemAt, Routine
from calmflow.core.yamlsource import Problem, Source


def _walk(loc: tuple[Any, ...]) -> tuple[tuple[str | int, ...], type[BaseModel] | None]:
    """Keep the parts of a pydantic `loc` that are keys or indexes of the document.

    pydantic adds the names of union branches ("float", "function-after[...]");
    they are dropped. Also returns the model whose fields live at the end.
    """
    out: list[str | int] = []
    model: type[BaseModel] | None = Routine
    in_container = False
    for part in loc:
        if in_container:
            out.append(part)
            in_container = False
        elif isinstance(part, str) and part in TAGS:  # which branch of a phase list item
            model = TAGS[part]
        elif model is not None and isinstance(part, str) and part in model.model_fields:
            out.append(part)
            annotation = model.model_fields[part].annotation
            if get_origin(annotation) in (list, dict):
                in_container = True
                annotation = get_args(annotation)[-1]
            model = _first_model(annotation)
    return tuple(out), model


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _first_model(arg)
        if found:
            return found
    return None


def _parsed_by(raw: tuple[Any, ...], parser: Callable[[Any], Any]) -> bool:
    """Whether the field at pydantic's `raw` loc is read with `parser`."""
    model = _walk(raw[:-1])[1]
    field = model.model_fields.get(str(raw[-1])) if model else None
    if field is None:
        return False

    def mentions(node: Any) -> bool:
        if isinstance(node, BeforeValidator):
            return node.func is parser
        return any(mentions(arg) for arg in get_args(node))

    return any(mentions(node) for node in (field.annotation, *field.metadata))


_BOUNDS = {
    "greater_than": ("gt", "more than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


MAX_DIGITS = 30
"""A whole number longer than this is described by its length, not written out."""

_AS_BOOLEAN = {0: "false", 1: "true", "no": "false", "yes": "true", "off": "false", "on": "true"}
"""What a person who wrote these for a yes or no meant: the YAML to write instead."""


def _written(value: Any) -> str:
    """A value found in a routine as YAML spells it: true, not True; a number of
    hundreds of digits by its length."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, int) and abs(value) >= 10**MAX_DIGITS:
        return f"a number of {len(str(abs(value))):,} digits"
    return repr(value)


def _wrong_type(kind: str, found: Any, field: str) -> str | None:
    """A person's sentence for a value of the wrong type, with what to write."""
    if kind == "bool_type":
        key = found.lower() if isinstance(found, str) else found
        meant = _AS_BOOLEAN.get(key) if isinstance(key, int | str) else None
        instead = f": write {field}: {meant}" if meant else ""
        return f"expected true or false; found {_written(found)}{instead}"
    if kind in ("float_type", "int_type"):
        number = "a whole number" if kind == "int_type" else "a number"
        if isinstance(found, bool):
            return f"expected {number}, not true or false; found {_written(found)}"
        if isinstance(found, int):  # too large to be a number calmflow can use
            return f"{_written(found)} is far too large; expected {number}"
        if isinstance(found, str):
            return f"expected {number}; found {found!r} (a number is written without quotes)"
        return f"expected {number}; found {_written(found)}"
    if kind == "string_type" and isinstance(found, bool | int | float):
        return f"expected words; found {_written(found)} (put it in quotes to keep it as written)"
    return None


def suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _describe(err: dict[str, Any], loc: tuple[str | int, ...]) -> tuple[str, bool]:
    """A person's sentence for one pydantic error, and whether it is about a key."""
    kind = err["type"]
    found = err.get("input")
    key, words = _BOUNDS.get(kind, ("", ""))
    bound = err.get("ctx", {}).get(key)
    if isinstance(bound, int | float):
        raw = tuple(err["loc"])
        if _parsed_by(raw, parse_volume):
            return f"a volume is from 0 to 1, or in dB like -12dB; found {found!r}", False
        limit = duration_text(bound) if _parsed_by(raw, parse_duration) else f"{bound:g}"
        return f"must be {words} {limit}; found {_written(found)}", False
    if kind == "extra_forbidden":
        model = _walk(loc[:-1])[1]
        choices = list(model.model_fields) if model else []
        key = str(loc[-1])
        hint = suggest(key, choices) or (
            f" (expected one of: {', '.join(choices)})" if choices else ""
        )
        return f"unknown key '{key}'{hint}", True
    if kind == "missing":
        return f"missing '{loc[-1]}'", False
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = re.findall(r"'([^']*)'", expected) or re.split(r", | or ", expected)
        hint = suggest(str(found), options) if isinstance(found, str) else ""
        return f"expected one of {', '.join(options)}; found {found!r}{hint}", False
    if kind in ("too_short", "too_long"):
        ctx = err.get("ctx", {})
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        least = "at least" if kind == "too_short" else "at most"
        return (
            f"needs {least} {bound} {'entry' if bound == 1 else 'entries'}; found {ctx.get('actual_length')}",
            False,
        )
    wrong = _wrong_type(kind, found, str(loc[-1]) if loc else "")
    if wrong:
        return wrong, False
    message = err["msg"]
    message = re.sub(r"^(Value error|Assertion failed), ", "", message)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{message.lower()}; found {found!r}", False
    return message, False


def problems_from(exc: ValidationError, src: Source) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        raw = tuple(err["loc"])
        loc = _walk(raw[:-1])[0] + (raw[-1],) if err["type"] == "extra_forbidden" else _walk(raw)[0]
        message, about_key = _describe(dict(err), loc)
        inside = err.get("ctx", {}).get("error")
        if isinstance(inside, ProblemAt):  # a place within the field checked
            loc, message = loc + inside.loc, str(inside)
        where = ".".join(str(p) for p in loc)
        text = f"{where}: {message}" if where else message
        problems.append(src.problem(loc, text, key=about_key))
    return problems
