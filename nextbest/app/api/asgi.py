"""The ASGI entry point uvicorn imports: settings come from the environment, and the process is the server's."""

from nextbest.app.api import create_app

app = create_app(tune_gc=True)
