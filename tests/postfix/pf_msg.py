#!/usr/bin/python3
# pf_msg.py: what a message delivered by Postfix's virtual(8) carries.
#
#   pf_msg.py MAILDIR TAG RESULT CLIENT RECEIVER HELO-FIELDS
#
# Finds the one message in MAILDIR/new (or in the mbox file MAILDIR, as
# local(8) delivers) whose Subject is TAG and prints
# one "ok - " or "FAIL - " line per check:
#   RESULT "none-added": no Received-SPF and no Authentication-Results
#   (an unchecked message); else exactly one Received-SPF of the MAIL
#   FROM identity, saying RESULT for CLIENT, exactly one
#   Authentication-Results of RECEIVER saying spf=RESULT, and
#   HELO-FIELDS (0 or 1) Received-SPF of the HELO identity, all above
#   Postfix's own Received: (prepended by smtpd, so each was added once
#   however many recipients the message had).  One policy answer adds
#   one field: a message gets as many as it had answers at RCPT and
#   DATA, the HELO identity's field last.

import email.parser
import email.policy
import mailbox
import os
import sys


def messages(path):
    """Every message's header, from a maildir or an mbox file."""
    parser = email.parser.BytesParser(policy=email.policy.compat32)
    if os.path.isfile(path):
        box = mailbox.mbox(path, create=False)
        for key in box.keys():
            with box.get_file(key) as f:
                yield parser.parse(f, headersonly=True)
        return
    new = os.path.join(path, "new")
    for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
        with open(os.path.join(new, name), "rb") as f:
            yield parser.parse(f, headersonly=True)


def main():
    maildir, tag, result, client, receiver = sys.argv[1:6]
    helo_fields = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    fails = 0

    def check(name, ok, detail=""):
        nonlocal fails
        print("%s - %s: %s%s" % ("ok" if ok else "FAIL", tag, name,
                                 "" if ok else " (%s)" % detail))
        fails += 0 if ok else 1

    found = [m for m in messages(maildir)
             if m.get("Subject", "").strip() == tag]
    check("delivered once to %s" % maildir, len(found) == 1,
          "%d copies" % len(found))
    if len(found) != 1:
        return 1
    msg = found[0]
    names = [k.lower() for k in msg.keys()]
    rs_all = [" ".join(v.split()) for k, v in msg.items()
              if k.lower() == "received-spf"]
    rs = [v for v in rs_all if "identity=helo;" not in v]
    rs_helo = [v for v in rs_all if "identity=helo;" in v]
    ar = [" ".join(v.split()) for k, v in msg.items()
          if k.lower() == "authentication-results"]
    if result == "none-added":
        check("no Received-SPF (unchecked)", not rs_all, rs_all)
        check("no Authentication-Results (unchecked)", not ar, ar)
        return 1 if fails else 0
    check("exactly one Received-SPF of MAIL FROM", len(rs) == 1, rs_all)
    check("%d Received-SPF of HELO" % helo_fields,
          len(rs_helo) == helo_fields, rs_all)
    if rs:
        check("Received-SPF: %s" % result,
              rs[0].split(" ", 1)[0] == result, rs[0])
        check("Received-SPF names client-ip=%s" % client,
              any("client-ip=%s;" % v in rs[0]
                  for v in (client, '"%s"' % client)), rs[0])
    check("exactly one Authentication-Results", len(ar) == 1, ar)
    if ar:
        check("Authentication-Results: %s; spf=%s" % (receiver, result),
              ar[0].startswith("%s;" % receiver) and
              "spf=%s " % result in ar[0], ar[0])
    first_received = names.index("received") if "received" in names \
        else len(names)
    check("the SPF fields above Postfix's Received:",
          all(names.index(h) < first_received
              for h in ("received-spf", "authentication-results")
              if h in names), names)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
