#!/usr/bin/python3
# builtin-compare.py: the RFC 7208 suite through one real Exim, asking
# both Exim's built-in SPF (the `spf =` ACL condition, libspf2) and
# exim-spf.so in the same MAIL ACL, for every test of every scenario.
#
# Run by check-builtin.sh, which sets up the network namespace, points
# /etc/resolv.conf at 127.0.0.1 (libspf2 goes through Exim's resolver)
# and writes the Exim config; arguments: EXIM CONF SUITE.  For each
# scenario the scenario's zone data is served on 127.0.0.1:53 by
# tests/dns/testdns.py; each test is one `exim -bh HOST` session:
#
#     EHLO helo / MAIL FROM:<mailfrom> / QUIT
#
# whose ACL logs "SPFCMP builtin=<$spf_result> ours=<spf_result>".
#
# A test passes when libspf2 gives a result the suite accepts and ours
# is the same, or when the difference is listed in KNOWN below with the
# RFC's reason (and ours is one the suite accepts).  Our result must
# always be one the suite accepts.  A test whose HELO or MAIL FROM Exim
# refuses before any ACL runs cannot be asked through SMTP: it is listed
# as such, not counted.  Ends with "N passed, M failed".

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.dont_write_bytecode = True
import testdns  # noqa: E402
from tally import Tally  # noqa: E402
import yaml  # noqa: E402

# Differences between libspf2 (as in Exim 4.96, libspf2 1.2.10) and us,
# each with the reason RFC 7208 gives for the suite's expectation.
# "(invalid)" is what Exim's $spf_result says when libspf2 gives no
# result at all: mostly a record it failed to compile ("Failed to
# compile SPF record" in Exim's debug output), where RFC 7208 4.6 wants
# permerror for a syntax error, or an evaluation for a valid record.
# test name -> (libspf2's result, our result, reason)
NORESULT = "libspf2 gives no result; "
SYNTAX = "a syntax error in the record is permerror (RFC 7208 4.6)"
CIDR0 = ("a CIDR length of /0 is valid (RFC 7208 5.6: ip4-cidr-length = "
         "\"/\" (\"0\" / %x31-39 0*1DIGIT)); libspf2 refuses to compile "
         "the record and gives no result")
TOPLABEL = ("a domain-spec must end in a valid toplabel: not all numeric, "
            "no leading '-', no ':' or NUL, more than a toplabel alone "
            "(RFC 7208 7.1), else permerror")
EMPTY = "an empty domain-spec is a syntax error, permerror (RFC 7208 5, 7.1)"
COLON = ("a domain-spec may hold any visible character but '%' (RFC 7208 "
         "7.1): 'a:' / 'mx:' followed by a name containing ':' is that "
         "name, not a cidr or syntax error")
MACRO = ("a '%' not followed by '{', '%', '-' or '_' is a syntax error "
         "(RFC 7208 7.1), permerror")
TIMEOUT = ("a DNS timeout while looking up the record is temperror (RFC "
           "7208 4.4)")
