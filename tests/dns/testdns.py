#!/usr/bin/python3
# testdns.py: a small DNS server for spfgate's tests.
#
# It speaks real DNS wire format over UDP and TCP on one address and port
# and answers from zone data written in the `zonedata` format of the
# openspf RFC 7208 test suite (tests/rfc7208/suite), shown with an
# example in dnszone.py.
#
# It is used two ways:
#   * as a module: a test driver creates TestDNSServer(zonedata), calls
#     start() (the server then runs in threads), points the checker at
#     server.address ("127.0.0.1@PORT"), reads server.queries() (and
#     server.outstanding_max(), the most questions it held at once) and
#     calls stop();
#   * from the command line (for manual testing, dig, shell tests):
#       /usr/bin/python3 tests/dns/testdns.py --listen 127.0.0.1 \
#           --port PORT --zonedata FILE.yml [--pidfile F] [--delay-ms N] \
#           [--log FILE] [--fault NAME=KIND[:ARG][@TYPE]]... \
#           [--scenario N]
#     FILE.yml is a zonedata mapping; with --scenario N it is instead a
#     suite file of several YAML documents and the zonedata of document N
#     (counted from 1) is served.  The pidfile is written once both
#     sockets are bound; SIGTERM or SIGINT stop the server, exit status 0.
#
# How the zone data is read (case, SPF copies as TXT, character-strings,
# TIMEOUT, CNAME chains, NXDOMAIN and NODATA, zones and their SOA): see
# dnszone.py, which holds the zone data; dnswire.py holds the wire
# format; every name of both is re-exported here.
#
# Protocol behaviour:
#   * Query ID, opcode and the RD bit are echoed; AA is set, and RA too
#     (the checker uses us as its forwarder, i.e. as a recursive server).
#   * UDP: the EDNS0 (OPT) buffer size of the query is honoured (512
#     bytes without OPT, never more than max_udp, 4096 by default); an
#     answer that does not fit is sent with TC=1 and no records, and the
#     resolver retries over TCP, which serves the full answer (2-byte
#     length prefix, several queries per connection, answered as they
#     come).  When the query has an OPT record the reply has one too
#     (DO bit echoed); EDNS version > 0 gets BADVERS.
#   * Queries of class other than IN or ANY get REFUSED; opcodes other
#     than QUERY get NOTIMP; malformed packets (and responses) are
#     logged and ignored, never crash the server.
#   * delay_ms (--delay-ms) delays every reply that many milliseconds,
#     through a timer thread, so other replies are not held up.
#   * Every query received is logged: server.queries() returns a list of
#     QueryLogEntry(time, transport, client, qname, qtype, outcome), and
#     with --log FILE (log_path=) each is also a line of that file:
#       TIME TRANSPORT QNAME QTYPE OUTCOME
#     qname as asked (no trailing dot, "." for the root, odd octets as
#     \DDD), qtype a mnemonic such as TXT or TYPE65, outcome the rcode
#     name (NOERROR, NXDOMAIN, ...) with the answer count, or "dropped",
#     "truncated", "malformed".
#
# Faults (misbehaviour on purpose, for fault-injection tests).  A fault
# is attached to one query name (case-insensitive, exact name, not its
# subdomains) and overrides the zone data for it:
#     server.set_fault("bad.example.com", "huge-txt:3000")
#     TestDNSServer(zonedata, faults={"x.example.com": "servfail@TXT"})
#     testdns.py ... --fault bad.example.com=huge-txt:3000
# The spec is KIND, KIND:ARG, and either may end in @TYPE so that only
# queries of that type (TXT, A, ...) are affected.  The kinds:
#   servfail         reply SERVFAIL, no records
#   refused          reply REFUSED, no records
#   drop             no reply at all, over UDP and TCP
#   truncate-always  every UDP reply has TC=1 and no records, even when it
#                    would fit (forces TCP); TCP is answered normally.
#                    With ARG "tcp" the TCP replies are truncated too (a
#                    server that can never answer).
#   wrong-type       the answer holds a record of another type than asked
#                    for the query name: TXT "wrong-type" for A queries,
#                    A 192.0.2.1 for every other type
#   wrong-name       the answer holds the records the name really has (or
#                    one made up for the type, e.g. A 192.0.2.1 or TXT
#                    "v=spf1 -all") under the owner wrong-name.invalid
#                    instead of the query name
#   bad-txt-length   TXT and SPF queries get one record whose first
#                    character-string length octet runs past the end of
#                    the rdata (the record's text, or "v=spf1 -all",
#                    announced as 10 octets longer than it is); other
#                    types are answered normally
#   huge-txt:N       TXT and SPF queries get one record of N octets of
#                    text (default 4000) in 255-octet character-strings:
#                    "v=spf1 ip4:192.0.2.1 ip4:192.0.2.1 ... -all", padded
#                    with spaces to exactly N (just "v=spf1" cut to N when
#                    N < 11); other types are answered normally.  N is at
#                    most 65279, the most text one record can hold (65535
#                    octets of rdata); above about 65000 the message no
#                    longer fits in TCP either and is sent truncated
#   many-txt:N       TXT and SPF queries get the name's own TXT records
#                    plus N more (default 50) reading "many-txt filler K";
#                    other types are answered normally
#   cname-loop       every query is answered with a CNAME from the name,
#                    as asked, to itself
#   delay:MS         replies for the name are delayed MS more milliseconds
#                    (on top of delay_ms)
# To add a fault: add its name to FAULT_KINDS, handle it in
# TestDNSServer._apply_fault (or, for the transport-level ones, in
# _finish), and describe it above.
#
# Only the Python standard library and PyYAML are used.

