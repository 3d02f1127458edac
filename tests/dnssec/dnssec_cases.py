# dnssec_cases.py: the DNSSEC suite's cases run through "spfgate
# filter" (see dnssec_test.py, the driver): the helpers that run it and
# check its JSON, then the cases by what they test: secure, insecure,
# bogus, one stream, the cache, dnssec no, require-dnssec-pass, the
# start-up probe, and the "core gaps".

import json
import os
import re
import select
import subprocess
import time

from dnssec_setup import (GOOD, MXIP, OTHER, RECEIVER, ROOT_KEY, SPFGATE,
                          VERBOSE, Nsd, check, free_port)


# -------------------------------------------------------------- spfgate

class Env:
    port = None         # the signed NSD
    strip_port = None   # the unsigned one
    anchors = {}


def spfgate_filter(lines, *opts, anchor="good", port=None, timeout=30):
    """Run spfgate filter on lines; (rc, [json], stderr)."""
    argv = [SPFGATE, "filter", "--config", "/dev/null",
            "--resolver", "127.0.0.1@%d" % (port or Env.port),
            "--receiver", RECEIVER, "--timeout", "5"]
    if anchor is not None:
        argv += ["--trust-anchor", Env.anchors[anchor]]
    argv += list(opts)
    p = subprocess.run(argv, input="".join(l + "\n" for l in lines).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    out = []
    for l in p.stdout.decode().splitlines():
        try:
            out.append(json.loads(l))
        except ValueError:
            out.append({"unparsable": l})
        if VERBOSE:
            print("    | " + l)
    return p.returncode, out, p.stderr.decode()


def one(ip, sender, *opts, **kw):
    rc, out, err = spfgate_filter(["%s %s mail.example.org" % (ip, sender)],
                                  *opts, **kw)
    r = out[0] if len(out) == 1 else {"missing": out, "rc": rc, "err": err}
    r["_stderr"] = err
    r["_rc"] = rc
    return r


def show(r):
    return json.dumps({k: v for k, v in r.items() if not k.startswith("_")},
                      indent=None) + ("\nstderr: " + r["_stderr"]
                                      if r.get("_stderr") else "")


def expect(name, r, result, dnssec, action=None, problem=None,
           mechanism=None):
    """Assert result, dnssec, action and that problem (a regex) is in
    the problem text (or that there is none when problem == "")."""
    ok = r.get("result") == result and r.get("dnssec") == dnssec
    if action is not None:
        ok = ok and r.get("action") == action
    if problem == "":
        ok = ok and r.get("problem") == ""
    elif problem is not None:
        ok = ok and re.search(problem, r.get("problem", "")) is not None
    if mechanism is not None:
        ok = ok and r.get("mechanism") == mechanism
    return check(name, ok, show(r))


def headers_show(name, r, dnssec):
    """The status in both headers, where the grammar allows it."""
    rs, ar = r.get("received_spf", ""), r.get("authentication_results", "")
    if dnssec == "unvalidated":
        ok = "dnssec" not in rs and "dnssec" not in ar
    else:
        ok = rs.endswith("; dnssec=%s;" % dnssec) and \
            (" spf=%s (dnssec=%s) " % (r.get("result"), dnssec)) in ar
    return check(name, ok, "Received-SPF: %s\nAuthentication-Results: %s" %
                 (rs, ar))


def bogus_case(label, ip, sender, failing, would):
    """A bogus answer: temperror, deferred, the failing name named,
    and not the result the forged data would have given."""
    r = one(ip, sender)
    expect("%s: temperror, bogus, problem names %s" % (label, failing), r,
           "temperror", "bogus", "defer",
           r"DNSSEC validation failed for %s " % re.escape(failing))
    check("%s: the forged data is not believed (not %s)" % (label, would),
          r.get("result") != would and r.get("action") != "accept" and
          r.get("reply", "").startswith("451 4.7.24"), show(r))
    return r


# ---------------------------------------------------------------- cases

def test_secure():
    r = one(GOOD, "alice@s1.test")
    expect("secure chain, include: into a second signed zone: pass, secure",
           r, "pass", "secure", "accept", "", "include:s2.test")
    headers_show("secure pass: dnssec=secure in Received-SPF and "
                 "Authentication-Results", r, "secure")
    check("secure pass: JSON carries \"dnssec\":\"secure\"",
          '"dnssec": "secure"' in json.dumps(r), show(r))
    r = one(MXIP, "bob@s1.test")
    expect("secure chain, mx (MX and A answers signed): pass, secure", r,
           "pass", "secure", "accept", "", "mx")
    r = one(OTHER, "mallory@s1.test")
    expect("secure chain, unlisted client: fail, secure, rejected", r,
           "fail", "secure", "reject")
    r = one(GOOD, "nobody@nosuch.s2.test")
    expect("signed NXDOMAIN (no record): none, secure", r, "none", "secure",
           "accept")


def test_insecure():
    r = one(GOOD, "alice@mixed.test")
    expect("signed zone including an unsigned one: pass, insecure", r,
           "pass", "insecure", "accept", "", "include:u1.test")
    headers_show("insecure pass: dnssec=insecure in both headers", r,
                 "insecure")
    r = one(GOOD, "alice@u1.test")
    expect("unsigned zone under the signed anchor: pass, insecure", r,
           "pass", "insecure", "accept", "")
    r = one(OTHER, "mallory@mixed.test")
    expect("insecure fail stays fail (unsigned is not bogus)", r, "fail",
           "insecure", "reject")


def test_bogus():
    # A flipped RRSIG over data that says ip4:GOOD -all.
    r = bogus_case("tampered RRSIG, client the data allows", GOOD,
                   "alice@tamper.test", "tamper.test", "pass")
    headers_show("bogus: dnssec=bogus in both headers", r, "bogus")
    check("bogus: Received-SPF quotes the problem",
          re.search(r'; problem="DNSSEC validation failed for tamper\.test '
                    r'[^"]*"; dnssec=bogus;$', r.get("received_spf", ""))
          is not None, r.get("received_spf"))
    check("bogus: Authentication-Results reason names the name",
          re.search(r'spf=temperror \(dnssec=bogus\) reason="DNSSEC '
                    r'validation failed for tamper\.test ',
                    r.get("authentication_results", "")) is not None,
          r.get("authentication_results"))
    bogus_case("tampered RRSIG, client the data refuses", OTHER,
               "mallory@tamper.test", "tamper.test", "fail")
    # Data changed under a valid signature.
    bogus_case("forged pass (+all under the signature of -all)", OTHER,
               "mallory@forged.test", "forged.test", "pass")
    bogus_case("forged fail (-all under the signature of +all)", GOOD,
               "alice@fail.forged.test", "fail.forged.test", "fail")
    bogus_case("expired signatures, client the data allows", GOOD,
               "alice@expired.test", "expired.test", "pass")
    bogus_case("expired signatures, client the data refuses", OTHER,
               "mallory@expired.test", "expired.test", "fail")
    bogus_case("missing DNSKEY (DS in the parent), client allowed", GOOD,
               "alice@nokey.test", "nokey.test", "pass")
    bogus_case("missing DNSKEY, client refused", OTHER,
               "mallory@nokey.test", "nokey.test", "fail")
    r = bogus_case("record removed (forged NODATA), client the record "
                   "refuses", OTHER, "mallory@strip.test", "strip.test",
                   "none")
    check("record removed: not downgraded to none/accept", r.get("result")
          != "none", show(r))
    bogus_case("include: of a forged zone: the included name is named",
               OTHER, "mallory@incbad.test", "forged.test", "pass")
    bogus_case("a: whose A answer is bogus (TXT secure)", GOOD,
               "alice@abad.test", "www.tamper.test", "pass")
    # The explanation: fetched after a validated -all decided the
    # result.  Its forged text must not reach the reply; the result
    # stays the authenticated fail (RFC 7208 6.2: trouble with exp=
    # means the default explanation), and the status still tells that
    # a bogus answer was seen.
    r = one(OTHER, "mallory@expbad.test")
    check("bogus explanation: the forged text is not used (default "
          "explanation instead)",
          "forged explanation" not in r.get("explanation", "") and
          "forged explanation" not in r.get("reply", "") and
          "is not allowed to send mail from expbad.test" in
          r.get("explanation", ""), show(r))
    expect("bogus explanation: the validated fail stands, dnssec bogus, "
           "problem names why.tamper.test", r, "fail", "bogus", "reject",
           r"DNSSEC validation failed for why\.tamper\.test ")


def test_several_in_one_stream():
    lines = ["%s alice@s1.test h" % GOOD, "%s alice@mixed.test h" % GOOD,
             "%s mallory@forged.test h" % OTHER,
             "%s alice@fail.forged.test h" % GOOD,
             "%s alice@s1.test h" % GOOD]
    rc, out, err = spfgate_filter(lines)
    got = [(o.get("result"), o.get("dnssec")) for o in out]
    want = [("pass", "secure"), ("pass", "insecure"),
            ("temperror", "bogus"), ("temperror", "bogus"),
            ("pass", "secure")]
    check("one filter stream: each line has its own status, in order "
          "(a bogus line leaves the next secure)", rc == 0 and got == want,
          "rc %d got %r\n%s" % (rc, got, err))


def test_cache():
    """The checker's answer cache (common/cache.c) keeps a secure answer
    with its status and never keeps a bogus one: the same lines again in
    one process give the same results and the same statuses, the bogus
    ones still bogus (a bogus answer kept as good would give the forged
    pass, or an insecure fail)."""
    lines = ["%s mallory@forged.test h" % OTHER,
             "%s alice@abad.test h" % GOOD,
             "%s alice@s1.test h" % GOOD]
    # one at a time: each line starts after the one before has ended
    rc, out, err = spfgate_filter(lines + lines + lines, "--max-inflight",
                                  "1")
    got = [(o.get("result"), o.get("dnssec")) for o in out]
    want = [("temperror", "bogus"), ("temperror", "bogus"),
            ("pass", "secure")] * 3
    check("cache: bogus answers asked again, never served from the cache; "
          "a secure one keeps its status", rc == 0 and got == want,
          "rc %d got %r\n%s" % (rc, got, err))
    check("cache: the secure evaluation repeated asked no question "
          "(queries 0: its answers came from the cache)",
          [o.get("queries") for o in out[5::3]] == [0, 0],
          repr([o.get("queries") for o in out]))
    check("cache: the bogus evaluations repeated asked their question "
          "again", all(o.get("queries", 0) >= 1 for o in out[0::3] +
                       out[1::3]), repr([o.get("queries") for o in out]))


def test_dnssec_no():
    cases = [(GOOD, "alice@s1.test", "pass"), (GOOD, "alice@mixed.test",
                                                "pass"),
             (GOOD, "alice@tamper.test", "pass"),
             (OTHER, "mallory@tamper.test", "fail"),
             (OTHER, "mallory@forged.test", "pass"),
             (GOOD, "alice@fail.forged.test", "fail"),
             (GOOD, "alice@expired.test", "pass"),
             (GOOD, "alice@nokey.test", "pass")]
    for ip, sender, want in cases:
        r = one(ip, sender, "--dnssec", "no")
        expect("dnssec no: %s from %s: %s from the data, unvalidated" %
               (sender, ip, want), r, want, "unvalidated", None, "")
        check("dnssec no: %s: no notice on stderr" % sender,
              r["_stderr"] == "", r["_stderr"])
    headers_show("dnssec no: no dnssec in either header", r, "unvalidated")


def test_require_pass():
    opts = ("--require-dnssec-pass", "yes", "--neutral", "tag")
    r = one(GOOD, "alice@mixed.test", *opts)
    expect("require-dnssec-pass yes: insecure pass gets neutral's action "
           "(tag here)", r, "pass", "insecure", "tag",
           r"not DNSSEC-secure \(insecure\)")
    r = one(GOOD, "alice@mixed.test", "--require-dnssec-pass", "yes",
            "--neutral", "reject")
    check("require-dnssec-pass yes, neutral reject: the 550 says the pass "
          "was not DNSSEC-secure, not that the client is unauthorized",
          r.get("action") == "reject" and
          r.get("reply", "").startswith("550 ") and
          "DNSSEC" in r.get("reply", "") and
          "not authorized" not in r.get("reply", ""), show(r))
    r = one(GOOD, "alice@s1.test", *opts)
    expect("require-dnssec-pass yes: secure pass is still accepted", r,
           "pass", "secure", "accept", "")
    r = one(OTHER, "mallory@s1.test", *opts)
    expect("require-dnssec-pass yes: a secure fail is still rejected", r,
           "fail", "secure", "reject")
    r = one(GOOD, "alice@mixed.test", "--require-dnssec-pass", "yes")
    expect("require-dnssec-pass yes, default neutral action: accept", r,
           "pass", "insecure", "accept")
    r = one(GOOD, "alice@s1.test", "--require-dnssec-pass", "yes",
            "--neutral", "tag", "--dnssec", "no")
    expect("require-dnssec-pass yes with dnssec no: unvalidated pass is "
           "not secure either (neutral's action)", r, "pass",
           "unvalidated", "tag", r"not DNSSEC-secure \(unvalidated\)")


NOTICE = re.compile(r"^spfgate: DNSSEC validation off: .+$", re.M)


def test_probe():
    # The wrong key for test.: the path cannot validate the anchor zone.
    r = one(GOOD, "alice@s1.test", anchor="wrong")
    lines = [l for l in r["_stderr"].splitlines() if l]
    check("probe, wrong key: exactly one notice line on stderr",
          len(lines) == 1 and NOTICE.match(lines[0]) is not None,
          r["_stderr"])
    check("probe, wrong key: the notice names the anchor zone and says why",
          re.search(r"DNSKEY of \. came back bogus", r["_stderr"])
          is not None, r["_stderr"])
    expect("probe, wrong key: runs, result from the data, unvalidated", r,
           "pass", "unvalidated", "accept", "")
    r = one(GOOD, "alice@s1.test", "--dnssec", "require", anchor="wrong")
    check("probe, wrong key, dnssec require: start-up error, non-zero "
          "exit, no output",
          r["_rc"] != 0 and "missing" in r and r["missing"] == [],
          show(r))
    check("probe, wrong key, dnssec require: the message says why",
          re.search(r"^spfgate: DNSSEC required, but .* of \. .*bogus",
                    r["_stderr"], re.M) is not None, r["_stderr"])

    # A path that strips DNSSEC: the same zones, unsigned.
    r = one(GOOD, "alice@s1.test", port=Env.strip_port)
    lines = [l for l in r["_stderr"].splitlines() if l]
    check("probe, stripping resolver: one notice line naming the root",
          len(lines) == 1 and NOTICE.match(lines[0]) is not None and
          "DNSKEY of . " in lines[0], r["_stderr"])
    expect("probe, stripping resolver: mail still flows (pass, "
           "unvalidated), not a bogus outage", r, "pass", "unvalidated",
           "accept", "")
    r = one(GOOD, "alice@s1.test", "--dnssec", "require",
            port=Env.strip_port)
    check("probe, stripping resolver, dnssec require: start-up error",
          r["_rc"] != 0 and r.get("missing") == [] and
          "DNSSEC required" in r["_stderr"], show(r))

    # The right anchor: no notice, and "dnssec require" starts.
    r = one(GOOD, "alice@s1.test", "--dnssec", "require")
    check("probe, right anchor, dnssec require: starts, no notice, secure",
          r["_rc"] == 0 and r["_stderr"] == "" and
          r.get("dnssec") == "secure", show(r))
    r = one(GOOD, "alice@s1.test", anchor="dnskey")
    check("probe, anchor given as a DNSKEY file: secure, no notice",
          r["_stderr"] == "" and r.get("dnssec") == "secure", show(r))

    # No trust-anchor line: the root key (dns-root-data), whose zone
    # this path does not serve.
    if os.path.exists(ROOT_KEY):
        r = one(GOOD, "alice@s1.test", anchor=None)
        check("probe, default root anchor on a path without the root: "
              "notice naming the root, unvalidated pass",
              NOTICE.search(r["_stderr"]) is not None and
              "DNSKEY of . " in r["_stderr"] and
              r.get("result") == "pass" and
              r.get("dnssec") == "unvalidated", show(r))

    # Nothing answers at start-up: the probe gives up after the timeout
    # and says so.
    dead = free_port()
    t = time.monotonic()
    r = one(GOOD, "alice@s1.test", "--timeout", "1", port=dead)
    check("probe, silent resolver: one notice saying no answer came, "
          "start-up bounded by the timeout",
          re.search(r"DNSKEY of \. .*(without an answer|in time)",
                    r["_stderr"]) is not None and
          time.monotonic() - t < 4, show(r))
    expect("probe, silent resolver: the query itself is a temperror", r,
           "temperror", "unvalidated", "defer", r"no DNS answer")

    r = one(GOOD, "alice@s1.test", "--trust-anchor",
            os.path.join(os.path.dirname(Env.anchors["good"]), "nonexist"),
            anchor=None)
    check("trust anchor file missing: start-up error naming it",
          r["_rc"] != 0 and "nonexist" in r["_stderr"], show(r))


def test_core_gaps(w):
    """Cases the core got wrong when this was written (see the report):
    kept as tests that fail until the core is fixed."""
    # A private anchor for test.: the path validates everything under
    # it (s1.test is secure with the root anchor), but the probe's own
    # question, test. DNSKEY, is answered by libunbound's built-in
    # local data for test. (kept at the apex by zone_add "nodefault").
    r = one(GOOD, "alice@s1.test", anchor="tld")
    check("private anchor for test.: the probe validates test. DNSKEY, "
          "no notice, s1.test secure",
          r["_stderr"] == "" and r.get("dnssec") == "secure", show(r))
    # An anchor file that starts with $ORIGIN / $TTL, as hand-written
    # zone-format files do; libunbound reads it fine.
    r = one(GOOD, "alice@s2.test", anchor="origin")
    check("anchor file for s2.test. starting with $ORIGIN: the probe "
          "asks s2.test. DNSKEY, no notice, s2.test secure",
          r["_stderr"] == "" and r.get("dnssec") == "secure", show(r))
    # The resolver is not up yet when spfgate starts (a boot-order race)
    # and answers a moment later: no answer is no evidence that the
    # path strips DNSSEC, so validation must not be off for the life of
    # the process.
    late = free_port()
    p = subprocess.Popen([SPFGATE, "filter", "--config", "/dev/null",
                          "--resolver", "127.0.0.1@%d" % late,
                          "--trust-anchor", Env.anchors["good"],
                          "--timeout", "1"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    # Start the server once the probe has given up (its notice line).
    first = b""
    if select.select([p.stderr], [], [], 15)[0]:
        first = p.stderr.readline()
    nsd = Nsd(os.path.join(w, "nsd-late"), os.path.join(w, "signed"), late)
    try:
        out, err = p.communicate(("%s alice@s1.test h\n" % GOOD).encode(),
                                 timeout=30)
        err = first + err
    finally:
        nsd.stop()
    try:
        r = json.loads(out.decode().splitlines()[0])
    except (ValueError, IndexError):
        r = {"out": out.decode()}
    r["_stderr"] = err.decode()
    check("resolver up only after start-up: answers validated once it "
          "is there (secure), not unvalidated for good",
          r.get("dnssec") == "secure", show(r))
    # dnssec require where nothing can validate: offline zone files and
    # no trust anchor.
    z = os.path.join(w, "offline.zone")
    with open(z, "w") as f:
        f.write("$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 1 1 1 1\n"
                "@ NS ns\nns A 192.0.2.1\n"
                '@ TXT "v=spf1 ip4:%s -all"\n' % GOOD)
    p = subprocess.run([SPFGATE, "filter", "--config", "/dev/null",
                        "--zone", z, "--dnssec", "require", "--timeout",
                        "5"], input=("%s a@example.com h\n" % GOOD).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    check("dnssec require with no trust anchor in use (zone files): "
          "start-up error, not a silent unvalidated start",
          p.returncode != 0 and p.stdout == b"",
          "rc %d\nstdout %sstderr %s" % (p.returncode, p.stdout.decode(),
                                         p.stderr.decode()))
