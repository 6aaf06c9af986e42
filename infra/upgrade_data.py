"""`make upgrade-data`: bring a deployed table's derived data up to the version just deployed.

    RELAIS_TABLE=relais-prod AWS_DEFAULT_REGION=eu-west-3 .venv/bin/python -m infra.upgrade_data

Run it once after each deploy, with the operator's AWS credentials; it writes nothing when the
table is up to date, and is safe while the app serves.
- List summaries and search words (chalicelib/data/listing.py, chalicelib/data/search.py): a version
  that adds or changes one leaves older tickets without it (not found by the search box, no address
  in the list) until they change; each ticket is rewritten only if it did not change meanwhile.
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
    from chalicelib.data import directory, links, listing

    table = os.environ["RELAIS_TABLE"]
    print(f"{table}: ticket lists and search words rebuilt for {listing.rebuild_summaries()} ticket(s).")
    print(f"{table}: signing-key version recorded on {links.record_key_versions()} older link(s).")
    print(f"{table}: role administrateur given to {directory.grant_roles_to_managers()} manager(s) saved before roles.")


if __name__ == "__main__":
    main()
