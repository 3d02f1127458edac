#!/usr/bin/python3
# proto_test.py SPFGATE: `spfgate policy` (issue 17) driven through
# Postfix's policy delegation protocol, as smtpd speaks it, against the
# test DNS server (tests/dns/testdns.py) serving zone.yml: on stdin and
# stdout (pipes, and one socket as fd 0, 1 and 2, as spawn(8) runs
# it), and over --listen unix:PATH and --listen PORT with concurrent
# clients.  Every answer is checked; the last line is
# "N passed, M failed".  SPFGATE may be a wrapper (valgrind).
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "dns"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
sys.dont_write_bytecode = True
import testdns  # noqa: E402
from tally import Tally  # noqa: E402

SPFGATE = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(REPO, "build", "spfgate")
SLOW = os.environ.get("PROTO_TEST_SLOW") == "1"     # under valgrind
WAIT = 60 if SLOW else 20
T = Tally()
dns = None
tmp = None

EXPLANATION = "550 5.7.23 192.0.2.99 is not one of pass.example's mail " \
    "servers"


def base_args():
    return ["--config", "/dev/null", "--resolver", dns.address, "--dnssec",
            "no", "--timeout", "2", "--receiver", "mx.test"]


def req(state="RCPT", client="192.0.2.10", sender="a@pass.example",
        helo="helo.example", rcpt="b@rcpt.example", instance="i1",
        **extra):
    """One request as Postfix 3.7 writes it (the attributes spfgate
    ignores included), ended by its empty line."""
    attrs = [("request", "smtpd_access_policy"),
             ("protocol_state", state), ("protocol_name", "ESMTP"),
             ("helo_name", helo), ("queue_id", ""), ("sender", sender),
             ("recipient", rcpt), ("recipient_count", "0"),
             ("client_address", client), ("client_name", "unknown"),
             ("reverse_client_name", "unknown"), ("instance", instance),
             ("sasl_method", ""), ("sasl_username", ""),
             ("sasl_sender", ""), ("size", "0"), ("ccert_subject", ""),
             ("encryption_protocol", "TLSv1.3"), ("policy_context", ""),
             ("server_address", "127.0.0.1"), ("server_port", "25")]
    attrs = [(k, extra.pop(k, v)) for k, v in attrs]
    attrs += sorted(extra.items())
    return "".join("%s=%s\n" % kv for kv in attrs).encode() + b"\n"


def answers(data):
    """The action texts of a stream of answers, in order; a stream
    that is not exactly "action=X\\n\\n"... gives its raw bytes."""
    out = []
    for block in data.split(b"\n\n")[:-1]:
        if not block.startswith(b"action=") or b"\n" in block:
            return [data]
        out.append(block[7:].decode("utf-8", "replace"))
    return out if data.endswith(b"\n\n") or not data else [data]


