# wait.sh: wait for what a process started in the background is about
# to do (write its pid file, make its socket, listen on a port) without
# a fixed sleep.  Sourced by tests/lib/ns.sh and the suites.
#
#   wait_until PID TICKS CMD...   run CMD every 10 ms until it succeeds
#                                 (0); 1 as soon as PID has exited
#                                 ("" watches no process) or after
#                                 TICKS tries
#   files_at_least N DIR          DIR holds N files or more
#
# Needs: a sleep(1) that takes fractions of a second (coreutils).

wait_until() {
	_wu_pid=$1
	_wu_ticks=$2
	shift 2
	_wu_i=0
	until "$@"; do
		# kill -0 only probes: its "no such process" is the answer
		[ -z "$_wu_pid" ] || kill -0 "$_wu_pid" 2>/dev/null || return 1
		[ $_wu_i -lt "$_wu_ticks" ] || return 1
		sleep 0.01
		_wu_i=$((_wu_i + 1))
	done
}

# files_at_least N DIR: DIR holds N files or more (a maildir's new/
# while deliveries come in; a DIR not made yet holds none).
files_at_least() {
	[ "$(ls "$2" 2>/dev/null | wc -l)" -ge "$1" ]
}
