"""Checks of our own for Schemathesis (loaded through SCHEMATHESIS_HOOKS by
scripts/schemathesis.sh).

positive_data_accepted: a request Schemathesis generated as valid for the
contract may still be refused for what no schema can state: the caller may not
(401/403), the record is outside the caller's offices or absent (404), its state
or version (409/412/428), a business rule (422, e.g. an end before a start). It
may not be refused for its shape, which would mean the contract does not
describe the body the server accepts:
- a 400 that found the request unreadable (`malformed_json`, `unknown_field`),
  or an unreadable header (a 400 naming no field);
- a 400 or 422 whose field errors are serde's: a field missing (`required`, "is
  required"; a business rule that needs a field in some cases says why in its
  own words), a wrong `type`, an `unknown_field`.
Schemathesis' own positive_data_acceptance cannot tell a business rule's 422 or
400 from these; this check reads the problem's field errors.

Three 400s it lets pass: a path parameter the stateful phase could not fill from
an earlier answer (an empty list; it sends `None`), and two limits of what a
schema can say:
- `query.cursor` (rule `cursor`): a cursor is state the server issued with an
  earlier page; a made-up string is valid for the schema and never one;
- a JSON number with a zero fraction (`7.0`) in an integer field: JSON Schema
  counts it as an integer, the server's parser (serde) does not.
"""

import re

import schemathesis

SHAPE_RULES = {"required", "type", "unknown_field"}

# serde's own words for a missing field; a business rule that needs a field in
# some cases (a key account's owner) says why in its own words.
SERDE_MISSING = "is required"

# serde's words for a number written with a fraction where an integer is
# expected. Schemathesis writes only integral values there (`7.0`), as JSON
# Schema allows; serde may print a large one off by its last bit
# (`3676230114306153.5` for 3676230114306154.0), so the value is not compared.
INTEGRAL_FLOAT = re.compile(r"invalid type: floating point `[^`]*`, expected (i|u)\d+")


def _shape_error(e):
    rule, message = e.get("code"), e.get("message") or ""
    if rule == "required":
        return message == SERDE_MISSING
    if rule == "type":
        return not INTEGRAL_FLOAT.search(message)
    return rule == "unknown_field"


@schemathesis.check
def positive_data_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    # The stateful phase fills a path parameter from an earlier answer's field;
    # when that answer had none (an empty list), it sends the word `None`.
    if any(v is None or v == "None" for v in (case.path_parameters or {}).values()):
        return None
    try:
        problem = response.json()
    except Exception:
        problem = None
    if not isinstance(problem, dict):
        raise AssertionError(f"a valid request was answered {response.status_code} without a problem body")
    errors = [e for e in problem.get("errors") or [] if isinstance(e, dict)]
    code = problem.get("code")
    wrong = [
        f"{e.get('field')}: {e.get('code')} ({e.get('message')})"
        for e in errors
        if _shape_error(e) and not (e.get("field") == "query.cursor" and e.get("code") == "cursor")
    ]
    if response.status_code == 400 and not errors:
        wrong.append(f"{code}: {problem.get('detail')}")
    if wrong:
        raise AssertionError(
            "A request valid for the contract was refused for its shape, so the contract "
            "does not describe what the server accepts: " + "; ".join(wrong)
        )
    return None
