"""`make upgrade-data`: bring a deployed table's derived data up to the version just deployed.

    RELAIS_TABLE=relais-prod AWS_DEFAULT_REGION=eu-west-3 .venv/bin/python -m infra.upgrade_data

Run it once after each deploy, with the operator's AWS credentials; it writes nothing when the
table is up to date, and is safe while the app serves.
- List summaries (chalicelib/data/listing.py): a version that adds or changes one leaves older
  tickets without it until they change; each ticket is rewritten only if it did not change meanwhile.
- The week's plan (chalicelib/data/week_plan.py): planned tickets saved before its index get their
  entries, under the same version check.
- Links saved before signing-key versions were recorded get theirs (chalicelib/data/links.py), so
  the next rotation of the key keeps them working. Run it before rotating the key.
- Managers saved before roles existed become administrateurs, as they could all manage the
  managers until then (chalicelib/data/directory.py); until it runs they count as gestionnaires.
"""

from __future__ import annotations

import os


def main() -> None:
    if not os.environ.get("RELAIS_TABLE"):
        raise SystemExit("RELAIS_TABLE=<the deployed table's name> is required")
    from chalicelib.data import directory, links, listing, week_plan

    table = os.environ["RELAIS_TABLE"]
    print(f"{table}: ticket lists rebuilt for {listing.rebuild_summaries()} ticket(s).")
    print(f"{table}: week's plan written for {week_plan.rebuild_plan()} planned ticket(s).")
    print(f"{table}: signing-key version recorded on {links.record_key_versions()} older link(s).")
    print(f"{table}: role administrateur given to {directory.grant_roles_to_managers()} manager(s) saved before roles.")


if __name__ == "__main__":
    main()
