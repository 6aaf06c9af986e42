"""`.venv/bin/python -m bench.stand_in_scale [patched|moto]`: does a request to the stand-in cost more
as the table grows? TransactWriteItems (half failing, as a 409 does) and a partition Query p50 at
500 then 20,000 items, side by side on one embedded moto server, with local/moto_patches or
with moto as it comes (`moto`: only the serialising and GSI patches the tests always had)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3

from local import moto_patches, resources
from local.harness import free_port


def _p50(call: Callable[[], Any], times: int = 30) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent) * 1000


def main() -> None:
    from moto.server import ThreadedMotoServer

    patched = (sys.argv[1:] or ["patched"])[0] == "patched"
    if patched:
        moto_patches.apply_all()
    else:
        moto_patches.serialise_dynamodb()
        moto_patches.index_gsi_queries()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "eu-west-3",
                       "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    resources.create_all("scale", "scale-files", "bench@gestion-demo.fr", "/scale/key", "eu-west-3", key="bench")
    client = boto3.client("dynamodb")

    def fill(upto: int, start: int) -> None:
        for first in range(start, upto, 25):
            client.batch_write_item(RequestItems={"scale": [
                {"PutRequest": {"Item": {"pk": {"S": f"TICKET#{n // 20}"}, "sk": {"S": f"EVENT#{n}"}, "body": {"S": "x" * 600}}}}
                for n in range(first, min(first + 25, upto))]})

    turn = [0]

    def transaction() -> None:
        turn[0] += 1
        check = "attribute_exists(pk)" if turn[0] % 2 else "attribute_not_exists(pk)"
        try:
            client.transact_write_items(TransactItems=[
                {"Put": {"TableName": "scale", "Item": {"pk": {"S": "P"}, "sk": {"S": "p"}, "n": {"N": str(turn[0])}}}},
                {"ConditionCheck": {"TableName": "scale", "Key": {"pk": {"S": "Q"}, "sk": {"S": "q"}},
                                    "ConditionExpression": check}}])
        except client.exceptions.TransactionCanceledException:
            pass

    def query() -> None:
        client.query(TableName="scale", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "TICKET#7"}})

    fill(500, 0)
    small = _p50(transaction), _p50(query)
    fill(20_000, 500)
    large = _p50(transaction, 10), _p50(query)
    print(f"{'patched' if patched else 'moto'}: TransactWriteItems p50 {small[0]:.1f} ms at 500 items, {large[0]:.1f} ms "
          f"at 20,000 (x{large[0] / small[0]:.2f}); partition Query p50 {small[1]:.1f} → {large[1]:.1f} ms "
          f"(x{large[1] / small[1]:.2f})", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
