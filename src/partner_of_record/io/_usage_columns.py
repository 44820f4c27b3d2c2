"""Reading a usage file into columns (issue 11): no ``Usage`` object per row.

``load_folder`` reads ``usage.csv`` through ``UsageSink``: each row in the common clean form
(plain id, a month seen before, a plain amount, a known currency, service and offer) is checked
with a handful of dictionary lookups and appended to typed arrays (day ordinals, amounts in
minor units, codes); any other row takes the ordinary per-row path of ``csv_import`` (every
parser and model check, the same rejects) and is then appended too. Duplicates are found at
the end by one sort over the key columns, and the
columns go to ``Ledger.from_columns``. Memory per row:
a few machine words in arrays and references to shared strings, no object per row.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np

from partner_of_record._extras import require
from partner_of_record._usage_input import arrow_column
from partner_of_record._usage_table import Coded
from partner_of_record.currency import CURRENCIES, minor_unit_exponent
from partner_of_record.io.columns import layout_for, normalize, parse_offer
from partner_of_record.model import OfferCategory, Usage

__all__ = ["UsageSink"]

_FAST_AMOUNT = re.compile(r"(-?)([0-9]{1,14})(?:\.([0-9]{1,17}))?", re.ASCII)
_INT64 = 2**63


class UsageSink:
    """Usage rows as columns, with each row's line, for ``load_folder``.

    Args:
        positions: the column position of each usage field in the file (``None``: absent).
        month_reader: reads a month cell as the file's month column does (raises on a bad
            cell); its results are cached per distinct text.
        plain_decimal: whether amounts use ``.`` as the decimal mark (else only whole
            amounts take the fast path).
        known: the ids of the subscriptions read so far (accepted ones).
    """

    def __init__(
        self,
        positions: dict[str, int | None],
        month_reader: Callable[[str], dt.date] | None,
        *,
        plain_decimal: bool,
        known: set[str],
    ) -> None:
        self.pos = positions
        self.month_reader = month_reader
        self.plain_decimal = plain_decimal
        self.known = known
        self.months: dict[str, int] = {}  # cell text -> day ordinal; -1: not for the fast path
        self.currencies: dict[str, str | None] = {"": "USD"}
        self.offers: dict[str, OfferCategory | None] = {"": None}
        # each text column as codes (one int per row) into a list of its distinct values
        self.values: dict[str, list[Any]] = {
            "sub": [],
            "currency": [],
            "service": [None],
            "offer": [None],
        }
        self.index: dict[str, dict[Any, int]] = {
            "sub": {},
            "currency": {},
            "service": {None: 0},
            "offer": {None: 0},
        }
        self.sub = array("l")
        self.month = array("q")
        self.minor = array("q")
        self.currency = array("l")
        self.service = array("l")
        self.offer = array("l")
        self.lines = array("q")
        self.exact: dict[int, Decimal] = {}  # rows whose amount is not whole minor units
        self.take: Callable[[list[str], int], bool] = self._fast()
        """Append a row in the common clean form and return True; else return False (the row
        then takes the ordinary path, which reports its problems or calls ``add``)."""

    def __len__(self) -> int:
        return len(self.lines)

    def month_ordinal(self, text: str) -> int:
        """A month cell's ordinal (``-1``: not a month), read once per distinct text."""
        found = self.months.get(text)
        if found is not None:
            return found
        ordinal = -1
        if self.month_reader is not None and len(self.months) < 100_000:
            try:
                day = self.month_reader(text)
            except ValueError:
                day = None
            if day is not None and day.day == 1 and (day.year, day.month) != (dt.MAXYEAR, 12):
                ordinal = day.toordinal()
            self.months[text] = ordinal
        return ordinal

    def currency_of(self, text: str) -> str | None:
        """A currency cell's ISO code (``None``: not one), read once per distinct text."""
        if text in self.currencies:
            return self.currencies[text]
        code = text.strip().upper()
        found = code if code in CURRENCIES and len(self.currencies) < 1000 else None
        self.currencies[text] = found
        return found

    def _fast(self) -> Callable[[list[str], int], bool]:  # noqa: PLR0915 - the hot per-row path, kept in one closure for speed
        """The body of ``take``, with every lookup bound once (it runs once per row)."""
        pos = self.pos
        p_sub, p_month, p_amount = pos["subscription_id"], pos["month"], pos["amount"]
        p_currency, p_service, p_offer = pos["currency"], pos["service"], pos["offer"]
        assert p_sub is not None  # required columns: a usable header has them
        assert p_month is not None
        assert p_amount is not None
        known, months, month_of = self.known, self.months, self.month_ordinal
        currencies, currency_of = self.currencies, self.currency_of
        offers, exact = self.offers, self.exact
        sub_index, code_of = self.index["sub"], self.code
        currency_index, service_index = self.index["currency"], self.index["service"]
        offer_index = self.index["offer"]
        amount_match = _FAST_AMOUNT.fullmatch
        plain_decimal = self.plain_decimal
        digits_of = {code: minor_unit_exponent(code) for code in CURRENCIES}
        append_sub, append_month = self.sub.append, self.month.append
        append_minor, append_currency = self.minor.append, self.currency.append
        append_service, append_offer = self.service.append, self.offer.append
        lines = self.lines
        append_line = lines.append

        def take(row: list[str], line: int) -> bool:  # noqa: PLR0912, PLR0915 - the hot per-row path, kept in one closure for speed
            sub = row[p_sub]
            if sub not in known or sub[0] in " '\t" or sub[-1] == " ":
                return False
            text = row[p_month]
            ordinal = months.get(text)
            if ordinal is None:
                ordinal = month_of(text)
            if ordinal < 0:
                return False
            if p_currency is None:
                currency = "USD"
            else:
                text = row[p_currency]
                found = currencies[text] if text in currencies else currency_of(text)
                if found is None:
                    return False
                currency = found
            m = amount_match(row[p_amount])
            if m is None:
                return False
            sign, whole, fraction = m.group(1, 2, 3)
            if fraction and not plain_decimal:
                return False
            service = 0
            if p_service is not None:
                text = row[p_service]
                if text:
                    found_code = service_index.get(text)
                    if found_code is None:
                        if text[0] in " '\t=+-@" or text[-1] == " " or not text.isprintable():
                            return False
                        found_code = code_of("service", text)
                    service = found_code
            offer = None
            if p_offer is not None:
                text = row[p_offer]
                if text:
                    if text not in offers:
                        try:
                            offers[text] = parse_offer(text) if len(offers) < 1000 else None
                        except ValueError:
                            offers[text] = None
                    offer = offers[text]
                    if offer is None:
                        return False
            digits = digits_of[currency]
            if fraction is None or len(fraction) <= digits:
                value = int(whole + (fraction or "").ljust(digits, "0"))
                append_minor(-value if sign else value)
            else:
                exact[len(lines)] = Decimal(sign + whole + "." + fraction)
                append_minor(0)
            code = sub_index.get(sub)
            append_sub(code if code is not None else code_of("sub", sub))
            append_month(ordinal)
            code = currency_index.get(currency)
            append_currency(code if code is not None else code_of("currency", currency))
            append_service(service)
            code = offer_index.get(offer)
            append_offer(code if code is not None else code_of("offer", offer))
            append_line(line)
            return True

        return take

    def add(self, usage: Usage, line: int) -> None:
        """Append a row the ordinary path built and accepted."""
        index = len(self.lines)
        digits = minor_unit_exponent(usage.currency)
        sign, numerals, exponent = usage.amount.as_tuple()
        assert isinstance(exponent, int)  # the model refuses NaN and infinities
        value = int("".join(map(str, numerals)) or "0")
        shift = exponent + digits
        if shift >= 0 and abs(value * 10**shift) < _INT64:
            value *= 10**shift
            self.minor.append(-value if sign else value)
        else:
            self.minor.append(0)
            self.exact[index] = usage.amount
        self.sub.append(self.code("sub", usage.subscription_id))
        self.month.append(usage.month.toordinal())
        self.currency.append(self.code("currency", usage.currency))
        self.service.append(self.code("service", usage.service))
        self.offer.append(self.code("offer", usage.offer))
        self.lines.append(line)

    def code(self, column: str, value: Any) -> int:
        """The code of ``value`` in ``column`` (the next free one when it is new)."""
        index = self.index[column]
        code = index.get(value)
        if code is None:
            code = index[value] = len(index)
            self.values[column].append(value)
        return code

    def amount_of(self, index: int) -> Decimal:
        """The exact amount of a row."""
        if index in self.exact:
            return self.exact[index]
        currency = self.values["currency"][int(self.currency[index])]
        return Decimal(int(self.minor[index])).scaleb(-minor_unit_exponent(currency))

    def duplicates(self) -> list[tuple[int, int]]:
        """``(later row, first row)`` for every row whose key repeats an earlier row's."""
        import numpy as np

        if len(self) < 2:
            return []
        sub, month, service, currency = (
            np.frombuffer(column, dtype=np.int64 if column.itemsize == 8 else np.int32)
            for column in (self.sub, self.month, self.service, self.currency)
        )
        order = np.lexsort((np.arange(len(self)), currency, service, month, sub))
        keys = np.stack([sub[order], month[order], service[order], currency[order]])
        same = np.all(keys[:, 1:] == keys[:, :-1], axis=0)
        out: list[tuple[int, int]] = []
        if not same.any():
            return out
        first = int(order[0])
        for i in range(1, len(order)):
            if same[i - 1]:
                out.append((int(order[i]), first))
            else:
                first = int(order[i])
        return sorted(out)

    def same_values(self, a: int, b: int) -> bool:
        """Whether two rows with the same key are the same row (amount and offer too)."""
        return self.amount_of(a) == self.amount_of(b) and self.offer[a] == self.offer[b]

    def columns(self, keep: Any) -> dict[str, Any]:
        """The columns of the kept rows (a boolean numpy mask), for ``Ledger.from_columns``."""
        import numpy as np

        def pick(column: str, codes: Any) -> Coded:
            given = np.frombuffer(codes, dtype=_int(codes))[keep]
            return Coded(given.astype(np.int64, copy=False), tuple(self.values[column]))

        ordinals = np.frombuffer(self.month, dtype=np.int64)[keep]
        out: dict[str, Any] = {
            "subscription_id": pick("sub", self.sub),
            "month": (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]"),
            "currency": pick("currency", self.currency),
            "service": pick("service", self.service),
        }
        if len(self.values["offer"]) > 1:
            out["offer"] = pick("offer", self.offer)
        if self.exact:
            out["amount"] = np.array([self.amount_of(i) for i in range(len(self))], object)[keep]
        else:
            out["amount_minor"] = np.frombuffer(self.minor, dtype=np.int64)[keep]
        return out


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _int(codes: array[int]) -> Any:
    import numpy as np

    return np.int64 if codes.itemsize == 8 else np.int32


