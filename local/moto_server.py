"""`python -m local.moto_server -H 127.0.0.1 -p 4566`: moto's server with local/moto_patches applied."""

from __future__ import annotations

from moto import server

from local.moto_patches import index_gsi_queries, serialise_dynamodb

if __name__ == "__main__":
    serialise_dynamodb()
    index_gsi_queries()
    server.main()
