"""Reads the table's DynamoDB Stream from the moto server, as Lambda's event source would."""

from __future__ import annotations

from typing import Any

import boto3


class StreamReader:
    """Hands out stream records in Lambda's event shape, each record once."""

    def __init__(self, stream_arn: str, start_at_latest: bool = False) -> None:
        self._client = boto3.client("dynamodbstreams")
        self._arn = stream_arn
        self._iterators: dict[str, str] = {}
        self._kind = "LATEST" if start_at_latest else "TRIM_HORIZON"

    def _refresh_shards(self) -> None:
        shards = self._client.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._client.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType=self._kind
                )["ShardIterator"]

    def read(self) -> list[dict[str, Any]]:
        self._refresh_shards()
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            response = self._client.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard_id] = response.get("NextShardIterator") or iterator
            records.extend(response.get("Records", []))
        return records