def pyarrow_parquet() -> Any:
    """``(pyarrow, pyarrow.parquet)``, or an ImportError naming the ``arrow`` extra."""
    return require("pyarrow", "arrow", "Parquet"), require("pyarrow.parquet", "arrow", "Parquet")


def usage_arrow_table(usage: Any) -> Any:
    """The usage rows of a ledger as a pyarrow Table: ``subscription_id``, ``month`` (date32),
    ``amount`` (exact text, as the CSV writes it), ``currency``, ``service``, ``offer``."""
    pa, _ = pyarrow_parquet()
    rows = list(usage)
    return pa.table(
        {
            "subscription_id": pa.array([u.subscription_id for u in rows], pa.string()),
            "month": pa.array([u.month for u in rows], pa.date32()),
            "amount": pa.array([format(u.amount, "f") for u in rows], pa.string()),
            "currency": pa.array([u.currency for u in rows], pa.string()),
            "service": pa.array([u.service for u in rows], pa.string()),
            "offer": pa.array([None if u.offer is None else u.offer.value for u in rows]),
        }
    )


def read_usage_parquet(path: Any) -> tuple[dict[str, Any], int]:
    """The columns of a usage Parquet file for ``Ledger.from_columns``, and its row count.

    Header names go through the same aliases as the CSV header; amounts may be text, integers
    or decimals (floats are left for the ledger to refuse, at their row). Text columns arrive
    as codes into their distinct values (no Python string per row); text amounts that are all
    plain (``-?digits[.digits]`` with no more decimals than their currency, in a known
    currency) arrive as integer minor units; anything else as values, checked by the ledger.
    """
    _, pq = pyarrow_parquet()
    table = pq.read_table(path)
    index = layout_for("usage").header_index()
    columns: dict[str, Any] = {}
    for name in table.column_names:
        field = index.get(normalize(name))
        if field is None or field in columns:
            continue
        column = table.column(name)
        if field == "amount":
            minor = _plain_minor_units(column, table, index)
            if minor is not None:
                columns["amount_minor"] = minor
                continue
            columns[field] = np.array(column.to_pylist(), dtype=object)
        else:
            columns[field] = arrow_column(column)
    return columns, table.num_rows


