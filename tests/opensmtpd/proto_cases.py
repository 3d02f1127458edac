# proto_cases.py: the test cases of the filter-spf protocol suite
# (proto_test.py runs them, in order, from its main()): handshakes,
# pass/fail/skip answers, headers, long and malformed lines, answers out
# of order, interleaved sessions, log lines, memory, the 0.7 protocol,
# unknown versions, the recorded 6.8 transcript, the watchdog.  The
# harness they drive is in proto_harness.py.

import os
import random
import subprocess
import time

from proto_harness import (ADMD, BODY, RECEIVER, SLOW, SLOW_MS, TOP,
                           Filter, Session, _tokens, check, handshake,
                           message, message_out)


# ---------------------------------------------------------------------
def test_handshake(f, name):
    i = handshake(f)
    check("%s: handshake ends with register|ready" % name, i is not None)
    regs = f.lines[:i + 1] if i is not None else f.lines
    want = {"register|report|smtp-in|link-connect",
            "register|report|smtp-in|link-identify",
            "register|report|smtp-in|link-auth",
            "register|report|smtp-in|link-disconnect",
            "register|filter|smtp-in|helo",
            "register|filter|smtp-in|ehlo",
            "register|filter|smtp-in|mail-from",
            "register|filter|smtp-in|data-line",
            "register|ready"}
    check("%s: registers exactly the events it needs" % name,
          set(regs) == want and len(regs) == len(want), repr(regs))
    check("%s: nothing but register lines before register|ready" % name,
          all(l.startswith("register|") for l in regs))


def test_pass_message(f):
    """A pass from an IPv4 client: proceed, no headers (headers no),
    body byte for byte, one log line."""
    s = Session(f)
    s.connect("192.0.2.10:41234")
    check("pass: ehlo answered proceed", s.ehlo("client.example"))
    tok = s.request("mail-from", "alice@pass.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    check("pass: mail-from proceeds",
          i is not None and f.lines[i] == s.result(tok, "proceed"),
          f.lines[i] if i is not None else "no answer")
    s.request("rcpt-to", "bob@test.local")   # not registered: proceed
    msg = message("alice@pass.test", BODY)
    dtok = s.data(msg)
    out = message_out(f, s, dtok)
    check("pass: message unchanged, no headers (headers no, accept)",
          out == msg + ["."],
          "got %d lines, first %r" % (len(out), out[:2]))
    s.disconnect()
    return s


def test_tag_headers(f):
    """softfail is tagged: Received-SPF then Authentication-Results on
    top, then the message as it came."""
    s = Session(f)
    s.connect("192.0.2.11:5678")
    s.ehlo("soft.example")
    tok = s.request("mail-from", "bob@softfail.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    check("softfail: mail-from proceeds (tag)",
          i is not None and f.lines[i] == s.result(tok, "proceed"))
    msg = message("bob@softfail.test", BODY)
    dtok = s.data(msg)
    out = message_out(f, s, dtok)
    check("softfail: Received-SPF is the first line",
          len(out) > 0 and out[0].startswith("Received-SPF: softfail"),
          repr(out[:1]))
    check("softfail: Authentication-Results with our authserv-id second",
          len(out) > 1 and out[1].startswith(
              "Authentication-Results: %s;" % RECEIVER) and
          "spf=softfail" in out[1], repr(out[1:2]))
    check("softfail: Received-SPF names the client and the envelope",
          len(out) > 0 and "client-ip=192.0.2.11" in out[0] and
          "bob@softfail.test" in out[0], repr(out[:1]))
    check("softfail: the message follows unchanged, ending with '.'",
          out[2:] == msg + ["."], "%d lines" % len(out))
    # A second message in the same session gets its own result.
    tok = s.request("mail-from", "carol@pass.test")
    f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    msg2 = message("carol@pass.test", ["second message"])
    out = message_out(f, s, s.data(msg2))
    check("softfail: next transaction (pass) carries no stale headers",
          out == msg2 + ["."], repr(out[:2]))
    s.disconnect()