KNOWN = {
    "toolonglabel": ("(invalid)", "none", NORESULT + "a domain with a "
                     "label over 63 octets is not a valid domain: none "
                     "(RFC 7208 4.3)"),
    "non-ascii-policy": ("fail", "permerror", "records are 7-bit ASCII "
                         "(RFC 7208 3.1, 4.6): permerror; libspf2 "
                         "evaluates it"),
    "non-ascii-mech": ("(invalid)", "permerror", NORESULT + "RFC 7208 3.1, "
                       "4.6: permerror"),
    "non-ascii-result": ("(invalid)", "permerror", NORESULT + "RFC 7208 "
                         "3.1, 4.6: permerror"),
    "control-char-policy": ("fail", "permerror", "terms are separated by "
                            "SP only (RFC 7208 4.6.1); a control character "
                            "is a syntax error, permerror"),
    "badip4": ("(invalid)", "permerror", NORESULT + "a newline inside the "
               "record is not SP (RFC 7208 4.6.1): " + SYNTAX),
    "txttimeout": ("(invalid)", "temperror", NORESULT + TIMEOUT),
    "nospftxttimeout": ("(invalid)", "temperror", NORESULT + TIMEOUT),
    "alltimeout": ("(invalid)", "temperror", NORESULT + TIMEOUT),
    "detect-errors-anywhere": ("(invalid)", "permerror", NORESULT +
                               "an unknown term after -all is still " +
                               SYNTAX),
    "modifier-charset-good": ("(invalid)", "pass", NORESULT + "the "
                              "modifier name moo.cow-far_out is valid "
                              "(RFC 7208 4.6.1, A: name = ALPHA *( ALPHA "
                              "/ DIGIT / \"-\" / \"_\" / \".\" ))"),
    "modifier-charset-bad1": ("(invalid)", "permerror", NORESULT + SYNTAX),
    "modifier-charset-bad2": ("(invalid)", "permerror", NORESULT + SYNTAX),
    "redirect-after-mechanisms1": ("permerror", "softfail", "redirect= "
                                   "applies only after all mechanisms "
                                   "failed to match (RFC 7208 6.1): ~all "
                                   "matches first"),
    "redirect-after-mechanisms2": ("permerror", "fail", "redirect= applies "
                                   "only after all mechanisms failed to "
                                   "match (RFC 7208 6.1)"),
    "redirect-is-modifier": ("pass", "permerror", "'redirect:' is not a "
                             "mechanism (RFC 7208 4.6.1, 6.1): " + SYNTAX),
    "invalid-domain": ("fail", "permerror", TOPLABEL),
    "all-dot": ("(invalid)", "permerror", NORESULT + "'all' takes no "
                "argument (RFC 7208 5.1): " + SYNTAX),
    "all-arg": ("(invalid)", "permerror", NORESULT + "'all' takes no "
                "argument (RFC 7208 5.1): " + SYNTAX),
    "all-cidr": ("(invalid)", "permerror", NORESULT + "'all' takes no "
                 "argument (RFC 7208 5.1): " + SYNTAX),
    "ptr-cidr": ("(invalid)", "permerror", NORESULT + "'ptr' takes no "
                 "CIDR length (RFC 7208 5.5): " + SYNTAX),
    "ptr-empty-domain": ("neutral", "permerror", EMPTY),
    "a-bad-cidr4": ("(invalid)", "permerror", NORESULT + "bad CIDR length "
                    "(RFC 7208 5.6): " + SYNTAX),
    "a-bad-cidr6": ("(invalid)", "permerror", NORESULT + "bad CIDR length "
                    "(RFC 7208 5.6): " + SYNTAX),
    "a-dual-cidr-ip4-err": ("(invalid)", "permerror", NORESULT + "bad CIDR "
                            "length (RFC 7208 5.6): " + SYNTAX),
    "a-bad-domain": ("neutral", "permerror", TOPLABEL),
    "a-nxdomain": ("(invalid)", "fail", CIDR0),
    "a-cidr4-0": ("(invalid)", "pass", CIDR0),
    "a-cidr4-0-ip6": ("(invalid)", "fail", CIDR0),
    "a-cidr6-0-ip4": ("(invalid)", "fail", CIDR0),
    "a-cidr6-0-ip4mapped": ("(invalid)", "fail", CIDR0),
    "a-cidr6-0-ip6": ("(invalid)", "pass", CIDR0),
    "a-cidr6-0-nxdomain": ("(invalid)", "fail", CIDR0),
    "a-null": ("pass", "permerror", TOPLABEL),
    "a-numeric": ("neutral", "permerror", TOPLABEL),
    "a-numeric-toplabel": ("neutral", "permerror", TOPLABEL),
    "a-bad-toplabel": ("neutral", "permerror", TOPLABEL),
    "a-only-toplabel": ("neutral", "permerror", TOPLABEL),
    "a-only-toplabel-trailing-dot": ("neutral", "permerror", TOPLABEL),
    "a-colon-domain": ("neutral", "pass", COLON),
    "a-colon-domain-ip4mapped": ("neutral", "pass", COLON),
    "a-empty-domain": ("neutral", "permerror", EMPTY),
    "include-syntax-error": ("(invalid)", "permerror", NORESULT +
                             "'include' needs ':' domain-spec (RFC 7208 "
                             "5.2): " + SYNTAX),
    "include-empty-domain": ("temperror", "permerror", EMPTY),
    "mx-bad-cidr4": ("(invalid)", "permerror", NORESULT + "bad CIDR length "
                     "(RFC 7208 5.6): " + SYNTAX),
    "mx-bad-cidr6": ("(invalid)", "permerror", NORESULT + "bad CIDR length "
                     "(RFC 7208 5.6): " + SYNTAX),
    "mx-bad-domain": ("neutral", "permerror", TOPLABEL),
    "mx-nxdomain": ("(invalid)", "fail", CIDR0),
    "mx-cidr4-0": ("(invalid)", "pass", CIDR0),
    "mx-cidr4-0-ip6": ("(invalid)", "fail", CIDR0),
    "mx-cidr6-0-ip4": ("(invalid)", "fail", CIDR0),
    "mx-cidr6-0-ip4mapped": ("(invalid)", "fail", CIDR0),
    "mx-cidr6-0-ip6": ("(invalid)", "pass", CIDR0),
    "mx-cidr6-0-nxdomain": ("(invalid)", "fail", CIDR0),
    "mx-null": ("pass", "permerror", TOPLABEL),
    "mx-numeric-top-label": ("neutral", "permerror", TOPLABEL),
    "mx-colon-domain": ("neutral", "pass", COLON),
    "mx-colon-domain-ip4mapped": ("neutral", "pass", COLON),
    "mx-bad-toplab": ("neutral", "permerror", TOPLABEL),
    "mx-empty-domain": ("fail", "permerror", EMPTY),
    "exists-empty-domain": ("neutral", "permerror", EMPTY),
    "exists-implicit": ("(invalid)", "permerror", NORESULT + "'exists' "
                        "needs ':' domain-spec (RFC 7208 5.7): " + SYNTAX),
    "exists-cidr": ("neutral", "permerror", "'exists' takes no CIDR length "
                    "(RFC 7208 5.7): " + SYNTAX),
    "cidr4-0": ("(invalid)", "pass", CIDR0),
    "cidr4-33": ("(invalid)", "permerror", NORESULT + "an IPv4 CIDR length "
                 "over 32 is invalid (RFC 7208 5.6): " + SYNTAX),
    "cidr4-032": ("pass", "permerror", "leading zeros are not in the "
                  "grammar (RFC 7208 5.6: \"0\" / %x31-39 0*1DIGIT): " +
                  SYNTAX),
    "bare-ip4": ("(invalid)", "permerror", NORESULT + "'ip4' needs ':' "
                 "ip4-network (RFC 7208 5.6): " + SYNTAX),
    "bad-ip4-port": ("(invalid)", "permerror", NORESULT + "no port in "
                     "ip4-network (RFC 7208 5.6): " + SYNTAX),
    "bad-ip4-short": ("(invalid)", "permerror", NORESULT + "an "
                      "abbreviated IPv4 address is not an ip4-network "
                      "(RFC 7208 5.6): " + SYNTAX),
    "ip4-dual-cidr": ("(invalid)", "permerror", NORESULT + "no dual CIDR "
                      "on ip4 (RFC 7208 5.6): " + SYNTAX),
    "ip4-mapped-ip6": ("pass", "fail", "an IPv4-mapped IPv6 client "
                       "(::FFFF:1.2.3.4) is evaluated as the IPv4 address "
                       "(RFC 7208 5, 5.6), so -ip4:1.2.3.4 matches first"),
    "bare-ip6": ("(invalid)", "permerror", NORESULT + "'ip6' needs ':' "
                 "ip6-network (RFC 7208 5.6): " + SYNTAX),
    "cidr6-0-ip4": ("(invalid)", "neutral", NORESULT + "ip6:::/0 is valid "
                    "(RFC 7208 5.6) and does not match an IPv4 client "
                    "(RFC 7208 5)"),
    "cidr6-ip4": ("(invalid)", "neutral", NORESULT + "ip6:::/0 is valid "
                  "(RFC 7208 5.6) and does not match an IPv4-mapped "
                  "client, which is IPv4 (RFC 7208 5)"),
    "cidr6-0": ("(invalid)", "pass", CIDR0),
    "cidr6-129": ("(invalid)", "permerror", NORESULT + "an IPv6 CIDR "
                  "length over 128 is invalid (RFC 7208 5.6): " + SYNTAX),
    "cidr6-bad": ("(invalid)", "permerror", NORESULT + "no dual CIDR on "
                  "ip6 (RFC 7208 5.6): " + SYNTAX),
    "ip6-bad1": ("(invalid)", "permerror", NORESULT + "not an IPv6 address "
                 "(RFC 7208 5.6): " + SYNTAX),
    "invalid-modifier": ("(invalid)", "permerror", NORESULT + "a modifier "
                         "name starts with ALPHA (RFC 7208 A): " + SYNTAX),
    "empty-modifier-name": ("(invalid)", "permerror", NORESULT + "a "
                            "modifier name is not empty (RFC 7208 A): " +
                            SYNTAX),
    "exp-empty-domain": ("fail", "permerror", "exp= with an empty "
                         "domain-spec is a syntax error (RFC 7208 6.2), "
                         "permerror"),
    "exp-syntax-error": ("neutral", "permerror", "exp= needs a domain-spec "
                         "(RFC 7208 6.2): " + SYNTAX),
    "exp-twice": ("fail", "permerror", "exp= MUST NOT appear twice (RFC "
                  "7208 6): permerror"),
    "redirect-empty-domain": ("neutral", "permerror", "redirect= needs a "
                              "domain-spec (RFC 7208 6.1): " + SYNTAX),
    "redirect-twice": ("fail", "permerror", "redirect= MUST NOT appear "
                       "twice (RFC 7208 6): permerror"),
    "unknown-modifier-syntax": ("fail", "permerror", "an unknown "
                                "modifier's value must be a valid "
                                "macro-string (RFC 7208 A, 7.1): " +
                                SYNTAX),
    "exp-only-macro-char": ("fail", "permerror", "the c, r and t macros "
                            "are only for exp text (RFC 7208 7.1): " +
                            SYNTAX),
    "invalid-macro-char": ("neutral", "permerror", MACRO),
    "invalid-embedded-macro-char": ("neutral", "permerror", MACRO),
    "invalid-trailing-macro-char": ("neutral", "permerror", MACRO),
    "macro-mania-in-domain": ("fail", "pass", "%%, %_ and %- expand to "
                              "'%', ' ' and '%20' (RFC 7208 7.1)"),
    "undef-macro": ("(invalid)", "permerror", NORESULT + "an undefined "
                    "macro letter (RFC 7208 7.1): " + SYNTAX),
    "p-macro-multiple": ("softfail", "pass", "both acceptable: %{p} may be "
                         "any validated name, one that is a subdomain of "
                         "<domain> SHOULD be chosen (RFC 7208 7.3); "
                         "libspf2 picks another"),
    "ptr-limit": ("permerror", "neutral", "more than 10 PTR names are not "
                  "an error: only the first 10, in the order served, are "
                  "checked (RFC 7208 4.6.4, 5.5)"),
    "include-over-limit": ("pass", "permerror", "more than 10 "
                           "DNS-querying terms, counted across includes, "
                           "is permerror (RFC 7208 4.6.4)"),
    "void-over-limit": ("neutral", "permerror", "more than two void "
                        "lookups SHOULD be permerror (RFC 7208 4.6.4); "
                        "libspf2 has no void lookup limit"),
}

