# dnswire.py: DNS wire format for testdns.py (the test DNS server of
# spfgate's tests): the type, class, rcode and flag constants, domain
# names as tuples of labels, reading queries (parse_query, read_name) and
# writing replies (MessageWriter, build_reply).  Split out of testdns.py
# to keep each file under the project's ~800-line limit; testdns.py
# re-exports every name here, so callers keep importing testdns.
#
# Only the Python standard library is used.

import collections
import struct


# ---------------------------------------------------------------------------
# Constants

TYPE_CODES = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
    "AAAA": 28, "OPT": 41, "SPF": 99, "ANY": 255,
}
TYPE_NAMES = {code: name for name, code in TYPE_CODES.items()}
# Types we never have data for, named only to make the query log readable
# (a checker may ask them, e.g. when it probes for DNSSEC).
TYPE_NAMES.update({10: "NULL", 13: "HINFO", 33: "SRV", 35: "NAPTR",
                   43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY",
                   50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 64: "SVCB",
                   65: "HTTPS", 257: "CAA"})

CLASS_IN = 1
CLASS_ANY = 255

RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
               4: "NOTIMP", 5: "REFUSED", 16: "BADVERS"}
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, BADVERS = \
    0, 1, 2, 3, 4, 5, 16

# Header flag bits (in the 16-bit flags word).
FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080

EDNS_DO = 0x8000        # DO bit in the OPT record's TTL field (low 16 bits)

MAX_TCP_MESSAGE = 65535


# ---------------------------------------------------------------------------
# Names.  A name is a tuple of labels (bytes), original case, root = ().
# Comparisons use name_key(), the same with ASCII letters lowercased.

def text_to_octets(text):
    """A YAML string as octets: code points below 256 as that octet
    (latin-1), every other character as its UTF-8 encoding."""
    out = bytearray()
    for ch in text:
        if ord(ch) < 256:
            out.append(ord(ch))
        else:
            out += ch.encode("utf-8")
    return bytes(out)


def parse_name(text):
    """A domain name written in the zone data ("mail.example.com." or
    without the dot) as a tuple of labels.  Raises ValueError when it
    cannot be a DNS name (empty or over-long label, name too long)."""
    if not isinstance(text, str):
        text = str(text)
    if text in ("", "."):
        return ()
    if text.endswith("."):
        text = text[:-1]
    labels = tuple(text_to_octets(part) for part in text.split("."))
    for label in labels:
        if not 1 <= len(label) <= 63:
            raise ValueError("bad label in name %r" % text)
    if sum(len(label) + 1 for label in labels) + 1 > 255:
        raise ValueError("name too long: %r" % text)
    return labels


def name_key(labels):
    """The case-insensitive lookup key of a name."""
    return tuple(label.lower() for label in labels)


def name_to_text(labels):
    """A name for logs: labels joined with dots, no trailing dot, "." for
    the root; dots, backslashes and unprintable octets escaped as in
    zone files (\\. \\\\ \\DDD)."""
    if not labels:
        return "."
    parts = []
    for label in labels:
        part = ""
        for octet in label:
            if octet in (0x2E, 0x5C):            # "." and "\"
                part += "\\" + chr(octet)
            elif 0x21 <= octet <= 0x7E:
                part += chr(octet)
            else:
                part += "\\%03d" % octet
        parts.append(part)
    return ".".join(parts)


def zone_of(key):
    """The apex of the zone a name belongs to: its last two labels."""
    return key[-2:]


def type_name(code):
    return TYPE_NAMES.get(code, "TYPE%d" % code)


# ---------------------------------------------------------------------------
# Wire format: reading queries

class Malformed(Exception):
    """A packet we cannot read as a DNS query."""


Query = collections.namedtuple(
    "Query", "id flags qname qtype qclass edns_size edns_version edns_do "
             "raw_question")


def read_name(data, offset):
    """Read a (possibly compressed) name; return (labels, next offset)."""
    labels = []
    end = None          # where reading continues after the first pointer
    jumps = 0
    length = 0
    while True:
        if offset >= len(data):
            raise Malformed("name runs past the end")
        n = data[offset]
        if n == 0:
            offset += 1
            break
        if n & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise Malformed("truncated pointer")
            target = ((n & 0x3F) << 8) | data[offset + 1]
            if end is None:
                end = offset + 2
            jumps += 1
            if jumps > 64 or target >= offset:
                raise Malformed("bad compression pointer")
            offset = target
            continue
        if n & 0xC0:
            raise Malformed("unknown label type")
        label = data[offset + 1:offset + 1 + n]
        if len(label) != n:
            raise Malformed("label runs past the end")
        labels.append(bytes(label))
        length += n + 1
        if length > 255:
            raise Malformed("name too long")
        offset += 1 + n
    return tuple(labels), (end if end is not None else offset)


