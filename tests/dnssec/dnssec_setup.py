# dnssec_setup.py: the DNSSEC suite's set-up (see dnssec_test.py, the
# driver): the binaries and test addresses, the tally, the test zones
# (keys, signing with ldns-signzone, the damage done after signing, the
# trust anchor files) and NSD on loopback serving them.

import os
import shutil
import socket
import struct
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPFGATE = os.environ.get("SPFGATE", os.path.join(TOP, "build", "spfgate"))
FILTER_SPF = os.environ.get("FILTER_SPF",
                            os.path.join(TOP, "build", "filter-spf"))
NSD = shutil.which("nsd") or "/usr/sbin/nsd"
KEYGEN = shutil.which("ldns-keygen") or "/usr/bin/ldns-keygen"
SIGNZONE = shutil.which("ldns-signzone") or "/usr/bin/ldns-signzone"
ROOT_KEY = "/usr/share/dns/root.key"
VERBOSE = bool(os.environ.get("VERBOSE"))

GOOD = "192.0.2.10"     # allowed by the SPF data of every test zone
MXIP = "192.0.2.20"     # s1.test's MX host
OTHER = "198.51.100.66"  # allowed by nothing (but by a forged +all)
RECEIVER = "mx.test.local"
ANCHOR_ZONE = "test."   # under the private root "."

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
from tally import Tally  # noqa: E402  (needs the path set just above)

T = Tally("dnssec")
check = T.check


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True, **kw)


# ---------------------------------------------------------------- zones

SOA = "@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300"

ZONES = [
    # origin, signed, records (relative to the origin)
    ("s1.test.", True, ['@ TXT "v=spf1 mx include:s2.test -all"',
                        "@ MX 10 mx", "mx A %s" % MXIP]),
    ("s2.test.", True, ['@ TXT "v=spf1 ip4:%s -all"' % GOOD]),
    ("u1.test.", False, ['@ TXT "v=spf1 ip4:%s -all"' % GOOD]),
    ("mixed.test.", True, ['@ TXT "v=spf1 include:u1.test -all"']),
    ("tamper.test.", True, ['@ TXT "v=spf1 ip4:%s -all"' % GOOD,
                            "www A %s" % GOOD,
                            'why TXT "forged explanation for %{s}"']),
    ("forged.test.", True, ['@ TXT "v=spf1 -all"',
                            'fail TXT "v=spf1 +all"']),
    ("expired.test.", True, ['@ TXT "v=spf1 ip4:%s -all"' % GOOD]),
    ("nokey.test.", True, ['@ TXT "v=spf1 ip4:%s -all"' % GOOD]),
    ("incbad.test.", True, ['@ TXT "v=spf1 include:forged.test -all"']),
    ("abad.test.", True, ['@ TXT "v=spf1 a:www.tamper.test -all"']),
    ("expbad.test.", True, ['@ TXT "v=spf1 -all exp=why.tamper.test"']),
    ("strip.test.", True, ['@ TXT "v=spf1 ip4:%s -all"' % GOOD]),
]


def keygen(keydir, origin):
    """A key-signing key (used as the only key); its base path."""
    r = run([KEYGEN, "-a", "ECDSAP256SHA256", "-k", origin], cwd=keydir)
    return os.path.join(keydir, r.stdout.decode().strip())


def write_zone(path, origin, records):
    with open(path, "w") as f:
        f.write("$ORIGIN %s\n$TTL 300\n%s\n@ NS ns.test.\n" % (origin, SOA))
        for r in records:
            f.write(r + "\n")


def sign(src, dst, origin, key, inception, expiration):
    run([SIGNZONE, "-o", origin, "-f", dst, "-i", inception,
         "-e", expiration, src, key])


def stamp(t):
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(t))


def rr_fields(line):
    """owner, type, the RRSIG's covered type (or None) of a signed line."""
    f = line.split("\t")
    if len(f) < 5:
        return None, None, None
    covered = f[4].split(" ", 1)[0] if f[3] == "RRSIG" else None
    return f[0], f[3], covered


def flip_rrsig(lines, owner, covered):
    """Change one octet of the signature over owner/covered."""
    out, n = [], 0
    for line in lines:
        o, t, c = rr_fields(line)
        if o == owner and t == "RRSIG" and c == covered:
            head, sig = line.rsplit(" ", 1)
            i = len(sig) // 2
            ch = "A" if sig[i] != "A" else "B"
            line = head + " " + sig[:i] + ch + sig[i + 1:]
            n += 1
        out.append(line)
    assert n == 1, "no RRSIG %s %s to flip" % (owner, covered)
    return out


def replace_txt(lines, owner, text):
    """Change a TXT record's data, leaving its signature as it was."""
    out, n = [], 0
    for line in lines:
        o, t, _ = rr_fields(line)
        if o == owner and t == "TXT":
            line = line.rsplit("\t", 1)[0] + '\t"%s"' % text
            n += 1
        out.append(line)
    assert n == 1, "no TXT at %s" % owner
    return out


def drop_rrset(lines, owner, rtype):
    out = [l for l in lines if rr_fields(l)[0] != owner or
           (rr_fields(l)[1] != rtype and rr_fields(l)[2] != rtype)]
    assert len(out) == len(lines) - 2, "no %s %s to drop" % (owner, rtype)
    return out


def drop_dnskey(lines):
    out = [l for l in lines if rr_fields(l)[1] != "DNSKEY" and
           rr_fields(l)[2] != "DNSKEY"]
    assert len(out) < len(lines)
    return out


