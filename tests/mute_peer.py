#!/usr/bin/env python3
"""mute_peer.py - a TCP peer that accepts every connection and never
answers (a hung backend or database), for the tests of the I/O bound.

    mute_peer.py

It listens on a free loopback port, prints the port on stdout once
listening, and holds every connection open until killed.
"""
import socket

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print(ls.getsockname()[1], flush=True)
held = []
while True:
    held.append(ls.accept())