import argparse
import collections
import heapq
import ipaddress
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback

import yaml


# Every name of dnswire.py and dnszone.py, re-exported: callers use them
# as testdns.NAME.
from dnswire import (  # noqa: F401
    TYPE_CODES, TYPE_NAMES, CLASS_IN, CLASS_ANY, RCODE_NAMES, NOERROR,
    FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, BADVERS, FLAG_QR, FLAG_AA,
    FLAG_TC, FLAG_RD, FLAG_RA, EDNS_DO, MAX_TCP_MESSAGE, text_to_octets,
    parse_name, name_key, name_to_text, zone_of, type_name, Malformed,
    Query, read_name, parse_query, RR, RawRdata, MessageWriter, build_reply)
from dnszone import (  # noqa: F401
    TIMEOUT, split_character_strings, txt_value, convert_value, Node, Zone,
    load_zonedata)


# ---------------------------------------------------------------------------
# Constants

MAX_CHAIN = 8           # CNAME steps followed inside our data

FAULT_KINDS = ("servfail", "refused", "drop", "truncate-always", "wrong-type",
               "wrong-name", "bad-txt-length", "huge-txt", "many-txt",
               "cname-loop", "delay")

WRONG_NAME_OWNER = (b"wrong-name", b"invalid")


# ---------------------------------------------------------------------------
# Answers

class Fault:
    """A misbehaviour for one name: kind, optional argument, optional
    query type it is limited to.  Parsed from "KIND[:ARG][@TYPE]"."""

    def __init__(self, spec):
        text = spec
        self.qtype = None
        if "@" in text:
            text, qtype = text.rsplit("@", 1)
            self.qtype = qtype.upper()
        self.kind, _, self.arg = text.partition(":")
        self.kind = self.kind.lower()
        if self.kind not in FAULT_KINDS:
            raise ValueError("unknown fault %r (known: %s)"
                             % (spec, ", ".join(FAULT_KINDS)))
        if self.kind in ("huge-txt", "many-txt", "delay") and self.arg:
            int(self.arg)      # raises ValueError when not a number
        self.spec = spec

    def int_arg(self, default):
        return int(self.arg) if self.arg else default

    def applies_to(self, qtype):
        return self.qtype is None or self.qtype == type_name(qtype)

    def __repr__(self):
        return "Fault(%r)" % self.spec