def test_reject_defer(f):
    s = Session(f)
    s.connect("192.0.2.10:40000")
    s.ehlo("evil.example")
    tok = s.request("mail-from", "mallory@fail.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    line = f.lines[i] if i is not None else ""
    check("fail: mail-from rejected with 550 5.7.23",
          line.startswith(s.result(tok, "reject|550 5.7.23 ")), line)
    check("fail: the reply carries the domain's explanation",
          "mallory@fail.test is not allowed to send from 192.0.2.10" in line,
          line)
    # The client tries again in the same session: a new answer.
    tok2 = s.request("mail-from", "mallory@temperror.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok2)),
               timeout=15)
    line = f.lines[i] if i is not None else ""
    check("temperror: mail-from deferred with 451 4.7.24",
          line.startswith(s.result(tok2, "reject|451 4.7.24 ")), line)
    tok3 = s.request("mail-from", "x@permerror.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok3)))
    line = f.lines[i] if i is not None else ""
    check("permerror: tagged, proceeds", line == s.result(tok3, "proceed"),
          line)
    tok4 = s.request("mail-from", "x@none.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok4)))
    check("none: proceeds", i is not None and
          f.lines[i] == s.result(tok4, "proceed"))
    s.disconnect()


def test_null_sender(f):
    s = Session(f)
    s.connect("192.0.2.12:1025")
    tok = s.request("helo", "helo.test")
    f.wait(lambda l: l == s.result(tok, "proceed"))
    s.report("link-identify", "HELO", "helo.test")
    tok = s.request("mail-from", "")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    check("null sender, HELO passes: proceeds", i is not None and
          f.lines[i] == s.result(tok, "proceed"))
    s.disconnect()
    s2 = Session(f)
    s2.connect("192.0.2.12:1026")
    s2.ehlo("badhelo.test")
    tok = s2.request("mail-from", "")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s2.sid, tok)))
    line = f.lines[i] if i is not None else ""
    check("null sender, HELO fails: rejected (HELO identity checked)",
          line.startswith(s2.result(tok, "reject|550 5.7.23")), line)
    s2.disconnect()
    return s, s2


