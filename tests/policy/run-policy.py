#!/usr/bin/python3
# run-policy.py: each policy keyword of issue 14 (helo-check, helo,
# mailfrom, header-fields, dry-run, domain-policy, best-guess,
# exempt-recipient, skip ptr:/helo:/spf:) through the real
# `spfgate check --json` and `spfgate filter`, against the test DNS
# server (tests/dns/testdns.py) serving zone.yml on a free port.
# Every case asserts what the keyword changes; the last line is
# "policy: N passed, M failed".
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.dont_write_bytecode = True
import testdns  # noqa: E402

SPFGATE = os.environ.get("SPFGATE") or os.path.join(REPO, "build", "spfgate")
passed = failed = 0
resolver = None


def run(args, stdin=None):
    cmd = [SPFGATE] + args[:1] + ["--config", "/dev/null", "--resolver",
                                  resolver, "--dnssec", "no", "--timeout",
                                  "3", "--receiver", "mx.test"] + args[1:]
    proc = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60,
                          universal_newlines=True)
    return proc


def check(opts, ip, sender, helo=None, rcpts=()):
    args = ["check", "--json"] + opts
    for r in rcpts:
        args += ["--recipient", r]
    args += [ip, sender] + ([helo] if helo is not None else [])
    proc = run(args)
    try:
        return json.loads(proc.stdout), proc.returncode
    except ValueError:
        return {"error": proc.stdout + proc.stderr}, proc.returncode