def _plain_minor_units(amount: Any, table: Any, index: Mapping[str, str]) -> Any:
    """Every text amount in minor units of its row's currency, or ``None`` when one is not
    plain (see ``read_usage_parquet``) or the amounts are not text."""
    pa, _ = pyarrow_parquet()
    pc = require("pyarrow.compute", "arrow", "Parquet")
    if not pa.types.is_string(amount.type) or amount.null_count:
        return None
    currency = next(
        (table.column(n) for n in table.column_names if index.get(normalize(n)) == "currency"),
        None,
    )
    if currency is None:
        digits = np.full(len(amount), minor_unit_exponent("USD"), dtype=np.int64)
    else:
        if not pa.types.is_string(currency.type) or currency.null_count:
            return None
        coded = arrow_column(currency)
        if not all(c in CURRENCIES for c in coded.values):
            return None
        exps = [minor_unit_exponent(c) for c in coded.values]
        digits = np.array(exps or [0], dtype=np.int64)[coded.codes]
    out = np.empty(len(amount), dtype=np.int64)
    at = 0
    for chunk in amount.chunks:  # chunk by chunk: the regex's parts are a few chunks' size
        found = _chunk_minor_units(chunk, digits[at : at + len(chunk)], pc)
        if found is None:
            return None
        out[at : at + len(chunk)] = found
        at += len(chunk)
    return out