def test_ipv6(f):
    s = Session(f)
    s.connect("[2001:db8::25]:41234", "[2001:db8::1]:25")
    s.ehlo("mail6.example.org")
    tok = s.request("mail-from", "carol@pass.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    check("IPv6 client in brackets with port: pass, proceeds",
          i is not None and f.lines[i] == s.result(tok, "proceed"))
    s6 = Session(f)
    s6.connect("[2001:db9::25]:41234")
    s6.ehlo("mail6.example.org")
    tok = s6.request("mail-from", "carol@pass.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s6.sid, tok)))
    line = f.lines[i] if i is not None else ""
    check("IPv6 client outside the record: rejected",
          line.startswith(s6.result(tok, "reject|550 5.7.23")), line)
    s.disconnect()
    s6.disconnect()
    return s, s6


def test_skips(f):
    """Local, loopback, authenticated and skip-network sessions proceed
    unchecked, even for a failing sender, and keep their A-R headers."""
    results = {}
    cases = [
        ("local (unix socket)", "unix:/var/run/smtpd.sock", None),
        ("loopback", "127.0.0.1:36994", None),
        ("loopback IPv6", "[::1]:36994", None),
        ("authenticated (0.6: user|result)", "192.0.2.20:1234",
         ("alice", "pass")),
        ("skip network", "203.0.113.7:1234", None),
    ]
    for name, src, auth in cases:
        s = Session(f)
        s.connect(src)
        s.ehlo("relay.example")
        if auth:
            s.report("link-auth", *auth)
        tok = s.request("mail-from", "mallory@fail.test")
        i = f.wait(lambda l, s=s, tok=tok:
                   l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
        check("skip %s: proceeds unchecked" % name,
              i is not None and f.lines[i] == s.result(tok, "proceed"),
              f.lines[i] if i is not None else "no answer")
        msg = message("x@fail.test", ["body"])
        msg.insert(4, "Authentication-Results: %s; spf=pass" % RECEIVER)
        out = message_out(f, s, s.data(msg))
        if name == "skip network":
            # the core's skip: accepted, and a forged verdict of ours
            # goes as for any client from the outside
            want = msg[:4] + msg[5:]
        else:
            want = msg
        check("skip %s: trusted, no headers (A-R kept unless the core "
              "skipped it)" % name, out == want + ["."], repr(out[:6]))
        s.disconnect()
        results[name] = s
    # A failed AUTH does not make a session trusted.
    s = Session(f)
    s.connect("192.0.2.21:1234")
    s.ehlo("x.example")
    s.report("link-auth", "al|ice", "fail")
    tok = s.request("mail-from", "mallory@fail.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    line = f.lines[i] if i is not None else ""
    check("failed AUTH (user with '|'): still checked, rejected",
          line.startswith(s.result(tok, "reject|550 5.7.23")), line)
    s.disconnect()
    return results


def test_strip_ar(f):
    s = Session(f)
    s.connect("192.0.2.30:1234")
    s.ehlo("forger.example")
    tok = s.request("mail-from", "f@softfail.test")
    f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    hdr_in = [
        "Received: from forger.example (<unknown> [192.0.2.30])",
        "\tby mx.test.local (OpenSMTPD) with ESMTP id 1",
        "Authentication-Results: %s; spf=pass smtp.mailfrom=f" % RECEIVER,
        "Authentication-Results: other.example; spf=fail",
        "Authentication-Results:",
        "\t%s;" % RECEIVER,
        "\tspf=pass smtp.mailfrom=folded",
        "X-Between: kept",
        "authentication-results : (a comment) MX.TEST.LOCAL; dkim=pass",
        "Authentication-Results: %s; dmarc=pass" % ADMD,
        "Authentication-Results: \"%s\"; spf=pass" % RECEIVER,
        "Authentication-Results: %s.evil; spf=pass" % RECEIVER,
        "Authentication-Results: (only a comment",
        "  still the comment) other.example;",
        "\tspf=none",
        "Subject: folded",
        "  subject continuation",
        "",
        "Authentication-Results: %s; spf=pass (body)" % RECEIVER,
        "\tbody continuation",
    ]
    want = [hdr_in[0], hdr_in[1], hdr_in[3], "X-Between: kept",
            hdr_in[11], hdr_in[12], hdr_in[13], hdr_in[14], hdr_in[15],
            hdr_in[16], "", hdr_in[18], hdr_in[19], "."]
    out = message_out(f, s, s.data(hdr_in))
    got = out[2:]
    check("A-R with our authserv-id removed (folded, case, quoted, admd), "
          "others and the body kept", got == want,
          "\n    got:  %r\n    want: %r" % (got, want))
    err = f.stderr()
    n = err.count("session=%s removed" % s.sid)
    check("each removal logged (5)", n == 5, "%d log lines" % n)
    # A filter before us in the chain put its field above smtpd's
    # Received: ours (this server's), not the client's: it stays.
    tok = s.request("mail-from", "f@softfail.test")
    f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    hdr_in = ["Authentication-Results: %s; dkim=pass header.d=x" % RECEIVER,
              "Received: from forger.example (<unknown> [192.0.2.30])",
              "Authentication-Results: %s; dkim=pass forged" % RECEIVER,
              "", "body"]
    out = message_out(f, s, s.data(hdr_in))
    got = out[2:]
    want = [hdr_in[0], hdr_in[1], "", "body", "."]
    check("chain order: a field an earlier filter added above smtpd's "
          "Received is kept, the client's below it removed", got == want,
          "\n    got:  %r\n    want: %r" % (got, want))
    s.disconnect()


def test_long_lines(f):
    s = Session(f)
    s.connect("192.0.2.40:1234")
    s.ehlo("long.example")
    tok = s.request("mail-from", "l@softfail.test")
    f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    huge = "".join(chr(33 + (i % 90)) for i in range(300000))
    msg = ["Received: from long.example", "X-Long: " + "h" * 100000,
           "Authentication-Results: %s; spf=pass %s" % (RECEIVER,
                                                        "p" * 100000),
           "\t" + "c" * 100000,
           "", huge, "." + huge, "end"]
    out = message_out(f, s, s.data(msg), timeout=15)
    want = [msg[0], msg[1], "", huge, "." + huge, "end", "."]
    check("lines over the 66 KiB cap streamed through byte for byte "
          "(and a long forged A-R dropped with its continuation)",
          out[2:] == want, "got %d lines, lengths %r" % (
              len(out), [len(l) for l in out]))
    # Still in sync afterwards.
    tok = s.request("mail-from", "l@pass.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    check("in sync after the long lines", i is not None and
          f.lines[i] == s.result(tok, "proceed"))
    s.disconnect()


def test_answer_during_long_line(f):
    """A DNS answer for one session comes while another session's long
    data-line is half read and half written: it must wait for the end of
    that line, not land in the middle of it."""
    o = Session(f)
    o.connect("192.0.2.41:1234")
    o.ehlo("other.example")
    s = Session(f)
    s.connect("192.0.2.42:1234")
    s.ehlo("long.example")
    tok = s.request("mail-from", "l@pass.test")
    f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    dtok = "%016x" % next(_tokens)
    s.f.send(s.filter_line("data-line", "Received: x", dtok)[1],
             s.filter_line("data-line", "", dtok)[1])
    otok = o.request("mail-from", "o@late.test")     # answered in 300 ms
    head = s.filter_line("data-line", "", dtok)[1]
    part1 = "A" * 150000
    part2 = "B" * 150000
    s.f.p.stdin.write((head + part1).encode())
    s.f.p.stdin.flush()
    time.sleep(0.6)
    s.f.send(part2, s.filter_line("data-line", ".", dtok)[1])
    out = message_out(f, s, dtok)
    ia = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (o.sid, otok)))
    il = f.wait(lambda l: l.startswith(
        "filter-dataline|%s|%s|AAAA" % (s.sid, dtok)))
    check("an answer made while a long line streams waits for its end",
          out == ["Received: x", "", part1 + part2, "."] and
          ia is not None and il is not None and ia > il and
          f.lines[ia] == o.result(otok, "proceed"),
          "ia=%r il=%r lens=%r" % (ia, il, [len(x) for x in out]))
    s.disconnect()
    o.disconnect()


def test_out_of_order(f):
    """A slow pass, a slow fail and a fast pass: each answered when its
    DNS answers, the others not held up."""
    slow = Session(f)
    slowfail = Session(f)
    fast = Session(f)
    other = Session(f)
    for s, ip in ((slow, "192.0.2.50"), (slowfail, "192.0.2.51"),
                  (fast, "192.0.2.52"), (other, "192.0.2.53")):
        s.connect(ip + ":1000")
        s.ehlo("ooo.example")
    t0 = time.monotonic()
    tslow = slow.request("mail-from", "a@slow.test")
    tslowfail = slowfail.request("mail-from", "a@slowfail.test")
    tfast = fast.request("mail-from", "a@pass.test")
    # While two wait on DNS, another session's requests are answered.
    th = other.request("helo", "again.example")
    ih = f.wait(lambda l: l == other.result(th, "proceed"))
    t_other = time.monotonic() - t0
    i_slow = f.wait(lambda l: l.startswith(
        "filter-result|%s|%s|" % (slow.sid, tslow)), timeout=10)
    i_sf = f.wait(lambda l: l.startswith(
        "filter-result|%s|%s|" % (slowfail.sid, tslowfail)), timeout=10)
    i_fast = f.wait(lambda l: l.startswith(
        "filter-result|%s|%s|" % (fast.sid, tfast)), timeout=10)
    ok = None not in (ih, i_slow, i_sf, i_fast)
    check("out of order: all answered", ok)
    if ok:
        check("out of order: fast pass first, then the slow fail, then the "
              "slow pass", i_fast < i_sf < i_slow,
              "indices fast=%d slowfail=%d slow=%d" % (i_fast, i_sf, i_slow))
        check("out of order: another session answered at once (%.0f ms)"
              % (t_other * 1000), t_other < (1.0 if SLOW else 0.3) and
              ih < i_sf)
        check("out of order: right decisions",
              f.lines[i_slow] == slow.result(tslow, "proceed") and
              f.lines[i_fast] == fast.result(tfast, "proceed") and
              f.lines[i_sf].startswith(
                  slowfail.result(tslowfail, "reject|550 5.7.23")))
        dt = f.times[i_slow] - t0
        check("out of order: slow answer after its DNS delay (%.0f ms)"
              % (dt * 1000), dt >= SLOW_MS / 1000.0 * 0.9)
    for s in (slow, slowfail, fast, other):
        s.disconnect()


def test_disconnect_while_waiting(f):
    """A client that leaves during the DNS wait: no answer for a session
    smtpd has forgotten, nothing else disturbed."""
    s = Session(f)
    s.connect("192.0.2.60:1000")
    s.ehlo("gone.example")
    tok = s.request("mail-from", "a@gone.test")   # never cached
    time.sleep(0.05)
    s.disconnect()
    time.sleep(SLOW_MS / 1000.0 + 0.3)
    check("disconnect during the check: the query is dropped, no answer",
          not any(l.startswith("filter-result|%s|%s" % (s.sid, tok))
                  for l in f.lines))


def test_second_request_while_waiting(f):
    """smtpd never sends a second request while one waits; if something
    did, both still get exactly one answer."""
    s = Session(f)
    s.connect("192.0.2.61:1000")
    s.ehlo("twice.example")
    t1 = s.request("mail-from", "a@twice.test")     # fail, answered late
    t2 = s.request("mail-from", "b@pass.test")
    time.sleep(SLOW_MS / 1000.0 + 0.3)
    a1 = [l for l in f.of(s.sid) if l.split("|")[2] == t1]
    a2 = [l for l in f.of(s.sid) if l.split("|")[2] == t2]
    check("a second mail-from while one waits: the first proceeds (logged), "
          "the second is checked; one answer each",
          a1 == [s.result(t1, "proceed")] and a2 == [s.result(t2, "proceed")],
          repr((a1, a2)))
    s.disconnect()


def start_watchdog(binary, conf):
    """A check the core never finishes (DNS timeout 60 s) on a smtpd with
    a 1 s session timeout: the filter's watchdog (10 s at least) must
    answer before smtpd gives up on the session."""
    f = Filter(binary, conf, "watchdog")
    f.send("config|smtpd-version|6.8.0p2", "config|smtp-session-timeout|1",
           "config|subsystem|smtp-in", "config|admd|vm", "config|ready")
    f.wait(lambda l: l == "register|ready")
    s = Session(f)
    s.connect("192.0.2.62:1000")
    s.ehlo("hang.example")
    tok = s.request("mail-from", "a@hang.test")
    return f, s, tok, time.monotonic()


def end_watchdog(w):
    f, s, tok, t0 = w
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)),
               timeout=max(1.0, t0 + 14 - time.monotonic()))
    dt = (f.times[i] if i is not None else time.monotonic()) - t0
    check("watchdog: a check without result answered proceed after %.1f s"
          % dt, i is not None and f.lines[i] == s.result(tok, "proceed") and
          9.5 <= dt < 14, f.lines[i] if i is not None else "no answer")
    check("watchdog: logged", "no SPF result in time" in f.stderr())
    rc = f.close()
    check("watchdog: exit 0 at EOF", rc == 0, "rc=%r" % rc)


