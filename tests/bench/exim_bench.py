#!/usr/bin/python3
# exim_bench.py: what SPF costs a real Exim daemon per connection
# (issues 20 and 16): Exim's built-in "spf =" (libspf2) beside
# exim-spf.so, one message per connection, all asking the same caching
# unbound.
#
#   /usr/bin/python3 tests/bench/exim_bench.py [--so FILE] [-n N]
#       [--rounds R] [--out DIR]
#
# In network and mount namespaces of our own: NSD serves three zones
# signed with ldns, a private root, bench. and example.bench. (the
# sender's domain two delegations down, as example.com; the root's key
# is the trust anchor of the "private anchor" row), unbound (iterator
# only: it does not validate, the module does) caches in front of it
# on 127.0.0.2, and /etc/resolv.conf is bind-mounted to point at it
# (libspf2 and the module's default config read it).  A tmpfs over
# /var/spool/exim4 holds the module's default dnssec-state file, so
# nothing of the host is written.  Exim runs as a daemon (exim -bdf,
# queue_only: no deliveries, the same for every row); the client
# connects from 192.0.2.10 and sends one message per connection, one
# connection at a time.  The last two rows ask "spfgate policy
# --listen" (started with the row, its cache empty) by the README's
# ${readsocket} statements instead.  Per row: messages/s, the CPU per
# message (perf stat's task clock of Exim's daemon and every process
# it forks, plus the service's), DNS questions per message and the
# DNSKEY and DS among them (unbound's counters), the wait from MAIL
# FROM to the RCPT TO reply (median), the "validation off" lines in
# the log and the dnssec= value of the results.  Medians over the
# rounds; the rows of one round run one after the other, so a busy
# machine slows all of them.  Then, without Exim, the CPU of a forked
# process that only runs libunbound (tests/bench/ubstart.c) beside one
# that runs the module (tests/bench/conncost.c): the floor under the
# module's cost.
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
EXIM = "/usr/sbin/exim4"
NSD_ADDR, UB_ADDR, CLIENT = "127.0.0.1", "127.0.0.2", "192.0.2.10"
PORT = 2525
STATE = "/var/spool/exim4/spfgate-dnssec.state"    # the module's default
ROWS = ["nospf", "builtin", "dnssec-no", "anchor", "default", "rs-no",
        "rs-anchor"]
LABEL = {
    "nospf": "no SPF",
    "builtin": "Exim's built-in `spf =` (libspf2)",
    "dnssec-no": "exim-spf.so, `dnssec no`",
    "anchor": "exim-spf.so, private trust anchor",
    "default": "exim-spf.so, default config",
    "rs-no": "`spfgate policy` by `${readsocket}`, `dnssec no`",
    "rs-anchor": "`spfgate policy` by `${readsocket}`, private trust anchor",
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def enter_namespaces():
    if os.environ.get("SPFBENCH_INNER") == "1":
        sh(["ip", "link", "set", "lo", "up"])
        sh(["ip", "addr", "add", CLIENT + "/32", "dev", "lo"])
        sh(["mount", "--make-rprivate", "/"])
        return
    if os.geteuid() != 0:
        sys.exit("exim_bench: needs root (namespaces, exim -C)")
    env = dict(os.environ, SPFBENCH_INNER="1")
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--", PY,
                           os.path.abspath(__file__)] + sys.argv[1:], env)


# -- DNS: a signed private root on NSD, unbound in front -----------------

# Three signed zones, as example.com lies under com under the root:
# validating a result from example.bench needs the DNSKEY of each and
# the DS of both delegations.  One NSD serves all three.
ZONES = [
    (".", """$ORIGIN .
$TTL 3600
@ SOA ns.bench. host.bench. 1 3600 600 86400 300
@ NS ns.bench.
bench. NS ns.bench.
ns.bench. A 127.0.0.1
"""),
    ("bench.", """$ORIGIN bench.
$TTL 3600
@ SOA ns.bench. host.bench. 1 3600 600 86400 300
@ NS ns.bench.
ns A 127.0.0.1
example NS ns.example
ns.example A 127.0.0.1
"""),
    ("example.bench.", """$ORIGIN example.bench.
$TTL 3600
@ SOA ns.example.bench. host.bench. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 include:_spf.example.bench -all"
_spf TXT "v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.0/24 -all"
"""),
]


