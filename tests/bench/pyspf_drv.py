#!/usr/bin/python3
# pyspf_drv.py: Debian's pyspf (python3-spf, over pydns) on the
# benchmark's query lines.
#
#   /usr/bin/python3 pyspf_drv.py [--server ADDR] [--port N] < queries
#
# Reads IP<TAB>SENDER<TAB>HELO lines ("<>" is the null sender) and
# writes one line for each: the result, then the microseconds that
# query.check() took.  pyspf keeps no cache between queries.
import argparse
import sys
import time

import spf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--receiver", default="bench.local")
    a = ap.parse_args()
    if a.server:
        import DNS
        DNS.defaults["server"] = [a.server]
        DNS.defaults["port"] = a.port
    out = sys.stdout
    for line in sys.stdin:
        f = line.rstrip("\r\n").split("\t")
        if len(f) < 2:
            out.write("error\t0\n")
            out.flush()
            continue
        ip, sender = f[0], f[1]
        helo = f[2] if len(f) > 2 else ""
        if sender == "<>":
            sender = ""
        t0 = time.perf_counter_ns()
        try:
            res = spf.query(i=ip, s=sender, h=helo, receiver=a.receiver,
                            timeout=20).check()[0]
        except Exception:
            res = "error"
        us = (time.perf_counter_ns() - t0) // 1000
        out.write("%s\t%d\n" % (res, us))
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