def test_interleaved(f, n=60):
    """n sessions, their events shuffled together, pass/fail/softfail/
    temperror/slow senders; every request answered exactly once, right."""
    kinds = [("pass.test", "proceed"), ("fail.test", "reject|550 5.7.23 "),
             ("softfail.test", "proceed"), ("slow.test", "proceed"),
             ("temperror.test", "reject|451 4.7.24 "),
             ("slowfail.test", "reject|550 5.7.23 "),
             ("neutral.test", "proceed")]
    sessions = []
    scripts = []
    for k in range(n):
        s = Session(f)
        dom, want = kinds[k % len(kinds)]
        s.want = want
        s.dom = dom
        tok_helo, l_helo = s.filter_line("ehlo", "c%d.example" % k)
        tok_mail, l_mail = s.filter_line("mail-from", "u%d@%s" % (k, dom))
        s.tok_helo, s.tok_mail = tok_helo, tok_mail
        scripts.append([
            s.report_line("link-connect", "<unknown>", "fail",
                          "192.0.2.%d:%d" % (100 + k % 100, 30000 + k),
                          "127.0.0.1:2528"),
            l_helo,
            s.report_line("link-identify", "EHLO", "c%d.example" % k),
            s.report_line("protocol-client", "MAIL FROM:<u%d@%s>" % (k, dom)),
            l_mail,
        ])
        sessions.append(s)
    # Interleave: at each step a random session sends its next line.
    order = []
    pos = [0] * n
    rnd = random.Random(4)
    live = list(range(n))
    while live:
        k = rnd.choice(live)
        order.append(scripts[k][pos[k]])
        pos[k] += 1
        if pos[k] == len(scripts[k]):
            live.remove(k)
    f.send(*order)
    want_total = 2 * n
    got = f.wait_count(lambda l: any(
        l.startswith("filter-result|%s|" % s.sid) for s in sessions),
        want_total, timeout=20)
    check("interleaved: %d requests, %d answers" % (want_total, len(got)),
          len(got) == want_total)
    bad = []
    for s in sessions:
        mine = [l for l in got if l.split("|")[1] == s.sid]
        helo = [l for l in mine if l.split("|")[2] == s.tok_helo]
        mail = [l for l in mine if l.split("|")[2] == s.tok_mail]
        if helo != [s.result(s.tok_helo, "proceed")]:
            bad.append((s.dom, "helo", helo))
        if len(mail) != 1 or not mail[0].startswith(
                s.result(s.tok_mail, s.want)):
            bad.append((s.dom, "mail", mail))
    check("interleaved: each exactly once, right decision, ids echoed",
          not bad, repr(bad[:3]))
    # Messages for the ones that proceeded, interleaved line by line.
    msgs = {}
    lines = []
    for s in sessions:
        if s.want == "proceed":
            body = ["line %d of %s" % (j, s.sid) for j in range(5)]
            tok = "%016x" % next(_tokens)
            msgs[s.sid] = (s, tok, body)
            lines.append([s.filter_line("data-line", l, tok)[1]
                          for l in body + ["."]])
    mixed = []
    while any(lines):
        for ls in lines:
            if ls:
                mixed.append(ls.pop(0))
    f.send(*mixed)
    bad = []
    for sid, (s, tok, body) in msgs.items():
        out = message_out(f, s, tok)
        if s.dom == "softfail.test":
            ok = (len(out) == len(body) + 3 and
                  out[0].startswith("Received-SPF: softfail") and
                  out[2:] == body + ["."])
        else:
            ok = out == body + ["."]
        if not ok:
            bad.append((s.dom, out[:3]))
    check("interleaved: %d messages, each with its own headers and body"
          % len(msgs), not bad, repr(bad[:3]))
    for s in sessions:
        s.disconnect()
    return sessions


