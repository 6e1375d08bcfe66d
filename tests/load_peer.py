#!/usr/bin/env python3
"""load_peer.py - an HTTP/1.1 keep-alive server for bin/load's tests, with
faults on demand; it is not a model (those serve with --serve PORT), it lets
tests/test_load.sh check bin/load alone against answers it can predict.

    load_peer.py [--mode ok|close|status|garbage|idle-close|silent]
                 [--every K] [--delay-ms D] [--port-file F]

GET /PATH?id=N answers 200 with result(N) as 16 hex digits and "\n" (the
serve contract's body), after D ms.  Every K-th request: "close" answers
with Connection: close and closes, "status" answers 500, "garbage" answers
bytes that are not HTTP, "silent" never answers; "idle-close" closes every
connection that sends nothing for 0.5 s.  It writes its port to F (or
stdout) once listening, and serves until killed.
"""
import argparse
import asyncio
import sys

MASK = (1 << 64) - 1


def result(n):
    """The answer to id n: a fixed mixing the test recomputes."""
    return (n * 0x9E3779B97F4A7C15 + 0x1234) & MASK


async def serve(reader, writer, args, state):
    try:
        while True:
            try:
                if args.mode == "idle-close":
                    line = await asyncio.wait_for(reader.readline(), 0.5)
                else:
                    line = await reader.readline()
            except asyncio.TimeoutError:
                return
            if not line:
                return
            while True:  # the headers
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
            parts = line.split()
            n = int(parts[1].split(b"id=")[1])
            state["count"] += 1
            k = state["count"]
            if args.delay_ms:
                await asyncio.sleep(args.delay_ms / 1000.0)
            fault = args.every and k % args.every == 0
            body = b"%016x\n" % result(n)
            if fault and args.mode == "silent":
                await asyncio.sleep(3600)
            if fault and args.mode == "garbage":
                writer.write(b"NOT HTTP AT ALL\r\n\r\n")
                await writer.drain()
                return
            status = b"500 Internal Server Error" if fault and args.mode == "status" else b"200 OK"
            close = fault and args.mode == "close"
            writer.write(b"HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s"
                         % (status, len(body), b"Connection: close\r\n" if close else b"", body))
            await writer.drain()
            if close:
                return
    except (ConnectionError, IndexError, ValueError):
        return
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="ok",
                    choices=["ok", "close", "status", "garbage", "idle-close", "silent"])
    ap.add_argument("--every", type=int, default=0)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    state = {"count": 0}
    srv = await asyncio.start_server(lambda r, w: serve(r, w, args, state), "127.0.0.1", 0,
                                     backlog=4096)
    port = srv.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    else:
        print(port, flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
