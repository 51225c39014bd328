"""JSON body fields taken as their schema types, not coerced: a body `true` is no integer,
`1` or `"true"` no boolean, a number no time. What the schema says is what is taken."""

import re
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator


def _integer(value: object) -> object:
    # 5.0 is an integer in JSON Schema (and pydantic takes it as 5); a boolean or text is not.
    # (None is for the optional ones' types to take or refuse.)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError("an integer")
    return value


def _boolean(value: object) -> object:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _text(value: object) -> object:
    # Text that begins as an ISO date: pydantic would take 12345, or "12345", as a Unix time.
    if value is not None and not (isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d", value)):
        raise ValueError("an ISO time, as text")
    return value


# The validator outside the optional type, not inside: that way the field's bounds reach
# the schema as minimum and maximum.
JsonInt = Annotated[int, BeforeValidator(_integer)]
JsonOptInt = Annotated[int | None, BeforeValidator(_integer)]
JsonBool = Annotated[bool, BeforeValidator(_boolean)]
JsonOptTime = Annotated[AwareDatetime | None, BeforeValidator(_text)]
