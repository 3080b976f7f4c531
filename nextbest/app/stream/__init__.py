"""Decide events from a stream: at-least-once delivery, idempotent by event_id, bounded concurrency.

The consumer (`StreamConsumer`) only knows the `EventSource` protocol: read, publish, dead-letter, ack.
`RedisStreamSource` implements it on a Redis Stream consumer group; a Kafka source (aiokafka) would
implement the same five methods and nothing else changes.
"""

from __future__ import annotations

from ._consumer import ConsumeStats, StreamConsumer
from ._redis import RedisStreamSource
from ._source import EventSource, StreamMessage

__all__ = ["ConsumeStats", "EventSource", "RedisStreamSource", "StreamConsumer", "StreamMessage"]
