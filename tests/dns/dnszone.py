# dnszone.py: the zone data model of testdns.py (the test DNS server of
# spfgate's tests) and its YAML loading: Node and Zone built from the
# `zonedata` format of the openspf RFC 7208 test suite, the conversion
# of entry values to what the message writer needs, and load_zonedata.
# Split out of testdns.py to keep each file under the project's ~800-line
# limit; testdns.py re-exports every name here, so callers keep
# importing testdns.
#
# The zonedata format:
#
#     example.com:
#       - A: 192.0.2.1
#       - AAAA: 2001:db8::1
#       - MX: [10, mx.example.com]
#       - PTR: host.example.com
#       - TXT: "v=spf1 -all"           one record, one character-string
#       - TXT: ["v=spf1 ", "-all"]     one record, two character-strings
#       - SPF: "v=spf1 -all"           type 99, also served as TXT (below)
#       - CNAME: other.example.com
#       - NS: ns.example.com
#       - TXT: NONE                    the name has no TXT record at all
#       - TIMEOUT                      queries are dropped (below)
#
# How the zone data is read (the rules of the suite's reference driver,
# pyspf's testspf.py):
#   * Names match case-insensitively, a trailing dot is ignored; answers
#     echo the question name exactly as asked.
#   * An SPF entry is also served as a TXT record of the same name, unless
#     the name has TXT entries of its own (`TXT: NONE` counts as one, and
#     is itself never served).  The copies count as coming after every
#     listed entry.
#   * A string value is one character-string; a list is one record of
#     several character-strings; `SPF: [ ]` is a record with none at all
#     (rdlength 0).  Characters below U+0100 become that octet (so the
#     YAML escape "\xEF" is the octet 0xEF and "\0" is a NUL octet), other
#     characters are encoded as UTF-8.  Strings longer than 255 octets are
#     split into several character-strings.
#   * Identical entries are served as separate records (no dedup).
#   * TIMEOUT: a query of some type on the name gets no reply at all,
#     unless an entry of that type comes before the TIMEOUT entry; entries
#     after TIMEOUT are never served.  `TYPE: TIMEOUT` drops queries of
#     that one type.  A CNAME entry before TIMEOUT counts for every type.
#   * CNAME: the answer holds the CNAME and, as a real server does for
#     targets in its own zones, the chain is followed inside our data, at
#     most MAX_CHAIN steps; a name seen before ends the chain (so a CNAME
#     loop gives the loop's CNAME records, no error).  A target whose
#     query would time out also ends the chain (the resolver then asks
#     for the target itself, and that query is dropped).
#   * A name not in the data, and not an ancestor of one, does not exist:
#     NXDOMAIN.  A name that exists without records of the asked type
#     (also an "empty non-terminal" such as example.com when only
#     mail.example.com is listed) gets NOERROR with no answer (NODATA).
#   * Zones: each listed name belongs to the zone named by its last two
#     labels (example.com, in-addr.arpa, ip6.arpa; a one-label name is
#     its own zone).  Each zone apex answers SOA queries with a
#     synthesized SOA, and negative answers (NXDOMAIN, NODATA) carry that
#     SOA in the authority section, TTL negative_ttl (30 s by default).
#     A name outside every zone uses its own last two labels as its zone.
#     NS queries get whatever NS entries the data has (none synthesized).
#
# Only the Python standard library and PyYAML are used.

import ipaddress
import socket

import yaml

from dnswire import (name_key, name_to_text, parse_name, text_to_octets,
                     zone_of)


# The marker for a TIMEOUT entry in a node's entry list.
TIMEOUT = "TIMEOUT"


# ---------------------------------------------------------------------------
# Zone data

def split_character_strings(octets):
    """One TXT string as character-strings of at most 255 octets."""
    if len(octets) <= 255:
        return [octets]
    return [octets[i:i + 255] for i in range(0, len(octets), 255)]


def txt_value(value):
    """The zone data value of a TXT or SPF entry as a list of
    character-strings (octets): a string is one (split if long), a list
    is one record of several, an empty list is a record of none."""
    if isinstance(value, list):
        strings = []
        for item in value:
            strings += split_character_strings(text_to_octets(str(item)))
        return strings
    return split_character_strings(text_to_octets(str(value)))


