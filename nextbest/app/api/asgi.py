"""The ASGI entry point uvicorn imports: settings come from the environment, and the process is the server's."""

import logging

from nextbest.app.api import create_app
from nextbest.app.observability import configure_logging
from nextbest.settings import Settings

settings = Settings()
if not logging.getLogger().handlers:  # a worker process `serve --workers N` spawned: set up its logging too
    configure_logging(settings.log_format, settings.log_level.upper())
app = create_app(settings, tune_gc=True)
