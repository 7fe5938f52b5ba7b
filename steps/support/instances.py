"""Several instances of the platform sharing one Redis, which the suite starts."""

from steps.support.api import ApiClient
from steps.support.processes import LocalServer, RedisServer

INSTANCES = {"first": 0, "second": 1}


def start_instances(context, *args, env=None):
    """A Redis and two instances of the platform on it, started with `args`."""
    context.redis = RedisServer()
    servers = [LocalServer("--store", context.redis.url, *args, env=env) for _ in INSTANCES]
    # The hooks stop them in this order: the instances, then Redis.
    context.processes.extend([*servers, context.redis])
    for server in servers:
        server.wait_until_healthy()
    context.instances = [ApiClient(server.base_url) for server in servers]
    context.clients.extend(context.instances)
    context.servers = servers