def _chunk_minor_units(amount: Any, digits: Any, pc: Any) -> Any:
    """The minor units of one chunk of text amounts, or ``None`` when one is not plain.

    A plain amount (``_PLAIN``) has at most 14 whole digits and, checked here, no more
    fraction digits than its currency: without the ``.`` it is an integer of at most 18 digits
    (the unscaled amount), scaled up by the fraction digits it lacks."""
    if not pc.all(pc.match_substring_regex(amount, _PLAIN)).as_py():
        return None
    dot = np.asarray(pc.find_substring(amount, ".").to_numpy(zero_copy_only=False), np.int64)
    length = np.asarray(pc.utf8_length(amount).to_numpy(zero_copy_only=False), np.int64)
    fraction = np.where(dot < 0, 0, length - dot - 1)
    if (fraction > digits).any():
        return None
    digits_only = pc.replace_substring(amount, ".", "")
    unscaled = np.asarray(pc.cast(digits_only, "int64").to_numpy(zero_copy_only=False))
    return unscaled * 10 ** (digits - fraction)


_PLAIN = r"^-?[0-9]{1,14}(\.[0-9]{1,17})?$"
"""A plain text amount: a sign, 1 to 14 whole digits, and ``.`` with fraction digits (the
clean form of ``_arrow_csv``)."""
