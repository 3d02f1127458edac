#!/usr/bin/python3
# bench_client.py: N concurrent SMTP sessions against smtpd's PROXY v2
# listener, each claiming its own client address.  All sessions connect
# and say EHLO first, then send MAIL FROM at the same moment, so every
# SPF check is in flight at once; the time each waits for its answer
# shows whether any waited on another's DNS.
#
#   bench_client.py HOST PORT N
#
# Session k sends from u@bK.test; even k claim 192.0.2.x (allowed by
# the record: pass, 250), odd k claim 198.51.100.x (fail, 550 5.7.23).
# The sessions connect a few at a time (smtpd's listen backlog is 5) and
# wait, all open, for the common start.
# Prints a summary and "N passed, M failed" (a session passes when its
# answer is the right one).

import asyncio
import ipaddress
import statistics
import struct
import sys
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_v2(src, sport, dst, dport):
    s = ipaddress.ip_address(src)
    d = ipaddress.ip_address(dst)
    if s.version == 4:
        body = s.packed + d.packed + struct.pack("!HH", sport, dport)
        fam = 0x11
    else:
        body = s.packed + d.packed + struct.pack("!HH", sport, dport)
        fam = 0x21
    return SIG + bytes([0x21, fam]) + struct.pack("!H", len(body)) + body


async def reply(reader):
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        lines.append(line.decode("latin-1").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return lines[-1][:3], lines


async def session(k, host, port, go, ready, gate, out):
    want_pass = k % 2 == 0
    src = "192.0.2.%d" % (k // 2 % 250 + 1) if want_pass else \
        "198.51.100.%d" % (k // 2 % 250 + 1)
    rec = {"k": k, "ok": False, "err": None, "ms": None}
    out.append(rec)
    try:
        # smtpd listens with a backlog of 5 (SMTPD_BACKLOG): connect a
        # few at a time; the sessions then stay open together.
        async with gate:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(proxy_v2(src, 30000 + k, "127.0.0.1", port))
            code, _ = await reply(reader)
        if code != "220":
            raise ValueError("banner %s" % code)
        writer.write(b"EHLO bench%d.example\r\n" % k)
        code, _ = await reply(reader)
        if code != "250":
            raise ValueError("EHLO %s" % code)
        ready.release()
        await go.wait()
        t0 = time.monotonic()
        writer.write(b"MAIL FROM:<u@b%d.test>\r\n" % k)
        code, lines = await reply(reader)
        rec["ms"] = (time.monotonic() - t0) * 1000
        rec["reply"] = lines[-1]
        if want_pass:
            rec["ok"] = code == "250"
            if rec["ok"]:
                writer.write(b"RCPT TO:<bob@test.local>\r\n")
                code, _ = await reply(reader)
                writer.write(b"DATA\r\n")
                code, _ = await reply(reader)
                writer.write(b"Subject: bench %d\r\n\r\nbody\r\n.\r\n" % k)
                code, _ = await reply(reader)
                rec["ok"] = code == "250"
        else:
            rec["ok"] = lines[-1].startswith("550 5.7.23")
        writer.write(b"QUIT\r\n")
        await reply(reader)
        writer.close()
    except Exception as e:  # noqa: BLE001 - a bench reports, not raises
        rec["err"] = repr(e)
        ready.release()


async def main(host, port, n):
    go = asyncio.Event()
    ready = asyncio.Semaphore(0)
    gate = asyncio.Semaphore(4)
    out = []
    tasks = [asyncio.create_task(session(k, host, port, go, ready, gate,
                                         out)) for k in range(n)]
    for _ in range(n):
        await ready.acquire()
    t0 = time.monotonic()
    go.set()
    await asyncio.gather(*tasks)
    wall = (time.monotonic() - t0) * 1000
    ms = sorted(r["ms"] for r in out if r["ms"] is not None)
    good = sum(1 for r in out if r["ok"])
    bad = [r for r in out if not r["ok"]]
    print("sessions: %d concurrent, %d correct answers" % (n, good))
    if ms:
        print("MAIL FROM answered in: min %.0f ms, median %.0f ms, "
              "p95 %.0f ms, max %.0f ms" % (
                  ms[0], statistics.median(ms),
                  ms[int(len(ms) * 0.95) - 1], ms[-1]))
    print("all %d transactions done in %.0f ms wall" % (n, wall))
    for r in bad[:5]:
        print("wrong: session %d: %s" % (r["k"], r.get("err") or
                                         r.get("reply")))
    return good, n - good, ms


if __name__ == "__main__":
    h, p, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    good, bad, ms = asyncio.run(main(h, p, n))
    print("%d passed, %d failed" % (good, bad))
    sys.exit(1 if bad else 0)
