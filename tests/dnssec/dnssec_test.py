#!/usr/bin/python3
# dnssec_test.py: spfgate's DNSSEC validation against signed zones on a
# real authoritative server.  Run by check.sh (which puts us in a
# private network namespace when it can); from the repository top.
#
# At test time: a key per zone (ldns-keygen), zones signed with
# ldns-signzone under a private root "." (the trust anchor), some of
# them damaged after signing (a flipped RRSIG, data changed under its
# signature, signatures that expired, a DNSKEY removed, a record
# removed), all served by NSD on 127.0.0.1 and a high port.  NSD does
# not validate, so every bogus answer reaches libunbound as it is and
# only spfgate's own validation stands between it and the result.
#
#   .                signed, the trust anchor; delegates test. with DS
#   test.            signed; delegates the zones below (DS when signed)
#   s1.test.         signed: "v=spf1 mx include:s2.test -all"
#   s2.test.         signed: "v=spf1 ip4:192.0.2.10 -all"
#   u1.test.         NOT signed (no DS): "v=spf1 ip4:192.0.2.10 -all"
#   mixed.test.      signed: "v=spf1 include:u1.test -all"
#   tamper.test.     signed, then the RRSIGs over its TXT, www A and
#                    why TXT flipped; the data says ip4:192.0.2.10 -all
#   forged.test.     signed "v=spf1 -all", then the TXT changed to
#                    "v=spf1 +all" (forged pass); fail.forged.test
#                    signed "+all", changed to "-all" (forged fail)
#   expired.test.    signed with signatures that expired 30 days ago
#   nokey.test.      signed, DS in test., its DNSKEY removed
#   incbad.test.     signed: "v=spf1 include:forged.test -all"
#   abad.test.       signed: "v=spf1 a:www.tamper.test -all"
#   expbad.test.     signed: "v=spf1 -all exp=why.tamper.test"
#   strip.test.      signed "v=spf1 ip4:192.0.2.10 -all", then the TXT
#                    and its RRSIG removed (a forged "no record": NSD
#                    answers NODATA with an NSEC that lists TXT)
#
# A second NSD serves the same zones unsigned: a resolver path that
# strips DNSSEC.  Every case runs through "spfgate filter"; the main
# ones also through build/filter-spf (OpenSMTPD 6.8 filter protocol
# lines on its stdin) and, as root with Exim installed, through
# build/exim-spf.so in "exim -bh".  The last group ("core gaps") holds
# cases the core got wrong when this was written.  Ends with
# "dnssec: N passed, M failed".
#
# Environment: SPFGATE, FILTER_SPF, EXIM_SPF_SO (the binaries), KEEP=1
# keeps the scratch directory, VERBOSE=1 prints every JSON line.

# The code: dnssec_setup.py (zones, signing, NSD), dnssec_cases.py (the
# cases through "spfgate filter"), dnssec_mta.py (filter-spf, Exim);
# this file runs them in order.

import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # no __pycache__ from the imports below
# The modules beside this file: Python puts the script's own directory
# first on sys.path, wherever the clone is.
from dnssec_setup import (KEYGEN, NSD, SIGNZONE, SPFGATE, T,  # noqa: E402
                          Nsd, build_zones, check, free_port, leftovers)
from dnssec_cases import (Env, test_bogus, test_cache,  # noqa: E402
                          test_core_gaps, test_dnssec_no, test_insecure,
                          test_probe, test_require_pass, test_secure,
                          test_several_in_one_stream)
from dnssec_mta import test_exim, test_filter_spf  # noqa: E402


# ----------------------------------------------------------------- main

def main():
    for tool in (SPFGATE, NSD, KEYGEN, SIGNZONE):
        if not os.access(tool, os.X_OK):
            print("dnssec: %s missing (make; sh tests/deps.sh dnssec)" % tool)
            print("dnssec: 0 passed, 1 failed")
            return 1
    w = tempfile.mkdtemp(prefix="spfgate-dnssec.")
    servers = []
    try:
        t0 = time.monotonic()
        Env.anchors = build_zones(w)
        Env.port = free_port()
        servers.append(Nsd(os.path.join(w, "nsd"), os.path.join(w, "signed"),
                           Env.port))
        Env.strip_port = free_port()
        servers.append(Nsd(os.path.join(w, "nsd-plain"),
                           os.path.join(w, "plain"), Env.strip_port))
        print("# zones signed and served by NSD on 127.0.0.1:%d (plain "
              "copies on :%d) in %.1f s" % (Env.port, Env.strip_port,
                                          time.monotonic() - t0))
        for name, fn in [("secure", test_secure), ("insecure", test_insecure),
                         ("bogus", test_bogus),
                         ("stream", test_several_in_one_stream),
                         ("cache", test_cache),
                         ("dnssec no", test_dnssec_no),
                         ("require-dnssec-pass", test_require_pass),
                         ("start-up probe", test_probe),
                         ("filter-spf", lambda: test_filter_spf(w)),
                         ("exim", lambda: test_exim(w)),
                         ("core gaps", lambda: test_core_gaps(w))]:
            print("# %s" % name)
            try:
                fn()
            except Exception as e:  # a broken case is a failure, go on
                check("%s: ran to the end" % name, False, repr(e))
    except Exception as e:
        check("set-up (keys, signing, NSD)", False, repr(e))
    finally:
        for s in servers:
            s.stop()
        for s in servers:
            check("NSD on :%d stopped by its pid" % s.port,
                  s.p.returncode is not None, s.logs())
        left = leftovers(w)
        check("nothing left running", not left, "\n".join(left))
        if os.environ.get("KEEP"):
            print("# kept %s" % w)
        else:
            shutil.rmtree(w, ignore_errors=True)
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
