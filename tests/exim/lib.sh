# lib.sh: shared parts of the Exim tests, sourced by check-*.sh and
# measure-1000.sh from the repository top (make check runs them there).
#
# Every test runs as root in a private network and mount namespace
# (only loopback, nothing reachable), with real Exim and the test DNS
# server (tests/dns/testdns.py).  Exim runs the module as Debian-exim,
# so everything it reads is copied into a scratch directory under /tmp
# that Debian-exim can read; the build tree may not be.
#
# Environment: KEEP=1 keeps the scratch directory (logs, spool, mail);
# EXIM_SPF_SO tests another build of the module; EXIM another exim.
#
# The count (ok, and the result line) is tests/lib/tally.sh's, the
# namespace's loopback and the waits for a port tests/lib/ns.sh's, the
# test DNS server tests/lib/dns.sh's (which ns.sh sources), swaks's
# PROXY options tests/lib/swaks.sh's.

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/exim
SO=${EXIM_SPF_SO:-$top/build/exim-spf.so}
EXIM=${EXIM:-/usr/sbin/exim4}
PYTHON=/usr/bin/python3
DNSPORT=${DNSPORT:-5353}

. "$top/tests/lib/tally.sh"
. "$top/tests/lib/ns.sh"
. "$top/tests/lib/swaks.sh"

S=
dns_pid=
exim_pid=

# not_ok NAME [DETAIL...]: a failed check, each DETAIL on a line below.
not_ok()
{
	nok "$1"
	shift
	for l in "$@"; do
		echo "    $l"
	done
}

# check NAME FILE PATTERN: FILE has a line matching the fixed string.
check_has()
{
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "no line with: $3" "in $2:" \
		    "$(tail -n 20 "$2" | sed 's/^/    | /')"
	fi
}

check_hasnt()
{
	if grep -qF -- "$3" "$2"; then
		not_ok "$1" "unexpected: $(grep -F -- "$3" "$2" | head -n 3)"
	else
		ok "$1"
	fi
}

# The result line run-all.sh looks for, and our exit status.
finish()
{
	tally_end
}

