"""The rules of test control (the `control` extension): the token check and
the `PATCH /control` checks, without a server."""

from __future__ import annotations

import asyncio
import json

import pytest

from trading_server.control import ControlState, InvalidPatch, authorized, parse_patch
from trading_server.faults import FaultSpec
from trading_server.model import Order, OrderStatus
from trading_server.randomness import DelayRange
from trading_server.store.memory import MemoryStore

TOKEN = "s3cret-token_value"


class TestTokenCheck:
    def test_the_right_bearer_token_is_accepted(self):
        assert authorized([f"Bearer {TOKEN}"], TOKEN)

    def test_the_scheme_is_case_insensitive(self):
        assert authorized([f"bearer {TOKEN}"], TOKEN)

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param([], id="missing"),
            pytest.param([""], id="empty header"),
            pytest.param(["Bearer "], id="empty token"),
            pytest.param(["Bearer"], id="scheme alone"),
            pytest.param(["Bearer wrong"], id="wrong token"),
            pytest.param([f"Bearer {TOKEN[:-1]}"], id="a prefix of the token"),
            pytest.param([f"Bearer {TOKEN}x"], id="the token and more"),
            pytest.param([f"Bearer {TOKEN.upper()}"], id="another case"),
            pytest.param([f"Basic {TOKEN}"], id="another scheme"),
            pytest.param([TOKEN], id="no scheme"),
            pytest.param([f"Bearer {TOKEN}", f"Bearer {TOKEN}"], id="sent twice"),
            pytest.param(["Bearer é-not-ascii"], id="not ASCII"),
        ],
    )
    def test_anything_else_is_refused(self, headers):
        assert not authorized(headers, TOKEN)

    def test_an_empty_expected_token_accepts_nothing(self):
        assert not authorized(["Bearer "], "")


def patch(body: object) -> dict[str, str]:
    return parse_patch(json.dumps(body).encode())


class TestPatchChecks:
    def test_every_field_at_once(self):
        fields = patch(
            {
                "responseDelay": [0, 0.5],
                "executionDelay": [1, 2],
                "faults": "error=0.5,latency=0.1:2",
                "executionPaused": True,
            }
        )
        assert fields == {
            "response_delay": "0,0.5",
            "execution_delay": "1,2",
            "faults": "error=0.5,latency=0.1:2",
            "execution_paused": "1",
        }

    def test_only_the_fields_given(self):
        assert patch({"executionPaused": False}) == {"execution_paused": "0"}
        assert patch({}) == {}

    def test_no_faults(self):
        assert patch({"faults": ""}) == {"faults": ""}

    @pytest.mark.parametrize(
        ("body", "named"),
        [
            ({"responseDelay": [1, 0]}, "responseDelay"),
            ({"responseDelay": [-1, 0]}, "responseDelay"),
            ({"responseDelay": [0]}, "responseDelay"),
            ({"responseDelay": [0, 1, 2]}, "responseDelay"),
            ({"responseDelay": "0,1"}, "responseDelay"),
            ({"responseDelay": [0, True]}, "responseDelay"),
            ({"responseDelay": [0, "1"]}, "responseDelay"),
            ({"responseDelay": [0, 1e9]}, "responseDelay"),
            ({"executionDelay": None}, "executionDelay"),
            ({"executionDelay": [3, 2]}, "executionDelay"),
            ({"faults": "error=2"}, "faults"),
            ({"faults": "boom=1"}, "faults"),
            ({"faults": 1}, "faults"),
            ({"faults": None}, "faults"),
            ({"executionPaused": 1}, "executionPaused"),
            ({"executionPaused": "true"}, "executionPaused"),
            ({"executionPaused": None}, "executionPaused"),
            ({"executionpaused": True}, "executionpaused"),
            ({"executionPaused": True, "faults": "error=7"}, "faults"),
        ],
    )
    def test_an_invalid_value_is_refused_naming_the_field(self, body, named):
        with pytest.raises(InvalidPatch, match=named):
            patch(body)

    @pytest.mark.parametrize(
        "raw", [b"", b"[]", b'"faults"', b"null", b"{", b'{"responseDelay": [NaN, 1]}', b"\xff"]
    )
    def test_a_body_that_is_not_a_json_object_is_refused(self, raw):
        with pytest.raises(InvalidPatch):
            parse_patch(raw)


class TestState:
    START = ControlState(DelayRange(0.1, 1.0), DelayRange(1.5, 3.0), FaultSpec())

    def test_the_store_fields_round_trip(self):
        changed = self.START.with_fields(patch({"responseDelay": [0, 0], "faults": "error=1"}))
        assert changed.with_fields(changed.to_fields()) == changed
        assert changed.to_json() == {
            "responseDelay": [0.0, 0.0],
            "executionDelay": [1.5, 3.0],
            "faults": "error=1",
            "executionPaused": False,
        }

    def test_fields_it_cannot_read_keep_the_current_values(self):
        assert self.START.with_fields({"faults": "from=a newer version"}) == self.START


class TestMemoryStore:
    def test_reset_forgets_orders_numbers_events_from_1_and_restores_control(self):
        async def scenario():
            store = MemoryStore()
            heard: list = []
            store.on_reset(lambda: heard.append("reset"))
            store.on_control(lambda fields: heard.append(fields))
            await store.update_control({"execution_paused": "1"})
            now = "2026-12-05T08:00:00.000000Z"
            order = Order("id-1", "EURUSD", 1, OrderStatus.PENDING, now, now)
            await store.add(order, 0.0)
            await store.reset({"execution_paused": "0"})
            second = await store.add(order._replace(order_id="id-2"), 0.0)
            return store, heard, second

        store, heard, second = asyncio.run(scenario())
        assert heard == [{"execution_paused": "1"}, "reset", {"execution_paused": "0"}]
        assert second.seq == 1
        orders, seq = asyncio.run(store.all())
        assert [order.order_id for order in orders] == ["id-2"]
        assert seq == 1
