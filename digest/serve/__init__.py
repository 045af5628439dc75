"""`digest serve`: the newsletter's small web endpoint, behind a reverse proxy.

Starlette served by uvicorn: both are widely used, maintained and small; Starlette gives routing,
requests that can be read as a stream (so a body's cap is kept as it arrives) and plain responses
without a framework's worth of magic, and uvicorn is its reference server, with the proxy-header
handling (`serve.trusted_proxies`) a server behind nginx or Caddy needs.
"""
from __future__ import annotations

import uvicorn

from digest.compliance import key_problems
from digest.config import Config, ConfigError
from digest.logs import log
from digest.serve.app import Server

__all__ = ["run"]


def run(config: Config, host: str | None = None, port: int | None = None) -> None:
    """Serve until stopped (SIGINT or SIGTERM end it cleanly, letting answers in progress finish)."""
    if not config.serve.base_url:
        raise ConfigError(config.file, "serve.base_url", "is not set, and `digest serve` needs it",
                          "add serve: {base_url: \"https://example.com/newsletter\"}, the public address your proxy maps to the server")
    for problem in key_problems(config):  # the confirmation emails are signed: a bad key stops the server at start
        raise problem
    settings = config.serve
    app = Server(config).app()
    host, port = host or settings.host, settings.port if port is None else port
    log.info(f"serve: listening on {host}:{port}; public at {settings.root}")
    uvicorn.run(
        app, host=host, port=port, http="h11", lifespan="on", log_config=None, access_log=False,  # access logs would keep tokens
        proxy_headers=True, forwarded_allow_ips=settings.trusted_proxies, server_header=False,
        timeout_keep_alive=5, limit_concurrency=256, h11_max_incomplete_event_size=16 * 1024,
    )
