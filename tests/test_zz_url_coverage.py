import pytest

from tests import url_coverage


def test_every_url_pattern_of_ours_is_exercised(request):
    if not request.config.getoption("--url-coverage"):
        pytest.skip("only meaningful when the whole suite runs (make test passes --url-coverage)")
    missing = url_coverage.own_patterns() - url_coverage.exercised
    assert not missing, f"URL patterns no test requested: {sorted(missing)}"