def zone_file(work, name):
    return os.path.join(work, "zone." + (name.strip(".") or "root"))


def make_zone(work):
    """Sign the zones, children first: each parent carries its child's
    DS.  The root's key is the private trust anchor."""
    keys = os.path.join(work, "keys")
    os.mkdir(keys)
    now = time.time()
    stamp = lambda t: time.strftime("%Y%m%d%H%M%S", time.gmtime(t))
    ds = ""
    for name, text in reversed(ZONES):
        r = sh(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", name],
               cwd=keys, capture_output=True, text=True)
        key = os.path.join(keys, r.stdout.strip())
        src = zone_file(work, name) + ".src"
        with open(src, "w") as f:
            f.write(text + ds)
        sh(["ldns-signzone", "-o", name, "-f", zone_file(work, name),
            "-i", stamp(now - 86400), "-e", stamp(now + 30 * 86400), src,
            key])
        r = sh(["ldns-key2ds", "-n", "-2", key + ".key"],
               capture_output=True, text=True)
        ds = r.stdout
    anchor = os.path.join(work, "anchor.key")
    shutil.copy(key + ".key", anchor)
    os.chmod(anchor, 0o644)
    return anchor


def dns_ready(addr, seconds=20):
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x01"
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.3)
        try:
            s.sendto(q, (addr, 53))
            if s.recv(512)[:2] == q[:2]:
                return
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    raise RuntimeError("no DNS answer from %s" % addr)


def start_dns(work):
    conf = os.path.join(work, "nsd.conf")
    with open(conf, "w") as f:
        f.write("""server:
	ip-address: %(a)s
	port: 53
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "%(w)s/zone.list"
	xfrdfile: "%(w)s/xfrd.state"
	xfrdir: "%(w)s"
	pidfile: "%(w)s/nsd.pid"
	logfile: "%(w)s/nsd.log"
	verbosity: 0
	rrl-ratelimit: 0
remote-control:
	control-enable: no
""" % {"a": NSD_ADDR, "w": work})
        for name, _ in ZONES:
            f.write('zone:\n\tname: "%s"\n\tzonefile: "%s"\n' %
                    (name, zone_file(work, name)))
    nsd = subprocess.Popen(["nsd", "-d", "-c", conf])
    dns_ready(NSD_ADDR)
    ubconf = os.path.join(work, "unbound.conf")
    with open(ubconf, "w") as f:
        f.write("""server:
	interface: %(u)s
	port: 53
	num-threads: 1
	username: ""
	chroot: ""
	directory: "%(w)s"
	pidfile: "%(w)s/unbound.pid"
	use-syslog: no
	verbosity: 0
	do-ip6: no
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	access-control: 192.0.2.0/24 allow
	module-config: "iterator"
	extended-statistics: yes
	statistics-cumulative: no
	root-hints: ""
stub-zone:
	name: "."
	stub-addr: %(n)s@53
remote-control:
	control-enable: yes
	control-interface: %(w)s/unbound.ctl
	control-use-cert: no
""" % {"u": UB_ADDR, "n": NSD_ADDR, "w": work})
    ub = subprocess.Popen(["unbound", "-d", "-c", ubconf])
    dns_ready(UB_ADDR)
    return nsd, ub, ubconf


def ub_stats(ubconf):
    """Counters since the last call (statistics-cumulative: no)."""
    r = sh(["unbound-control", "-c", ubconf, "stats"], capture_output=True,
           text=True)
    out = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


# -- Exim -----------------------------------------------------------------

