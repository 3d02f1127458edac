#!/usr/bin/python3
# benchsrv.py: the bench's DNS servers (NSD authoritative for the corpus,
# a caching unbound in front of it, the delaying proxy), the machine's
# counters (CPU per process, busy time) and the constants every part of
# the bench shares.  Imported by bench.py; runs nothing by itself.
import os
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
NSD_ADDR = "127.0.0.1"
UB_ADDR = "127.0.0.2"
PROXY_ADDR = "127.0.0.3"
DELAY_MS = 20
INFLIGHT = int(os.environ.get("SPFBENCH_INFLIGHT", "1000"))  # for trying
# spfgate's cache-size (half its answer cache, half libunbound's): room
# for the whole corpus, as unbound has, so that warm means warm.  The
# default (4 MB) holds about 87% of the 10,000-domain corpus's answers.
CACHE_SIZE = os.environ.get("SPFBENCH_CACHE_SIZE", "64m")
MEM_LOW = 50            # issue 16's memory: peak RSS at INFLIGHT - at this
MEM_QUERIES = 8000      # ... over the same queries, DNS DELAY_MS late
WARM_MIN_S = 1.0        # keep repeating warm passes until this long
DELAY_PEER_S = 12.0     # how long the synchronous peers run at 20 ms
STALL_S = 120           # a checker silent this long has hung


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# -- processes and their CPU ---------------------------------------------

def cpu_s(pid):
    """CPU seconds of every thread of pid, from schedstat (ns)."""
    total = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total / 1e9


def user_sys_s(pid):
    """User and system CPU seconds of pid (all threads), clock ticks."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    hz = float(os.sysconf("SC_CLK_TCK"))
    return int(v[11]) / hz, int(v[12]) / hz


def ours(comm):
    """Processes named comm in our network namespace (NSD forks and
    reloads into new processes, so they are looked up every time).
    NSD 4.6 renames its processes "nsd: main", "nsd: server 1", "nsd:
    xfrd" (the kernel's comm), so "comm" or "comm: anything" matches."""
    me = os.readlink("/proc/self/ns/net")
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/net" % d) != me:
                continue
            with open("/proc/%s/comm" % d) as f:
                c = f.read().strip()
                if c != comm and not c.startswith(comm + ":"):
                    continue
        except OSError:
            continue
        out.append(int(d))
    return out


def busy_s():
    """CPU seconds the whole machine has spent busy, all cores."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def dns_query(addr, name, qtype=1, port=53, timeout=0.3):
    """One UDP question; the rcode, or None without an answer."""
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (addr, port))
        r = s.recv(4096)
        return r[3] & 0x0f
    except OSError:
        return None
    finally:
        s.close()


def wait_dns(addr, name, what, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if dns_query(addr, name) is not None:
            return
        time.sleep(0.05)
    raise RuntimeError("%s does not answer on %s" % (what, addr))


# -- the DNS servers -----------------------------------------------------

class Servers:
    def __init__(self, work, corpus, build):
        self.work, self.corpus, self.build = work, corpus, build
        self.nsd = self.unbound = self.proxy = None
        self.ubconf = os.path.join(work, "unbound.conf")
        self.pxstats = os.path.join(work, "proxy.stats")

    def start_nsd(self):
        conf = os.path.join(self.work, "nsd.conf")
        with open(conf, "w") as f:
            f.write("""server:
	ip-address: %s
	port: 53
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "%s/zone.list"
	xfrdfile: "%s/xfrd.state"
	xfrdir: "%s"
	pidfile: "%s/nsd.pid"
	logfile: "%s/nsd.log"
	verbosity: 0
	hide-version: yes
	# response rate limiting off: a benchmark asks fast on purpose
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	reuseport: no
remote-control:
	control-enable: no
