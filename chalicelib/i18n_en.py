"""English catalog: French text (as written in templates and code) → English."""

CATALOG: dict[str, str] = {
}
