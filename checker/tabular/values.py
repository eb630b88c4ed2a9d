"""Cell values to record values, and back. Messages never repeat the cell's value.

A cell is read according to its column's kind:

- blank: the field is left out of the record (not recorded, so unknown);
- ``(none)`` (or another of the mapping's none markers): null, or [] for a list;
- date: a date cell, an Excel serial number (1900 date system), or text in one
  of the mapping's date formats (by default dd/mm/yyyy and yyyy-mm-dd);
- boolean: a TRUE/FALSE cell, or text such as Yes/No, Y/N, True/False, 1/0;
- integer: a whole number;
- code: text, put through the column's value map, then checked against the
  vocabulary by the record's validation;
- list: codes or text separated by ``;`` (or new lines).
"""
from __future__ import annotations

import datetime as dt
import re

EXCEL_EPOCH = dt.date(1899, 12, 30)   # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug: serials from 61 on)
SERIAL_RANGE = (1, 2958465)            # 1900-01-01 .. 9999-12-31
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
DEFAULT_BOOLEANS = {"yes": True, "y": True, "true": True, "1": True,
                    "no": False, "n": False, "false": False, "0": False}
DEFAULT_NONE = ("(none)",)
_LIST_SPLIT = re.compile(r"[;\n]")


class CellError(ValueError):
    """A cell that cannot be read: the message says what was expected, never what was there."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: object, formats: tuple[str, ...] = DEFAULT_DATE_FORMATS) -> str:
    """ISO date text of a date cell, an Excel serial or text in one of ``formats``."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise CellError("must be a date without a time of day")
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        raise CellError(_date_expected(formats))
    if isinstance(value, (int, float)):
        return serial_to_date(value).isoformat()
    if isinstance(value, str):
        text = value.strip()
        for fmt in formats:
            try:
                parsed = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            if fmt == "%Y-%m-%d" and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
                continue
            return parsed.date().isoformat()
        if re.fullmatch(r"[0-9]{1,7}(\.0+)?", text):   # a serial exported as text (CSV from Excel)
            return serial_to_date(float(text)).isoformat()
    raise CellError(_date_expected(formats))


def serial_to_date(serial: float) -> dt.date:
    if serial != int(serial):
        raise CellError("must be a date without a time of day")
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        raise CellError("must be a date (the number is not an Excel date)")
    serial = int(serial)
    if serial == 60:  # 29 February 1900 does not exist
        raise CellError("must be a real date (Excel's 29/02/1900 does not exist)")
    if serial < 60:
        serial += 1
    return EXCEL_EPOCH + dt.timedelta(days=serial)


def _date_expected(formats: tuple[str, ...]) -> str:
    shown = ", ".join(f.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")
                      .replace("%b", "mon") for f in formats)
    return f"must be a date ({shown}, or a date cell)"


def parse_boolean(value: object, booleans: dict[str, bool]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in booleans:
        return booleans[value.strip().lower()]
    shown = "/".join(k.capitalize() if len(k) > 1 else k.upper() for k in booleans if not k.isdigit())
    raise CellError(f"must be one of: {shown}")


def parse_integer(value: object) -> int:
    if isinstance(value, bool):
        raise CellError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,9}(\.0+)?\s*", value):
        return int(float(value))
    raise CellError("must be a whole number")


def as_text(value: object) -> str:
    """A text field: numbers as written (a URN typed as a number stays its digits)."""
    if isinstance(value, bool):
        raise CellError("must be text, not TRUE/FALSE")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        raise CellError("must be text, not a date")
    return str(value).strip()


def split_list(value: object) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(as_text(value)) if part.strip()]


# -- writing ------------------------------------------------------------------------------------------------------


def cell_value(kind: str, value: object) -> object:
    """What the template's cell holds for a record value of a column of ``kind``."""
    if value is None:
        return DEFAULT_NONE[0]
    if kind == "date":
        return dt.date.fromisoformat(value)  # type: ignore[arg-type]
    if kind == "boolean":
        return "Yes" if value else "No"
    if kind == "list":
        return "; ".join(value) if value else DEFAULT_NONE[0]  # type: ignore[arg-type]
    return value