include: "%s/nsd-zones.conf"
""" % (NSD_ADDR, self.work, self.work, self.work, self.work, self.work,
                self.corpus))
        self.nsd = subprocess.Popen(["nsd", "-d", "-c", conf],
                                    stderr=open(os.path.join(
                                        self.work, "nsd.err"), "w"))
        wait_dns(NSD_ADDR, "com", "NSD")

    def start_unbound(self):
        stubs = open(os.path.join(self.corpus, "stubs.txt")).read().split()
        with open(self.ubconf, "w") as f:
            f.write("""server:
	interface: %s
	port: 53
	num-threads: 1
	username: ""
	chroot: ""
	directory: "%s"
	pidfile: "%s/unbound.pid"
	use-syslog: no
	verbosity: 0
	do-ip6: no
	# NSD is on 127.0.0.1
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	# answers in the order NSD gave them, every time
	rrset-roundrobin: no
	# room for the whole corpus: warm means warm
	msg-cache-size: 128m
	rrset-cache-size: 256m
	num-queries-per-thread: 4096
	outgoing-range: 8192
	so-rcvbuf: 8m
	so-sndbuf: 8m
	prefetch: no
	statistics-cumulative: no
	# the reverse zones are served by our NSD, not answered locally
	local-zone: "in-addr.arpa." nodefault
	local-zone: "ip6.arpa." nodefault
remote-control:
	control-enable: yes
	control-interface: %s/unbound.ctl
	control-use-cert: no
""" % (UB_ADDR, self.work, self.work, self.work))
            for z in stubs:
                f.write('stub-zone:\n\tname: "%s."\n\tstub-addr: %s@53\n'
                        % (z, NSD_ADDR))
        self.unbound = subprocess.Popen(
            ["unbound", "-d", "-c", self.ubconf],
            stderr=open(os.path.join(self.work, "unbound.err"), "a"))
        wait_dns(UB_ADDR, "com", "unbound")
        end = time.monotonic() + 10
        while self.ub_stats() is None:
            if time.monotonic() > end:
                raise RuntimeError("unbound-control does not answer")
            time.sleep(0.05)

    def restart_unbound(self):
        """A cold cache: a fresh unbound process."""
        self.stop(self.unbound)
        self.start_unbound()

    def ub_stats(self):
        """Counters since the last call (statistics-cumulative: no)."""
        r = subprocess.run(["unbound-control", "-c", self.ubconf, "stats"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        out = {}
        for line in r.stdout.splitlines():
            k, _, v = line.partition("=")
            try:
                out[k] = float(v)
            except ValueError:
                pass
        return out

    def start_proxy(self, delay):
        self.stop(self.proxy)
        self.proxy = subprocess.Popen(
            [os.path.join(self.build, "bench", "dnsdelay"), "-l",
             PROXY_ADDR + ":53", "-u", UB_ADDR + ":53", "-d", str(delay),
             "-S", self.pxstats],
            stderr=open(os.path.join(self.work, "proxy.err"), "a"))
        wait_dns(PROXY_ADDR, "com", "the delaying proxy")

    def proxy_stats(self):
        try:
            os.unlink(self.pxstats)
        except FileNotFoundError:
            pass
        self.proxy.send_signal(signal.SIGUSR1)
        end = time.monotonic() + 5
        while not os.path.exists(self.pxstats):
            if time.monotonic() > end:
                raise RuntimeError("no stats from the proxy")
            time.sleep(0.005)
        out = {}
        for line in open(self.pxstats):
            k, _, v = line.strip().partition("=")
            out[k] = int(v)
        return out

    def dns_cpu(self):
        return cpu_s(self.unbound.pid), sum(cpu_s(p) for p in
                                            ours("nsd"))

    @staticmethod
    def stop(p):
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in (self.proxy, self.unbound, self.nsd):
            self.stop(p)


def set_resolv_conf(work, addr):
    """What the system resolver (libspf2, pyspf) asks from now on."""
    # rewritten in place: /etc/resolv.conf is a bind mount of this file
    with open(os.path.join(work, "resolv.conf"), "w") as f:
        f.write("nameserver %s\noptions attempts:2 timeout:5\n" % addr)