def convert_value(rtype, value, owner):
    """An entry's value in the form the message writer needs."""
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, str(value))
    if rtype == "AAAA":
        return ipaddress.IPv6Address(str(value)).packed
    if rtype in ("CNAME", "PTR", "NS"):
        return parse_name(value)
    if rtype == "MX":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("%s: MX wants [preference, host]" % owner)
        return (int(value[0]), parse_name(value[1]))
    if rtype in ("TXT", "SPF"):
        return txt_value(value)
    raise ValueError("%s: unsupported record type %s" % (owner, rtype))


class Node:
    """The entries of one name, in the order of the zone data."""

    def __init__(self, labels, raw_entries):
        self.labels = labels
        # self.entries: (type, value) tuples and the TIMEOUT marker; a
        # value may also be TIMEOUT (`TYPE: TIMEOUT`).
        self.entries = []
        spf_copies = []
        has_txt = False
        owner = name_to_text(labels)
        for raw in raw_entries or []:
            if raw == "TIMEOUT":
                self.entries.append(TIMEOUT)
                continue
            if not isinstance(raw, dict) or len(raw) != 1:
                raise ValueError("%s: bad entry %r" % (owner, raw))
            (rtype, value), = raw.items()
            rtype = str(rtype).upper()
            if rtype == "TXT":
                has_txt = True
            if value == "NONE":
                continue                 # `TXT: NONE`: no record, no copy
            if value == "TIMEOUT":
                self.entries.append((rtype, TIMEOUT))
                continue
            converted = convert_value(rtype, value, owner)
            self.entries.append((rtype, converted))
            if rtype == "SPF":
                spf_copies.append(("TXT", converted))
        if not has_txt:
            self.entries += spf_copies

    def lookup(self, qtype):
        """Return (timed_out, values) for a query of type qtype (a
        mnemonic), walking the entries as the suite's driver does."""
        seen = False
        values = []
        for entry in self.entries:
            if entry is TIMEOUT:
                return (not seen, values)
            rtype, value = entry
            if rtype != qtype:
                continue
            if value is TIMEOUT:
                return (True, values)
            seen = True
            values.append(value)
        return (False, values)

    def has_timeout(self):
        return any(entry is TIMEOUT or entry[1] is TIMEOUT
                   for entry in self.entries)

    def types(self):
        """The record types listed, in order of first appearance."""
        seen = []
        for entry in self.entries:
            if entry is not TIMEOUT and entry[0] not in seen:
                seen.append(entry[0])
        return seen


class Zone:
    """All the zone data of one scenario."""

    def __init__(self, zonedata):
        self.nodes = {}           # name_key -> Node
        self.existing = set()     # keys of listed names and their ancestors
        self.apexes = {}          # key of a zone apex -> its labels
        for text, raw_entries in (zonedata or {}).items():
            labels = parse_name(text)
            key = name_key(labels)
            node = Node(labels, raw_entries)
            if key in self.nodes:     # same name twice (case): merge
                self.nodes[key].entries += node.entries
            else:
                self.nodes[key] = node
            for i in range(len(key) + 1):
                self.existing.add(key[i:])
            apex = zone_of(key)
            self.apexes.setdefault(apex, labels[len(labels) - len(apex):])

    def apex_for(self, key):
        """The labels of the zone apex for a name: the longest known apex
        that is a suffix of it, else its own last two labels."""
        for i in range(len(key) + 1):
            if key[i:] in self.apexes:
                return self.apexes[key[i:]]
        return key[-2:]


def load_zonedata(path, scenario=None):
    """Read a zonedata mapping, or with scenario (a number from 1) the
    zonedata of that document of a suite file."""
    with open(path, "rb") as f:
        if scenario is None:
            data = yaml.safe_load(f)
            if data is None:
                return {}
            if not isinstance(data, dict):
                raise ValueError("%s: not a zonedata mapping" % path)
            return data
        documents = list(yaml.safe_load_all(f))
    if not 1 <= scenario <= len(documents):
        raise ValueError("%s has %d documents, no scenario %d"
                         % (path, len(documents), scenario))
    return documents[scenario - 1].get("zonedata") or {}
