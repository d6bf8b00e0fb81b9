"""Pure identity and calendar rules: values in, values out. No ORM, no clock."""

import calendar
from datetime import date
from enum import StrEnum
from typing import NamedTuple


class PeselProblem(StrEnum):
    FORMAT = "format"  # not 11 digits
    CHECKSUM = "checksum"
    DATE = "date"  # encodes a day that does not exist
    FUTURE = "future"  # birth date after today


class InvalidPesel(ValueError):
    def __init__(self, problem: PeselProblem):
        super().__init__(problem.value)
        self.problem = problem


class PeselFacts(NamedTuple):
    """A valid PESEL's facts. A named tuple: the feeds build millions of these."""

    pesel: str
    birth_date: date
    sex: str  # "F" or "M", from the tenth digit


_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_CENTURY_BY_OFFSET = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}
_ZERO = ord("0")


def pesel_check_digit(first_ten: str) -> str:
    return str(-sum(int(d) * w for d, w in zip(first_ten, _PESEL_WEIGHTS, strict=True)) % 10)


def parse_pesel(value: str, *, today: date) -> PeselFacts:
    """Validate a PESEL and derive birth date and sex.

    The month carries the century: +80 for 1800s, +0 for 1900s, +20 for 2000s, +40 for
    2100s, +60 for 2200s. Written out rather than through stdnum because the feeds call it
    millions of times (the checksum works on the ASCII codes: a third of the time of the
    per-digit sum); a property test keeps it equal to stdnum's. Future dates (which stdnum
    accepts) are refused: a real person cannot have one.
    """
    digits = (value or "").strip()
    # isascii(): str.isdigit() also accepts Arabic-Indic, full-width and superscript digits.
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        raise InvalidPesel(PeselProblem.FORMAT)
    b = digits.encode("ascii")
    # The weights 1 3 7 9 1 3 7 9 1 3 applied to the codes; 44 = the weights' sum, times "0".
    weighted = b[0] + b[4] + b[8] + 3 * (b[1] + b[5] + b[9]) + 7 * (b[2] + b[6]) + 9 * (b[3] + b[7])
    if (44 * _ZERO - weighted) % 10 != b[10] - _ZERO:
        raise InvalidPesel(PeselProblem.CHECKSUM)
    coded_month = (b[2] - _ZERO) * 10 + b[3] - _ZERO
    offset = coded_month - coded_month % 20
    try:
        birth_date = date(
            _CENTURY_BY_OFFSET[offset] + (b[0] - _ZERO) * 10 + b[1] - _ZERO,
            coded_month % 20,
            (b[4] - _ZERO) * 10 + b[5] - _ZERO,
        )
    except (KeyError, ValueError):
        raise InvalidPesel(PeselProblem.DATE) from None
    if birth_date > today:
        raise InvalidPesel(PeselProblem.FUTURE)
    return PeselFacts(digits, birth_date, "M" if b[9] & 1 else "F")


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later; where that day does not exist, the last
    day of that month (31 Aug + 6 months = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def birthday_in_year(birth_date: date, year: int) -> date:
    """Art. 112 of the Civil Code as DESIGN.md reads it: a person born on 29 February has
    birthdays on 28 February in common years."""
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birth_date.replace(year=year)


def date_of_age(birth_date: date, years: int) -> date:
    """The day on which a person born on `birth_date` turns `years` years old."""
    return birthday_in_year(birth_date, birth_date.year + years)


def age_on(birth_date: date, on: date) -> int:
    """Completed years on day `on` (the birthday itself counts as completed)."""
    if on < birth_date:
        raise ValueError("date before birth")
    years = on.year - birth_date.year
    if on < birthday_in_year(birth_date, on.year):
        years -= 1
    return years


class VerificationMethod(StrEnum):
    TRUSTED_PROFILE = "trusted_profile"
    BANK = "bank"  # bank login / mojeID
    E_ID = "e_id"  # e-ID card (e-dowód)
    IN_PERSON = "in_person"  # at an NFZ branch counter


# How long a verification lasts. The trusted profile's 3 years is from the FAQ; for the others
# the portal re-checks on the same cycle as the mojeIKP app's periodic confirmation (2 years),
# except the in-person check, which we treat like the trusted profile it stands in for.
VERIFICATION_VALIDITY_MONTHS: dict[VerificationMethod, int] = {
    VerificationMethod.TRUSTED_PROFILE: 36,
    VerificationMethod.BANK: 24,
    VerificationMethod.E_ID: 24,
    VerificationMethod.IN_PERSON: 36,
}


def verification_expires_on(method: VerificationMethod, verified_on: date) -> date:
    return add_months(verified_on, VERIFICATION_VALIDITY_MONTHS[VerificationMethod(method)])


EXPIRY_WARNING_DAYS = 30  # the login help page warns this long before a confirmation expires


def verification_state(expires_on: date, today: date) -> str:
    """ "expired", "expiring" (within 30 days, the last day included) or "valid"."""
    if expires_on < today:
        return "expired"
    return "expiring" if (expires_on - today).days <= EXPIRY_WARNING_DAYS else "valid"


_CENTURY_OFFSET = {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}


def build_pesel(birth_date: date, *, sex: str, serial: int) -> str:
    """Compose a valid PESEL (for demo data and tests): date, a 3-digit serial, the sex digit
    (even for F, odd for M) and the check digit."""
    century = birth_date.year // 100 * 100
    month = birth_date.month + _CENTURY_OFFSET[century]
    sex_digit = (serial % 5) * 2 + (1 if sex == "M" else 0)
    body = (
        f"{birth_date.year % 100:02d}{month:02d}{birth_date.day:02d}{serial % 1000:03d}{sex_digit}"
    )
    return body + pesel_check_digit(body)
