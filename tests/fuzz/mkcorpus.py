#!/usr/bin/python3
# mkcorpus.py: build the fuzz targets' seed corpora and zone files from
# the openspf RFC 7208 test suite and from record shapes seen on the
# Internet (tests/fuzz/zones/realworld.zone).
#
#     /usr/bin/python3 tests/fuzz/mkcorpus.py [SUITE.yml]
#
# It writes, replacing only the files it made before (names starting
# with "seed-"; the regression inputs, "regress-", and what long runs
# found and were merged in, "found-", are left alone):
#   tests/fuzz/zones/suite-NN.zone   the zonedata of scenario NN as a
#                                    root zone (TIMEOUT entries and TXT
#                                    records of no strings cannot be
#                                    written in a zone file: left out)
#   tests/fuzz/corpus/record/        every TXT/SPF record text
#   tests/fuzz/corpus/macro/         every macro-string of those records
#                                    and explanations, with each test's
#                                    sender, HELO and address as the env
#   tests/fuzz/corpus/dnsmsg/        DNS answers to the names and types
#                                    of the zone data, as the test DNS
#                                    server sends them, some with faults
#                                    (one of each shape: counts, rcode,
#                                    answer types and rdata sizes)
#   tests/fuzz/corpus/query/         each test's "IP\nSENDER\nHELO\nzNN"
#   tests/fuzz/corpus/filter/        each scenario's tests as the stdin of
#                                    "spfgate filter" ("zNN" line first),
#                                    and odd line framing
#   tests/fuzz/corpus/config/        config files and command lines
#   tests/fuzz/corpus/proto/         smtpd's side of the recorded 6.8
#                                    transcript (tests/opensmtpd), as 0.6
#                                    and as 0.7, and odd variants
#   tests/fuzz/corpus/policy/        Postfix 3.7 policy requests (one,
#                                    pipelined, a message's RCPTs and
#                                    DATA) and odd framing
# The results are committed, so a fresh clone needs neither the suite
# nor this script; run it again when the suite or realworld.zone
# changes.  Standard library and PyYAML only, plus tests/dns/testdns.py.

import ipaddress
import os
import re
import socket
import struct
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.dont_write_bytecode = True
import testdns  # noqa: E402

SUITE = (sys.argv[1] if len(sys.argv) > 1 else None) or \
    os.environ.get("SPF_TESTS") or \
    os.path.join(REPO, "tests", "rfc7208", "suite", "rfc7208-tests.yml")
CORPUS = os.path.join(HERE, "corpus")
ZONES = os.path.join(HERE, "zones")

TYPE = testdns.TYPE_CODES


def clean(directory):
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.startswith("seed-"):
            os.unlink(os.path.join(directory, name))


SEEN = set()


def write_seed(target, name, data):
    """Write one seed, unless the target has one just like it."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    if (target, data) in SEEN:
        return False
    SEEN.add((target, data))
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
    path = os.path.join(CORPUS, target, "seed-" + safe)
    n = 1
    while os.path.exists(path):
        n += 1
        path = os.path.join(CORPUS, target, "seed-%s-%d" % (safe, n))
    with open(path, "wb") as f:
        f.write(data)


def policy_request(**attrs):
    """A policy request as Postfix 3.7's smtpd writes it."""
    base = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
            ("protocol_name", "ESMTP"), ("helo_name", "mx.example.org"),
            ("queue_id", ""), ("sender", "alice@example.org"),
            ("recipient", "bob@example.net"), ("recipient_count", "0"),
            ("client_address", "192.0.2.10"), ("client_name", "unknown"),
            ("reverse_client_name", "unknown"),
            ("instance", "2f1e.6790a1b2.c3d4e.0"), ("sasl_method", ""),
            ("sasl_username", ""), ("sasl_sender", ""), ("size", "0"),
            ("ccert_subject", ""), ("ccert_issuer", ""),
            ("ccert_fingerprint", ""), ("encryption_protocol", ""),
            ("encryption_cipher", ""), ("encryption_keysize", "0"),
            ("etrn_domain", ""), ("stress", ""), ("policy_context", ""),
            ("server_address", "192.0.2.1"), ("server_port", "25")]
    return "".join("%s=%s\n" % (k, attrs.get(k, v)) for k, v in base) + "\n"