SESSION_TIMEOUT = 60


def expected(test):
    r = test["result"]
    return [str(x) for x in r] if isinstance(r, list) else [str(r)]


def smtp_path(mailfrom):
    """The address as SMTP writes it: a local part that is not a
    dot-string goes in quotes (RFC 5321 4.1.2)."""
    local, at, domain = mailfrom.rpartition("@")
    if not at or not local:
        return mailfrom
    atext = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789!#$%&'*+-/=?^_`{|}~")
    parts = local.split(".")
    if all(p and set(p) <= atext for p in parts):
        return mailfrom
    return '"%s"@%s' % (local.replace("\\", "\\\\").replace('"', '\\"'),
                        domain)


def session(exim, conf, host, helo, mailfrom):
    """One exim -bh session; returns (builtin, ours, why-not)."""
    dialogue = "EHLO %s\r\nMAIL FROM:<%s>\r\nQUIT\r\n" % (helo,
                                                            smtp_path(mailfrom))
    try:
        p = subprocess.run([exim, "-C", conf, "-bh", host],
                           input=dialogue.encode("utf-8", "replace"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=SESSION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, None, "session did not end within %d s" % \
            SESSION_TIMEOUT
    err = p.stderr.decode("utf-8", "replace")
    if os.environ.get("DUMP"):
        with open(os.path.join(os.environ["DUMP"], "%s.err" % host), "a") \
                as f:
            f.write(err)
    for line in err.splitlines():
        if line.startswith("LOG:") and " SPFCMP " in line + " ":
            f = dict(kv.split("=", 1) for kv in
                     line.split("SPFCMP ", 1)[1].split() if "=" in kv)
            return f.get("builtin", ""), f.get("ours", ""), None
    replies = [l for l in p.stdout.decode("utf-8", "replace").splitlines()
               if l[:1] in ("4", "5")]
    return None, None, "; ".join(replies) or "no SPFCMP line"


def main():
    exim, conf, suite = sys.argv[1:4]
    only = sys.argv[4] if len(sys.argv) > 4 else None
    with open(suite, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    tally = Tally()
    unasked = []
    seen_known = set()
    for n, sc in enumerate(scenarios, 1):
        tests = sc.get("tests") or {}
        if only and not any(only in name for name in tests):
            continue
        server = testdns.TestDNSServer(sc.get("zonedata") or {},
                                       listen="127.0.0.1", port=53)
        server.start()
        try:
            for name, test in tests.items():
                if only and only not in name:
                    continue
                want = expected(test)
                host = str(test["host"])
                helo = str(test["helo"])
                mailfrom = str(test["mailfrom"])
                t0 = time.monotonic()
                builtin, ours, why = session(exim, conf, host, helo,
                                             mailfrom)
                ms = int((time.monotonic() - t0) * 1000)
                tag = "%s (%s)" % (name, sc.get("description", n))
                if why is not None:
                    unasked.append((tag, why))
                    continue
                line = "%s: builtin=%s ours=%s suite=%s (%d ms)" % (
                    tag, builtin, ours, "|".join(want), ms)
                problems = []
                if ours not in want:
                    problems.append("our result is not one the suite "
                                    "accepts")
                if name in KNOWN:
                    seen_known.add(name)
                    kb, ko, reason = KNOWN[name]
                    if builtin == ours:
                        print("note - %s: listed difference not seen "
                              "(libspf2 now agrees)" % line)
                    elif (builtin, ours) != (kb, ko):
                        problems.append("listed as builtin=%s ours=%s"
                                        % (kb, ko))
                    if not problems:
                        tally.check("%s: known difference: %s"
                                    % (line, reason), True)
                        continue
                elif builtin != ours:
                    if builtin in want:
                        problems.append("both acceptable to the suite but "
                                        "different, and not listed")
                    else:
                        problems.append("libspf2 is wrong here and the "
                                        "difference is not listed")
                tally.check(line, not problems, "; ".join(problems))
        finally:
            server.stop()
    for tag, why in unasked:
        print("not asked - %s: Exim refuses it over SMTP: %s" % (tag, why))
    for name in sorted(set(KNOWN) - seen_known):
        if not only:
            print("note - listed difference %s: no such test asked" % name)
    print("%d known differences listed, %d tests not expressible in SMTP"
          % (len(KNOWN), len(unasked)))
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
