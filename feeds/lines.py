"""What every feed kind's line parser shares: decoding with msgspec into a LineProblem, the
PESEL check, and the last check before COPY (PostgreSQL text holds no NUL)."""

from datetime import date

import msgspec

from accounts.rules import InvalidPesel, PeselFacts, parse_pesel
from feeds.kinds import LineProblem


def decode(decoder: msgspec.json.Decoder, line: bytes):
    """The line as the kind's msgspec struct; a LineProblem naming what is wrong otherwise."""
    try:
        return decoder.decode(line)
    except msgspec.ValidationError as error:
        raise LineProblem(f"invalid_field: {_printable(error)}") from None
    except msgspec.DecodeError as error:
        raise LineProblem(f"invalid_json: {_printable(error)}") from None
    except UnicodeDecodeError as error:  # msgspec raises it for bad UTF-8 inside a string
        raise LineProblem(f"invalid_json: not UTF-8 (byte {error.start})") from None
    except RecursionError:  # msgspec gives up past ~1,000 nested levels: a 4 kB line would do
        raise LineProblem("invalid_json: nested too deeply") from None


def _printable(error: Exception) -> str:
    """msgspec echoes a refused value verbatim; the reason goes into a text column (no NUL)."""
    return str(error).replace("\x00", "\\x00")


def valid_pesel(value: str, field: str, today: date) -> PeselFacts:
    """The PESEL's facts; "invalid_pesel: <field> (<problem>)" otherwise (never the PESEL)."""
    try:
        return parse_pesel(value, today=today)
    except InvalidPesel as error:
        raise LineProblem(f"invalid_pesel: {field} ({error.problem.value})") from None


def copyable(line: bytes, row: tuple) -> tuple:
    """`row`, unless a value holds a NUL: JSON may escape one ("\\u0000"), PostgreSQL text
    cannot hold it, and COPY would fail the whole file."""
    if b"\\u0000" in line and any("\x00" in value for value in row if isinstance(value, str)):
        raise LineProblem("invalid_field: NUL character in a value")
    return row