def policy_seeds():
    """Postfix's requests to a policy service, and odd framing."""
    one = policy_request()
    write_seed("policy", "rcpt", one)
    write_seed("policy", "message", one + policy_request(
        recipient="carol@example.net") + policy_request(
        protocol_state="DATA", recipient=""))
    write_seed("policy", "pipelined", "".join(
        policy_request(instance="i%d" % i, recipient="r%d@example.net" % i)
        for i in range(20)))
    write_seed("policy", "sasl", policy_request(sasl_username="alice",
                                                sasl_method="PLAIN"))
    write_seed("policy", "crlf", one.replace("\n", "\r\n"))
    write_seed("policy", "cut-short", one + one[:len(one) // 2])
    write_seed("policy", "long-line", policy_request(
        ccert_subject="x" * 5000) + one)
    write_seed("policy", "cr-in-value", policy_request(
        recipient="a\rb@example.net") + one)
    write_seed("policy", "nul", policy_request(sender="a\0b") + one)
    write_seed("policy", "junk", "no equals sign\n=empty name\n\n" + one)
    write_seed("policy", "empty-lines", "\n\n\r\n" + one)


# --- zone files ---------------------------------------------------------

def zone_name(labels):
    """A name (tuple of octet labels) in master-file form, absolute."""
    if not labels:
        return "."
    out = []
    for label in labels:
        text = ""
        for octet in label:
            if octet in b'.\\"();@$ \t':
                text += "\\" + chr(octet)
            elif 0x21 <= octet <= 0x7E:
                text += chr(octet)
            else:
                text += "\\%03d" % octet
        out.append(text)
    return ".".join(out) + "."


def zone_string(octets):
    text = '"'
    for octet in octets:
        if octet in (0x22, 0x5C):
            text += "\\" + chr(octet)
        elif 0x20 <= octet <= 0x7E:
            text += chr(octet)
        else:
            text += "\\%03d" % octet
    return text + '"'


def zone_lines(zonedata):
    """The zone data of a scenario as master-file lines."""
    zone = testdns.Zone(zonedata)
    lines = []
    for node in zone.nodes.values():
        owner = zone_name(node.labels)
        for entry in node.entries:
            if entry is testdns.TIMEOUT or entry[1] is testdns.TIMEOUT:
                continue
            rtype, value = entry
            if rtype == "A":
                rdata = socket.inet_ntop(socket.AF_INET, value)
            elif rtype == "AAAA":
                rdata = socket.inet_ntop(socket.AF_INET6, value)
            elif rtype in ("CNAME", "PTR", "NS"):
                rdata = zone_name(value)
            elif rtype == "MX":
                rdata = "%d %s" % (value[0], zone_name(value[1]))
            elif rtype in ("TXT", "SPF"):
                if not value:
                    continue
                rdata = " ".join(zone_string(s) for s in value)
            else:
                continue
            lines.append("%s\t%s\t%s" % (owner, rtype, rdata))
    return lines


def write_zone(number, scenario):
    path = os.path.join(ZONES, "suite-%02d.zone" % number)
    with open(path, "w", encoding="latin-1") as f:
        f.write("; suite-%02d.zone: made by mkcorpus.py from scenario %d "
                "of the RFC 7208 suite,\n; %s\n"
                % (number, number, scenario.get("description", "")))
        f.write("$ORIGIN .\n$TTL 300\n")
        f.write(".\tSOA\tns.example.net. hostmaster.example.net. "
                "1 3600 600 86400 300\n.\tNS\tns.example.net.\n")
        for line in zone_lines(scenario.get("zonedata") or {}):
            f.write(line + "\n")


def realworld_records():
    """(owner, TXT text) of realworld.zone, strings joined."""
    out = []
    with open(os.path.join(ZONES, "realworld.zone"), encoding="latin-1") as f:
        for line in f:
            m = re.match(r"^(\S+)\tTXT\t(.*)$", line.rstrip("\n"))
            if not m:
                continue
            strings = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
            out.append((m.group(1), "".join(strings)))
    return out


# --- the seeds ----------------------------------------------------------

def suite_records(scenario):
    """Every TXT/SPF record text of a scenario, as octets."""
    records = []
    for entries in (scenario.get("zonedata") or {}).values():
        for entry in entries or []:
            if not isinstance(entry, dict):
                continue
            (rtype, value), = entry.items()
            if str(rtype).upper() in ("TXT", "SPF") and value not in \
                    ("NONE", "TIMEOUT"):
                records.append(b"".join(testdns.txt_value(value)))
    return records


def macro_strings(record):
    """The macro-strings in a record: domain-specs, modifier values,
    and the record itself when it is not SPF (an explanation)."""
    text = record.decode("latin-1")
    if not text.lower().startswith("v=spf1"):
        return [record]
    out = []
    for term in text.split(" ")[1:]:
        m = re.match(r"^[+?~-]?[A-Za-z][A-Za-z0-9._-]*[:=](.*)$", term)
        if m and m.group(1):
            out.append(m.group(1).encode("latin-1"))
    return out


def macro_seed(macro, host, sender, helo, flags=6):
    """The fuzz_macro input: header, macro-string, env fields."""
    try:
        ip = ipaddress.ip_address(str(host))
    except ValueError:
        ip = ipaddress.ip_address("192.0.2.3")
    if ip.version == 6:
        flags |= 1
        addr = ip.packed
    else:
        addr = ip.packed + bytes(12)
    sender = str(sender) or "postmaster@" + str(helo)
    local, _, domain = sender.rpartition("@")
    local = local or "postmaster"
    header = bytes([flags]) + addr + struct.pack("!I", 1700000000) + \
        bytes([64]) + struct.pack("!H", len(macro))
    fields = [local, domain, domain, str(helo), "mx.example.com",
              "receiver.example.net"]
    return header + macro + b"\0".join(f.encode("utf-8", "replace")
                                       for f in fields)


def query_udp(address, name, qtype):
    """One question to the test server; the raw reply or None."""
    host, port = address.split("@")
    qname = b"".join(bytes([len(l)]) + l for l in name) + b"\0"
    msg = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 1) + qname + \
        struct.pack("!HH", qtype, 1) + \
        b"\0" + struct.pack("!HHIH", TYPE["OPT"], 4096, 0, 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(msg, (host, int(port)))
        data, _ = s.recvfrom(65535)
        return data
    except OSError:
        return None
    finally:
        s.close()


SHAPES = set()


def shape(tag, qtype, reply):
    """What makes an answer different for the decoder: the header's
    counts and rcode, and the types and rdata lengths in the answer
    section (names differ in every answer and matter little)."""
    key = [tag.split("-")[0], qtype, reply[3] & 0x0F] + \
        list(struct.unpack("!HHHH", reply[4:12]))
    off = 12
    try:
        for _ in range(struct.unpack("!H", reply[4:6])[0]):
            _, off = testdns.read_name(reply, off)
            off += 4
        for _ in range(struct.unpack("!H", reply[6:8])[0]):
            _, off = testdns.read_name(reply, off)
            rtype, _, _, rdlen = struct.unpack("!HHIH", reply[off:off + 10])
            key.append((rtype, min(rdlen, 300) // 20))
            off += 10 + rdlen
    except (testdns.Malformed, struct.error):
        key.append("malformed")
    return tuple(key)


def dns_seeds(tag, zonedata, faults=None):
    server = testdns.TestDNSServer(zonedata, faults=faults or {})
    server.start()
    count = 0
    try:
        zone = testdns.Zone(zonedata)
        for key, node in zone.nodes.items():
            if node.has_timeout():
                continue
            for qtype in ("TXT", "A", "AAAA", "MX", "PTR"):
                reply = query_udp(server.address, node.labels, TYPE[qtype])
                if reply is None or reply[2] & 0x02:
                    continue
                if shape(tag, qtype, reply) in SHAPES:
                    continue
                SHAPES.add(shape(tag, qtype, reply))
                if write_seed("dnsmsg", "%s-%s-%s" % (tag, qtype,
                              testdns.name_to_text(node.labels)), reply):
                    count += 1
    finally:
        server.stop()
    return count


CONFIGS = [
    "# spfgate.conf\nresolver 127.0.0.1@5353\nresolver ::1\n"
    "timeout 4.5\nreceiver mx.example.org\n"
    "default-explanation %{c} is not allowed to send for %{o}\n"
    "dnssec yes\nrequire-dnssec-pass no\nheaders yes\nmax-inflight 1000\n"
    "max-void-lookups 2\ncache-size 4m\nskip 127.0.0.0/8\nskip ::1\n"
    "skip 2001:db8::/32\nlog syslog\nfail reject\nsoftfail tag\n"
    "temperror defer\npermerror accept\nneutral accept\nnone accept\n"
    "pass accept\n",
    "resolver recursive\ntrust-anchor /usr/share/dns/root.key\n"
    "dnssec require\nzone /etc/spfgate/local.zone\ncache-size 65536\n",
    "\t  timeout   20  \n# comment\n\n   log stderr\r\nfail\n",
    "timeout 0.1\ncache-size 16g\nmax-inflight 100000\n",
    "skip 10.0.0.0/33\n",
    "--config\n/etc/spfgate.conf\n--resolver\n127.0.0.1@53\n--timeout\n4\n"
    "--json\ncheck\n1.2.3.4\nuser@example.com",
    "-c\nx\n--zone=a.zone\n--zone\nb.zone\n--skip\n192.0.2.0/24\n--\n"
    "--explain",
    "--resolver=::1\n--resolver=127.0.0.1\n--resolver\nrecursive\n"
    "--fail=tag\n--default-explanation\n%{i}\n",
    "resolver 1.2.3.4\n" * 9,
]


def proto_seeds():
    """What smtpd wrote in the recorded transcript, and variants."""
    path = os.path.join(REPO, "tests", "opensmtpd", "transcript-6.8.txt")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [l[2:] for l in f.read().splitlines() if l.startswith("< ")]
    text = "\n".join(lines) + "\n"
    write_seed("proto", "transcript-6.8", text)
    v07 = text.replace("|0.6|", "|0.7|").replace(
        "smtpd-version|6.8.0p2", "smtpd-version|7.4.0")
    write_seed("proto", "transcript-0.7", v07)
    head = "".join(l + "\n" for l in lines if l.startswith("config|"))
    body = [l for l in lines if not l.startswith("config|")]
    for i in range(0, len(body), 40):
        write_seed("proto", "transcript-part%d" % (i // 40),
                   head + "\n".join(body[i:i + 40]) + "\n")
    sid = "e2caa382a0055b68"
    long_line = "filter|0.6|1795359800.9|smtp-in|data-line|%s|" \
        "4a9e56e31237454b|%s\n" % (sid, "a" * 70000)
    write_seed("proto", "long-data-line", head + body[0] + "\n" + long_line)
    write_seed("proto", "no-ready", "\n".join(body[:20]) + "\n")
    write_seed("proto", "unknown-version",
               text.replace("|0.6|", "|0.5|"))
    write_seed("proto", "truncated", text[:len(text) // 2])


def main():
    with open(SUITE, "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    for target in ("record", "macro", "dnsmsg", "query", "filter",
                   "config", "proto", "policy"):
        clean(os.path.join(CORPUS, target))
    for name in os.listdir(ZONES):
        if name.startswith("suite-"):
            os.unlink(os.path.join(ZONES, name))

    counts = {"zones": 0}
    for number, scenario in enumerate(scenarios, 1):
        write_zone(number, scenario)
        counts["zones"] += 1
        records = suite_records(scenario)
        for i, record in enumerate(records):
            write_seed("record", "s%02d-%d" % (number, i), record)
        for name, test in (scenario.get("tests") or {}).items():
            host, sender, helo = test["host"], test["mailfrom"], test["helo"]
            write_seed("query", "s%02d-%s" % (number, name),
                       "%s\n%s\n%s\nz%d\n" % (host, sender, helo, number))
            write_seed("query", "s%02d-%s-lint" % (number, name),
                       "%s\n%s\n%s\nz%d l\n" % (host, sender, helo,
                                                  number))
        stream = "".join("%s\t%s\t%s\n" % (t["host"], t["mailfrom"] or "<>",
                                           t["helo"])
                         for t in (scenario.get("tests") or {}).values())
        if stream:
            write_seed("filter", "s%02d" % number, "z%d\n%s" % (number,
                                                                stream))
        tests = list((scenario.get("tests") or {}).values()) or \
            [{"host": "192.0.2.3", "mailfrom": "a@example.com",
              "helo": "example.com"}]
        seen = set()
        for i, record in enumerate(records):
            for macro in macro_strings(record):
                if macro in seen:
                    continue
                seen.add(macro)
                test = tests[i % len(tests)]
                write_seed("macro", "s%02d-%d" % (number, len(seen)),
                           macro_seed(macro, test["host"], test["mailfrom"],
                                      test["helo"]))
        dns_seeds("s%02d" % number, scenario.get("zonedata") or {})

    # real-world shapes
    senders = []
    rw_zone = {}
    for owner, text in realworld_records():
        data = text.encode("latin-1")
        data = re.sub(rb"\\([0-9]{3})", lambda m: bytes([int(m.group(1))]),
                      data)
        write_seed("record", "rw-" + owner, data)
        for macro in macro_strings(data):
            write_seed("macro", "rw-" + owner,
                       macro_seed(macro, "2a00:1450:4001::3",
                                  "strong-bad+tag@" + owner.rstrip("."),
                                  "mail.example.org"))
        if not owner.startswith("*"):
            senders.append(owner.rstrip("."))
        rw_zone.setdefault(owner.rstrip("."), []).append({"TXT": text})
    for i, domain in enumerate(senders):
        ip = ("1.2.3.4", "192.0.2.3", "2a00:1450:4001::3", "::ffff:1.2.3.4",
              "[1.2.3.4]", "IPv6:2001:db8::3")[i % 6]
        write_seed("query", "rw-" + domain, "%s\nuser@%s\nmail.%s\n%s\n"
                   % (ip, domain, domain, ("z0", "z0 t", "z0 s")[i % 3]))
        write_seed("query", "rw-lint-" + domain, "%s\nuser@%s\nh\nz0 l%s\n"
                   % (ip, domain, " c5" if i % 7 == 0 else ""))
    for extra in ("1.2.3.4\n<>\nmx.example.com\nz0 t\n",
                  "1.2.3.4\n@example.com\n\nz0\n",
                  "1.2.3.4\nuser@\nhelo\nz0\n",
                  "1.2.3.4\n\"a b\"@mx.example.com\nx\nz0 c3\n",
                  "1.2.3.4\nuser@max.example.com\nx\nz0 c20\n",
                  "300.1.1.1\nuser@example.com\nx\nz0\n",
                  "1.2.3.4\nuser@[192.0.2.1]\nx\nz0\n"):
        write_seed("query", "rw-extra", extra)
    # internationalized mail (RFC 8616): U-labels, UTF-8 and 4-octet
    # local-parts against %{l} records, what is not UTF-8, what IDNA2008
    # refuses
    for extra in ("1.2.3.4\nanna@M\u00dcnchen.gmail.example.com\n"
                  "m\u00fcnchen.example\nz0 t\n",
                  "1.2.3.4\njos\u00e9@example.com\nx\nz0 t\n",
                  "1.2.3.4\n\U0001F600@example.com\nx\nz0\n",
                  "1.2.3.4\n<>\nstra\u00dfe.example\nz0 s\n",
                  "1.2.3.4\nuser@\u2603.example\n\u2603.example\nz0\n"):
        write_seed("query", "idn", extra.encode("utf-8"))
    write_seed("query", "idn", b"1.2.3.4\nj\xfcrgen@m\xfcnchen.example\n"
               b"h\xfc.example\nz0 t\n")
    lines = ["%s\tuser@%s\tmail.%s\n" % (("1.2.3.4", "192.0.2.3",
                                         "2a00:1450:4001::3")[i % 3], d, d)
             for i, d in enumerate(senders)]
    write_seed("filter", "rw-all", "z0\n" + "".join(lines))
    for name, text in (
            ("spaces", "1.2.3.4 user@mx.example.com mail.example.org\n"
                       "  1.2.3.4   <>   mx.example.com  \n"),
            ("crlf", "1.2.3.4\tuser@pass.example.com\thelo\r\n"),
            ("no-newline", "1.2.3.4\tuser@pass.example.com"),
            ("empty-lines", "\n\n\t\n \n"),
            ("four-fields", "1.2.3.4 a@b c d\n1.2.3.4\ta@b\tc\td\n"),
            ("nul", "1.2.3.4\tuser@pass.example.com\0x\thelo\n"),
            ("long", "1.2.3.4\tuser@" + "a" * 5000 + "\thelo\n"
                     "1.2.3.4\tuser@pass.example.com\thelo\n"),
            ("long-last", "1.2.3.4\t" + "b" * 4200),
            ("helo-spaces", "1.2.3.4\t<>\tmail example org\n"),
            ("bad-ip", "300.1.2.3\tuser@pass.example.com\th\n"
                       "::1::\tuser@pass.example.com\th\n"
                       "[1.2.3.4]\tuser@pass.example.com\th\n")):
        write_seed("filter", "frame-" + name, "z0\n" + text)
    # DNS answers with every fault of the test server
    faulty = {"contoso.example.com": [{"TXT": "v=spf1 mx -all"}],
              "mx.example.com": [{"MX": [10, "mx0.example.com"]},
                                 {"MX": [20, "mx1.example.com"]}],
              "alias.example.com": [{"CNAME": "contoso.example.com"}],
              "4.3.2.1.in-addr.arpa": [{"PTR": "host.example.com"}],
              "host.example.com": [{"A": "1.2.3.4"},
                                   {"AAAA": "2001:db8::3"}]}
    for kind in ("wrong-type", "wrong-name", "bad-txt-length",
                 "huge-txt:3000", "many-txt:20", "cname-loop"):
        faults = {name: kind for name in faulty}
        dns_seeds("fault-" + kind.split(":")[0], faulty, faults)
    dns_seeds("rw", rw_zone)
    for i, text in enumerate(CONFIGS):
        write_seed("config", "c%d" % i, text)
    proto_seeds()
    policy_seeds()
    for target in sorted(os.listdir(CORPUS)):
        n = sum(1 for name in os.listdir(os.path.join(CORPUS, target))
                if name.startswith("seed-"))
        print("mkcorpus: corpus/%s: %d seeds" % (target, n))
    print("mkcorpus: %d zone files" % counts["zones"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
