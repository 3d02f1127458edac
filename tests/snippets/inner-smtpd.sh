# inner-smtpd.sh: sourced by inner.sh.  Debian's OpenSMTPD (6.8 in
# Debian 12, 7.6 in Debian 13) with Debian's default smtpd.conf edited
# as the documents say, and the filter from the package.

smtpd_start() {
	# shellcheck disable=SC2086
	chroot "$R" /usr/bin/env -i $ROOT_ENV "$SMTPD" -d -f /etc/smtpd.conf \
	    >"$W/log/smtpd.$1.out" 2>&1 &
	smtpd_pid=$!
	if wait_port 25; then
		ok "smtpd ($1) listening"
	else
		nok "smtpd ($1)" "$(tail -n 8 "$W/log/smtpd.$1.out")"
	fi
}

smtpd_stop() {
	kill -TERM "$smtpd_pid"
	wait "$smtpd_pid" 2>/dev/null
}

smtpd_phase() {
	SMTPD=$(cat "$W/smtpd.path")
	if snippet smtpd-install && in_root dpkg -s opensmtpd-filter-spf \
	    >/dev/null 2>&1 && [ -x "$R/usr/libexec/opensmtpd/filter-spf" ]
	then
		ok "smtpd-install: apt installs opensmtpd-filter-spf"
	else
		nok "smtpd-install" "$(tail -n 15 "$snip_out")"
		return
	fi
	if zcat "$R/usr/share/man/man8/filter-spf.8.gz" |
	    cmp -s - "$top/man/filter-spf.8"; then
		ok "installed filter-spf.8.gz is man/filter-spf.8"
	else
		nok "installed filter-spf.8.gz differs from man/filter-spf.8"
	fi
	# Debian's default smtpd.conf, from the opensmtpd package.
	prefix=${SMTPD%/usr/sbin/smtpd}
	if ! grep -qx 'listen on localhost' "$prefix/etc/smtpd.conf"; then
		nok "Debian's smtpd.conf has no line 'listen on localhost'"
		return
	fi
	m='# match from any for domain "example.org" action "local"'
	if ! grep -qxF "$m" "$prefix/etc/smtpd.conf"; then
		nok "Debian's smtpd.conf has no line '$m'"
		return
	fi
	awk -v listen="$W/snip/smtpd-listen" -v mfile="$W/snip/smtpd-match" \
	    -v m="$m" '
	$0 == "listen on localhost" {
		while ((getline l < listen) > 0)
			print l
		next
	}
	$0 == m {
		while ((getline l < mfile) > 0)
			print l
		next
	}
	{ print }' "$prefix/etc/smtpd.conf" >"$R/etc/smtpd.conf"
	if in_root "$SMTPD" -n -f /etc/smtpd.conf >"$W/log/smtpd-n" 2>&1; then
		ok "smtpd -n: Debian's smtpd.conf with the snippets"
	else
		nok "smtpd -n" "$(cat "$W/log/smtpd-n")"
		return
	fi
	AUTHSERV=$(cat "$R/etc/mailname")
	spfgate_conf
	smtpd_start headers

	snippet netns-send
	refused "smtpd: netns-send: refused with 550 5.7.23" "$snip_out" \
	    "550[ -]5\.7\.23 192\.0\.2\.10 "
	if grep -q '^ *~> RCPT TO' "$snip_out"; then
		nok "smtpd: refused at MAIL FROM" "$(cat "$snip_out")"
	else
		ok "smtpd: refused at MAIL FROM"
	fi

	VIA="ip netns exec spftest" send smtpd-pass alice.smtpd@pass.spftest.test \
	    example.net --server 192.0.2.1
	if delivered smtpd-pass "smtpd: pass from the network namespace"; then
		has smtpd-pass "smtpd: pass: Received-SPF" \
		    '^Received-SPF: pass .*client-ip=192\.0\.2\.10;'
		has smtpd-pass "smtpd: pass: our Authentication-Results" \
		    "^Authentication-Results: $AUTHSERV; spf=pass smtp.mailfrom=alice.smtpd@pass.spftest.test\$"
		hasnt smtpd-pass "smtpd: pass: the forged field with our authserv-id removed" \
		    "forged-smtpd-pass@"
		has smtpd-pass "smtpd: pass: another host's field kept" \
		    "^Authentication-Results: other.example; "
	fi
	send smtpd-local mallory.smtpd@example.org example.net \
	    --server 127.0.0.1
	if delivered smtpd-local "smtpd: failing sender from loopback"; then
		hasnt smtpd-local "smtpd: loopback: not checked" \
		    '^Received-SPF:'
	fi
	smtpd_stop

	spfgate_conf "headers no"
	smtpd_start "headers no"
	VIA="ip netns exec spftest" send smtpd-hno bob.smtpd@pass.spftest.test \
	    example.net --server 192.0.2.1
	if delivered smtpd-hno "smtpd: headers no: pass"; then
		hasnt smtpd-hno "smtpd: headers no: no Received-SPF" \
		    '^Received-SPF:'
		hasnt smtpd-hno "smtpd: headers no: no field of ours" \
		    "^Authentication-Results: $AUTHSERV;"
		hasnt smtpd-hno "smtpd: headers no: no empty field" \
		    '^[A-Za-z-]+:[[:space:]]*$'
	fi
	smtpd_stop
	spfgate_conf

	if snippet netns-down; then
		ok "netns-down: the namespace removed"
	else
		nok "netns-down" "$(cat "$snip_out")"
	fi
}