class Plan:
    """What to do with one query: reply (with rcode, records) or drop."""

    def __init__(self, rcode=NOERROR, answers=None, authority=None):
        self.drop = False
        self.rcode = rcode
        self.answers = answers or []
        self.authority = authority or []
        self.truncate_udp = False     # TC=1 over UDP even if it fits
        self.truncate_tcp = False     # TC=1 over TCP too
        self.extra_delay = 0.0        # seconds, from a delay fault


# The most text one TXT record can carry: 255 strings of 255 octets and
# one of 254, 65535 octets of rdata with their length octets.
MAX_TXT_TEXT = 255 * 255 + 254


def huge_txt_text(size):
    """N octets of SPF record text for the huge-txt fault."""
    size = min(size, MAX_TXT_TEXT)
    if size < 11:
        return b"v=spf1"[:size].ljust(size)
    text = b"v=spf1"
    while len(text) + len(b" ip4:192.0.2.1") + len(b" -all") <= size:
        text += b" ip4:192.0.2.1"
    text += b" -all"
    return text.ljust(size)


QueryLogEntry = collections.namedtuple(
    "QueryLogEntry", "time transport client qname qtype outcome")


class Scheduler:
    """Runs functions at a later time, in one thread, in time order (so
    delayed replies do not hold each other up)."""

    def __init__(self):
        self.heap = []
        self.sequence = 0
        self.cond = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="testdns-timer")
        self.thread.start()

    def call_later(self, delay, function):
        with self.cond:
            self.sequence += 1
            heapq.heappush(self.heap, (time.monotonic() + delay,
                                       self.sequence, function))
            self.cond.notify()

    def stop(self):
        with self.cond:
            self.stopping = True
            self.heap = []
            self.cond.notify()
        self.thread.join()

    def _run(self):
        while True:
            with self.cond:
                while not self.stopping:
                    if self.heap and self.heap[0][0] <= time.monotonic():
                        break
                    if self.heap:
                        self.cond.wait(self.heap[0][0] - time.monotonic())
                    else:
                        self.cond.wait()
                if self.stopping:
                    return
                _, _, function = heapq.heappop(self.heap)
            try:
                function()
            except Exception:
                traceback.print_exc()