cleanup()
{
	[ -n "$exim_pid" ] && kill -TERM "$exim_pid" 2>/dev/null &&
	    wait "$exim_pid" 2>/dev/null
	[ -n "$dns_pid" ] && kill -TERM "$dns_pid" 2>/dev/null &&
	    wait "$dns_pid" 2>/dev/null
	exim_pid=
	dns_pid=
	if [ -n "$S" ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$S"
	elif [ -n "$S" ]; then
		echo "kept $S"
	fi
}

# Packages, root, the module; then re-run the calling script inside a
# fresh network + mount namespace (loopback only).
enter_test()
{
	if [ "$(id -u)" != 0 ]; then
		echo "$0: must run as root (Exim -C, namespaces)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	if [ -z "${SPFGATE_IN_NS:-}" ]; then
		sh "$top/tests/deps.sh" exim >&2 || {
			echo "0 passed, 1 failed"
			exit 1
		}
		if [ ! -f "$SO" ]; then
			echo "$0: $SO not built (run make first)"
			echo "0 passed, 1 failed"
			exit 1
		fi
		# which Exim these results are of
		echo "# ran against: $("$EXIM" -bV 2>&1 | head -n 1)"
		SPFGATE_IN_NS=1 exec unshare --net --mount sh "$0" "$@"
	fi
	ns_loopback
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	S=$(mktemp -d /tmp/spfgate-exim.XXXXXX)
	chmod 755 "$S"
	mkdir "$S/spool" "$S/log" "$S/mail" "$S/out"
	chown Debian-exim:Debian-exim "$S/spool" "$S/log" "$S/mail" "$S/out"
	install -m 644 "$SO" "$S/exim-spf.so"
}

# start_dns ZONEFILE [testdns options]: serve it on 127.0.0.1:$DNSPORT.
start_dns()
{
	dns_start "$S" "$DNSPORT" "$@"
	_sd_rc=$?
	dns_pid=$DNS_PID
	if [ $_sd_rc -ne 0 ]; then
		echo "testdns did not start:"
		cat "$S/dns.out"
		return 1
	fi
}

# exim_daemon CONF PORT...: exim -bdf on CONF, its output in
# $S/exim.out, until it listens on every PORT; if it does not, a failed
# check and the end of the test.
exim_daemon()
{
	_ed_conf=$1
	shift
	"$EXIM" -C "$_ed_conf" -bdf >"$S/exim.out" 2>&1 &
	exim_pid=$!
	ns_wait_listening "$exim_pid" "$@" && return
	not_ok "exim -bdf listening on $*" "$(cat "$S/exim.out")"
	finish
}

stop_dns()
{
	[ -n "$dns_pid" ] && kill -TERM "$dns_pid" 2>/dev/null &&
	    wait "$dns_pid" 2>/dev/null
	dns_pid=
}

# spfgate_conf FILE [more lines]: the module's config, readable by Exim.
spfgate_conf()
{
	f=$1
	shift
	{
		echo "# spfgate config for the Exim tests"
		echo "resolver 127.0.0.1@$DNSPORT"
		echo "dnssec no"
		echo "timeout 2"
		echo "receiver mx.test.local"
		# one identity: tests/exim/check-policy.sh checks HELO
		echo "helo-check no"
		for l in "$@"; do
			echo "$l"
		done
	} >"$f"
	chmod 644 "$f"
}

# exim_main: the main-section lines of every test config: the names,
# spool, log and pid file in the scratch directory, no lookups of the
# client, no TLS, no environment, deliveries without root.
exim_main()
{
	cat <<EOF
primary_hostname = mx.test.local
qualify_domain = test.local
domainlist local_domains = test.local
spool_directory = $S/spool
log_file_path = $S/log/%slog
pid_file_path = $S/exim.pid
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
keep_environment =
tls_advertise_hosts =
helo_accept_junk_hosts = *
deliver_drop_privilege = true
EOF
}

# exim_maildir: the last router, every local address into the maildir
# $S/mail as Debian-exim, then "begin transports" and that transport;
# the caller may go on with options of the transport.
exim_maildir()
{
	cat <<EOF
to_maildir:
  driver    = accept
  domains   = +local_domains
  transport = maildir

begin transports

maildir:
  driver    = appendfile
  directory = $S/mail
  maildir_format
  user      = Debian-exim
  envelope_to_add
EOF
}

# exim_conf FILE SPFCONF [MAIL-ACL-PREFIX-FILE]: the test Exim config.
# The MAIL ACL holds the statements of the README's Exim snippet (its
# "exim-acl", which tests/snippets runs in Debian's RCPT ACL), without
# the once-per-message guard and the removal of incoming fields;
# FDCHECK lists the descriptors a command run by Exim inherits; the
# DATA ACL logs the header block so -bh runs can see what add_header
# did.
exim_conf()
{
	f=$1
	spfconf=$2
	pre=${3:-}
	{
		echo "# generated by tests/exim/lib.sh"
		exim_main
		cat <<EOF
daemon_smtp_ports = 2525 : 2529
local_interfaces = <; 127.0.0.1 ; ::1
hosts_proxy = <; \${if eq{\$received_port}{2529}{127.0.0.1 ; ::1}{}}
smtp_accept_max_nonmail = 2000
smtp_accept_max_per_connection = 2000
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

SPF_SO = $S/exim-spf.so
SPF_ARGS = {\$sender_host_address}{\$sender_address}{\$sender_helo_name}{$spfconf}

begin acl

acl_check_mail:
EOF
		[ -n "$pre" ] && cat "$pre"
		cat <<'EOF'
  warn    set acl_m_spf_action = ${dlfunc{SPF_SO}{spf_action}SPF_ARGS}
          logwrite = ${dlfunc{SPF_SO}{spf_logline}SPF_ARGS}
  deny    condition = ${if eq{$acl_m_spf_action}{reject}}
          message   = ${dlfunc{SPF_SO}{spf_reason}SPF_ARGS}
  defer   condition = ${if eq{$acl_m_spf_action}{defer}}
          message   = ${dlfunc{SPF_SO}{spf_reason}SPF_ARGS}
  warn    set acl_m_spf_received = ${dlfunc{SPF_SO}{spf_received}SPF_ARGS}
          condition = ${if def:acl_m_spf_received}
          add_header = :at_start:${sg{$acl_m_spf_received}{\n}{\n:at_start:}}
  warn    set acl_m_spf_ar = ${dlfunc{SPF_SO}{spf_auth_results}SPF_ARGS}
          condition = ${if def:acl_m_spf_ar}
          add_header = :at_start:Authentication-Results: $primary_hostname; $acl_m_spf_ar
  warn    logwrite = SPFRESULT ${dlfunc{SPF_SO}{spf_result}SPF_ARGS}
  warn    logwrite = FDCHECK [${sg{${run{/usr/bin/find /proc/self/fd -lname socket:* -o -lname anon_inode:*}}}{\n}{ }}]
  accept

acl_check_rcpt:
  accept  domains = +local_domains
  deny    message = relay not permitted

acl_check_data:
  warn    logwrite = HEADERS ${sg{$message_headers_raw}{\n}{|}}
  accept

begin routers

fdcheck:
  driver    = accept
  local_parts = fdcheck
  domains   = +local_domains
  transport = fdcheck

EOF
		exim_maildir
		cat <<EOF
  return_path_add

# What a command run by a transport inherits from Exim.
fdcheck:
  driver    = pipe
  command   = /bin/sh -c "ls -l /proc/self/fd/ > $S/out/fdcheck.\$message_exim_id"
  user      = Debian-exim
EOF
	} >"$f"
	chmod 644 "$f"
}

# Exim wraps a long reply into several lines ("550-5.7.23 ..." then
# "550 5.7.23 ..."): join each reply back into one line.  Lines may
# carry swaks's "<** " or "<-  " in front.
unwrap()
{
	tr -d '\r' | awk '
	{
		pre = ""
		if (match($0, /^(<\*\* |<-  )/))
			pre = substr($0, 1, RLENGTH)
		rest = substr($0, length(pre) + 1)
	}
	rest ~ /^[0-9][0-9][0-9]-/ {
		if (acc == "")
			acc = pre substr(rest, 1, 3) " " substr(rest, 5)
		else {
			sub(/^[0-9][0-9][0-9]-([245]\.[0-9]+\.[0-9]+ )?/, "",
			    rest)
			acc = acc " " rest
		}
		next
	}
	rest ~ /^[0-9][0-9][0-9]( |$)/ && acc != "" {
		sub(/^[0-9][0-9][0-9] ?([245]\.[0-9]+\.[0-9]+ )?/, "", rest)
		print acc " " rest
		acc = ""
		next
	}
	{ print }'
}

# bh IP CONF IN OUT ERR: one exim -bh session with the dialogue in IN
# (lines without CR; CRLF added here).  OUT gets the replies unwrapped,
# OUT.raw as Exim wrote them.
bh()
{
	sed 's/$/\r/' "$3" | "$EXIM" -C "$2" -bh "$1" >"$4.raw" 2>"$5"
	unwrap <"$4.raw" >"$4"
}
