# swaks.sh: what the MTA suites ask of swaks, their SMTP client.
# Sourced by the OpenSMTPD, Postfix and Exim suites.
#
#   swaks_proxy SRC PORT [DST]   the options of a PROXY protocol v2
#                         header claiming a client SRC (IPv4 or IPv6,
#                         port 40000) connected to DST (default
#                         127.0.0.1) port PORT: for a listener that
#                         takes PROXY, so a test can send from any
#                         address without routes
#   swaks_reply FILE      the first reply swaks marked as an error in
#                         its transcript FILE ("<** 550 5.7.23 ..."),
#                         without the marker; "" if none
#
# Needs: swaks (tests/deps.sh installs it).

swaks_proxy() {
	_sp_family=AF_INET
	case $1 in *:*) _sp_family=AF_INET6 ;; esac
	echo --proxy-version 2 --proxy-family $_sp_family \
	    --proxy-source "$1" --proxy-source-port 40000 \
	    --proxy-dest "${3:-127.0.0.1}" --proxy-dest-port "$2"
}

swaks_reply() {
	grep -m1 '^<\*\* ' "$1" | sed 's/^<\*\* *//'
}
