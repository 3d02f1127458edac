#!/usr/bin/python3
# proto_test.py: drive build/filter-spf through its stdin with smtpd
# filter protocol lines (the shapes OpenSMTPD 6.8.0p2 writes, see the
# recorded transcript in tests/opensmtpd/transcript-6.8.txt) and check
# every line it answers.  DNS comes from tests/dns/testdns.py, in this
# process, with some names answered late so that answers come back out
# of order.
#
#   proto_test.py FILTER       (run by check-proto.sh from the top)
#
# Ends with "N passed, M failed"; exits 1 if anything failed.
#
# The harness is in proto_harness.py, the test cases in proto_cases.py,
# both next to this script; main() below runs the cases in order.

import os
import shutil
import sys
import tempfile

# Both modules sit next to this script, wherever the tree is cloned.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
import proto_harness  # noqa: E402  (needs the path set just above)
from proto_harness import (FAULTS, RECEIVER, SLOW, TOP, ZONE,  # noqa: E402
                           Filter, T)
sys.path.insert(0, os.path.join(TOP, "tests", "dns"))
import testdns  # noqa: E402
from proto_cases import (end_watchdog, start_watchdog,  # noqa: E402
                         test_answer_during_long_line,
                         test_disconnect_while_waiting, test_eof,
                         test_handshake, test_interleaved, test_ipv6,
                         test_log_lines, test_long_lines, test_malformed,
                         test_memory_flat, test_null_sender,
                         test_out_of_order, test_pass_message,
                         test_reject_defer, test_second_request_while_waiting,
                         test_skips, test_strip_ar, test_tag_headers,
                         test_transcript, test_unknown_version, test_v07)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(TOP, "build", "filter-spf")
    WORK = tempfile.mkdtemp(prefix="filter-spf-proto.")
    proto_harness.WORK = WORK     # where each Filter puts its stderr
    dns = testdns.TestDNSServer(ZONE, faults=FAULTS,
                                log_path=os.path.join(WORK, "dns.log"))
    dns.start()
    try:
        base = ["resolver %s" % dns.address, "dnssec no", "timeout 2",
                "receiver %s" % RECEIVER, "skip 203.0.113.0/24",
                "skip 2001:db8:ffff::/48",
                # one identity: the protocol, not the policy, is tested
                # here (tests/policy, check-e2e test the HELO check)
                "helo-check no"]
        conf = os.path.join(WORK, "spfgate.conf")
        with open(conf, "w") as fp:
            fp.write("\n".join(base + ["headers no"]) + "\n")
        conf_h = os.path.join(WORK, "spfgate-headers.conf")
        with open(conf_h, "w") as fp:
            fp.write("\n".join(base + ["headers yes"]) + "\n")

        conf_w = os.path.join(WORK, "spfgate-watchdog.conf")
        with open(conf_w, "w") as fp:
            fp.write("\n".join(base + ["timeout 60"]) + "\n")
        watchdog = start_watchdog(binary, conf_w)

        f = Filter(binary, conf, "main")
        test_handshake(f, "0.6")
        checked = [test_pass_message(f)]
        test_tag_headers(f)
        test_reject_defer(f)
        checked += list(test_null_sender(f))
        checked += list(test_ipv6(f))
        skipped = list(test_skips(f).values())
        test_strip_ar(f)
        test_long_lines(f)
        test_answer_during_long_line(f)
        test_out_of_order(f)
        test_disconnect_while_waiting(f)
        test_second_request_while_waiting(f)
        checked += test_interleaved(f)
        test_malformed(f)
        test_log_lines(f, checked, skipped)
        if not SLOW:
            test_memory_flat(f)
        test_eof(f)

        test_v07(binary, conf_h)
        test_unknown_version(binary, conf)
        test_transcript(binary, conf)
        end_watchdog(watchdog)
    finally:
        dns.stop()
    if T.failed:
        print("work files in %s" % WORK)
    else:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(T.summary())


if __name__ == "__main__":
    main()