def run_stdin(data, opts=(), spawn=False, timeout=None):
    """Run `spfgate policy` on data; (answers, stdout, stderr, rc).  With
    spawn, fd 0, 1 and 2 are one socket, as Postfix's spawn(8) makes
    them, and stderr is what came back beyond the answers."""
    cmd = [SPFGATE, "policy"] + base_args() + list(opts)
    if not spawn:
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout or WAIT)
        return answers(p.stdout), p.stdout, p.stderr, p.returncode
    ours, theirs = socket.socketpair()
    p = subprocess.Popen(cmd, stdin=theirs, stdout=theirs, stderr=theirs)
    theirs.close()
    ours.settimeout(timeout or WAIT)
    got = b""
    try:
        ours.sendall(data)
        ours.shutdown(socket.SHUT_WR)
        while True:
            chunk = ours.recv(65536)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass        # a process that exits early: what came is the answer
    ours.close()
    try:
        rc = p.wait(timeout=timeout or WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    return answers(got), got, b"", rc


def check_basic():
    a, _, err, rc = run_stdin(req())
    T.check("pass: PREPEND of the MAIL FROM identity's Received-SPF",
            len(a) == 1 and a[0].startswith("PREPEND Received-SPF: pass ")
            and "identity=mailfrom" in a[0] and "receiver=mx.test" in a[0],
            a)
    T.check("stdin mode ends at the end of input, status 0", rc == 0,
            rc)
    a, _, _, _ = run_stdin(req(client="192.0.2.99"))
    T.check("fail: 550 5.7.23 and the domain's explanation",
            a == [EXPLANATION + " (SPF)"] or a == [EXPLANATION], a)
    a, _, _, _ = run_stdin(req(sender="a@slow.example"))
    T.check("temperror: 451 4.7.24 with the problem",
            len(a) == 1 and a[0].startswith("451 4.7.24 "), a)
    a, _, _, _ = run_stdin(req(sender="a@soft.example"))
    T.check("softfail is tagged: PREPEND softfail",
            len(a) == 1 and a[0].startswith("PREPEND Received-SPF: "
                                            "softfail"), a)
    a, _, _, _ = run_stdin(req(sender="", helo="mx.pass.example"))
    T.check("null sender: the HELO identity decides",
            len(a) == 1 and "Received-SPF: pass" in a[0] and
            "identity=helo" in a[0], a)
    path = os.path.join(tmp, "requests")
    with open(path, "wb") as f:
        f.write(req() + req(client="192.0.2.99", instance="f2"))
    with open(path, "rb") as f:
        p = subprocess.run([SPFGATE, "policy"] + base_args(), stdin=f,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=WAIT)
    a = answers(p.stdout)
    T.check("requests from a regular file (no polling): both answered",
            len(a) == 2 and a[0].startswith("PREPEND") and
            a[1].startswith("550") and p.returncode == 0, (a, p.stderr))
    a, _, _, _ = run_stdin(req(client="2001:db8::1"))
    T.check("an IPv6 client_address, as Postfix writes it: fail",
            len(a) == 1 and a[0].startswith("550 5.7.23 "), a)


def check_instance():
    dns.clear_queries()
    data = req(rcpt="b@rcpt.example") + req(rcpt="c@rcpt.example") + \
        req(rcpt="d@rcpt.example") + req(rcpt="e@rcpt.example") + \
        req(state="DATA", rcpt="")
    a, _, _, _ = run_stdin(data)
    T.check("one message, five requests: five answers", len(a) == 5, a)
    T.check("later recipients carry the next fields, then DUNNO",
            len(a) == 5 and a[0].startswith("PREPEND Received-SPF: pass")
            and a[1].startswith("PREPEND Authentication-Results: mx.test; "
                                "spf=") and
            a[2].startswith("PREPEND Received-SPF: ") and
            "identity=helo" in a[2] and a[3:] == ["DUNNO", "DUNNO"], a)
    T.check("one evaluation for the message (one TXT query of "
            "pass.example)", dns.count("pass.example", "TXT") == 1,
            dns.count("pass.example", "TXT"))
    a, _, _, _ = run_stdin(req() + req(state="DATA", rcpt="") +
                           req(state="DATA", rcpt="") +
                           req(state="DATA", rcpt=""),
                           ["--helo-check", "no"])
    T.check("one recipient: the second field at DATA, then DUNNO",
            a[:1] and a[0].startswith("PREPEND Received-SPF: pass") and
            a[1:2] and a[1].startswith("PREPEND Authentication-Results:")
            and a[2:] == ["DUNNO", "DUNNO"], a)
    a, _, _, _ = run_stdin(req() + req(rcpt="c@rcpt.example"),
                           ["--header-fields", "received-spf",
                            "--helo-check", "no"])
    T.check("one field: the second recipient of the instance is DUNNO",
            len(a) == 2 and a[0].startswith("PREPEND Received-SPF: pass")
            and a[1] == "DUNNO", a)
    a, _, _, _ = run_stdin(req(client="192.0.2.99") +
                           req(client="192.0.2.99", rcpt="c@rcpt.example"))
    T.check("a refused message refuses every recipient",
            len(a) == 2 and a[0] == a[1] and a[0].startswith("550 5.7.23"),
            a)
    a, _, _, _ = run_stdin(req(instance="m1") + req(instance="m2"))
    T.check("two instances: two messages, each its first field",
            len(a) == 2 and a[0] == a[1] and
            a[0].startswith("PREPEND Received-SPF: pass"), a)
    a, _, _, _ = run_stdin(req(instance="") + req(instance=""),
                           ["--header-fields", "received-spf",
                            "--helo-check", "no"])
    T.check("no instance: every request checked on its own",
            len(a) == 2 and a[0] == a[1] and
            a[0].startswith("PREPEND Received-SPF: pass"), a)
    a, _, _, _ = run_stdin(req() + req(sender="a@soft.example",
                                       rcpt="c@rcpt.example"),
                           ["--header-fields", "received-spf",
                            "--helo-check", "no"])
    T.check("same instance, another sender: a new transaction",
            len(a) == 2 and "softfail" in a[1], a)


def check_mapping():
    dns.clear_queries()
    a, _, _, _ = run_stdin(req(client="192.0.2.99", sasl_username="alice"))
    T.check("sasl_username: not checked, DUNNO, no DNS query",
            a == ["DUNNO"] and not dns.queries(), (a, dns.queries()))
    a, _, _, _ = run_stdin(req(client="192.0.2.99") +
                           req(client="192.0.2.99",
                               rcpt="postmaster@rcpt.example"),
                           ["--exempt-recipient", "postmaster@"])
    T.check("postmaster exempt: user refused, postmaster given the "
            "fields", len(a) == 2 and a[0].startswith("550 5.7.23 ") and
            a[1].startswith("PREPEND Received-SPF: fail"), a)
    for state in ("CONNECT", "EHLO", "HELO", "MAIL", "VRFY", "ETRN",
                  "END-OF-MESSAGE", "DATA"):
        a, _, _, _ = run_stdin(req(state=state, client="192.0.2.99"))
        T.check("protocol_state=%s alone: DUNNO" % state, a == ["DUNNO"],
                a)
    a, _, _, _ = run_stdin(req(request="junk", client="192.0.2.99"))
    T.check("request= other than smtpd_access_policy: DUNNO",
            a == ["DUNNO"], a)
    a, _, _, _ = run_stdin(req(client="192.0.2.99"),
                           ["--dry-run", "yes"])
    T.check("dry run (the core's): fail tagged, would=reject",
            len(a) == 1 and a[0].startswith("PREPEND Received-SPF: fail")
            and "would=reject" in a[0], a)
    a, _, _, _ = run_stdin(req(client="192.0.2.99"),
                           ["--domain-policy", "pass.example fail tag"])
    T.check("domain-policy (the core's): fail tagged",
            len(a) == 1 and a[0].startswith("PREPEND Received-SPF: fail"),
            a)
    dns.clear_queries()
    a, _, _, _ = run_stdin(req(client="", sender="a@pass.example"),
                           ["--header-fields", "received-spf"])
    T.check("no client_address (a local submission): the core's local "
            "verdict, none, no DNS query", len(a) == 1 and
            a[0].startswith("PREPEND Received-SPF: none") and
            not dns.queries(), (a, dns.queries()))
    a, _, _, _ = run_stdin(req(client="not-an-address"))
    T.check("an unusable client_address: the core's temperror",
            len(a) == 1 and a[0].startswith("451 4.7.24 "), a)
    long_helo = ".".join(["h" * 60] * 5) + ".example"
    a, _, _, _ = run_stdin(req(helo=long_helo))
    T.check("a HELO over 255 octets is no identity: MAIL FROM decides, "
            "no deferral", len(a) == 1 and
            a[0].startswith("PREPEND Received-SPF: pass"), a)
    a, _, _, _ = run_stdin(req(sender="", helo=long_helo))
    T.check("a HELO over 255 octets with a null sender: none, accepted",
            len(a) == 1 and a[0].startswith("PREPEND Received-SPF: none"),
            a)
    a, _, _, _ = run_stdin(req(client="192.0.2.99").replace(b"\n", b"\r\n"))
    T.check("CRLF line ends are taken", len(a) == 1 and
            a[0].startswith("550 5.7.23 "), a)


def check_malformed():
    good = req(client="192.0.2.99")
    cases = [
        ("an over-long line", req(foo="x" * 5000)),
        ("a 1 MB line", req(foo="y" * (1 << 20))),
        ("a NUL octet", req(sender="a\0@pass.example")),
        ("a line without =", b"request=smtpd_access_policy\nnonsense\n\n"),
        ("an empty name", b"=value\nprotocol_state=RCPT\n\n"),
        ("binary junk", bytes(range(1, 256)).replace(b"\n", b"") +
         b"\n\x80\xff\xfe=\x01\n\n"),
        ("too many attributes", b"".join(b"a%d=b\n" % i
                                         for i in range(200)) + b"\n"),
        ("a value too long to keep", req(instance="i" * 300)),
    ]
    for name, bad in cases:
        a, out, err, rc = run_stdin(bad + good)
        T.check("%s: DUNNO, and the next request in step" % name,
                a == ["DUNNO", EXPLANATION + " (SPF)"] or
                a == ["DUNNO", EXPLANATION], (a, err[-200:]))
        T.check("%s: a log line, status 0" % name,
                rc == 0 and (b"malformed request" in err or
                             b"is not smtpd_access_policy: DUNNO" in err),
                (rc, err[-300:]))
    a, out, err, rc = run_stdin(good + b"request=smtpd_access_policy\n"
                                b"protocol_state=RCPT")
    T.check("no final empty line at EOF: the whole ones answered, the "
            "cut one logged, status 0",
            len(a) == 1 and a[0].startswith("550") and rc == 0 and
            b"cut short" in err, (a, rc, err))
    a, out, err, rc = run_stdin(b"\n")
    T.check("an empty request: DUNNO", a == ["DUNNO"], a)
    a, out, err, rc = run_stdin(b"")
    T.check("no input: no output, status 0", out == b"" and rc == 0,
            (out, rc))


def check_pipelining():
    # the first waits for a DNS timeout; the ones behind answer at once
    data = req(sender="a@slow.example", instance="s") + b"".join(
        req(instance="p%d" % i, client="192.0.2.%d" % (10 if i % 2 else
                                                       99))
        for i in range(30))
    a, _, _, rc = run_stdin(data)
    ok = len(a) == 31 and a[0].startswith("451 4.7.24")
    for i in range(30):
        want = "PREPEND Received-SPF: pass" if i % 2 else "550 5.7.23"
        ok = ok and a[i + 1].startswith(want)
    T.check("31 pipelined requests, the first slow: 31 answers in order",
            ok, a)
    a, _, _, _ = run_stdin(b"".join(req(instance="q%d" % i)
                                    for i in range(300)))
    T.check("300 pipelined requests (past the per-connection bound of "
            "64): all answered", len(a) == 300 and
            all(x.startswith("PREPEND") for x in a), len(a))


def check_spawn():
    data = req() + req(foo="z" * 9000) + req(client="192.0.2.99") + \
        b"request=smtpd_access_policy\nprotocol_state=RCPT"
    a, raw, _, rc = run_stdin(data, spawn=True)
    T.check("spawn(8) style (fd 0, 1, 2 one socket): only answers on the "
            "socket, no log line", len(a) == 3 and
            raw.count(b"action=") == 3 and a[1] == "DUNNO" and
            a[2].startswith("550 5.7.23"), raw[:600])
    T.check("spawn(8) style: status 0 at the end", rc == 0, rc)
    a, raw, _, rc = run_stdin(req(), ["--timeout", "never"], spawn=True)
    T.check("spawn(8) style, a bad option: status 1 and not one octet "
            "to the client (the error goes to syslog)",
            rc == 1 and raw == b"", (rc, raw))


def start_listen(spec, opts=()):
    log = open(os.path.join(tmp, "listen.log"), "ab")
    p = subprocess.Popen([SPFGATE, "policy"] + base_args() +
                         ["--listen", spec] + list(opts),
                         stdout=log, stderr=log)
    return p


def connect(spec, deadline=None):
    deadline = deadline or time.time() + WAIT
    while True:
        s = None
        try:
            if spec.startswith("unix:"):
                s = socket.socket(socket.AF_UNIX)
                s.connect(spec[5:])
            else:
                s = socket.create_connection(("127.0.0.1",
                                              int(spec.split(":")[-1])))
            s.settimeout(WAIT)
            return s
        except OSError:
            if s is not None:
                s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def ask(s, data, n):
    s.sendall(data)
    got = b""
    while got.count(b"\n\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    return answers(got)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def concurrent(spec, n):
    """n clients at once, each two requests of its own message; every
    answer checked."""
    results = [None] * n

    def client(i):
        try:
            s = connect(spec)
            fail = i % 3 == 0
            cl = "192.0.2.99" if fail else "192.0.2.10"
            # every answer about late.example comes 100 ms late
            a = ask(s, req(client=cl, instance="c%d" % i,
                           sender="a@late.example") +
                    req(client=cl, instance="c%d" % i, rcpt="x@y.example",
                        sender="a@late.example"), 2)
            s.close()
            if fail:
                results[i] = a[:1] and a[0].startswith("550") and \
                    a[1] == a[0]
            else:
                results[i] = a[:1] and a[0].startswith(
                    "PREPEND Received-SPF: pass") and \
                    a[1].startswith("PREPEND Authentication-Results")
        except OSError as e:
            results[i] = repr(e)
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not True]


def check_listen_unix():
    path = os.path.join(tmp, "policy.sock")
    spec = "unix:" + path
    p = start_listen(spec)
    s = connect(spec)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    T.check("unix socket mode 0660 by default", mode == 0o660, oct(mode))
    a = ask(s, req(client="192.0.2.99"), 1)
    T.check("unix: fail answered 550", a[:1] and a[0].startswith("550"), a)
    a = ask(s, req(instance="u2") + req(instance="u2", state="DATA",
                                        rcpt=""), 2)
    T.check("unix: the same connection serves the next message",
            len(a) == 2 and a[1].startswith("PREPEND Authentication"), a)
    s.close()
    bad = concurrent(spec, 60)
    T.check("unix: 60 clients at once, DNS 100 ms late, every answer "
            "right", not bad, bad)
    q = subprocess.run([SPFGATE, "policy"] + base_args() +
                       ["--listen", spec], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=WAIT)
    T.check("a second server on a live socket is refused",
            q.returncode == 1 and b"another server" in q.stderr,
            (q.returncode, q.stderr))
    T.check("SIGTERM: status 0", stop(p) == 0)
    T.check("SIGTERM: the socket is removed", not os.path.exists(path))

    # a stale socket (nobody listening) is replaced
    st = socket.socket(socket.AF_UNIX)
    st.bind(path)
    st.close()
    p = start_listen(spec, ["--listen-mode", "0666"])
    s = connect(spec)
    a = ask(s, req(client="192.0.2.99"), 1)
    T.check("a stale socket is replaced, the service answers",
            a[:1] and a[0].startswith("550"), a)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    T.check("--listen-mode 0666", mode == 0o666, oct(mode))
    s.close()
    stop(p)

    with open(path, "w") as f:
        f.write("keep me\n")
    q = subprocess.run([SPFGATE, "policy"] + base_args() +
                       ["--listen", spec], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=WAIT)
    with open(path) as f:
        kept = f.read()
    T.check("a file that is no socket is never clobbered",
            q.returncode == 1 and b"not a socket" in q.stderr and
            kept == "keep me\n", (q.returncode, q.stderr))
    os.unlink(path)


def check_listen_tcp():
    port = free_port()
    spec = str(port)
    p = start_listen(spec, ["--max-connections", "2"])
    s1 = connect(spec)
    a = ask(s1, req(client="192.0.2.99"), 1)
    T.check("--listen PORT: on 127.0.0.1, fail answered 550",
            a[:1] and a[0].startswith("550"), a)
    s2 = connect(spec)
    ask(s2, req(instance="t2"), 1)
    s3 = connect(spec)
    s3.sendall(req(instance="t3", client="192.0.2.99"))
    s3.settimeout(1.0)
    try:
        early = s3.recv(100)
    except socket.timeout:
        early = None
    T.check("--max-connections 2: a third waits in the backlog",
            early is None, early)
    s1.close()
    s3.settimeout(WAIT)
    got = b""
    while b"\n\n" not in got:
        chunk = s3.recv(4096)
        if not chunk:
            break
        got += chunk
    T.check("... and is served once one closes",
            answers(got)[:1] and answers(got)[0].startswith("550"), got)
    s2.close()
    s3.close()
    stop(p)
    p = start_listen("127.0.0.1:%d" % port)
    bad = concurrent("127.0.0.1:%d" % port, 100)
    T.check("ADDR:PORT: 100 clients at once, DNS 100 ms late, every "
            "answer right", not bad, bad)
    # a client that hangs up with answers pending does not stop the rest
    s = connect(spec)
    s.sendall(req(sender="a@slow.example", instance="gone"))
    s.close()
    s = connect(spec)
    a = ask(s, req(client="192.0.2.99", instance="after"), 1)
    T.check("a client gone with a request pending: the next is served",
            a[:1] and a[0].startswith("550"), a)
    s.close()
    time.sleep(2.5)     # the slow check ends with nobody to answer
    s = connect(spec)
    a = ask(s, req(instance="after2"), 1)
    T.check("... and still after its check ended",
            a[:1] and a[0].startswith("PREPEND"), a)
    s.close()
    T.check("SIGTERM on TCP: status 0", stop(p) == 0)
    q = subprocess.run([SPFGATE, "policy"] + base_args() +
                       ["--listen", "nonsense:port"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=WAIT)
    T.check("a malformed --listen is refused", q.returncode == 1 and
            b"expected unix:PATH" in q.stderr, q.stderr)


def check_out_of_fds():
    """Out of descriptors, accept() fails and the socket stays readable:
    the service must rest, not spin logging, and serve again after.
    Not under valgrind: it keeps descriptors of its own below the limit
    (how many differs between releases: trixie's reset the connection),
    so 48 is not what the service gets; the plain run checks this."""
    import resource
    if SLOW:
        return
    port = free_port()
    logpath = os.path.join(tmp, "fds.log")
    log = open(logpath, "wb")

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
    p = subprocess.Popen([SPFGATE, "policy"] + base_args() +
                         ["--listen", str(port)], stdout=log, stderr=log,
                         preexec_fn=limit)
    held = [connect(str(port))]
    ask(held[0], req(instance="fd0"), 1)
    for _ in range(60):
        held.append(socket.create_connection(("127.0.0.1", port)))
    time.sleep(2.5)
    for s in held:
        s.close()
    s = connect(str(port))
    a = ask(s, req(client="192.0.2.99", instance="fd1"), 1)
    s.close()
    stop(p)
    with open(logpath, "rb") as f:
        text = f.read()
    rests = text.count(b"not accepting for 1 s")
    T.check("out of descriptors: accept rests (%d log lines in 2.5 s), "
            "never spins" % rests, 1 <= rests <= 5, text[-300:])
    T.check("... and serves again once descriptors are free",
            a[:1] and a[0].startswith("550"), a)


def check_listen_v6_and_user():
    port = free_port()
    p = start_listen("[::1]:%d" % port)
    deadline = time.time() + WAIT
    a = None
    while a is None:
        try:
            s = socket.create_connection(("::1", port))
            s.settimeout(WAIT)
            a = ask(s, req(client="192.0.2.99"), 1)
            s.close()
        except OSError:
            if time.time() > deadline:
                break
            time.sleep(0.05)
    T.check("--listen [::1]:PORT answers", a and a[0].startswith("550"), a)
    stop(p)
    if os.geteuid() != 0:
        print("(not root: --user and --listen-owner not run)")
        return
    import pwd
    nobody = pwd.getpwnam("nobody")
    path = os.path.join(tmp, "user.sock")
    p = start_listen("unix:" + path, ["--user", "nobody",
                                      "--listen-owner", "nobody"])
    s = connect("unix:" + path)
    a = ask(s, req(client="192.0.2.99"), 1)
    s.close()
    st = os.stat(path)
    with open("/proc/%d/status" % p.pid) as f:
        uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
    T.check("--listen-owner nobody: the socket is nobody's",
            st.st_uid == nobody.pw_uid, st.st_uid)
    T.check("--user nobody: the service runs as nobody, and answers",
            uid == str(nobody.pw_uid) and a[:1] and
            a[0].startswith("550"), (uid, a))
    T.check("--user nobody: SIGTERM, status 0", stop(p) == 0)
    q = subprocess.run([SPFGATE, "policy"] + base_args() +
                       ["--listen", "unix:" + path, "--user", "root"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=WAIT)
    T.check("--user root is refused", q.returncode == 1 and
            b"not as root" in q.stderr, q.stderr)


def main():
    global dns, tmp
    with open(os.path.join(HERE, "zone.yml")) as f:
        dns = testdns.TestDNSServer(yaml.safe_load(f))
    dns.set_fault("late.example", "delay:100")
    dns.start()
    tmp = tempfile.mkdtemp(prefix="policy-proto.")
    try:
        for part in (check_basic, check_instance, check_mapping,
                     check_malformed, check_pipelining, check_spawn,
                     check_listen_unix, check_listen_tcp,
                     check_out_of_fds, check_listen_v6_and_user):
            try:
                part()
            except Exception as e:      # a broken part is a failure
                T.check("%s ran to its end" % part.__name__, False,
                        repr(e))
    finally:
        dns.stop()
        subprocess.run(["rm", "-rf", tmp])
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
