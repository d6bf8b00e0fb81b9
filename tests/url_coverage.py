"""Every URL pattern of our own apps must be requested by some test (as zulip checks).

The plugin records each pattern that resolves during the run; `test_zz_url_coverage` (run last)
fails, naming the patterns nobody requested, when the whole suite ran.
"""

from django.urls import URLPattern, URLResolver, get_resolver

OWN_MODULES = ("accounts", "guardianship", "vaccinations", "records", "sickleaves", "support", "feeds", "ikp")

exercised: set[str] = set()
_original_resolve = URLPattern.resolve


def _recording_resolve(self, path):
    match = _original_resolve(self, path)
    if match is not None:
        exercised.add(pattern_key(self))
    return match


def install() -> None:
    URLPattern.resolve = _recording_resolve


def pattern_key(pattern: URLPattern) -> str:
    callback = pattern.callback
    module = getattr(callback, "__module__", "")
    return f"{module}:{pattern.name or pattern.pattern}"


def own_patterns() -> set[str]:
    found: set[str] = set()

    def walk(resolver: URLResolver) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry)
            elif getattr(entry.callback, "__module__", "").split(".")[0] in OWN_MODULES:
                found.add(pattern_key(entry))

    walk(get_resolver())
    return found
