"""The load generator's Socket.IO packets (the protocol's own examples, text only)."""

from __future__ import annotations

from handover.load.sio import decode_packet, encode_event, socket_url


def test_events_on_the_default_and_a_named_namespace() -> None:
    assert encode_event("user_uttered", {"message": "où ?"}) == (
        '42["user_uttered", {"message": "où ?"}]'
    )
    assert encode_event("typing", {"on": True}, "/agent") == '42/agent,["typing", {"on": true}]'


def test_packets_are_read_with_their_namespace_and_ack_id() -> None:
    assert decode_packet('42["bot_uttered",{"text":"hi"}]') == (
        "2", "/", ["bot_uttered", {"text": "hi"}]
    )  # fmt: skip
    assert decode_packet('42/agent,7["queue_updated",{"size":1}]') == (
        "2", "/agent", ["queue_updated", {"size": 1}]
    )  # fmt: skip
    assert decode_packet('44/agent,{"message":"authentication failed"}') == (
        "4", "/agent", {"message": "authentication failed"}
    )  # fmt: skip
    assert decode_packet("41") == ("1", "/", None)
    assert decode_packet('40{"sid":"abc"}') == ("0", "/", {"sid": "abc"})


def test_the_websocket_address_of_a_gateway() -> None:
    assert socket_url("http://127.0.0.1:8000") == (
        "ws://127.0.0.1:8000/socket.io/?EIO=4&transport=websocket"
    )
    assert socket_url("https://chat.example.com/").startswith("wss://chat.example.com/socket.io/")
