"""Pure rules: no AWS, no I/O, nothing of ours outside this package."""
