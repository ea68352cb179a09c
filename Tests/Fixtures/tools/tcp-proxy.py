#!/usr/bin/env python3
"""A loopback TCP proxy for imgtool's ship tests.

Forwards 127.0.0.1:<listen> to 127.0.0.1:<target>, counting the bytes that go from the client
to the server (ssh's upload direction). It can slow that direction down (--rate bytes/s) and cut
every connection once a total number of bytes has passed (--cut-after), or hold that direction
still for --pause-seconds once --pause-after bytes have passed (a stalled link). It prints the port it
listens on, then writes the running byte count to --count-file after every forward.

Usage: tcp-proxy.py TARGET_PORT [--rate N] [--cut-after N] [--pause-after N --pause-seconds S] --count-file PATH
"""
import argparse
import socket
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("target", type=int)
parser.add_argument("--rate", type=int, default=0)
parser.add_argument("--cut-after", type=int, default=0)
parser.add_argument("--pause-after", type=int, default=0)
parser.add_argument("--pause-seconds", type=float, default=0)
parser.add_argument("--count-file", required=True)
args = parser.parse_args()

lock = threading.Lock()
total = 0
cut = False
paused = False


def record():
    with open(args.count_file + ".tmp", "w") as f:
        f.write(str(total))
    import os
    os.replace(args.count_file + ".tmp", args.count_file)


def pump(src, dst, upload, peers):
    global total, cut, paused
    started = time.monotonic()
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if upload:
                with lock:
                    if args.cut_after and total + len(data) > args.cut_after:
                        data = data[: max(0, args.cut_after - total)]
                        cut = True
                    total += len(data)
                    record()
                if args.pause_after and not paused and total > args.pause_after:
                    paused = True
                    time.sleep(args.pause_seconds)
                if args.rate:
                    sent += len(data)
                    ahead = sent / args.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
            if data:
                dst.sendall(data)
            if cut:
                break
    except OSError:
        pass
    for s in peers:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def serve(client):
    try:
        server = socket.create_connection(("127.0.0.1", args.target))
    except OSError:
        client.close()
        return
    peers = (client, server)
    threading.Thread(target=pump, args=(client, server, True, peers), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, False, peers), daemon=True).start()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
record()
print(listener.getsockname()[1], flush=True)
while True:
    conn, _ = listener.accept()
    if cut:
        conn.close()
        continue
    serve(conn)