EXIM_HEAD = """# generated by tests/bench/exim_bench.py
primary_hostname = mx.bench.local
qualify_domain = bench.local
domainlist local_domains = bench.local
spool_directory = %(d)s/spool
log_file_path = %(d)s/log/%%slog
pid_file_path = %(d)s/exim.pid
daemon_smtp_ports = %(port)d
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
keep_environment =
tls_advertise_hosts =
# without a certificate Exim's daemon makes one at start (an RSA key:
# 0.1-0.3 s of CPU at random, a noise of up to 1 ms per message here)
tls_certificate = %(d)s/tls.crt
tls_privatekey = %(d)s/tls.key
helo_accept_junk_hosts = *
queue_only = true
smtp_accept_max = 50
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data
SPFSO = %(d)s/exim-spf.so
SPFARGS = {$sender_host_address}{$sender_address}{$sender_helo_name}{%(conf)s}

begin acl

acl_check_mail:
"""

ACL = {
    "nospf": "  accept\n",
    "builtin": """  warn    spf = pass : fail : softfail : neutral : none : temperror : permerror
          set acl_m_spf = $spf_result
          logwrite = SPF result=$spf_result
  deny    condition = ${if eq{$acl_m_spf}{fail}}
  defer   condition = ${if eq{$acl_m_spf}{temperror}}
  warn    add_header = $spf_received
  accept
""",
    # the README's snippet
    "module": """  warn    set acl_m_spf_action = ${dlfunc{SPFSO}{spf_action}SPFARGS}
          logwrite = ${dlfunc{SPFSO}{spf_explain}SPFARGS}
  deny    condition = ${if eq{$acl_m_spf_action}{reject}}
          message   = ${dlfunc{SPFSO}{spf_reason}SPFARGS}
  defer   condition = ${if eq{$acl_m_spf_action}{defer}}
          message   = ${dlfunc{SPFSO}{spf_reason}SPFARGS}
  warn    add_header = :at_start:${dlfunc{SPFSO}{spf_received}SPFARGS}
  warn    set acl_m_spf_ar = ${dlfunc{SPFSO}{spf_auth_results}SPFARGS}
          condition = ${if def:acl_m_spf_ar}
          add_header = :at_start:Authentication-Results: $primary_hostname; $acl_m_spf_ar
  accept
""",
}

EXIM_TAIL = """
acl_check_rcpt:
  deny    domains = !+local_domains
          message = relay not permitted
%(rcpt)s  accept

acl_check_data:
%(data)s  accept
"""

# The built-in checks the MAIL FROM identity only: so do these rows
# (the default config's row checks HELO too, one question more).
SPFCONF = {
    "dnssec-no": "resolver %s\ndnssec no\nhelo-check no\n" % UB_ADDR,
    "anchor": "resolver %s\ntrust-anchor %%(anchor)s\nhelo-check no\n"
    % UB_ADDR,
    # nothing: /etc/resolv.conf, the root key, the default state file
    "default": "",
}
SPFCONF["rs-no"] = SPFCONF["dnssec-no"]
SPFCONF["rs-anchor"] = SPFCONF["anchor"]


def readsocket_snippets(d):
    """The README's ${readsocket} macros and statements, as a reader
    copies them (tests/snippets/extract.py), the socket moved into d."""
    snip = os.path.join(d, "snip")
    os.makedirs(snip, exist_ok=True)
    sh([PY, os.path.join(TOP, "tests", "snippets", "extract.py"), TOP,
        snip], stdout=subprocess.DEVNULL)
    get = lambda n: open(os.path.join(snip, n)).read()
    macros = "".join(
        "SPF_SOCKET = %s\n" % os.path.join(d, "policy.sock")
        if line.startswith("SPF_SOCKET =") else line
        for line in get("exim-readsocket-macros").splitlines(True)
        if not line.startswith("CHECK_"))
    ind = lambda t: "".join("  " + l for l in t.splitlines(True))
    return macros, ind(get("exim-readsocket-rcpt")), \
        ind(get("exim-readsocket-data"))


def exim_conf(d, row, anchor):
    spfconf = os.path.join(d, row + ".spfgate.conf")
    with open(spfconf, "w") as f:
        f.write("# %s\nreceiver mx.bench.local\n" % row)
        f.write(SPFCONF.get(row, "") % {"anchor": anchor})
    os.chmod(spfconf, 0o644)
    econf = os.path.join(d, row + ".exim.conf")
    macros, rcpt, data = readsocket_snippets(d) if row.startswith("rs-") \
        else ("", "", "")
    with open(econf, "w") as f:
        f.write(macros)
        f.write(EXIM_HEAD % {"d": d, "port": PORT, "conf": spfconf})
        f.write("  accept\n" if macros else ACL.get(row, ACL["module"]))
        f.write(EXIM_TAIL % {"rcpt": rcpt, "data": data})
    os.chmod(econf, 0o644)
    return econf


