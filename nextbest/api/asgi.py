"""The ASGI entry point uvicorn imports: settings come from the environment."""

from nextbest.api import create_app

app = create_app()
