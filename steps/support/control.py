"""The platform's test control (the `control` extension), as the suite uses it.

The suite talks to the control API over HTTP like any client, through
`ApiClient` (timed replies, one-line failures), and never imports the
server's own Python client.
"""

import json

from hamcrest import assert_that

from steps.support.api import ApiClient
from steps.support.checks import answered_with_json

# How long a feed is watched for a second final event after the first.
QUIET_WINDOW = 0.5
# How soon the feed of a reset platform is closed, and with which code.
CLOSE_DEADLINE = 5.0
SERVICE_RESTART = 1012

# The tokens a request may bear instead of the platform's: a test of each.
WRONG_CREDENTIALS = {
    "no token": None,
    "an empty token": "Bearer ",
    "a wrong token": "Bearer not-the-platform-token",
    "the token in another scheme": "Basic {token}",
}


class ControlClient:
    """The control API of one platform; `token` its control token."""

    def __init__(self, base_url, token):
        self.api = ApiClient(base_url)
        self.token = token

    def close(self):
        self.api.close()

    def authorization(self, credentials="Bearer {token}"):
        """The Authorization header for `credentials` (None: no header)."""
        if credentials is None:
            return {}
        return {"Authorization": credentials.format(token=self.token)}

    def read(self, credentials="Bearer {token}"):
        return self.api.request("GET", "/control", headers=self.authorization(credentials))

    def change(self, fields, credentials="Bearer {token}", raw_body=None):
        headers = {"Content-Type": "application/json", **self.authorization(credentials)}
        body = raw_body if raw_body is not None else json.dumps(fields)
        return self.api.request("PATCH", "/control", body=body.encode(), headers=headers)

    def execute(self, order_id, credentials="Bearer {token}"):
        return self.api.request(
            "POST", f"/control/orders/{order_id}/execute", headers=self.authorization(credentials)
        )

    def reset(self, credentials="Bearer {token}"):
        return self.api.request("POST", "/control/reset", headers=self.authorization(credentials))

    def state(self):
        """The control state; fails the step unless the platform answers it."""
        reply = self.read()
        assert_that(reply, answered_with_json(200))
        return reply.json()

    def set(self, **fields):
        reply = self.change(fields)
        assert_that(reply, answered_with_json(200))
        return reply.json()