def test_malformed(f):
    """Garbage is logged and ignored; nothing is written for it; the
    filter keeps answering."""
    s = Session(f)
    s.connect("192.0.2.70:1000")
    before = f.count()
    f.send("garbage without bars",
           "",
           "report|0.6",
           "report|0.6|1.0|smtp-in|link-connect",
           "report|0.6|1.0|smtp-in|link-connect|zz-not-hex|a|b|c|d",
           "report|0.6|1.0|smtp-in|link-connect|%s" % s.sid,
           "filter|0.6|1.0|smtp-in|mail-from|%s" % s.sid,
           "filter|0.6|1.0|smtp-in|mail-from|%s|not-a-token|a@b" % s.sid,
           "filter|0.6|1.0|smtp-in|mail-from|12345678901234567|0123|a@b",
           "report|0.9|1.0|smtp-in|link-identify|%s|EHLO|x" % s.sid,
           "filter|0.9|1.0|smtp-in|helo|%s|0123456789abcdef|x" % s.sid,
           "config|admd|late.example",
           "report|0.6|1.0|smtp-in|tx-unknown-event|%s|x|y" % s.sid,
           "report|0.6|1.0|smtp-out|link-connect|%s|a|b|c|d" % s.sid,
           "filter-result|%s|0123|proceed" % s.sid,
           "report|0.6|1.0|smtp-in|link-connect|%s|a|b|999.1.2.3:25|c"
           % "0123456789abcdef")
    t = s.request("helo", "still.alive")
    i = f.wait(lambda l: l == s.result(t, "proceed"))
    check("malformed lines: no output for them, still answering",
          i is not None and i == before, repr(f.lines[before:before + 3]))
    tu, l = s.filter_line("rcpt-to", "bob@test.local")
    tw, l2 = s.filter_line("wiz", "")
    to, l3 = s.filter_line("mail-from", "x@y")
    l3 = l3.replace("|smtp-in|", "|smtp-out|")
    f.send(l, l2, l3)
    got = [f.wait(lambda ln, t=t: ln == s.result(t, "proceed"))
           for t in (tu, tw, to)]
    check("unknown phases and subsystems: answered proceed",
          None not in got)
    err = f.stderr()
    check("malformed lines logged", "malformed" in err and
          "unknown line ignored" in err and "0.9" in err)
    s.disconnect()


