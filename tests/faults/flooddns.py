# flooddns.py: the test DNS server (tests/dns/testdns.py) answering a
# made-up family of names, for the flood of run-faults.py: as many
# senders as asked for, each with records that use the most DNS
# lookups RFC 7208 allows, without a zone of hundreds of thousands of
# names in memory.  For sender N (sN.flood.example):
#
#   sN.flood.example             TXT  v=spf1 include:i0.sN.flood.example
#                                     ... include:i9.sN.flood.example -all
#   iK.sN.flood.example          TXT  v=spf1 mx -all
#   iK.sN.flood.example          MX   10 hosts, hJ.iK.sN.flood.example
#   hJ.iK.sN.flood.example       A    203.0.113.(J+1)
#
# Every name is different, so the checker's cache saves nothing and the
# server sees every question an evaluation asks.  From client CLIENT
# nothing matches: include i0 (term 1), its mx (term 2), ... include i4
# (term 9), its mx (term 10), and include i5 would be the 11th DNS term:
# permerror, with exactly 1 + 5 * (1 + 1 + 10) = 61 questions, and none
# ever about i5 to i9.
#
# It subclasses testdns.TestDNSServer and answers these names in
# _resolve (its one method from zone data to a reply plan); every other
# name goes to the ordinary zone data (none here: NXDOMAIN).
# testdns.py has no hook for generated zone data; if it gets one, use
# that instead.

import re

import testdns

CLIENT = "192.0.2.99"
SUFFIX = "flood.example"
INCLUDES = 10
MX_HOSTS = 10
# the record, then per include evaluated (5 of 10 fit in 10 DNS terms):
# its record, its MX question and its 10 hosts' addresses
QUERIES_PER_EVALUATION = 1 + 5 * (1 + 1 + MX_HOSTS)

NAME = re.compile(r"^(?:h(\d+)\.)?(?:i(\d+)\.)?s(\d+)\.flood\.example$")


def sender_domain(n):
    return "s%d.%s" % (n, SUFFIX)


def sender_of(qname):
    """The sender number a question is about, or None."""
    m = NAME.match(qname.lower().rstrip("."))
    return int(m.group(3)) if m else None


def beyond_limit(qname):
    """Is this a name no evaluation may ever ask about (the includes
    past the 10th DNS term, and what is below them)?"""
    m = NAME.match(qname.lower().rstrip("."))
    return bool(m and m.group(2) is not None and int(m.group(2)) >= 5)


def labels(text):
    return tuple(part.encode() for part in text.split("."))


class FloodDNS(testdns.TestDNSServer):
    """TestDNSServer plus the made-up flood names."""

    def __init__(self, **kwargs):
        super().__init__({}, **kwargs)

    def _resolve(self, qname, qtype):
        text = ".".join(l.decode("latin-1") for l in qname).lower()
        m = NAME.match(text)
        if m is None:
            return super()._resolve(qname, qtype)
        host, inc, sender = m.groups()
        key = testdns.name_key(qname)
        nodata = testdns.Plan(testdns.NOERROR, [], [self._soa(key)])
        if host is not None and inc is None:
            return testdns.Plan(testdns.NXDOMAIN, [], [self._soa(key)])
        codes = testdns.TYPE_CODES
        if host is not None:
            if qtype != codes["A"]:
                return nodata
            value = bytes([203, 0, 113, int(host) + 1])
            return testdns.Plan(testdns.NOERROR, [testdns.RR(
                qname, qtype, self.ttl, value)])
        if inc is not None:
            base = "i%s.s%s.%s" % (inc, sender, SUFFIX)
            if qtype == codes["TXT"]:
                return testdns.Plan(testdns.NOERROR, [testdns.RR(
                    qname, qtype, self.ttl, [b"v=spf1 mx -all"])])
            if qtype == codes["MX"]:
                return testdns.Plan(testdns.NOERROR, [testdns.RR(
                    qname, qtype, self.ttl,
                    (10 + j, labels("h%d.%s" % (j, base))))
                    for j in range(MX_HOSTS)])
            return nodata
        if qtype != codes["TXT"]:
            return nodata
        record = "v=spf1 " + " ".join(
            "include:i%d.s%s.%s" % (k, sender, SUFFIX)
            for k in range(INCLUDES)) + " -all"
        return testdns.Plan(testdns.NOERROR, [testdns.RR(
            qname, qtype, self.ttl,
            testdns.split_character_strings(record.encode()))])
