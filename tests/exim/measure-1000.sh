#!/bin/sh
# measure-1000.sh: one exim -bh SMTP session carrying 1,000 transactions
# (MAIL FROM with a new sender domain each time, RSET), with the module
# and, as the baseline, the same Exim config without it.  Prints the
# Exim process's RSS and open descriptors every 100 transactions and the
# growth per transaction after the first 100.  A measurement, not a
# test: it ends with "N passed, M failed" only so run-all.sh can run it
# (it fails if a transaction was refused or the counts cannot be read).
# Run from the repository top, as root, after make.
#   TX=1000 (transactions), STEP=100 (sampling interval)
. "$(dirname "$0")/lib.sh"
enter_test "$@"

TX=${TX:-1000}
STEP=${STEP:-100}

# A new domain for every transaction, each passing 192.0.2.10.
i=1
while [ $i -le "$TX" ]; do
	printf 'd%d.example.com:\n  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"\n' $i
	i=$((i + 1))
done >"$S/zone.yml"
start_dns "$S/zone.yml" || finish
spfgate_conf "$S/spfgate.conf" ${CACHE:+"cache-size $CACHE"}
exim_conf "$S/exim.conf" "$S/spfgate.conf"
# Not measured: the test-only descriptor listing (a fork per message).
# Exim's per-session limits: every RSET is a "nonmail" command.
lim=$((TX * 2 + 100))
sed -i -e '/FDCHECK/d' \
    -e "s/^smtp_accept_max_nonmail = .*/smtp_accept_max_nonmail = $lim/" \
    -e "s/^smtp_accept_max_per_connection = .*/smtp_accept_max_per_connection = $lim/" \
    "$S/exim.conf"
# The baseline: the same ACL, every ${dlfunc} replaced by a constant of
# about the same length, so what is left is the module's own cost.
sed -e 's/${dlfunc{SPF_SO}{spf_action}SPF_ARGS}/accept/' \
    -e 's/${dlfunc{SPF_SO}{spf_result}SPF_ARGS}/pass/' \
    -e 's/${dlfunc{SPF_SO}{spf_reason}SPF_ARGS}//' \
    -e 's/${dlfunc{SPF_SO}{spf_auth_results}SPF_ARGS}/spf=pass smtp.mailfrom=$sender_address/' \
    -e 's/${dlfunc{SPF_SO}{spf_logline}SPF_ARGS}/result=pass action=accept identity=mailfrom client=$sender_host_address sender="$sender_address" helo=$sender_helo_name domain=$sender_address_domain mechanism="ip4:192.0.2.0\/24" lookups=0 void=0 dnssec=unvalidated/' \
    -e 's/${dlfunc{SPF_SO}{spf_received}SPF_ARGS}/Received-SPF: pass (mx.test.local: domain of $sender_address designates $sender_host_address as permitted sender) client-ip=$sender_host_address; envelope-from="$sender_address"; helo=$sender_helo_name; receiver=mx.test.local; identity=mailfrom; mechanism="ip4:192.0.2.0\/24";/' \
    "$S/exim.conf" >"$S/exim-base.conf"
chmod 644 "$S/exim-base.conf"
if grep -q 'dlfunc' "$S/exim-base.conf"; then
	not_ok "baseline config has no dlfunc" "$(grep dlfunc "$S/exim-base.conf")"
fi

# drive CONF LABEL: run the session, one reply per command, sampling
# /proc/PID of the Exim process between transactions.
drive()
{
	/usr/bin/python3 - "$EXIM" "$1" "$2" "$TX" "$STEP" <<'EOF'
import os, subprocess, sys
exim, conf, label, tx, step = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
p = subprocess.Popen([exim, "-C", conf, "-bh", "192.0.2.10"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    stderr=subprocess.DEVNULL)

def reply():
    # one SMTP reply, possibly multi-line
    while True:
        line = p.stdout.readline().decode("ascii", "replace")
        if line == "":
            raise SystemExit("%s: exim closed the session" % label)
        if len(line) >= 4 and line[:3].isdigit() and line[3] == " ":
            return line.rstrip("\r\n")

def send(cmd):
    p.stdin.write((cmd + "\r\n").encode())
    p.stdin.flush()
    return reply()

def sample():
    rss = None
    with open("/proc/%d/status" % p.pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                rss = int(l.split()[1])
    fds = len(os.listdir("/proc/%d/fd" % p.pid))
    return rss, fds

reply()                                   # the 220 banner
send("EHLO mail.example.org")
refused = 0
rows = []
rows.append((0,) + sample())
for i in range(1, tx + 1):
    r = send("MAIL FROM:<user%d@d%d.example.com>" % (i, i))
    if not r.startswith("250"):
        refused += 1
        if refused <= 3:
            print("%s: tx %d: %s" % (label, i, r))
    send("RSET")
    if i % step == 0:
        rows.append((i,) + sample())
send("QUIT")
p.stdin.close()
p.wait()
for n, rss, fds in rows:
    print("%s tx=%-5d rss_kb=%-6d fds=%d" % (label, n, rss, fds))
base = rows[1]
last = rows[-1]
print("%s summary: rss %d kB at tx %d, %d kB at tx %d: %+.2f kB per "
    "transaction; fds %d -> %d; refused %d" % (label, base[1], base[0],
    last[1], last[0], (last[1] - base[1]) / max(1, last[0] - base[0]),
    base[2], last[2], refused))
sys.exit(1 if refused else 0)
EOF
}

drive "$S/exim-base.conf" baseline >"$S/base.txt" 2>&1
rb=$?
drive "$S/exim.conf" module >"$S/mod.txt" 2>&1
rm=$?
cat "$S/base.txt" "$S/mod.txt"
queries=$(grep -c ' TXT ' "$S/dns.log")
echo "DNS: $queries TXT queries for $TX transactions"
[ "$rb" -eq 0 ] && ok "baseline session: $TX transactions" ||
    not_ok "baseline session: $TX transactions"
[ "$rm" -eq 0 ] && ok "module session: $TX transactions" ||
    not_ok "module session: $TX transactions"
finish
