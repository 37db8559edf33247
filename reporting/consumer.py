"""Rasa's events from RabbitMQ into the `rasa_events` table, as the SQL broker writes them.

With `REPORTING_RABBITMQ_URL` set, Rasa publishes each event its tracker store saved (redacted,
`privacy.tracker_store`) through RabbitMQ (Rasa's `pika` broker, queue
`REPORTING_RABBITMQ_QUEUE`); `python -m reporting consume` (one more process of `bot/stack.py`)
reads the queue and writes one row per event at `REPORTING_EVENTS_URL`. Reports then read the
same table whichever broker carried the events.

Delivery is at least once: a message is acknowledged after its row is committed, so a crash
between the two stores it twice (rows are per event: a report counting user turns would count
one twice, no more). A message that is not a Rasa event is dropped (logged by size only); when
the database fails, the message goes back to the queue and the consumer waits before the next.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from reporting import broker_table
from reporting.settings import ReportingSettings

logger = logging.getLogger(__name__)
# Messages RabbitMQ sends ahead of the acknowledgements: enough to keep the database busy.
PREFETCH = 100
DATABASE_RETRY_SECONDS = 5.0


def _store(engine: Engine, body: bytes) -> None:
    """One message as one row, committed; `NotAnEvent` for anything else."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise broker_table.NotAnEvent("not JSON") from None
    with engine.begin() as connection:
        broker_table.insert(connection, [event])


async def _handle(engine: Engine, message: AbstractIncomingMessage) -> bool:
    """Store, then acknowledge, one message; whether it was stored."""
    try:
        await asyncio.to_thread(_store, engine, message.body)
    except broker_table.NotAnEvent as error:
        logger.warning("dropped a message of %d bytes: %s", len(message.body), error)
        await message.reject(requeue=False)
        return False
    except SQLAlchemyError as error:
        # Not the error's text: it quotes the row. The message waits in the queue meanwhile.
        logger.error("events database failed (%s): retrying", type(error).__name__)
        await message.nack(requeue=True)
        await asyncio.sleep(DATABASE_RETRY_SECONDS)
        return False
    await message.ack()
    return True


async def consume(settings: ReportingSettings, *, limit: int | None = None) -> int:
    """Store the queue's events until cancelled, or until `limit` were stored; how many were.

    Raises what aio-pika raises when RabbitMQ cannot be reached at the start (it reconnects
    by itself later).
    """
    if settings.rabbitmq_url is None:
        raise ValueError("REPORTING_RABBITMQ_URL is not set: Rasa writes the events table itself")
    engine = broker_table.events_engine(settings.events_url)
    stored = 0
    try:
        await asyncio.to_thread(broker_table.create_table, engine)
        connection = await aio_pika.connect_robust(settings.rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=PREFETCH)
            # Declared as Rasa's broker declares it (durable), whichever of the two starts first;
            # Rasa binds it to its exchange.
            queue = await channel.declare_queue(settings.rabbitmq_queue, durable=True)
            logger.info("storing the events of queue %s", settings.rabbitmq_queue)
            async with queue.iterator() as messages:
                async for message in messages:
                    stored += await _handle(engine, message)
                    if limit is not None and stored >= limit:
                        break
    finally:
        engine.dispose()
    return stored