def case(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def main():
    global resolver
    with open(os.path.join(HERE, "zone.yml")) as f:
        server = testdns.TestDNSServer(yaml.safe_load(f))
    server.start()
    resolver = server.address
    try:
        cases()
    finally:
        server.stop()
    print("policy: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def cases():
    # HELO identity on its own (RFC 7208 2.3), default helo fail reject
    j, rc = check([], "192.0.2.10", "a@sender.example", "bad.helo.example")
    case("helo fail rejects at MAIL FROM with the HELO's explanation",
         rc == 3 and j["action"] == "reject" and j["identity"] == "helo"
         and j["reply"] == "550 5.7.23 bad.helo.example is not one of our "
         "mail servers" and j["helo_result"]["result"] == "fail"
         and j["domain"] == "bad.helo.example", j)
    case("helo reject: the MAIL FROM check is not run",
         j.get("sender") == "a@sender.example" and j.get("mechanism") ==
         "-all" and "smtp.mailfrom" not in j.get("authentication_results",
                                                 "x"), j)
    j, rc = check([], "192.0.2.10", "a@sender.example", "nospf.helo.example")
    case("helo without SPF: none, accepted, MAIL FROM checked",
         rc == 0 and j["action"] == "accept" and j["result"] == "pass"
         and j["helo_result"]["result"] == "none", j)
    case("both identities in the headers",
         j["received_spf"].count("Received-SPF:") == 2 and
         "identity=helo" in j["received_spf"].split("\n")[0] and
         "smtp.helo=nospf.helo.example; spf=pass "
         "smtp.mailfrom=a@sender.example" in j["authentication_results"], j)
    j, rc = check([], "192.0.2.10", "a@sender.example", "[192.0.2.10]")
    case("an IP literal HELO is none, not looked up, no field of its own",
         j["helo_result"]["result"] == "none" and "2.3" in
         j["helo_result"]["problem"] and j["action"] == "accept" and
         j["received_spf"].count("Received-SPF:") == 1 and
         "smtp.helo" not in j["authentication_results"], j)
    j, rc = check(["--helo-check", "no"], "192.0.2.10", "a@sender.example",
                  "bad.helo.example")
    case("helo-check no", rc == 0 and j["helo_result"] is None and
         j["received_spf"].count("Received-SPF:") == 1, j)
    j, rc = check(["--helo", "fail accept"], "192.0.2.10",
                  "a@sender.example", "bad.helo.example")
    case("helo RESULT ACTION", rc == 0 and j["helo_result"]["result"] ==
         "fail" and j["helo_result"]["action"] == "accept" and
         j["result"] == "pass", j)
    j, rc = check(["--mailfrom", "fail tag"], "192.0.2.99",
                  "a@sender.example")
    case("mailfrom RESULT ACTION", rc == 2 and j["action"] == "tag", j)
    j, rc = check(["--fail", "defer"], "192.0.2.99", "a@sender.example")
    case("RESULT ACTION still means mailfrom", rc == 4, j)
    j, rc = check([], "192.0.2.10", "", "bad.helo.example")
    case("null sender: the HELO identity once",
         rc == 3 and j["identity"] == "helo", j)

    # header-fields
    j, rc = check(["--header-fields", "received-spf"], "192.0.2.10",
                  "a@sender.example")
    case("header-fields received-spf", j["authentication_results"] == ""
         and j["received_spf"].startswith("Received-SPF: pass"), j)
    j, rc = check(["--header-fields", "authentication-results"],
                  "192.0.2.10", "a@sender.example")
    case("header-fields authentication-results", j["received_spf"] == ""
         and "spf=pass" in j["authentication_results"], j)

    # dry-run
    j, rc = check(["--dry-run", "yes"], "192.0.2.99", "a@sender.example")
    case("dry-run tags what would be rejected",
         rc == 2 and j["action"] == "tag" and j["would"] == "reject" and
         j["reply"] == "" and "would=reject;" in j["received_spf"] and
         "(dry run, would=reject)" in j["authentication_results"], j)
    j, rc = check(["--dry-run", "yes"], "192.0.2.10", "a@sender.example",
                  "bad.helo.example")
    case("dry-run covers a HELO reject", rc == 2 and j["would"] ==
         "reject" and j["identity"] == "helo", j)

    # domain-policy
    j, rc = check([], "192.0.2.99", "a@mail.bank.example")
    case("softfail tags without a domain-policy", rc == 2, j)
    j, rc = check(["--domain-policy", ".bank.example softfail reject"],
                  "192.0.2.99", "a@mail.bank.example")
    case("domain-policy .DOMAIN covers subdomains", rc == 3 and
         j["action"] == "reject", j)
    j, rc = check(["--domain-policy", ".bank.example softfail reject",
                   "--domain-policy", "bank.example softfail accept"],
                  "192.0.2.99", "a@bank.example")
    case("domain-policy: the most specific wins", rc == 0, j)
    j, rc = check(["--domain-policy", "bank.example softfail reject"],
                  "192.0.2.99", "a@mail.bank.example")
    case("domain-policy DOMAIN is that domain only", rc == 2, j)

    # best-guess
    g = ["--best-guess", "v=spf1 a -all"]
    j, rc = check(g, "192.0.2.77", "a@nospf.example")
    case("best-guess reported: pass", rc == 0 and j["result"] == "none" and
         j["guess"] == "pass" and "spf=none (best guess pass)" in
         j["authentication_results"], j)
    j, rc = check(g, "192.0.2.99", "a@nospf.example")
    case("best-guess not enforced: fail accepted", rc == 0 and
         j["action"] == "accept" and j["guess"] == "fail", j)
    j, rc = check([], "192.0.2.99", "a@nospf.example")
    case("no best-guess by default", j["guess"] is None, j)

    # skip: trusted forwarders by name and by network
    for rule, helo in (("ptr:relay.example", "x.other.example"),
                       ("helo:relay.example", "mx.relay.example"),
                       ("spf:relay.example", "x.other.example")):
        j, rc = check(["--skip", rule], "192.0.2.50", "a@sender.example",
                      helo)
        case("skip %s accepts the forwarder" % rule, rc == 0 and
             j["skipped"] == rule and j["result"] == "none" and
             "spf=none (skip %s)" % rule in j["authentication_results"], j)
        j, rc = check(["--skip", rule], "192.0.2.66", "a@sender.example",
                      helo)
        case("skip %s: an unknown client is rejected" % rule, rc == 3 and
             j["skipped"] is None, j)
    j, rc = check(["--skip", "192.0.2.48/29"], "192.0.2.50",
                  "a@sender.example")
    case("skip CIDR names the network", rc == 0 and
         j["skipped"] == "192.0.2.48/29", j)

    # exempt-recipient
    j, rc = check(["--exempt-recipient", "postmaster@", "--exempt-recipient",
                   "@abuse.example", "--exempt-recipient", "ceo@corp.example"],
                  "192.0.2.99", "a@sender.example", None,
                  ["postmaster@any.example", "bob@any.example",
                   "x@abuse.example", "<CEO@corp.example>", "cfo@corp.example"])
    acts = [r["action"] for r in j.get("recipients", [])]
    case("exempt-recipient per recipient", acts ==
         ["accept", "reject", "accept", "accept", "reject"], j)
    case("a refused recipient gets the 550",
         j["recipients"][1]["reply"].startswith("550 5.7.23"), j)

    # filter mode: recipients after the HELO field
    proc = run(["filter", "--exempt-recipient", "postmaster@"],
               "192.0.2.99\ta@sender.example\th.example\tpostmaster@x.example"
               "\tbob@x.example\n192.0.2.10\ta@sender.example\t"
               "bad.helo.example\n")
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    case("filter: recipients as further fields",
         len(lines) == 2 and [r["action"] for r in lines[0]["recipients"]]
         == ["accept", "reject"], proc.stdout)
    case("filter: the HELO result",
         lines[1]["helo_result"]["result"] == "fail" and
         lines[1]["action"] == "reject", proc.stdout)

    # the keywords in a config file, and wrong values refused
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("helo fail tag\nmailfrom softfail reject\n"
                "domain-policy .bank.example softfail defer\n"
                "header-fields authentication-results\ndry-run no\n"
                "exempt-recipient postmaster@\nskip spf:relay.example\n"
                "best-guess v=spf1 a -all\nhelo-check yes\n")
        f.flush()
        proc = subprocess.run([SPFGATE, "check", "--json", "--config",
                               f.name, "--resolver", resolver, "--dnssec",
                               "no", "192.0.2.99", "a@mail.bank.example"],
                              stdout=subprocess.PIPE, timeout=60,
                              universal_newlines=True)
        j = json.loads(proc.stdout)
        case("the keywords in spfgate.conf", proc.returncode == 4 and
             j["received_spf"] == "", proc.stdout)
    for opt, val in (("--helo", "fail maybe"), ("--header-fields", "x"),
                     ("--dry-run", "perhaps"), ("--domain-policy", "x.org"),
                     ("--best-guess", "a -all"),
                     ("--exempt-recipient", "nobody"), ("--skip", "ptr:"),
                     ("--helo-check", "2")):
        proc = run(["check", opt, val, "192.0.2.10", "a@sender.example"])
        case("refused: %s %s" % (opt, val), proc.returncode == 1 and
             opt[2:] in proc.stderr, proc.stderr)


sys.exit(main())