def smtp_reply(f):
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("connection closed")
        if len(line) >= 4 and line[3:4] == b" ":
            return line


def one_message(i):
    """One connection, one message; the latency (s) from MAIL FROM to
    the RCPT TO reply (the module checks at MAIL, the service at RCPT)
    and whether the message was taken."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((CLIENT, 0))
    s.connect(("127.0.0.1", PORT))
    f = s.makefile("rb")
    try:
        smtp_reply(f)
        s.sendall(b"EHLO mail.example.bench\r\n")
        smtp_reply(f)
        t = time.monotonic()
        s.sendall(b"MAIL FROM:<alice@example.bench>\r\n")
        ok = smtp_reply(f).startswith(b"250")
        s.sendall(b"RCPT TO:<bob@bench.local>\r\n")
        ok = smtp_reply(f).startswith(b"250") and ok
        lat = time.monotonic() - t
        s.sendall(b"DATA\r\n")
        smtp_reply(f)
        s.sendall(b"From: <alice@example.bench>\r\nTo: <bob@bench.local>\r\n"
                  b"Subject: bench %d\r\n\r\nbody\r\n.\r\n" % i)
        ok = smtp_reply(f).startswith(b"250") and ok
        # Exim 4.96 corks its 221 (200 ms) unless it sees our end
        s.sendall(b"QUIT\r\n")
        s.shutdown(socket.SHUT_WR)
        smtp_reply(f)
    finally:
        f.close()
        s.close()
    return lat, ok


def wait_port(port, proc, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("exim exited: %s" % proc.returncode)
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
            s.close()
            return
        except OSError:
            time.sleep(0.02)
        finally:
            s.close()
    raise RuntimeError("exim does not listen")


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return f.read().split()
    except OSError:
        return []


def task_clock(perfout):
    """perf stat -x's task-clock, in seconds."""
    with open(perfout) as f:
        for line in f:
            x = line.split(",")
            if len(x) > 2 and x[2] == "task-clock":
                return float(x[0]) / 1000          # ms -> s
    raise RuntimeError("no task-clock from perf stat:\n" +
                       open(perfout).read())


def start_service(d, row, spfgate):
    """The shared service for a readsocket row, started with the row
    (its start is in its CPU) under perf stat."""
    sock = os.path.join(d, "policy.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    out = open(os.path.join(d, "service.%s.log" % row), "w")
    p = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "task-clock",
                          "-o", os.path.join(d, "perf.svc.%s" % row), "--",
                          spfgate, "policy", "--config",
                          os.path.join(d, row + ".spfgate.conf"),
                          "--listen", "unix:" + sock, "--listen-owner",
                          "Debian-exim", "--listen-mode", "0600"],
                         stdout=out, stderr=out)
    end = time.monotonic() + 10
    while not os.path.exists(sock):
        if p.poll() is not None or time.monotonic() > end:
            raise RuntimeError("spfgate policy did not start: " +
                               open(out.name).read()[-300:])
        time.sleep(0.01)
    return p, out