def test_log_lines(f, checked, skipped):
    err = f.stderr()
    bad = []
    for s in checked:
        ls = [l for l in err.splitlines() if "session=%s " % s.sid in l and
              "result=" in l]
        if len(ls) != 1 or not all(k in ls[0] for k in (
                "client=", "result=", "action=", "lookups=", "ms=")):
            bad.append((s.sid, ls))
    check("one log line per checked message with client, result, action, "
          "lookups, ms", not bad, repr(bad[:2]))
    bad = [s.sid for s in skipped if not any(
        "session=%s " % s.sid in l and "skipped=" in l
        for l in err.splitlines())]
    check("skipped sessions logged with the reason", not bad, repr(bad))


def test_memory_flat(f, warm=2000, more=20000, wave=500):
    """Sessions come and go; the filter's memory must not grow with
    them (state is freed at link-disconnect).  Also a throughput figure.
    Sessions go in waves, each request sent only once smtpd could send
    it: the message after the mail-from answer."""
    def run(n, base):
        t0 = time.monotonic()
        done = True
        for w in range(0, n, wave):
            first, second = [], []
            for k in range(w, min(n, w + wave)):
                s = Session(f, sid="%016x" % (0x7000000000000000 + base + k))
                tok = "%016x" % next(_tokens)
                first += [
                    s.report_line("link-connect", "<unknown>", "fail",
                                  "192.0.2.%d:%d" % (k % 200 + 1,
                                                     1024 + k % 60000),
                                  "127.0.0.1:25"),
                    s.filter_line("ehlo", "m%d.example" % k)[1],
                    s.report_line("link-identify", "EHLO", "m%d.example" % k),
                    s.filter_line("mail-from", "m%d@pass.test" % k)[1]]
                second += [
                    s.filter_line("data-line", "Subject: m%d" % k, tok)[1],
                    s.filter_line("data-line", "", tok)[1],
                    s.filter_line("data-line", "body of %d" % k, tok)[1],
                    s.filter_line("data-line", ".", tok)[1],
                    s.report_line("link-disconnect")]
            m = len(first) // 4
            start = f.count()
            f.send(*first)
            done &= f.wait_lines(start + 2 * m) == start + 2 * m
            f.send(*second)
            done &= f.wait_lines(start + 6 * m) == start + 6 * m
        return done, time.monotonic() - t0

    ok, _ = run(warm, 0)
    rss0 = f.rss_kb()
    ok2, dt = run(more, warm)
    rss1 = f.rss_kb()
    check("memory: %d more sessions answered in full (%.0f sessions/s "
          "through the protocol)" % (more, more / dt), ok and ok2)
    check("memory: flat over %d sessions (RSS %d kB -> %d kB)" % (
        more, rss0, rss1), rss1 - rss0 < 512,
          "grew %d kB" % (rss1 - rss0))


