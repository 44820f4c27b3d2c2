"""Reading and writing facts and results: JSON (and, alongside, CSV).

Every function here shares one private ``cattrs`` converter; see
[`to_dict`][partner_of_record.io.to_dict] for the JSON shape and
[`register_hooks`][partner_of_record.io.register_hooks] for teaching it another type.
"""

from __future__ import annotations

from partner_of_record.io._converter import (
    Problem,
    SerializationError,
    from_dict,
    register_hooks,
    to_dict,
)
from partner_of_record.io.json import from_json, to_json

__all__ = [
    "Problem",
    "SerializationError",
    "from_dict",
    "from_json",
    "register_hooks",
    "to_dict",
    "to_json",
]
