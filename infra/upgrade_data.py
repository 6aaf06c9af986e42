"""`make upgrade-data`: bring a deployed table's derived data up to the version just deployed.

    RELAIS_TABLE=relais-prod AWS_DEFAULT_REGION=eu-west-3 .venv/bin/python -m infra.upgrade_data

Run it once after each deploy, with the operator's AWS credentials; it writes nothing when the
table is up to date, and is safe while the app serves.
- List summaries and search words (chalicelib/data/listing.py, chalicelib/data/search.py): a version
  that adds or changes one leaves older tickets without it (not found by the search box, no address
  in the list) until they change; each ticket is rewritten only if it did not change meanwhile.
- The week's plan (chalicelib/data/week_plan.py): planned tickets saved before its index get their
  entries, under the same version check.
- Links saved before signing-key versions were recorded get theirs (chalicelib/data/links.py), so
  the next rotation of the key keeps them working. Run it before rotating the key.
- Managers saved before roles existed become administrateurs, as they could all manage the
  managers until then (chalicelib/data/directory.py); until it runs they count as gestionnaires.
- Tickets typed with a freehand address before buildings existed are offered a link to the building
  whose street and postal code (or city) they name (chalicelib/data/buildings.py): the matches are
  listed, and linked only once the operator agrees (or with RELAIS_LINK_BUILDINGS=yes; =no lists only).
  A linked ticket keeps its address and access notes; it joins the building's history.
"""

from __future__ import annotations

import os
import sys
from typing import Any

SHOWN = 50


def _agreed(count: int) -> bool:
    answer = os.environ.get("RELAIS_LINK_BUILDINGS", "").lower()
    if answer in ("yes", "no"):
        return answer == "yes"
    if not sys.stdin.isatty():
        print("  Not linked: run again in a terminal to answer, or with RELAIS_LINK_BUILDINGS=yes.")
        return False
    return input(f"  Link these {count} ticket(s) to their building? [y/N] ").strip().lower() in ("y", "yes", "o", "oui")


def link_buildings(table: str) -> None:
    from chalicelib.data import buildings

    matches: list[Any] = buildings.freehand_matches()
    print(f"{table}: {len(matches)} ticket(s) with a freehand address match a building.")
    for ticket, building in matches[:SHOWN]:
        print(f"  {ticket.reference}  {ticket.site_address!r} -> {building.name} ({building.address})")
    if len(matches) > SHOWN:
        print(f"  ... and {len(matches) - SHOWN} more.")
    if matches and _agreed(len(matches)):
        linked = sum(buildings.link_ticket(ticket, building) for ticket, building in matches)
        print(f"{table}: {linked} ticket(s) linked to their building ({len(matches) - linked} changed meanwhile: run again).")


def main() -> None:
    if not os.environ.get("RELAIS_TABLE"):
        raise SystemExit("RELAIS_TABLE=<the deployed table's name> is required")
    from chalicelib.data import directory, links, listing, week_plan

    table = os.environ["RELAIS_TABLE"]
    link_buildings(table)  # first: the ticket lists rebuilt next then carry the building's name
    print(f"{table}: ticket lists and search words rebuilt for {listing.rebuild_summaries()} ticket(s).")
    print(f"{table}: week's plan written for {week_plan.rebuild_plan()} planned ticket(s).")
    print(f"{table}: signing-key version recorded on {links.record_key_versions()} older link(s).")
    print(f"{table}: role administrateur given to {directory.grant_roles_to_managers()} manager(s) saved before roles.")


if __name__ == "__main__":
    main()
