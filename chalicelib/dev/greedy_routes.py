"""`chalice local` and Chalice's test client routing like API Gateway: a greedy `{proxy+}` segment
takes every path no other route matches (chalice.local's matcher only knows one-segment captures
and answers anything else with a 403 "Missing Authentication Token" that API Gateway would not
send for a path its `/{proxy+}` resource covers). Installed by app.py only where chalice.local is
already loaded: never in Lambda."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from chalice import local

_original = local.RouteMatcher.match_route


def _match_route(self: local.RouteMatcher, url: str) -> local.MatchResult:
    try:
        return _original(self, url)
    except ValueError:
        greedy = next((route for route in self.route_urls if route.endswith("{proxy+}")), None)
        parsed = urlparse(url)
        prefix = greedy.removesuffix("{proxy+}") if greedy else ""
        if greedy is None or not parsed.path.startswith(prefix) or parsed.path == prefix:
            raise
        return local.MatchResult(greedy, {"proxy": parsed.path[len(prefix):]}, parse_qs(parsed.query, keep_blank_values=True))


def install() -> None:
    local.RouteMatcher.match_route = _match_route  # type: ignore[method-assign]
