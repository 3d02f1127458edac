#!/bin/sh
# make demo: spfgate checking senders against the bundled zone, offline.
# Each check shows the result, the action the default policy takes, and
# the two headers a message would get; then the same senders go through
# the stdin filter mode.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
spfgate="$top/build/spfgate"
zone="$top/tests/demo/example.zone"
opts="--config /dev/null --zone $zone --receiver mx.example.net --timeout 5"

check() {
	echo "\$ spfgate check $*"
	# shellcheck disable=SC2086
	"$spfgate" check $opts "$@"
	echo "(exit status $?)"
	echo
}

echo "== spfgate demo: checks against $zone, no network needed"
echo
check 192.0.2.10 alice@example.org mail.example.org
check 2001:db8:ba5e::7 newsletter@example.org out.provider.net
check 198.51.100.99 mallory@example.org mail.attacker.net
check 192.0.2.201 bob@legacy.example.org relay.example.net
check 192.0.2.10 carol@broken.example.org mail.example.org
check 198.51.100.25 orders@shop.example.org mx1.example.org
check 198.51.100.7 news@lists.example.org lists.example.org
check 192.0.2.77 '<>' mx.partner.example.org

echo "== the same senders through the stdin filter mode (one JSON line each)"
printf '%s\n' \
	'192.0.2.10	alice@example.org	mail.example.org' \
	'198.51.100.99	mallory@example.org	mail.attacker.net' \
	'192.0.2.201	bob@legacy.example.org	relay.example.net' \
	'192.0.2.10	carol@broken.example.org	mail.example.org' \
	'not-an-ip	x@example.org	helo' |
	# shellcheck disable=SC2086
	"$spfgate" filter $opts | cut -c1-200
