"""The baseline: a minimal Sanic hello-world, run the way the trading server runs.

Same Sanic, same single process, no access log, Sanic's loggers at WARNING
(as `--quiet` sets them), so any difference measured against the trading
server is the cost of the trading server's own code.

    python -m bench.hello --port 8001
"""

from __future__ import annotations

import argparse
import logging

from sanic import Request, Sanic, json

app = Sanic("hello_world")


@app.get("/")
async def hello_get(request: Request):
    return json({"hello": "world"})


@app.post("/")
async def hello_post(request: Request):
    return json({"hello": "world"})


@app.get("/health")
async def health(request: Request):
    return json({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    for name in ("sanic.root", "sanic.server", "sanic.websockets"):
        logging.getLogger(name).setLevel(logging.WARNING)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
