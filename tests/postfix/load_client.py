#!/usr/bin/python3
# load_client.py: N concurrent SMTP sessions against one Postfix smtpd
# port, each from a client address of its own (the test namespace makes
# 192.0.2.0/24 and 198.51.100.0/24 local).  All sessions connect, say
# EHLO and MAIL FROM first, then send RCPT TO at the same moment, so
# that every policy check is in flight at once.
#
#   load_client.py PORT N RCPT PREFIX
#
# Session k sends from u@PREFIXK.test (a domain of its own: no answer
# comes from a cache); even k connect from 192.0.2.x, which the record allows
# (RCPT 250, then the message is sent: DATA 250), odd k from
# 198.51.100.x (RCPT 550 5.7.23).  Prints a summary, the first wrong
# answers, and "N passed, M failed" (a session passes when every answer
# is the right one).  The times are printed to read, never asserted.
# A session that gets no answer within SESSION_LIMIT seconds counts as
# wrong: a stuck server ends the run, not the test machine's patience.

import asyncio
import statistics
import sys
import time

SESSION_LIMIT = 120


async def reply(reader):
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        lines.append(line.decode("latin-1").rstrip("\r\n"))
        if len(line) < 4 or line[3:4] != b"-":
            return lines[-1][:3], lines[-1]


async def expect(reader, code, what):
    got, line = await reply(reader)
    if got != code:
        raise ValueError("%s: %s" % (what, line))
    return line


async def session(k, port, rcpt, prefix, go, ready, gate, out):
    want_pass = k % 2 == 0
    src = "192.0.2.%d" % (k // 2 % 250 + 1) if want_pass else \
        "198.51.100.%d" % (k // 2 % 250 + 1)
    rec = {"k": k, "ok": False, "err": None, "ms": None}
    out.append(rec)
    released = False
    try:
        # a few connects at a time: the listen queue is finite
        async with gate:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(src, 0))
            await expect(reader, "220", "banner")
        writer.write(b"EHLO load%d.example\r\n" % k)
        await expect(reader, "250", "EHLO")
        writer.write(b"MAIL FROM:<u@%s%d.test>\r\n" %
                     (prefix.encode(), k))
        await expect(reader, "250", "MAIL FROM")
        ready.release()
        released = True
        await go.wait()
        t0 = time.monotonic()
        writer.write(b"RCPT TO:<%s>\r\n" % rcpt.encode())
        code, line = await reply(reader)
        rec["ms"] = (time.monotonic() - t0) * 1000
        rec["reply"] = line
        if want_pass:
            if code != "250":
                raise ValueError("RCPT: %s" % line)
            writer.write(b"DATA\r\n")
            await expect(reader, "354", "DATA")
            writer.write(b"Subject: load %d\r\n\r\nbody\r\n.\r\n" % k)
            await expect(reader, "250", "end of data")
        elif not line.startswith("550 5.7.23 "):
            raise ValueError("RCPT: %s" % line)
        writer.write(b"QUIT\r\n")
        await expect(reader, "221", "QUIT")
        writer.close()
        rec["ok"] = True
    except Exception as e:  # noqa: BLE001 - counted and printed
        rec["err"] = "%s: %r" % (src, e)
    finally:
        # also when cancelled (bounded): the start must not wait for it
        if not released:
            ready.release()


async def bounded(coro, k, out):
    try:
        await asyncio.wait_for(coro, SESSION_LIMIT)
    except asyncio.TimeoutError:
        for r in out:
            if r["k"] == k:
                r["err"] = "no answer within %d s" % SESSION_LIMIT


async def main(port, n, rcpt, prefix):
    go = asyncio.Event()
    ready = asyncio.Semaphore(0)
    gate = asyncio.Semaphore(8)
    out = []
    tasks = [asyncio.create_task(bounded(session(k, port, rcpt, prefix, go,
                                                 ready, gate, out), k, out))
             for k in range(n)]
    for _ in range(n):
        await ready.acquire()
    t0 = time.monotonic()
    go.set()
    await asyncio.gather(*tasks)
    wall = (time.monotonic() - t0) * 1000
    ms = sorted(r["ms"] for r in out if r["ms"] is not None)
    good = sum(1 for r in out if r["ok"])
    print("sessions: %d concurrent, %d answered correctly" % (n, good))
    if ms:
        print("RCPT TO answered in: min %.0f ms, median %.0f ms, "
              "max %.0f ms; all done in %.0f ms" % (
                  ms[0], statistics.median(ms), ms[-1], wall))
    for r in [r for r in out if not r["ok"]][:5]:
        print("wrong: session %d: %s" % (r["k"], r["err"]))
    return good, n - good


if __name__ == "__main__":
    good, bad = asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]),
                                 sys.argv[3], sys.argv[4]))
    print("%d passed, %d failed" % (good, bad))
    sys.exit(1 if bad else 0)
