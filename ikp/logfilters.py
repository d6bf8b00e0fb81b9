"""No PESEL in any log line (DESIGN.md: no personal data in logs).

Paths carry only opaque ids, but some lines come from places we do not write: a database error's
DETAIL ("Key (pesel)=(…) already exists") inside a traceback, Django's template debug lines that
print a context. Every log record is redacted when it is created — its message, arguments and
traceback — so no handler (console, file, error mail, a test's capture) ever sees the number.
Eleven digits standing alone are taken for a PESEL.
"""

import logging
import re

PESEL_LIKE = re.compile(r"(?<!\d)\d{11}(?!\d)")
REDACTED = "[PESEL]"


def redact(text: str) -> str:
    return PESEL_LIKE.sub(REDACTED, text)


def install() -> None:
    """Wrap the log record factory once per process."""
    base = logging.getLogRecordFactory()
    if getattr(base, "redacts_pesel", False):
        return

    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a malformed call must still log something
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    factory.redacts_pesel = True
    logging.setLogRecordFactory(factory)