def test_eof(f):
    rc = f.close()
    check("stdin EOF: exit status 0", rc == 0, "rc=%r" % rc)


# ---------------------------------------------------------------------
def test_v07(binary, conf):
    f = Filter(binary, conf, "v07")
    i = handshake(f, proto="0.7")
    check("0.7: handshake with config|protocol|0.7", i is not None)
    s = Session(f, ver="0.7")
    s.connect("192.0.2.80:1234")
    s.ehlo("seven.example")
    s.report("link-auth", "fail", "bob")
    tok = s.request("mail-from", "mallory@fail.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s.sid, tok)))
    line = f.lines[i] if i is not None else ""
    check("0.7: link-auth result|username read right (fail: checked)",
          line.startswith(s.result(tok, "reject|550 5.7.23")), line)
    s2 = Session(f, ver="0.7")
    s2.connect("192.0.2.81:1234")
    s2.ehlo("seven.example")
    s2.report("link-auth", "pass", "alice|with|bars")
    tok = s2.request("mail-from", "mallory@fail.test")
    i = f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s2.sid, tok)))
    check("0.7: authenticated session (pass|user) skipped",
          i is not None and f.lines[i] == s2.result(tok, "proceed"))
    s3 = Session(f, ver="0.7")
    s3.connect("192.0.2.82:1234")
    s3.ehlo("seven.example")
    tok = s3.request("mail-from", "p@pass.test")
    f.wait(lambda l: l.startswith("filter-result|%s|%s|" % (s3.sid, tok)))
    msg = message("p@pass.test", ["dotted", ".", "..x"])
    out = message_out(f, s3, s3.data(msg))
    check("0.7, headers yes: pass gets Received-SPF and A-R (accept)",
          len(out) == len(msg) + 3 and out[0].startswith("Received-SPF: pass")
          and out[1].startswith("Authentication-Results: %s;" % RECEIVER)
          and "spf=pass" in out[1] and out[2:] == msg + ["."],
          repr(out[:3]))
    for x in (s, s2, s3):
        x.disconnect()
    rc = f.close()
    check("0.7: exit 0 at EOF", rc == 0, "rc=%r" % rc)


