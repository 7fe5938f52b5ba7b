"""A simulated trading platform: order REST API and WebSocket feed."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
