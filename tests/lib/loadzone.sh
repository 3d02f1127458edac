# loadzone.sh: the zone of the load runs (tests/opensmtpd/bench-e2e.sh,
# tests/postfix/check-load.sh and bench-policy.sh): a domain of its own
# for every session, so that no answer comes from a cache.
#
#   load_zone FILE N PREFIX...   FILE (testdns.py's zone data) with N
#                  domains for each PREFIX, PREFIX0.test to
#                  PREFIX(N-1).test, each "v=spf1 ip4:192.0.2.0/24
#                  -all": what bench_client.py and load_client.py send
#                  as (PREFIXk.test) and from (192.0.2.0/24) expect
#
# Needs: nothing.

load_zone() {
	_lz_file=$1
	_lz_n=$2
	shift 2
	for _lz_p in "$@"; do
		_lz_k=0
		while [ $_lz_k -lt "$_lz_n" ]; do
			printf '%s%d.test:\n' "$_lz_p" $_lz_k
			printf '  - TXT: "v=spf1 ip4:192.0.2.0/24 -all"\n'
			_lz_k=$((_lz_k + 1))
		done
	done >"$_lz_file"
}