def test_unknown_version(binary, conf):
    f = Filter(binary, conf, "v09")
    handshake(f)
    f.send("report|0.9|1.0|smtp-in|link-connect|0123456789abcdef|a|b|"
           "192.0.2.1:25|127.0.0.1:25")
    try:
        rc = f.p.wait(5)
    except subprocess.TimeoutExpired:
        rc = "still running"
    err = f.stderr()
    f.close()
    check("unknown version 0.9 in an event: refused, exit 1",
          rc == 1, "rc=%r" % rc)
    check("unknown version: clear message on stderr",
          "0.9" in err and "refusing" in err, err.strip()[-300:])

    f = Filter(binary, conf, "v10")
    f.send("config|smtpd-version|9.0.0", "config|protocol|1.0",
           "config|subsystem|smtp-in", "config|ready")
    try:
        rc = f.p.wait(5)
    except subprocess.TimeoutExpired:
        rc = "still running"
    err = f.stderr()
    f.close()
    check("config|protocol|1.0: refused at the handshake, exit 1, "
          "nothing registered", rc == 1 and not any(
              l.startswith("register|") for l in f.lines),
          "rc=%r lines=%r" % (rc, f.lines[:3]))
    check("config|protocol|1.0: message names the version",
          "1.0" in err and "refusing" in err, err.strip()[-300:])


def test_transcript(binary, conf):
    """Replay what OpenSMTPD 6.8.0p2 wrote to a filter in the recorded
    transcript (both runs: loopback sessions, PROXY IPv4 and IPv6
    sessions, HELO, the null sender, RSET, MAIL FROM with parameters),
    waiting for each answer as smtpd does.  Every request must get the
    answer smtpd needs, in order: loopback sessions are not checked, the
    pass senders proceed, data-lines come back unchanged."""
    path = os.path.join(TOP, "tests", "opensmtpd", "transcript-6.8.txt")
    runs = []
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            line = line.rstrip("\n")
            if line.startswith("# stub filter started"):
                runs.append([])
            elif line.startswith("# stdin closed"):
                runs.append(None)
            elif line.startswith("< ") and runs and runs[-1] is not None:
                runs[-1].append(line[2:])
    runs = [r for r in runs if r]
    check("transcript: two recorded runs found", len(runs) == 2,
          "%d runs" % len(runs))
    for n, lines in enumerate(runs, 1):
        f = Filter(binary, conf, "transcript%d" % n)
        expected = []
        late = []
        for line in lines:
            f.send(line)
            if line == "config|ready":
                f.wait(lambda l: l == "register|ready")
            if not line.startswith("filter|"):
                continue
            fl = line.split("|", 7)
            sid, tok = fl[5], fl[6]
            param = fl[7] if len(fl) > 7 else ""
            if fl[4] == "data-line":
                expected.append("filter-dataline|%s|%s|%s" % (sid, tok,
                                                             param))
                continue
            want = "filter-result|%s|%s|proceed" % (sid, tok)
            expected.append(want)
            if f.wait(lambda l, w=want: l == w) is None:
                late.append(want)
        f.wait_count(lambda l: not l.startswith("register|"), len(expected))
        got = [l for l in f.lines if not l.startswith("register|")]
        first = next((k for k in range(min(len(got), len(expected)))
                      if got[k] != expected[k]), None)
        check("transcript run %d: %d requests, every answer right and in "
              "order" % (n, len(expected)), got == expected and not late,
              "first difference at %r: got %r want %r" % (
                  first, got[first:first + 1] if first is not None else
                  got[len(expected):len(expected) + 1],
                  expected[first:first + 1] if first is not None else ""))
        rc = f.close()
        check("transcript run %d: exit 0 at EOF" % n, rc == 0, "rc=%r" % rc)