def parse_query(data):
    """Parse a query packet into a Query; raise Malformed if unusable."""
    if len(data) < 12:
        raise Malformed("short header")
    qid, flags, qdcount, ancount, nscount, arcount = \
        struct.unpack("!HHHHHH", data[:12])
    if flags & FLAG_QR:
        raise Malformed("a response, not a query")
    if qdcount != 1:
        raise Malformed("%d questions" % qdcount)
    qname, offset = read_name(data, 12)
    if offset + 4 > len(data):
        raise Malformed("truncated question")
    qtype, qclass = struct.unpack("!HH", data[offset:offset + 4])
    raw_question = data[12:offset + 4]
    offset += 4
    # Skip answer and authority records; look for OPT in additional.
    edns_size = edns_version = None
    edns_do = False
    for index in range(ancount + nscount + arcount):
        _, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise Malformed("truncated record")
        rtype, rclass, ttl, rdlength = \
            struct.unpack("!HHIH", data[offset:offset + 10])
        offset += 10 + rdlength
        if offset > len(data):
            raise Malformed("record runs past the end")
        if rtype == TYPE_CODES["OPT"] and index >= ancount + nscount:
            edns_size = rclass
            edns_version = (ttl >> 16) & 0xFF
            edns_do = bool(ttl & EDNS_DO)
    return Query(qid, flags, qname, qtype, qclass, edns_size, edns_version,
                 edns_do, raw_question)


# ---------------------------------------------------------------------------
# Wire format: writing replies

# One resource record to write: owner labels, type code, TTL, value (its
# form depends on the type, see MessageWriter.rdata).
RR = collections.namedtuple("RR", "owner rtype ttl value")


class RawRdata:
    """Rdata given as ready octets (used by faults for broken records)."""

    def __init__(self, octets):
        self.octets = octets


class MessageWriter:
    """Builds a DNS message, compressing names (owners and the names in
    NS, CNAME, PTR, MX and SOA rdata, as RFC 1035 allows).  Only suffixes
    spelt with exactly the same case are shared, so every name keeps the
    case it has in the zone data (or in the question)."""

    def __init__(self):
        self.buf = bytearray()
        self.offsets = {}    # a suffix (tuple of labels) -> offset in buf

    def name(self, labels):
        key = tuple(labels)
        for i in range(len(labels)):
            suffix = key[i:]
            if suffix in self.offsets:
                self.buf += struct.pack("!H", 0xC000 | self.offsets[suffix])
                return
            if len(self.buf) < 0x4000:
                self.offsets[suffix] = len(self.buf)
            self.buf.append(len(labels[i]))
            self.buf += labels[i]
        self.buf.append(0)

    def rdata(self, rtype, value):
        if isinstance(value, RawRdata):
            self.buf += value.octets
        elif rtype in (TYPE_CODES["A"], TYPE_CODES["AAAA"]):
            self.buf += value
        elif rtype in (TYPE_CODES["NS"], TYPE_CODES["CNAME"],
                       TYPE_CODES["PTR"]):
            self.name(value)
        elif rtype == TYPE_CODES["MX"]:
            preference, host = value
            self.buf += struct.pack("!H", preference)
            self.name(host)
        elif rtype in (TYPE_CODES["TXT"], TYPE_CODES["SPF"]):
            for string in value:
                self.buf.append(len(string))
                self.buf += string
        elif rtype == TYPE_CODES["SOA"]:
            mname, rname, serial, refresh, retry, expire, minimum = value
            self.name(mname)
            self.name(rname)
            self.buf += struct.pack("!IIIII", serial, refresh, retry,
                                    expire, minimum)
        else:
            raise ValueError("cannot write rdata of type %d" % rtype)

    def rr(self, record):
        self.name(record.owner)
        self.buf += struct.pack("!HHI", record.rtype, CLASS_IN, record.ttl)
        length_at = len(self.buf)
        self.buf += b"\0\0"
        self.rdata(record.rtype, record.value)
        rdlength = len(self.buf) - length_at - 2
        self.buf[length_at:length_at + 2] = struct.pack("!H", rdlength)


def build_reply(query, rcode, flags, answers, authority, opt):
    """The reply message as bytes.  opt is None (no OPT record) or
    (udp size, DO bit) for the OPT record echoed in the additional
    section.  The question is copied as asked."""
    writer = MessageWriter()
    writer.buf += struct.pack(
        "!HHHHHH", query.id, flags | (rcode & 0xF), 1, len(answers),
        len(authority), 1 if opt is not None else 0)
    writer.name(query.qname)
    writer.buf += struct.pack("!HH", query.qtype, query.qclass)
    for record in answers:
        writer.rr(record)
    for record in authority:
        writer.rr(record)
    if opt is not None:
        size, do_bit = opt
        ext_rcode = rcode >> 4
        ttl = (ext_rcode << 24) | (EDNS_DO if do_bit else 0)
        writer.buf += b"\0" + struct.pack("!HHIH", TYPE_CODES["OPT"], size,
                                          ttl, 0)
    return bytes(writer.buf)
