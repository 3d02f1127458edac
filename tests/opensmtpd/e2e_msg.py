#!/usr/bin/python3
# e2e_msg.py: the messages check-e2e.sh sends, and the checks of what
# smtpd delivered.
#
#   e2e_msg.py make CASE SENDER DATAFILE
#       DATA for swaks --data @DATAFILE -ndf: CRLF lines, dot-stuffed by
#       hand, the final "." included, so swaks changes nothing.
#   e2e_msg.py verify MAILDIR CASE RESULT CLIENT RECEIVER
#       find the delivered message with "X-Case: CASE" and check it:
#       RESULT "skip" means no SPF headers at all (a trusted session),
#       else Received-SPF: RESULT and Authentication-Results: RECEIVER;
#       spf=RESULT on top, the client's forged A-R gone, its foreign one
#       kept, and the body exactly as sent.  Prints "ok - ..." or
#       "FAIL - ..." lines.

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
from tally import Tally  # noqa: E402  (needs the path set just above)

# Lines that a careless filter or client would change: dot-stuffing,
# a lone dot, bars (the filter protocol's separator), whitespace, 8 bit.
BODY = [
    "Hello from the end-to-end test.",
    ".",
    "..",
    ".leading dot",
    "..two leading dots",
    "a line | with | bars",
    "trailing spaces   ",
    "\ttab first",
    "",
    "From the start of a line",
    "caf\u00e9 8bit \u00fc",
    "Authentication-Results: mx.test.local; spf=pass (body, kept)",
    # smtpd 6.8 cuts filter-dataline answers at 2047 octets (its
    # lka_filter.c copies them into a LINE_MAX buffer), so a body line
    # through any proc filter must stay below ~1990: 1900 it is.
    "L" * 1900,
    "",
    "",
    "last line",
]


def headers(case, sender, receiver):
    return [
        "From: <%s>" % sender,
        "To: <bob@test.local>",
        "Subject: filter-spf end-to-end %s" % case,
        "Message-Id: <%s.e2e@client.example>" % case,
        "X-Case: %s" % case,
        # Forged: must not reach the mailbox from an untrusted client.
        "Authentication-Results: %s; spf=pass smtp.mailfrom=forged" % receiver,
        "Authentication-Results:",
        "\t%s; dkim=pass (forged, folded)" % receiver,
        # Someone else's: kept.
        "Authentication-Results: other.example; spf=neutral",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]


def make(case, sender, path, receiver="mx.test.local"):
    lines = headers(case, sender, receiver) + [""] + BODY
    with open(path, "wb") as f:
        for line in lines:
            b = line.encode("utf-8")
            if b.startswith(b"."):
                b = b"." + b
            f.write(b + b"\r\n")
        # swaks -ndf sends the file and then CRLF: the final dot comes
        # last, without its line end.
        f.write(b".")


def find(maildir, case):
    new = os.path.join(maildir, "new")
    for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
        with open(os.path.join(new, name), "rb") as f:
            data = f.read()
        if b"\nX-Case: %s\n" % case.encode() in data:
            return data
    return None


def verify(maildir, case, result, client, receiver):
    tally = Tally()

    def check(name, ok, detail=""):
        return tally.check("%s: %s" % (case, name), ok, detail)

    data = find(maildir, case)
    if not check("delivered", data is not None):
        return 1
    text = data.decode("utf-8", "replace")
    head, sep, body = text.partition("\n\n")
    hl = head.split("\n")
    # Unfold for matching fields.
    fields = []
    for line in hl:
        if line[:1] in (" ", "\t") and fields:
            fields[-1] += "\n" + line
        else:
            fields.append(line)
    names = [f.split(":", 1)[0].lower() for f in fields]
    ours = [f for f in fields if f.lower().startswith(
        "authentication-results:") and f.split(":", 1)[1].strip().lower()
        .startswith(receiver.lower())]
    if result == "skip":
        check("no Received-SPF (trusted session, unchecked)",
              "received-spf" not in names)
        check("trusted session's Authentication-Results left alone",
              len(ours) == 2, "%d of ours" % len(ours))
    else:
        # Return-Path and Delivered-To come from the delivery agent.
        i = names.index("received-spf") if "received-spf" in names else -1
        check("Received-SPF present", i >= 0)
        if i >= 0:
            rs = fields[i]
            check("Received-SPF: %s" % result,
                  rs.startswith("Received-SPF: %s " % result) or
                  rs == "Received-SPF: %s" % result, rs)
            check("Received-SPF names client-ip=%s" % client,
                  # an IPv6 address is no dot-atom: quoted
                  any("client-ip=%s%s" % (v, e) in rs
                      for v in (client, '"%s"' % client) for e in "; "), rs)
            check("our headers above smtpd's Received:",
                  i + 2 < len(names) and names[i + 1] ==
                  "authentication-results" and names[i + 2] == "received",
                  repr(names[:i + 3]))
        check("exactly one Authentication-Results with our authserv-id "
              "(the forged two removed)", len(ours) == 1, repr(ours))
        if ours:
            check("Authentication-Results says spf=%s" % result,
                  "spf=%s" % result in ours[0], ours[0])
    check("foreign Authentication-Results kept",
          "Authentication-Results: other.example; spf=neutral" in fields)
    want = "\n".join(BODY) + "\n"
    check("body byte for byte", body == want,
          "got %d octets, want %d; first difference at %d" % (
              len(body), len(want), next((k for k in range(min(len(body),
                                          len(want))) if body[k] != want[k]),
                                         min(len(body), len(want)))))
    return 1 if tally.failed else 0


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4],
             *(sys.argv[5:6] or []))
        return 0
    if len(sys.argv) == 7 and sys.argv[1] == "verify":
        return verify(*sys.argv[2:7])
    print("usage: e2e_msg.py make CASE SENDER FILE [RECEIVER] | "
          "verify MAILDIR CASE RESULT CLIENT RECEIVER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
