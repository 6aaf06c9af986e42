"""`make rebuild-lists`: rebuild every ticket's list summaries on a deployed table.

    RELAIS_TABLE=relais-prod AWS_REGION=eu-west-3 .venv/bin/python -m infra.rebuild_lists

Run it once after deploying a version that adds or changes a summary (chalicelib/listing.py),
with the operator's AWS credentials. It is safe while the app serves (each ticket is rewritten
only if it did not change meanwhile) and writes nothing on a table that is up to date.
"""

from __future__ import annotations

import os


def main() -> None:
    if not os.environ.get("RELAIS_TABLE"):
        raise SystemExit("RELAIS_TABLE=<the deployed table's name> is required")
    from chalicelib import listing

    repaired = listing.rebuild_summaries()
    print(f"{os.environ['RELAIS_TABLE']}: ticket lists rebuilt for {repaired} ticket(s).")


if __name__ == "__main__":
    main()