MUTATIONS = {
    "tamper.test.": lambda L: flip_rrsig(flip_rrsig(flip_rrsig(
        L, "tamper.test.", "TXT"), "www.tamper.test.", "A"),
        "why.tamper.test.", "TXT"),
    "forged.test.": lambda L: replace_txt(replace_txt(
        L, "forged.test.", "v=spf1 +all"), "fail.forged.test.",
        "v=spf1 -all"),
    "nokey.test.": drop_dnskey,
    "strip.test.": lambda L: drop_rrset(L, "strip.test.", "TXT"),
}


def zone_file(origin):
    return "root.zone" if origin == "." else origin + "zone"


def build_zones(w):
    """Keys, signed zones (some damaged), an unsigned copy of each,
    and the anchor files.  Returns {name: path} of the anchors."""
    keydir = os.path.join(w, "keys")
    signed = os.path.join(w, "signed")
    plain = os.path.join(w, "plain")
    for d in (keydir, signed, plain):
        os.mkdir(d)
    now = time.time()
    good = (stamp(now - 86400), stamp(now + 30 * 86400))
    stale = (stamp(now - 60 * 86400), stamp(now - 30 * 86400))

    def make(origin, records, is_signed=True, times=good):
        """Write, copy unsigned, sign; the DS lines for the parent."""
        src = os.path.join(w, zone_file(origin))
        write_zone(src, origin, records)
        with open(os.path.join(plain, zone_file(origin)), "w") as f:
            f.write("".join(l for l in open(src) if "\tDS\t" not in l))
        if not is_signed:
            shutil.copy(src, os.path.join(signed, zone_file(origin)))
            return [], None
        key = keygen(keydir, origin)
        dst = os.path.join(signed, zone_file(origin))
        sign(src, dst, origin, key, *times)
        if origin in MUTATIONS:
            with open(dst) as f:
                lines = f.read().splitlines()
            with open(dst, "w") as f:
                f.write("\n".join(MUTATIONS[origin](lines)) + "\n")
        with open(key + ".ds") as f:
            return [f.read().strip()], key

    tld = ["ns A 127.0.0.1"]
    keys = {}
    for origin, is_signed, records in ZONES:
        tld.append("%s NS ns.test." % origin[:-len(".test.")])
        ds, keys[origin] = make(origin, records, is_signed,
                                stale if origin == "expired.test." else good)
        tld += ds
    ds, tldkey = make(ANCHOR_ZONE, tld)
    _, rootkey = make(".", ["test. NS ns.test.", "ns.test. A 127.0.0.1"] +
                      ds)
    # The anchors: the right DS, and one of a key the zone never had.
    wrongdir = os.path.join(w, "wrongkey")
    os.mkdir(wrongdir)
    wrong = keygen(wrongdir, ".")
    anchors = {"good": rootkey + ".ds", "wrong": wrong + ".ds",
               "dnskey": rootkey + ".key", "tld": tldkey + ".ds"}
    # An anchor for s2.test. as a hand-written zone-format file has it.
    with open(keys["s2.test."] + ".ds") as f:
        ds = f.read().split()
    p = os.path.join(w, "anchor-origin.ds")
    with open(p, "w") as f:
        f.write("$ORIGIN s2.test.\n$TTL 3600\n@ IN DS %s\n" %
                " ".join(ds[3:]))
    anchors["origin"] = p
    return anchors


# ------------------------------------------------------------------ NSD

def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def dns_query(port, name, qtype=6, timeout=0.2):
    """rcode of a plain UDP question to 127.0.0.1:port, or None."""
    q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        a = s.recv(4096)
        return a[3] & 0xf if a[:2] == q[:2] else None
    except OSError:
        return None
    finally:
        s.close()


class Nsd:
    """One NSD on 127.0.0.1:port serving every zone file in zonedir,
    its config, pid file and state in rundir; started and stopped by
    its pid."""

    def __init__(self, rundir, zonedir, port):
        self.rundir, self.port = rundir, port
        os.mkdir(rundir)
        self.conf = os.path.join(rundir, "nsd.conf")
        self.pidfile = os.path.join(rundir, "nsd.pid")
        self.log = os.path.join(rundir, "nsd.log")
        with open(self.conf, "w") as f:
            f.write("""server:
	ip-address: 127.0.0.1
	port: %d
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "%s"
	database: ""
	zonelistfile: "%s/zone.list"
	xfrdfile: "%s/xfrd.state"
	xfrdir: "%s"
	pidfile: "%s"
	logfile: "%s"
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
""" % (port, zonedir, rundir, rundir, rundir, self.pidfile, self.log))
            for z in sorted(os.listdir(zonedir)):
                f.write('zone:\n\tname: "%s"\n\tzonefile: "%s"\n' %
                        ("." if z == "root.zone" else z[:-len("zone")], z))
        self.p = subprocess.Popen([NSD, "-d", "-c", self.conf],
                                  stdout=subprocess.DEVNULL,
                                  stderr=open(self.log + ".err", "w"))
        end = time.monotonic() + 10
        while dns_query(port, "test.") != 0:
            if self.p.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError("nsd did not start:\n" + self.logs())
            time.sleep(0.05)

    def logs(self):
        out = ""
        for p in (self.log, self.log + ".err"):
            if os.path.exists(p):
                out += open(p).read()
        return out

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode


def leftovers(w):
    """Processes still running with our scratch directory in their
    command line (NSD's children would have it)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("latin-1")
        except OSError:
            continue
        if w in cmd:
            found.append("%s %s" % (pid, cmd))
    return found
