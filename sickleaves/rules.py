"""e-ZLA rules: pure functions (dates in, a value out; no ORM, no clock).

The FAQ: "Przepisy prawa pracy nakazują Ci jednak powiadomienie go [pracodawcy], w dowolnej
formie, o Twojej nieobecności, najpóźniej w drugim dniu nieobecności." The employer receives
the e-ZLA itself from ZUS, so the only thing the employee must do is tell them in time.
"""

from datetime import date, timedelta

# The first day of absence is day 1; the employer must be told by day 2.
NOTICE_DAY = 2


def days(period_from: date, period_to: date) -> int:
    """The number of days of a leave: both ends count (1 March – 1 March is one day)."""
    if period_to < period_from:
        raise ValueError("a leave cannot end before it starts")
    return (period_to - period_from).days + 1


def employer_notice(*, period_from: date, today: date) -> date | None:
    """The last day to tell the employer about the absence, while that is still news: when the
    leave's first day is today or yesterday (days 1 and 2 of the absence). Before the leave
    starts, or from day 3 on, there is no reminder to show (None)."""
    if period_from > today:
        # Judged before any day is added: the feed stores any period_from, and one such as
        # 9999-12-31 has no next day (OverflowError on every page listing the leave).
        return None
    deadline = period_from + timedelta(days=NOTICE_DAY - 1)
    return deadline if today <= deadline else None
