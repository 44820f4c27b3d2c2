"""``python -m partner_of_record``: the command line; see [`cli`][partner_of_record.cli]."""

from __future__ import annotations

from partner_of_record.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
