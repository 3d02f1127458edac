#!/bin/sh
# check-policy.sh: the policy keywords of issue 14 through exim-spf.so
# in real Exim, host-checking mode (exim -bh), the MAIL ACL of the
# README's snippet and, for recipient exemptions, its RCPT ACL with the
# fifth argument: a HELO -all host rejected, a HELO without SPF
# accepted with both identities in the headers, forwarders accepted by
# ptr:, helo: and spf: rules while an unknown client with the same
# sender is rejected, postmaster@ reached while another recipient is
# refused (with a config named and with the documented empty CONFIG
# argument, which is /etc/spfgate.conf), each header choice, dry run, a
# domain-policy override, a best guess reported but not enforced.
# Run from the repository top, as root, after make.
. "$(dirname "$0")/lib.sh"
enter_test "$@"

start_dns "$here/policy-zone.yml" || finish

# session IP HELO SENDER [RCPT...]: one message, its DATA logged
session()
{
	_ip=$1 _helo=$2 _from=$3
	shift 3
	[ $# -eq 0 ] && set -- bob@test.local
	{
		echo "EHLO $_helo"
		echo "MAIL FROM:<$_from>"
		for r in "$@"; do
			echo "RCPT TO:<$r>"
		done
		echo "DATA"
		echo "Subject: policy"
		echo ""
		echo "body"
		echo "."
		echo "QUIT"
	} >"$S/p.in"
	bh "$_ip" "$CONF" "$S/p.in" "$S/p.out" "$S/p.err"
	grep '^LOG:' "$S/p.err" >"$S/p.log"
}

# configure NAME [LINE...]: the module's config $S/NAME.conf with the
# LINEs, the test Exim config $S/NAME.exim on it, the sessions' from now
configure()
{
	_name=$1
	shift
	spfgate_conf "$S/$_name.conf" "$@"
	exim_conf "$S/$_name.exim" "$S/$_name.conf"
	CONF=$S/$_name.exim
}

# --- the HELO identity, forwarders, domain-policy, best guess ---------
configure main "helo-check yes" "skip ptr:ptr.test" \
    "skip helo:helo.fwd.test" "skip spf:spf.fwd.test" \
    "domain-policy .bank.test softfail reject" "best-guess v=spf1 a -all"

session 192.0.2.10 bad.helo.test alice@pass.test
check_has "helo -all: rejected at MAIL FROM with the HELO's explanation" \
    "$S/p.out" "550 5.7.23 bad.helo.test is not one of our mail servers"
check_has "helo -all: logged as the HELO identity" "$S/p.log" \
    "identity=helo client=192.0.2.10 sender=\"alice@pass.test\" helo=bad.helo.test"

session 192.0.2.10 nospf.helo.test alice@pass.test
check_has "helo without SPF: accepted" "$S/p.out" "250 OK id="
check_has "helo without SPF: both identities in Authentication-Results" \
    "$S/p.log" "spf=none smtp.helo=nospf.helo.test; spf=pass smtp.mailfrom=alice@pass.test"
check_has "helo without SPF: one Received-SPF per identity, both on top" \
    "$S/p.log" "identity=mailfrom; mechanism=\"ip4:192.0.2.10\";|Received-SPF: none (mx.test.local: domain of nospf.helo.test"

for f in "192.0.2.50 x.example ptr:ptr.test" \
    "192.0.2.51 mx.helo.fwd.test helo:helo.fwd.test" \
    "192.0.2.52 x.example spf:spf.fwd.test"; do
	set -- $f
	session "$1" "$2" mallory@fail.test
	check_has "forwarder $3: accepted" "$S/p.out" "250 OK id="
	check_has "forwarder $3: spf=none naming the rule" "$S/p.log" \
	    "spf=none (skip $3) smtp.mailfrom=mallory@fail.test"
	check_has "forwarder $3: logged with skipped=" "$S/p.log" \
	    "skipped=$3"
	session 192.0.2.66 "$2" mallory@fail.test
	check_has "forwarder $3: an unknown client with the sender rejected" \
	    "$S/p.out" "550 5.7.23"
done

session 192.0.2.10 x.example a@mail.bank.test
check_has "domain-policy .bank.test softfail reject: rejected" "$S/p.out" \
    "550 5.7.23"
session 192.0.2.10 x.example a@other.test
check_has "domain-policy: other domains' softfail still tagged" "$S/p.log" \
    "spf=softfail smtp.mailfrom=a@other.test"

session 192.0.2.99 x.example a@guess.test
check_has "best guess: not enforced, accepted" "$S/p.out" "250 OK id="
check_has "best guess: reported in Authentication-Results" "$S/p.log" \
    "spf=none (best guess fail) smtp.mailfrom=a@guess.test"
check_has "best guess: in the log line" "$S/p.log" "guess=fail"

# --- header-fields, dry-run --------------------------------------------
configure rs "header-fields received-spf"
session 192.0.2.10 x.example alice@pass.test
check_has "header-fields received-spf: Received-SPF" "$S/p.log" \
    "HEADERS Received-SPF: pass"
check_hasnt "header-fields received-spf: no Authentication-Results" \
    "$S/p.log" "HEADERS Authentication-Results"

configure ar "header-fields authentication-results"
session 192.0.2.10 x.example alice@pass.test
check_has "header-fields authentication-results: A-R" "$S/p.log" \
    "HEADERS Authentication-Results: mx.test.local; spf=pass"
check_hasnt "header-fields authentication-results: no Received-SPF" \
    "$S/p.log" "Received-SPF:"

configure dry "dry-run yes"
session 192.0.2.10 x.example mallory@fail.test
check_has "dry-run: a fail delivered" "$S/p.out" "250 OK id="
check_has "dry-run: the headers say would=reject" "$S/p.log" \
    "spf=fail (dry run, would=reject) smtp.mailfrom=mallory@fail.test"
check_has "dry-run: the log line says would=reject" "$S/p.log" \
    "action=tag identity=mailfrom"

# --- exempt-recipient: the README's RCPT ACL, fifth argument -----------
configure ex "helo-check yes" "exempt-recipient postmaster@"
"$PYTHON" - "$CONF" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
a, b = s.index("acl_check_mail:"), s.index("acl_check_data:")
s = s[:a] + r"""acl_check_mail:
  accept

acl_check_rcpt:
  deny    !domains = +local_domains
          message = relay not permitted
  warn    !condition = ${if def:acl_m_spf_action}
          set acl_m_spf_action = ${dlfunc{SPF_SO}{spf_action}SPF_ARGS}
          logwrite = ${dlfunc{SPF_SO}{spf_logline}SPF_ARGS}
  warn    set acl_m_spf_rcpt = ${dlfunc{SPF_SO}{spf_action}SPF_ARGS{$local_part@$domain}}
  deny    condition = ${if eq{$acl_m_spf_rcpt}{reject}}
          message = ${dlfunc{SPF_SO}{spf_reason}SPF_ARGS{$local_part@$domain}}
  defer   condition = ${if eq{$acl_m_spf_rcpt}{defer}}
          message = ${dlfunc{SPF_SO}{spf_reason}SPF_ARGS{$local_part@$domain}}
  warn    set acl_m_spf_received = ${dlfunc{SPF_SO}{spf_received}SPF_ARGS}
          condition = ${if def:acl_m_spf_received}
          add_header = :at_start:${sg{$acl_m_spf_received}{\n}{\n:at_start:}}
  accept

""" + s[b:]
open(p, "w").write(s)
EOF
session 192.0.2.10 x.example mallory@fail.test postmaster@test.local \
    bob@test.local
check_has "exempt: postmaster@ reached" "$S/p.log" \
    "<= mallory@fail.test"
check_has "exempt: the other recipient refused with 550 5.7.23" "$S/p.out" \
    "550 5.7.23"
n=$(grep -c '^250 Accepted' "$S/p.out")
[ "$n" = 1 ] && ok "exempt: one recipient accepted of two" ||
    not_ok "exempt: $n recipients accepted, want 1" "$(cat "$S/p.out")"
session 192.0.2.10 bad.helo.test alice@pass.test postmaster@test.local \
    bob@test.local
check_has "exempt: a HELO reject moves to RCPT TO, postmaster@ reached" \
    "$S/p.log" "<= alice@pass.test"
check_has "exempt: the HELO reject for the other recipient" "$S/p.out" \
    "550 5.7.23 bad.helo.test is not one of our mail servers"

# --- the documented five-argument form with an empty CONFIG ------------
# {ip}{sender}{helo}{}{RECIPIENT}: the default config, /etc/spfgate.conf
# (here an overlay on /etc of this test's own mount namespace, so the
# host's /etc is not touched), and the recipient's answer from it.
mkdir -p "$S/ov/etc.up" "$S/ov/etc.work"
if mount -t overlay overlay -o "lowerdir=/etc,upperdir=$S/ov/etc.up" \
    -o "workdir=$S/ov/etc.work" /etc; then
	trap 'umount /etc; cleanup' EXIT
	cp "$S/ex.conf" /etc/spfgate.conf
	sed 's|^\(SPF_ARGS = .*\){[^{}]*}$|\1{}|' "$S/ex.exim" >"$S/def.exim"
	if grep -qxF 'SPF_ARGS = {$sender_host_address}{$sender_address}{$sender_helo_name}{}' \
	    "$S/def.exim"; then
		ok "default config: SPF_ARGS with an empty fourth argument"
	else
		not_ok "default config: SPF_ARGS" \
		    "$(grep '^SPF_ARGS' "$S/def.exim")"
	fi
	CONF=$S/def.exim
	session 192.0.2.10 x.example mallory@fail.test \
	    postmaster@test.local bob@test.local
	check_has "{}{RECIPIENT}: postmaster@ (/etc/spfgate.conf) reached" \
	    "$S/p.log" "<= mallory@fail.test"
	check_has "{}{RECIPIENT}: the other recipient refused, 550 5.7.23" \
	    "$S/p.out" "550 5.7.23 "
	n=$(grep -c '^250 Accepted' "$S/p.out")
	[ "$n" = 1 ] && ok "{}{RECIPIENT}: one recipient accepted of two" ||
	    not_ok "{}{RECIPIENT}: $n recipients accepted, want 1" \
	    "$(cat "$S/p.out")" "$(cat "$S/p.err")"
else
	not_ok "overlay on /etc"
fi

finish
