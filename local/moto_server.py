"""`python -m local.moto_server -H 127.0.0.1 -p 4566`: moto's server with local/moto_patches applied
and the routes of local/moto_extensions added."""

from __future__ import annotations

import logging

from moto import server

from local import moto_extensions, moto_patches

if __name__ == "__main__":
    moto_patches.apply_all()
    moto_extensions.register()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # errors only: a log line per request fills a day
    server.main()
