"""Schemathesis hooks for Turno.

JSON Schema cannot say that an opening range closes after it opens ("08:30-12:30", not
"12:30-08:30"); the server answers 422 for such a range. So that schema-valid bodies stay valid,
put the two ends of each generated range in order. Only strings that already match the range
pattern are touched, so negative cases stay negative.
"""
import re

import schemathesis

_RANGE = re.compile(r"^(\d\d:\d\d)-(\d\d:\d\d)$")


def _ordered(value):
    if not isinstance(value, str):
        return value
    m = _RANGE.match(value)
    if m is None:
        return value
    a, b = m.groups()
    if a < b:
        return value
    if a > b:
        return f"{b}-{a}"
    return "00:00-24:00" if a == "00:00" else f"00:00-{a}"


@schemathesis.hook
def map_case(context, case):
    # `map_case` runs in every phase (coverage too); `map_body` does not run in coverage.
    if case.operation.path.endswith(("/admin/services", "/admin/services/{id}")) and isinstance(case.body, dict):
        hours = case.body.get("hours")
        if isinstance(hours, dict):
            for day, ranges in hours.items():
                if isinstance(ranges, list):
                    hours[day] = [_ordered(r) for r in ranges]
    return case
