#!/usr/bin/env python3
"""A minimal client of stockd's Session stream in Python (docs/clients.md), with grpcio
from Debian (apt-get install python3-grpcio python3-protobuf).

It keeps one stream open, keeps no more operations in flight than the window the daemon
announces, and when the stream breaks (the daemon restarts, the network drops) it
reconnects and sends again, with the same request ids, every operation not answered yet.
submit() returns a concurrent.futures.Future of the operation's BatchResult.

The stubs are generated from proto/stockd/v1/stockd.proto with Debian's protoc and gRPC
plugin (package protobuf-compiler-grpc) into a directory on PYTHONPATH:

  protoc -I proto --python_out=OUT --grpc_python_out=OUT \\
         --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \\
         proto/stockd/v1/stockd.proto

As a program it reserves N units one by one and prints "ok=N refused=M":

  PYTHONPATH=OUT session_client.py --addr 127.0.0.1:50551 --sku A --count 1000
"""

import argparse
import collections
import concurrent.futures
import sys
import threading
import time

import grpc

from stockd.v1 import stockd_pb2, stockd_pb2_grpc

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
_CLOSE = object()  # ends a stream's request iterator


class SessionClient:
    def __init__(self, addr, token=""):
        self._channel = grpc.insecure_channel(addr)
        self._stub = stockd_pb2_grpc.StockStub(self._channel)
        self._metadata = (("authorization", "Bearer " + token),) if token else ()
        self._cv = threading.Condition()
        self._pending = {}                # id -> (BatchOperation, Future): not finally answered
        self._queue = collections.deque()  # ids to send (again)
        self._in_flight = set()           # ids sent on the current stream
        self._next_id = 0
        self._closing = False
        self._runner = threading.Thread(target=self._run, daemon=True)
        self._runner.start()

    def submit(self, op):
        """Queues a BatchOperation whose request_id is set (what makes a resend safe)."""
        with self._cv:
            op_id = self._next_id
            self._next_id += 1
            future = concurrent.futures.Future()
            self._pending[op_id] = (op, future)
            self._queue.append(op_id)
            self._cv.notify_all()
            return future

    def close(self):
        """Waits for every submitted operation's answer, then closes the stream."""
        with self._cv:
            self._closing = True
            self._cv.notify_all()
        self._runner.join()
        self._channel.close()

    def _run(self):
        backoff = 0.1
        while True:
            with self._cv:
                if self._closing and not self._pending:
                    return
            if self._serve():
                backoff = 0.1
            else:
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    def _requests(self, outbox):
        """The request iterator gRPC pulls from: messages the sender puts in `outbox`."""
        while True:
            message = outbox.get()
            if message is _CLOSE:
                return
            yield message

    def _serve(self):
        """One stream; True if the daemon answered its window."""
        import queue
        outbox = queue.Queue()
        responses = self._stub.Session(self._requests(outbox), metadata=self._metadata)
        state = {"window": None, "broken": False, "half_closed": False}

        def read():
            try:
                for response in responses:
                    with self._cv:
                        if state["window"] is None:
                            state["window"] = max(1, response.credit)
                        for r in response.results:
                            self._answer(r.tag, r.result)
                        self._cv.notify_all()
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.OK:
                    print(f"session-client: stream ended: {e.code().name} {e.details()}; "
                          "reconnecting", file=sys.stderr)
            with self._cv:
                state["broken"] = True
                self._cv.notify_all()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        served = False
        with self._cv:
            while True:
                self._cv.wait_for(lambda: state["broken"] or (
                    state["window"] is not None and (
                        (self._queue and len(self._in_flight) < state["window"])
                        or (self._closing and not self._pending))))
                if state["broken"]:
                    break
                served = True
                if self._closing and not self._pending:
                    state["half_closed"] = True
                    break
                request = stockd_pb2.SessionRequest()
                while self._queue and len(self._in_flight) < state["window"]:
                    op_id = self._queue.popleft()
                    self._in_flight.add(op_id)
                    request.ops.add(tag=op_id, op=self._pending[op_id][0])
                outbox.put(request)
        outbox.put(_CLOSE)  # half-close (or let a broken stream's iterator end)
        reader.join()
        with self._cv:
            # Whatever was sent and not answered goes out again on the next stream, first.
            self._queue.extendleft(sorted(self._in_flight, reverse=True))
            self._in_flight.clear()
        return served

    def _answer(self, op_id, result):
        """UNAVAILABLE means "not done" (draining) or "outcome unknown": send it again."""
        if op_id not in self._in_flight:
            return
        self._in_flight.discard(op_id)
        if result.code == UNAVAILABLE:
            self._queue.append(op_id)
            return
        _, future = self._pending.pop(op_id)
        future.set_result(result)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--addr", default="127.0.0.1:50551")
    p.add_argument("--channel", default="webshop")
    p.add_argument("--sku", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--id-prefix", default="session-client-py-")
    p.add_argument("--ttl-ms", type=int, default=600000)
    p.add_argument("--token-file")
    a = p.parse_args(argv)
    token = open(a.token_file).readline().strip() if a.token_file else ""
    client = SessionClient(a.addr, token)
    futures = []
    for i in range(a.count):
        op = stockd_pb2.BatchOperation()
        op.reserve.request_id = f"{a.id_prefix}{i}"
        op.reserve.channel = a.channel
        op.reserve.ttl_ms = a.ttl_ms
        op.reserve.lines.add(sku=a.sku, qty=1)
        futures.append(client.submit(op))
    ok = refused = 0
    for f in futures:
        r = f.result()
        if r.code == 0:
            ok += 1
        else:
            refused += 1
            if refused <= 5:
                print(f"refused: {r.code} {r.message}", file=sys.stderr)
    client.close()
    print(f"ok={ok} refused={refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