class TestDNSServer:
    """The server.  zonedata is a zonedata mapping (as loaded from YAML);
    listen/port the address (port 0: any free port where both UDP and
    TCP can bind); faults a dict name -> fault spec (see the header).
    start() binds and starts the threads, stop() ends them."""

    def __init__(self, zonedata=None, listen="127.0.0.1", port=0,
                 delay_ms=0, faults=None, log_path=None, ttl=60,
                 negative_ttl=30, max_udp=4096, verbose=False):
        self.zone = Zone(zonedata)
        self.listen = listen
        self.port = port
        self.delay = delay_ms / 1000.0
        self.faults = {}
        for name, spec in (faults or {}).items():
            self.set_fault(name, spec)
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_udp = max_udp
        self.verbose = verbose
        self.log_path = log_path
        self.log_file = None
        self.log = []
        self.waiting = 0            # questions received, not yet answered
        self.waiting_max = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []
        self.connections = set()
        self.udp = self.tcp = None
        self.scheduler = None

    # -- configuration that tests may change while the server runs --------

    def set_zonedata(self, zonedata):
        self.zone = Zone(zonedata)

    def set_fault(self, name, spec):
        """Attach a fault (a spec string or a Fault) to a name; a spec of
        None removes the name's fault."""
        key = name_key(parse_name(name))
        if spec is None:
            self.faults.pop(key, None)
        else:
            self.faults[key] = spec if isinstance(spec, Fault) \
                else Fault(spec)

    def clear_faults(self):
        self.faults = {}

    # -- the query log -----------------------------------------------------

    def queries(self):
        """A copy of the query log (QueryLogEntry tuples)."""
        with self.lock:
            return list(self.log)

    def clear_queries(self):
        with self.lock:
            self.log = []

    def outstanding_max(self):
        """The most questions received and not yet answered at once (a
        dropped question is not counted), since start or the last
        reset_outstanding_max()."""
        with self.lock:
            return self.waiting_max

    def reset_outstanding_max(self):
        with self.lock:
            self.waiting_max = self.waiting

    def count(self, qname=None, qtype=None):
        """How many queries were received, of a name and/or type."""
        n = 0
        for entry in self.queries():
            if qname is not None and \
                    entry.qname.lower() != qname.lower().rstrip("."):
                continue
            if qtype is not None and entry.qtype != qtype.upper():
                continue
            n += 1
        return n

    def _log(self, transport, client, qname, qtype, outcome):
        entry = QueryLogEntry(time.time(), transport, client, qname, qtype,
                              outcome)
        with self.lock:
            self.log.append(entry)
            if self.log_file is not None:
                self.log_file.write("%.3f %s %s %s %s\n" % (
                    entry.time, transport, qname, qtype, outcome))
                self.log_file.flush()
        if self.verbose:
            sys.stderr.write("testdns: %s %s %s %s %s\n" % (
                transport, client, qname, qtype, outcome))

    # -- start and stop ----------------------------------------------------

    @property
    def address(self):
        """ADDR@PORT, as spfgate's --resolver and unbound want it."""
        return "%s@%d" % (self.listen, self.port)

    def start(self):
        family = socket.AF_INET6 if ":" in self.listen else socket.AF_INET
        for attempt in range(50):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                udp.bind((self.listen, self.port))
                port = udp.getsockname()[1]
                tcp.bind((self.listen, port))
                tcp.listen(64)
                break
            except OSError:
                udp.close()
                tcp.close()
                if self.port != 0 or attempt == 49:
                    raise
        self.port = port
        self.udp, self.tcp = udp, tcp
        try:
            # A larger receive buffer, so that a burst of queries (a
            # checker with many queries in flight) is queued, not dropped.
            self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        except OSError:
            pass
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        if self.log_path:
            self.log_file = open(self.log_path, "a", encoding="utf-8")
        self.scheduler = Scheduler()
        for target, name in ((self._udp_loop, "testdns-udp"),
                             (self._tcp_loop, "testdns-tcp")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        self.threads = []
        self.scheduler.stop()
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.close()
            except OSError:
                pass
        self.udp.close()
        self.tcp.close()
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- transports ----------------------------------------------------------

    def _udp_loop(self):
        while not self.stopping.is_set():
            try:
                data, client = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                continue
            self._handle(data, "udp", client,
                         lambda reply, c=client: self.udp.sendto(reply, c))

    def _tcp_loop(self):
        while not self.stopping.is_set():
            try:
                conn, client = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                continue
            with self.lock:
                self.connections.add(conn)
            thread = threading.Thread(target=self._tcp_connection,
                                      args=(conn, client), daemon=True,
                                      name="testdns-tcp-conn")
            thread.start()

    def _tcp_connection(self, conn, client):
        """Serve queries on one TCP connection until the client closes
        it, it is idle 30 s, or the server stops."""
        send_lock = threading.Lock()

        def send(reply):
            with send_lock:
                conn.sendall(struct.pack("!H", len(reply)) + reply)

        conn.settimeout(0.2)
        buf = b""
        idle_since = time.monotonic()
        try:
            while not self.stopping.is_set():
                try:
                    chunk = conn.recv(65537)
                except socket.timeout:
                    if time.monotonic() - idle_since > 30:
                        break
                    continue
                if not chunk:
                    break
                idle_since = time.monotonic()
                buf += chunk
                while len(buf) >= 2:
                    length = struct.unpack("!H", buf[:2])[0]
                    if len(buf) < 2 + length:
                        break
                    message, buf = buf[2:2 + length], buf[2 + length:]
                    self._handle(message, "tcp", client, send)
        except OSError:
            pass
        finally:
            with self.lock:
                self.connections.discard(conn)
            conn.close()

    # -- one query -----------------------------------------------------------

    def _handle(self, data, transport, client, send):
        """Answer one packet: never raises (a bad packet is logged)."""
        client_text = "%s:%d" % (client[0], client[1])
        try:
            try:
                query = parse_query(data)
            except Malformed as why:
                self._log(transport, client_text, "-", "-",
                          "malformed(%s)" % str(why).replace(" ", "_"))
                return
            reply, delay, outcome = self._answer(query, transport)
            self._log(transport, client_text, name_to_text(query.qname),
                      type_name(query.qtype), outcome)
            if reply is None:
                return
            with self.lock:
                self.waiting += 1
                self.waiting_max = max(self.waiting_max, self.waiting)
            if delay > 0:
                self.scheduler.call_later(delay,
                                          lambda: self._send(send, reply))
            else:
                self._send(send, reply)
        except Exception:
            sys.stderr.write("testdns: error handling a %s packet from %s\n"
                             % (transport, client_text))
            traceback.print_exc()
            self._log(transport, client_text, "-", "-", "error")

    def _send(self, send, reply):
        with self.lock:
            self.waiting -= 1
        try:
            send(reply)
        except OSError:
            pass            # the client went away

    def _answer(self, query, transport):
        """Return (reply bytes or None, delay in seconds, log outcome)."""
        flags = FLAG_QR | FLAG_AA | FLAG_RA | (query.flags & 0x7800) \
            | (query.flags & FLAG_RD)
        opt = None
        if query.edns_size is not None:
            opt = (self.max_udp, query.edns_do)
        opcode = (query.flags >> 11) & 0xF
        if query.edns_version:
            plan = Plan(BADVERS)
        elif opcode != 0:
            plan = Plan(NOTIMP)
        elif query.qclass not in (CLASS_IN, CLASS_ANY):
            plan = Plan(REFUSED)
        else:
            plan = self._resolve(query.qname, query.qtype)
            fault = self.faults.get(name_key(query.qname))
            if fault is not None and fault.applies_to(query.qtype):
                plan = self._apply_fault(fault, query, plan)
        return self._finish(query, transport, flags, opt, plan)

    def _finish(self, query, transport, flags, opt, plan):
        """Encode the plan, truncating what does not fit."""
        if plan.drop:
            return None, 0, "dropped"
        delay = self.delay + plan.extra_delay
        reply = build_reply(query, plan.rcode, flags, plan.answers,
                            plan.authority, opt)
        if transport == "udp":
            limit = 512
            if query.edns_size is not None:
                limit = min(max(query.edns_size, 512), self.max_udp)
            truncate = plan.truncate_udp or len(reply) > limit
        else:
            truncate = plan.truncate_tcp or len(reply) > MAX_TCP_MESSAGE
        if truncate:
            reply = build_reply(query, plan.rcode, flags | FLAG_TC, [], [],
                                opt)
            return reply, delay, "truncated"
        return reply, delay, "%s/%d" % (RCODE_NAMES.get(plan.rcode,
                                                        str(plan.rcode)),
                                        len(plan.answers))

    def _soa(self, key):
        """The negative-answer SOA of the zone a name belongs to."""
        apex = self.zone.apex_for(key)
        value = ((b"ns", b"testdns", b"invalid"),
                 (b"hostmaster", b"testdns", b"invalid"),
                 1, 3600, 600, 86400, self.negative_ttl)
        return RR(apex, TYPE_CODES["SOA"], self.negative_ttl, value)

    def _resolve(self, qname, qtype):
        """Answer a question from the zone data (no faults)."""
        zone = self.zone
        qtype_text = type_name(qtype)
        answers = []
        owner = qname
        visited = set()
        for step in range(MAX_CHAIN + 1):
            key = name_key(owner)
            visited.add(key)
            node = zone.nodes.get(key)
            if node is None:
                if key not in zone.existing:
                    return Plan(NXDOMAIN, answers, [self._soa(key)])
                # An empty non-terminal or a zone apex without entries.
                if qtype == TYPE_CODES["SOA"] and key in zone.apexes:
                    return Plan(NOERROR, answers + [self._soa(key)._replace(
                        owner=owner, ttl=self.ttl)])
                return Plan(NOERROR, answers, [self._soa(key)])
            if qtype == TYPE_CODES["ANY"]:
                if node.has_timeout():
                    return self._timed_out(step, answers)
                for rtype in node.types():
                    for value in node.lookup(rtype)[1]:
                        answers.append(RR(owner, TYPE_CODES[rtype],
                                          self.ttl, value))
                return Plan(NOERROR, answers)
            # An alias: give the CNAME and go on with its target.
            _, cnames = node.lookup("CNAME")
            if cnames and qtype != TYPE_CODES["CNAME"]:
                target = cnames[0]
                answers.append(RR(owner, TYPE_CODES["CNAME"], self.ttl,
                                  target))
                if name_key(target) in visited or step == MAX_CHAIN:
                    return Plan(NOERROR, answers)
                owner = target
                continue
            timed_out, values = node.lookup(qtype_text)
            if timed_out:
                return self._timed_out(step, answers)
            if qtype == TYPE_CODES["SOA"] and not values \
                    and key in zone.apexes:
                return Plan(NOERROR, answers + [self._soa(key)._replace(
                    owner=owner, ttl=self.ttl)])
            if not values:
                return Plan(NOERROR, answers, [self._soa(key)])
            for value in values:
                answers.append(RR(owner, qtype, self.ttl, value))
            return Plan(NOERROR, answers)
        return Plan(NOERROR, answers)

    @staticmethod
    def _timed_out(step, answers):
        """A query that times out: dropped when it is the name asked,
        the CNAME chain so far when it is a CNAME target."""
        if step == 0:
            plan = Plan()
            plan.drop = True
            return plan
        return Plan(NOERROR, answers)

    def _own_txt(self, qname):
        """The TXT records (lists of strings) the name has, if any."""
        node = self.zone.nodes.get(name_key(qname))
        if node is None:
            return []
        return node.lookup("TXT")[1]

    def _apply_fault(self, fault, query, plan):
        """Replace the plan of a query by the fault's misbehaviour."""
        qname, qtype = query.qname, query.qtype
        is_txt = qtype in (TYPE_CODES["TXT"], TYPE_CODES["SPF"])
        kind = fault.kind
        if kind == "servfail":
            return Plan(SERVFAIL)
        if kind == "refused":
            return Plan(REFUSED)
        if kind == "drop":
            plan = Plan()
            plan.drop = True
            return plan
        if kind == "truncate-always":
            plan.truncate_udp = True
            plan.truncate_tcp = (fault.arg == "tcp")
            return plan
        if kind == "delay":
            plan.extra_delay = fault.int_arg(0) / 1000.0
            return plan
        if kind == "cname-loop":
            return Plan(NOERROR, [RR(qname, TYPE_CODES["CNAME"], self.ttl,
                                     qname)])
        if kind == "wrong-type":
            if qtype == TYPE_CODES["A"]:
                record = RR(qname, TYPE_CODES["TXT"], self.ttl,
                            [b"wrong-type"])
            else:
                record = RR(qname, TYPE_CODES["A"], self.ttl,
                            bytes([192, 0, 2, 1]))
            return Plan(NOERROR, [record])
        if kind == "wrong-name":
            answers = [record._replace(owner=WRONG_NAME_OWNER)
                       for record in plan.answers]
            if not answers:
                answers = [RR(WRONG_NAME_OWNER, qtype, self.ttl,
                              self._made_up_value(qtype))]
            return Plan(NOERROR, answers)
        if not is_txt:
            return plan          # the TXT faults leave other types alone
        if kind == "bad-txt-length":
            own = self._own_txt(qname)
            text = b"".join(own[0]) if own and own[0] else b"v=spf1 -all"
            text = text[:200]
            rdata = bytes([len(text) + 10]) + text
            return Plan(NOERROR, [RR(qname, qtype, self.ttl,
                                     RawRdata(rdata))])
        if kind == "huge-txt":
            text = huge_txt_text(fault.int_arg(4000))
            return Plan(NOERROR, [RR(qname, qtype, self.ttl,
                                     split_character_strings(text))])
        if kind == "many-txt":
            answers = [RR(qname, qtype, self.ttl, strings)
                       for strings in self._own_txt(qname)]
            for k in range(1, fault.int_arg(50) + 1):
                answers.append(RR(qname, qtype, self.ttl,
                                  [b"many-txt filler %d" % k]))
            return Plan(NOERROR, answers)
        raise ValueError("fault %r not implemented" % kind)

    @staticmethod
    def _made_up_value(qtype):
        """Some record of a type, for faults that need one."""
        if qtype == TYPE_CODES["AAAA"]:
            return ipaddress.IPv6Address("2001:db8::1").packed
        if qtype in (TYPE_CODES["TXT"], TYPE_CODES["SPF"]):
            return [b"v=spf1 -all"]
        if qtype in (TYPE_CODES["CNAME"], TYPE_CODES["PTR"],
                     TYPE_CODES["NS"]):
            return (b"made-up", b"invalid")
        if qtype == TYPE_CODES["MX"]:
            return (10, (b"made-up", b"invalid"))
        if qtype == TYPE_CODES["A"]:
            return bytes([192, 0, 2, 1])
        return RawRdata(b"")


# ---------------------------------------------------------------------------
# Command line


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="A DNS server (UDP and TCP) answering from the "
                    "zonedata of the RFC 7208 test suite.")
    parser.add_argument("--listen", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True,
                        help="port for UDP and TCP (0: any free one)")
    parser.add_argument("--zonedata", required=True,
                        help="YAML file: a zonedata mapping")
    parser.add_argument("--scenario", type=int,
                        help="read --zonedata as a suite file and serve "
                             "the zonedata of document N (from 1)")
    parser.add_argument("--pidfile", help="write our pid here once bound")
    parser.add_argument("--delay-ms", type=int, default=0,
                        help="delay every reply N ms")
    parser.add_argument("--log", help="append a line per query here")
    parser.add_argument("--fault", action="append", default=[],
                        metavar="NAME=KIND[:ARG][@TYPE]",
                        help="misbehave for NAME (see the file's header)")
    parser.add_argument("--ttl", type=int, default=60)
    parser.add_argument("--max-udp", type=int, default=4096,
                        help="largest UDP reply, whatever EDNS says")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print each query on stderr")
    args = parser.parse_args(argv)

    faults = {}
    for item in args.fault:
        name, sep, spec = item.partition("=")
        if not sep:
            parser.error("--fault wants NAME=KIND[:ARG][@TYPE]")
        faults[name] = spec
    try:
        zonedata = load_zonedata(args.zonedata, args.scenario)
        server = TestDNSServer(zonedata, listen=args.listen, port=args.port,
                               delay_ms=args.delay_ms, faults=faults,
                               log_path=args.log, ttl=args.ttl,
                               max_udp=args.max_udp, verbose=args.verbose)
        server.start()
    except (OSError, ValueError, yaml.YAMLError) as why:
        sys.stderr.write("testdns: %s\n" % why)
        return 1

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.pidfile:
        tmp = args.pidfile + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(tmp, args.pidfile)
    sys.stderr.write("testdns: serving %d names on %s port %d (udp, tcp)\n"
                     % (len(server.zone.nodes), args.listen, server.port))
    sys.stderr.flush()
    while not stop.is_set():
        stop.wait(0.5)
    server.stop()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
