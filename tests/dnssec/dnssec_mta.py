# dnssec_mta.py: the DNSSEC suite's cases through the MTA wrappers (see
# dnssec_test.py, the driver): build/filter-spf driven with OpenSMTPD
# 6.8 filter protocol lines, and build/exim-spf.so in "exim -bh".

import os
import re
import select
import shutil
import subprocess
import time

from dnssec_setup import FILTER_SPF, GOOD, OTHER, RECEIVER, TOP, check
from dnssec_cases import Env


# ----------------------------------------------------------- filter-spf

class FilterSpf:
    """build/filter-spf driven through its stdin with OpenSMTPD 6.8
    filter protocol lines."""

    def __init__(self, conf):
        self.p = subprocess.Popen([FILTER_SPF, "--config", conf],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = b""
        self.lines = []
        self.tok = 0x4a9e56e31237454b
        self.send("config|smtpd-version|6.8.0p2",
                  "config|smtp-session-timeout|300",
                  "config|subsystem|smtp-in", "config|admd|%s" % RECEIVER,
                  "config|ready")
        self.ready = self.wait(lambda l: l == "register|ready") is not None

    def send(self, *lines):
        try:
            self.p.stdin.write("".join(l + "\n" for l in lines).encode())
            self.p.stdin.flush()
        except BrokenPipeError:
            pass

    def wait(self, pred, timeout=15.0):
        end = time.monotonic() + timeout
        seen = 0
        while True:
            for i in range(seen, len(self.lines)):
                if pred(self.lines[i]):
                    return i
            seen = len(self.lines)
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk
            *full, self.buf = self.buf.split(b"\n")
            self.lines += [l.decode("latin-1") for l in full]

    def token(self):
        self.tok += 1
        return "%016x" % self.tok

    def session(self, sid, ip, helo, sender, body=True):
        """One SMTP session up to the message; (mail-from answer,
        the data lines that came back)."""
        ts = "%.6f" % time.time()
        pre = "|0.6|%s|smtp-in|" % ts
        self.send("report%slink-connect|%s|<unknown>|fail|%s:41234|"
                  "127.0.0.1:25" % (pre, sid, ip))
        t = self.token()
        self.send("filter%sehlo|%s|%s|%s" % (pre, sid, t, helo))
        self.wait(lambda l: l.startswith("filter-result|%s|%s|" % (sid, t)))
        self.send("report%slink-identify|%s|EHLO|%s" % (pre, sid, helo))
        t = self.token()
        self.send("filter%smail-from|%s|%s|%s" % (pre, sid, t, sender))
        i = self.wait(lambda l: l.startswith("filter-result|%s|%s|" %
                                             (sid, t)))
        answer = self.lines[i].split("|", 3)[3] if i is not None else None
        out = []
        if body and answer == "proceed":
            d = self.token()
            msg = ["Received: from %s (<unknown> [%s])" % (helo, ip),
                   "\tby mx.test.local (OpenSMTPD) with ESMTP id 2b07a828",
                   "From: %s" % sender, "Subject: dnssec test", "",
                   "body", "."]
            self.send(*["filter%sdata-line|%s|%s|%s" % (pre, sid, d, l)
                        for l in msg])
            self.wait(lambda l: l == "filter-dataline|%s|%s|." % (sid, d))
            out = [l.split("|", 3)[3] for l in self.lines
                   if l.startswith("filter-dataline|%s|%s|" % (sid, d))]
        self.send("report%slink-disconnect|%s" % (pre, sid))
        return answer, out

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        err = self.p.stderr.read().decode("latin-1")
        return rc, err


def filter_conf(w, name, *lines, anchor="good", port=None):
    p = os.path.join(w, name + ".conf")
    with open(p, "w") as f:
        f.write("resolver 127.0.0.1@%d\ntimeout 5\nreceiver %s\n" %
                (port or Env.port, RECEIVER))
        # one identity: the DNSSEC status of the MAIL FROM check is what
        # the headers are checked for (the HELO check: tests/policy)
        f.write("helo-check no\n")
        if anchor:
            f.write("trust-anchor %s\n" % Env.anchors[anchor])
        for l in lines:
            f.write(l + "\n")
    return p


def test_filter_spf(w):
    if not os.access(FILTER_SPF, os.X_OK):
        check("filter-spf built", False, "%s not found" % FILTER_SPF)
        return
    f = FilterSpf(filter_conf(w, "filter"))
    check("filter-spf: handshake", f.ready, "\n".join(f.lines))
    a, out = f.session("e2caa382a0055b01", GOOD, "mail.example.org",
                       "alice@s1.test")
    check("filter-spf, secure pass: proceed", a == "proceed", a)
    check("filter-spf, secure pass: Received-SPF pass ... dnssec=secure",
          len(out) > 0 and out[0].startswith("Received-SPF: pass ") and
          out[0].endswith("; dnssec=secure;"), "\n".join(out[:2]))
    check("filter-spf, secure pass: Authentication-Results spf=pass "
          "(dnssec=secure)", len(out) > 1 and
          out[1].startswith("Authentication-Results: %s;" % RECEIVER) and
          "spf=pass (dnssec=secure) smtp.mailfrom=" in out[1],
          "\n".join(out[:2]))
    a, out = f.session("e2caa382a0055b02", GOOD, "mail.example.org",
                       "alice@mixed.test")
    check("filter-spf, insecure pass: proceed", a == "proceed", a)
    check("filter-spf, insecure pass: dnssec=insecure in both headers",
          len(out) > 1 and out[0].endswith("; dnssec=insecure;") and
          "spf=pass (dnssec=insecure)" in out[1], "\n".join(out[:2]))
    a, _ = f.session("e2caa382a0055b03", OTHER, "mail.example.org",
                     "mallory@forged.test")
    check("filter-spf, bogus forged pass: deferred 451 4.7.24, not passed",
          a is not None and a.startswith("reject|451 4.7.24 "), a)
    a, _ = f.session("e2caa382a0055b04", GOOD, "mail.example.org",
                     "alice@fail.forged.test")
    check("filter-spf, bogus forged fail: deferred 451, not rejected 550",
          a is not None and a.startswith("reject|451 4.7.24 "), a)
    a, _ = f.session("e2caa382a0055b05", GOOD, "mail.example.org",
                     "alice@expired.test")
    check("filter-spf, expired signatures: deferred 451",
          a is not None and a.startswith("reject|451 4.7.24 "), a)
    rc, err = f.close()
    check("filter-spf: exits 0 at end of input", rc == 0, "rc %s" % rc)
    check("filter-spf: the start-up probe does not re-enter smtpd's "
          "event loop (libevent warns and the probe gets no answer)",
          "reentrant invocation" not in err, err)
    check("filter-spf: log says it validates with the anchor",
          re.search(r"filter-spf ready: .*DNSSEC validating with ", err)
          is not None, err)
    check("filter-spf: the bogus sessions are logged with dnssec=bogus "
          "and the failing name",
          re.search(r"dnssec=bogus problem=\"DNSSEC validation failed for "
                    r"forged\.test ", err) is not None and
          re.search(r"result=temperror .*dnssec=bogus .*fail\.forged\.test",
                    err) is not None, err)

    # Validation off: the data decides.
    f = FilterSpf(filter_conf(w, "filter-no", "dnssec no"))
    a, out = f.session("e2caa382a0055b11", GOOD, "mail.example.org",
                       "alice@s1.test")
    check("filter-spf, dnssec no: pass, no dnssec in the headers",
          a == "proceed" and len(out) > 1 and
          out[0].startswith("Received-SPF: pass ") and
          "dnssec" not in out[0] and "dnssec" not in out[1],
          "%s\n%s" % (a, "\n".join(out[:2])))
    a, _ = f.session("e2caa382a0055b12", GOOD, "mail.example.org",
                     "alice@fail.forged.test")
    check("filter-spf, dnssec no: forged fail believed (550): what "
          "validation prevents", a is not None and
          a.startswith("reject|550 5.7.23 "), a)
    f.close()

    # require-dnssec-pass: an insecure pass takes neutral's action.
    f = FilterSpf(filter_conf(w, "filter-req", "require-dnssec-pass yes",
                              "neutral reject"))
    a, _ = f.session("e2caa382a0055b21", GOOD, "mail.example.org",
                     "alice@mixed.test")
    check("filter-spf, require-dnssec-pass yes, neutral reject: insecure "
          "pass is refused", a is not None and a.startswith("reject|"), a)
    a, _ = f.session("e2caa382a0055b22", GOOD, "mail.example.org",
                     "alice@s1.test")
    check("filter-spf, require-dnssec-pass yes: secure pass proceeds",
          a == "proceed", a)
    f.close()

    # Start-up probe.
    f = FilterSpf(filter_conf(w, "filter-wrong", anchor="wrong"))
    a, out = f.session("e2caa382a0055b31", GOOD, "mail.example.org",
                       "alice@s1.test")
    rc, err = f.close()
    check("filter-spf, wrong anchor: says validation is off, and why",
          re.search(r"DNSSEC validation off: the DNSKEY of \. came "
                    r"back bogus", err) is not None, err)
    check("filter-spf, wrong anchor: mail flows, no dnssec in headers",
          a == "proceed" and len(out) > 1 and "dnssec" not in out[0],
          "%s\n%s" % (a, "\n".join(out[:2])))
    f = FilterSpf(filter_conf(w, "filter-wrong-req", "dnssec require",
                              anchor="wrong"))
    rc, err = f.close()
    check("filter-spf, wrong anchor, dnssec require: exits non-zero "
          "with the reason", rc not in (0, "hung") and
          "DNSSEC required" in err, "rc %s\n%s" % (rc, err))


# ----------------------------------------------------------------- Exim

EXIM = shutil.which("exim4") or "/usr/sbin/exim4"
EXIM_SO = os.environ.get("EXIM_SPF_SO",
                         os.path.join(TOP, "build", "exim-spf.so"))

EXIM_CONF = """# generated by tests/dnssec/dnssec_test.py
primary_hostname = mx.test.local
qualify_domain = test.local
domainlist local_domains = test.local
spool_directory = %(d)s/spool
log_file_path = %(d)s/log/%%slog
pid_file_path = %(d)s/exim.pid
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
keep_environment =
tls_advertise_hosts =
helo_accept_junk_hosts = *
deliver_drop_privilege = true
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
SPF_SO = %(d)s/exim-spf.so
SPF_ARGS = {$sender_host_address}{$sender_address}{$sender_helo_name}{%(conf)s}

begin acl

acl_check_mail:
  warn    set acl_m_spf_action = ${dlfunc{SPF_SO}{spf_action}SPF_ARGS}
          logwrite = ${dlfunc{SPF_SO}{spf_logline}SPF_ARGS}
  deny    condition = ${if eq{$acl_m_spf_action}{reject}}
          message   = ${dlfunc{SPF_SO}{spf_reason}SPF_ARGS}
  defer   condition = ${if eq{$acl_m_spf_action}{defer}}
          message   = ${dlfunc{SPF_SO}{spf_reason}SPF_ARGS}
  warn    set acl_m_spf_received = ${dlfunc{SPF_SO}{spf_received}SPF_ARGS}
          condition = ${if def:acl_m_spf_received}
          add_header = :at_start:$acl_m_spf_received
  warn    set acl_m_spf_ar = ${dlfunc{SPF_SO}{spf_auth_results}SPF_ARGS}
          condition  = ${if def:acl_m_spf_ar}
          add_header = :at_start:Authentication-Results: $primary_hostname; $acl_m_spf_ar
  accept

acl_check_rcpt:
  accept  domains = +local_domains
  deny    message = relay not permitted

acl_check_data:
  warn    logwrite = HEADERS ${sg{$message_headers_raw}{\\n}{|}}
  accept

begin routers

drop:
  driver = redirect
  data = :blackhole:
"""


def exim_setup(w):
    d = os.path.join(w, "exim")
    os.mkdir(d)
    for sub in ("spool", "log", "state"):
        os.mkdir(os.path.join(d, sub))
        shutil.chown(os.path.join(d, sub), "Debian-exim", "Debian-exim")
    shutil.copy(EXIM_SO, os.path.join(d, "exim-spf.so"))
    os.chmod(os.path.join(d, "exim-spf.so"), 0o644)
    return d


def exim_bh(d, name, conf_lines, ip, sender, anchor="good"):
    """One exim -bh session through the module: (SMTP replies, log
    lines)."""
    # the verdict file of the probe, per case, in the scratch directory
    conf_lines = ["dnssec-state %s/state/%s" % (d, name)] + list(conf_lines)
    conf = filter_conf(d, name + "-spfgate", *conf_lines, anchor=anchor)
    os.chmod(conf, 0o644)
    econf = os.path.join(d, name + ".conf")
    with open(econf, "w") as f:
        f.write(EXIM_CONF % {"d": d, "conf": conf})
    os.chmod(econf, 0o644)
    dialogue = ["EHLO mail.example.org", "MAIL FROM:<%s>" % sender,
                "RCPT TO:<bob@test.local>", "DATA", "Subject: dnssec",
                "", "body", ".", "QUIT"]
    p = subprocess.run([EXIM, "-C", econf, "-bh", ip],
                       input="".join(l + "\r\n" for l in dialogue).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    out = p.stdout.decode("latin-1").replace("\r", "").splitlines()
    log = [l for l in p.stderr.decode("latin-1").splitlines()
           if l.startswith("LOG:")]
    return out, log


def mail_reply(out):
    """The reply to MAIL FROM, long replies joined."""
    seen, acc = False, []
    for l in out:
        if l.startswith("250 ") and not seen and acc == [] and \
                "OK" in l and "id=" not in l:
            return l
        if re.match(r"^[45]\d\d[- ]", l):
            acc.append(l[4:])
            if l[3] == " ":
                return l[:4] + " ".join(acc)
    return None


def test_exim(w):
    if not (os.access(EXIM, os.X_OK) and os.path.exists(EXIM_SO)):
        print("# exim4 or %s missing: Exim cases skipped (make; sh "
              "tests/deps.sh exim)" % EXIM_SO)
        return
    if os.geteuid() != 0:
        print("# not root: Exim cases skipped (exim -C needs root here)")
        return
    os.chmod(w, 0o755)
    os.chmod(os.path.join(w, "keys"), 0o755)
    os.chmod(os.path.join(w, "wrongkey"), 0o755)
    for a in Env.anchors.values():
        os.chmod(a, 0o644)
    d = exim_setup(w)

    out, log = exim_bh(d, "secure", [], GOOD, "alice@s1.test")
    hdr = " ".join(l for l in log if "HEADERS" in l)
    check("exim, secure pass: message accepted",
          any(l.startswith("250 OK id=") for l in out), "\n".join(out))
    check("exim, secure pass: Received-SPF ... dnssec=secure and "
          "Authentication-Results spf=pass (dnssec=secure)",
          re.search(r"Received-SPF: pass .*; dnssec=secure;", hdr) and
          "Authentication-Results: mx.test.local; spf=pass (dnssec=secure)"
          " smtp.mailfrom=alice@s1.test" in hdr, "\n".join(log))
    check("exim, secure pass: the log line says dnssec=secure",
          any("result=pass" in l and "dnssec=secure" in l for l in log),
          "\n".join(log))

    out, log = exim_bh(d, "insecure", [], GOOD, "alice@mixed.test")
    hdr = " ".join(l for l in log if "HEADERS" in l)
    check("exim, insecure pass: accepted, dnssec=insecure in both headers",
          any(l.startswith("250 OK id=") for l in out) and
          re.search(r"Received-SPF: pass .*; dnssec=insecure;", hdr) and
          "spf=pass (dnssec=insecure)" in hdr,
          "\n".join(out + log))

    for label, ip, sender, name in [
            ("forged pass", OTHER, "mallory@forged.test", "forged.test"),
            ("forged fail", GOOD, "alice@fail.forged.test",
             "fail.forged.test"),
            ("missing DNSKEY", GOOD, "alice@nokey.test", "nokey.test")]:
        out, log = exim_bh(d, "bogus", [], ip, sender)
        r = mail_reply(out) or ""
        check("exim, bogus %s: MAIL FROM deferred 451 4.7.24 naming %s" %
              (label, name), r.startswith("451 4.7.24 ") and
              ("for %s " % name) in r and
              not any(l.startswith("250 OK id=") for l in out),
              "\n".join(out + log))

    out, log = exim_bh(d, "req", ["require-dnssec-pass yes",
                                  "neutral reject"], GOOD, "alice@mixed.test")
    check("exim, require-dnssec-pass yes, neutral reject: insecure pass "
          "refused at MAIL FROM", (mail_reply(out) or "").startswith("550"),
          "\n".join(out + log))

    out, log = exim_bh(d, "wrong", [], GOOD, "alice@s1.test", anchor="wrong")
    check("exim, wrong anchor: mail flows, unvalidated",
          any(l.startswith("250 OK id=") for l in out) and
          any("dnssec=unvalidated" in l for l in log), "\n".join(out + log))
    check("exim, wrong anchor: Exim's log says DNSSEC validation is off, "
          "and why", any("DNSSEC validation off" in l for l in log),
          "\n".join(log))
    # The verdict is shared: the next process (another exim -bh, as
    # another connection would be) reads it, neither probes nor logs.
    state = os.path.join(d, "state", "wrong")
    check("exim, wrong anchor: the verdict is recorded in the state file",
          os.path.exists(state) and
          open(state).read().startswith("spfgate-dnssec-state 1 ") and
          " off " in open(state).read(), state)
    out, log = exim_bh(d, "wrong", [], GOOD, "alice@s1.test", anchor="wrong")
    check("exim, wrong anchor, second process: mail flows, unvalidated, "
          "and no second 'validation off' line",
          any(l.startswith("250 OK id=") for l in out) and
          any("dnssec=unvalidated" in l for l in log) and
          not any("DNSSEC validation off" in l for l in log),
          "\n".join(out + log))
    good = open(state).read()
    # A record the Exim user does not own is not believed.
    shutil.chown(state, "root", "root")
    out, log = exim_bh(d, "wrong", [], GOOD, "alice@s1.test", anchor="wrong")
    check("exim, wrong anchor, state file owned by another user: "
          "ignored, probed again and replaced",
          any("DNSSEC validation off" in l for l in log) and
          os.stat(state).st_uid != 0, "\n".join(out + log))
    for label, text in [("malformed", "spfgate-dnssec-state 1 garbage\n"),
                        ("truncated", good[:40]),
                        ("oversized", good[:-1] + "x" * 600 + "\n")]:
        with open(state, "w") as f:
            f.write(text)
        shutil.chown(state, "Debian-exim", "Debian-exim")
        out, log = exim_bh(d, "wrong", [], GOOD, "alice@s1.test",
                           anchor="wrong")
        check("exim, wrong anchor, %s state file: ignored, probed again "
              "and rewritten" % label,
              any("DNSSEC validation off" in l for l in log) and
              open(state).read().count("\n") == 1 and
              " off " in open(state).read(), "\n".join(out + log))
    check("exim, secure pass: nothing recorded for a path that validates",
          not os.path.exists(os.path.join(d, "state", "secure")))

    out, log = exim_bh(d, "wrongreq", ["dnssec require"], GOOD,
                       "alice@s1.test", anchor="wrong")
    r = mail_reply(out) or ""
    check("exim, wrong anchor, dnssec require: every MAIL FROM deferred, "
          "the reason logged", r.startswith("451") and
          any("DNSSEC required" in l for l in log), "\n".join(out + log))