def run_row(d, row, econf, n, ubconf, spfgate):
    """Start a daemon (and for readsocket rows the service), send n
    messages, stop them: the figures.  Each row starts as a newly
    started Exim would: no state file of an earlier row or round, no
    service's cache.  The daemon's and the service's own start and stop
    are in their CPU."""
    if os.path.exists(STATE):
        os.unlink(STATE)
    svc = start_service(d, row, spfgate) if row.startswith("rs-") \
        else None
    mainlog = os.path.join(d, "log", "mainlog")
    skip = os.path.getsize(mainlog) if os.path.exists(mainlog) else 0
    ub_stats(ubconf)
    # Exim's daemon lets the kernel reap its connections' processes
    # (SIGCHLD ignored), so its rusage misses them: perf stat counts the
    # task clock of the daemon and every process it forks, reaped or not.
    perfout = os.path.join(d, "perf.%s" % row)
    p = subprocess.Popen(["perf", "stat", "-x", ",", "-e", "task-clock",
                          "-o", perfout, "--", EXIM, "-C", econf, "-bdf"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(PORT, p)
    # perf's one child (Exim writes no pid file with -C here)
    daemon = int(children(p.pid)[0])
    lats, bad = [], 0
    t0 = time.monotonic()
    for i in range(n):
        lat, ok = one_message(i)
        lats.append(lat)
        bad += not ok
    while children(daemon):
        time.sleep(0.005)
    wall = time.monotonic() - t0
    stats = ub_stats(ubconf)
    os.kill(daemon, 15)
    p.wait()
    err = p.stderr.read().decode("latin-1")
    cpu = task_clock(perfout)
    svc_cpu = 0.0
    with open(mainlog, "rb") as f:
        f.seek(skip)
        text = f.read().decode("latin-1")
    if svc is not None:
        sp, out = svc
        os.kill(int(children(sp.pid)[0]), 15)
        sp.wait()
        out.close()
        svc_cpu = task_clock(os.path.join(d, "perf.svc.%s" % row))
        # the service logs its results, with dnssec=, not Exim
        text += open(out.name, encoding="latin-1").read()
    dnssec = {}
    for line in text.splitlines():
        if " dnssec=" in line:
            v = line.split(" dnssec=")[1].split()[0]
            dnssec[v] = dnssec.get(v, 0) + 1
    return {
        "msgs_s": n / wall,
        "cpu_ms": (cpu + svc_cpu) * 1000 / n,
        "svc_ms": svc_cpu * 1000 / n,
        "q": stats.get("total.num.queries", 0) / n,
        "dnskey": (stats.get("num.query.type.DNSKEY", 0) +
                   stats.get("num.query.type.DS", 0)) / n,
        "lat_ms": statistics.median(lats) * 1000,
        "off_lines": text.count("DNSSEC validation off"),
        "dnssec": dnssec,
        "refused": bad,
        "exim_err": err.strip()[:200],
    }


def callgrind(d, so, conncost, row):
    """Instructions of one connection's calls into the module, in one
    process (conncost -1, no Exim): a figure the machine's load does
    not move."""
    out = os.path.join(d, "callgrind.%s" % row)
    r = subprocess.run(["valgrind", "--tool=callgrind",
                        "--callgrind-out-file=" + out, conncost, "-1", so,
                        os.path.join(d, row + ".spfgate.conf"), CLIENT,
                        "alice@example.bench", "mail.example.bench"],
                       capture_output=True, text=True)
    for line in r.stderr.splitlines():
        if "refs:" in line:
            return int(line.split()[-1].replace(",", ""))
    raise RuntimeError("callgrind: %s" % r.stderr[-500:])


def forked(d, a):
    """CPU and minor faults per forked child, no Exim: an empty process,
    libunbound alone (context, one lookup, exit: tests/bench/ubstart.c),
    and exim-spf.so (conncost -P: its calls for one message), 5 runs of
    a.n children each, medians.  What the module cannot go below while
    each connection has a libunbound of its own."""
    noop = os.path.join(d, "noop.so")
    src = os.path.join(d, "noop.c")
    with open(src, "w") as f:
        f.write("static char e[] = \"\";\n" + "".join(
            "int %s(unsigned char **y, int c, unsigned char **v) "
            "{ (void)c; (void)v; *y = (unsigned char *)e; return 0; }\n" %
            fn for fn in ("spf_action", "spf_explain", "spf_received",
                          "spf_auth_results", "spf_result")))
    sh(["cc", "-shared", "-fPIC", "-o", noop, src])
    conf = os.path.join(d, "dnssec-no.spfgate.conf")
    args = [CLIENT, "alice@example.bench", "mail.example.bench"]
    cmds = [("an empty process (fork, exit)",
             [a.conncost, "-P", "-n", str(a.n), noop, conf] + args),
            ("libunbound alone: a context, one lookup (ubstart -s)",
             [a.ubstart, "-s", "-n", str(a.n), UB_ADDR, "example.bench"]),
            ("exim-spf.so, `dnssec no`, one message (conncost -P)",
             [a.conncost, "-P", "-n", str(a.n), a.so, conf] + args)]
    out = []
    for label, cmd in cmds:
        cpu, flt = [], []
        for _ in range(5):
            w = sh(cmd, capture_output=True, text=True).stdout.split()
            # "... cpu_ms_per_conn 1.2 ... minflt_per_conn 340 ..."
            val = {w[i]: w[i + 1] for i in range(len(w) - 1)}
            cpu.append(float(next(v for k, v in val.items()
                                  if k.startswith("cpu_ms_per_"))))
            flt.append(float(next(v for k, v in val.items()
                                  if k.startswith("minflt_per_"))))
        out.append((label, statistics.median(cpu), statistics.median(flt)))
        log("forked: %s: %.3f ms, %.0f faults" % out[-1])
    return out


def med(runs, k):
    return statistics.median(r[k] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--so", default=os.path.join(TOP, "build", "exim-spf.so"))
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--out", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--conncost",
                    default=os.path.join(TOP, "build", "bench", "conncost"))
    ap.add_argument("--ubstart",
                    default=os.path.join(TOP, "build", "bench", "ubstart"))
    ap.add_argument("--no-forked", action="store_true")
    ap.add_argument("--spfgate", default=os.path.join(TOP, "build", "spfgate"))
    a = ap.parse_args()
    a.so = os.path.abspath(a.so)
    a.out = os.path.abspath(a.out)
    need = [t for t in ("perf", "ldns-keygen", "ldns-signzone", "cc",
                        "ldns-key2ds", "openssl", "nsd",
                        "unbound", "unbound-control", EXIM)
            if shutil.which(t) is None]
    if need or not os.path.exists(a.so):
        sys.exit("exim_bench: missing %s (packages linux-perf ldnsutils "
                 "openssl nsd unbound exim4-daemon-heavy; make)" %
                 " ".join(need + ([] if os.path.exists(a.so) else [a.so])))
    enter_namespaces()
    os.makedirs(a.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="spfbench-exim.")
    os.chmod(work, 0o755)
    rows = a.rows.split(",")
    nsd = ub = None
    try:
        anchor = make_zone(work)
        with open(os.path.join(work, "resolv.conf"), "w") as f:
            f.write("nameserver %s\n" % UB_ADDR)
        sh(["mount", "--bind", os.path.join(work, "resolv.conf"),
            "/etc/resolv.conf"])
        # the module's default state file, on a tmpfs of this namespace
        sh(["mount", "-t", "tmpfs", "-o", "mode=0750", "tmpfs",
            "/var/spool/exim4"])
        shutil.chown("/var/spool/exim4", "Debian-exim", "Debian-exim")
        nsd, ub, ubconf = start_dns(work)
        d = os.path.join(work, "exim")
        os.mkdir(d)
        for sub in ("spool", "log"):
            os.mkdir(os.path.join(d, sub))
            shutil.chown(os.path.join(d, sub), "Debian-exim", "Debian-exim")
        # the spool's fsyncs are the disk's figure, not Exim's or ours
        sh(["mount", "-t", "tmpfs", "-o", "mode=0750", "tmpfs",
            os.path.join(d, "spool")])
        shutil.chown(os.path.join(d, "spool"), "Debian-exim", "Debian-exim")
        sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
            "/CN=mx.bench.local", "-keyout", os.path.join(d, "tls.key"),
            "-out", os.path.join(d, "tls.crt")], capture_output=True)
        for f in ("tls.key", "tls.crt"):
            os.chmod(os.path.join(d, f), 0o644)
        shutil.copy(a.so, os.path.join(d, "exim-spf.so"))
        os.chmod(os.path.join(d, "exim-spf.so"), 0o644)
        confs = {r: exim_conf(d, r, anchor) for r in rows}
        # unbound's cache warm for every row: the built-in's questions
        run_row(d, "builtin", exim_conf(d, "builtin", anchor), 3, ubconf,
                a.spfgate)
        res = {r: [] for r in rows}
        for rnd in range(a.rounds):
            for r in rows:
                x = run_row(d, r, confs[r], a.n, ubconf, a.spfgate)
                res[r].append(x)
                log("round %d %-10s %6.1f msg/s %6.2f ms CPU (service "
                    "%.3f) %5.2f q "
                    "%5.2f DNSKEY+DS %6.2f ms MAIL, %d off lines, %s%s" %
                    (rnd + 1, r, x["msgs_s"], x["cpu_ms"], x["svc_ms"],
                     x["q"],
                     x["dnskey"], x["lat_ms"], x["off_lines"], x["dnssec"],
                     " REFUSED %d" % x["refused"] if x["refused"] else ""))
        fk = []
        if not a.no_forked and os.path.exists(a.conncost) and \
                os.path.exists(a.ubstart):
            fk = forked(d, a)
        cg = []
        if not a.no_callgrind and shutil.which("valgrind") and \
                os.path.exists(a.conncost):
            if os.path.exists(STATE):
                os.unlink(STATE)
            for r in ("dnssec-no", "anchor", "default", "default"):
                if r not in confs:
                    continue
                first = not os.path.exists(STATE)
                cg.append((r + (" (probes, writes the state file)" if
                                r == "default" and first else
                                " (state file read)" if r == "default"
                                else ""),
                           callgrind(d, a.so, a.conncost, r)))
                log("callgrind %s: %d instructions" % cg[-1])
    finally:
        for p in (ub, nsd):
            if p is not None:
                p.terminate()
                p.wait()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("kept " + work)
    lines = [
        "%d messages per row and round, one per connection, %d rounds, "
        "medians; module %s" % (a.n, a.rounds, a.so), "",
        "| configuration | messages/s | CPU per message (Exim + service) "
        "| vs built-in | DNS questions per message | of them DNSKEY + DS "
        "| MAIL FROM to RCPT TO reply | 'validation off' lines "
        "| dnssec= |",
        "|---|---|---|---|---|---|---|---|---|"]
    base = med(res["builtin"], "cpu_ms") if "builtin" in res else None
    for r in rows:
        runs = res[r]
        dn = {}
        for x in runs:
            for k, v in x["dnssec"].items():
                dn[k] = dn.get(k, 0) + v
        svc = med(runs, "svc_ms")
        lines.append("| %s | %.1f | %.2f ms%s | %s | %.2f | %.2f | %.2f ms "
                     "| %d in %d connections | %s |" % (
                         LABEL[r], med(runs, "msgs_s"), med(runs, "cpu_ms"),
                         " (service %.3f ms)" % svc if svc else "",
                         "%+.2f ms" % (med(runs, "cpu_ms") - base)
                         if base is not None else "",
                         med(runs, "q"), med(runs, "dnskey"),
                         med(runs, "lat_ms"),
                         sum(x["off_lines"] for x in runs),
                         a.n * len(runs),
                         ", ".join("%s %d" % kv for kv in sorted(dn.items()))
                         or "-"))
    if fk:
        lines += ["", "Per forked process, no Exim (%d children, one after "
                  "the other, 5 runs, medians; user + system CPU from "
                  "wait4):" % a.n, "",
                  "| process | CPU | minor page faults |", "|---|---|---|"]
        lines += ["| %s | %.3f ms | %.0f |" % x for x in fk]
    if cg:
        lines += ["", "Instructions for one connection's calls into the "
                  "module (callgrind, tests/bench/conncost.c, no Exim):", "",
                  "| configuration | instructions |", "|---|---|"]
        lines += ["| %s | %s |" % (LABEL[r.split()[0]] + r[len(r.split()[0]):],
                                   format(n, ",")) for r, n in cg]
    table = "\n".join(lines)
    print(table)
    with open(os.path.join(a.out, "exim.md"), "w") as f:
        f.write(table + "\n")
    refused = sum(x["refused"] for r in rows for x in res[r])
    return 0 if refused == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
