# debfetch.sh: packages' .debs from the archive of the release this
# runs on, not installed: OpenSMTPD and Postfix each conflict with
# exim4 (the Exim tests' MTA), so the tests unpack them.  Sourced by
# tests/opensmtpd/setup.sh, tests/postfix/setup.sh and
# tests/postfix/bench-policy.sh.
#
#   deb_fetch DIR PACKAGE...   the packages' .debs into DIR (made if
#                 need be), downloaded by apt as user _apt, which can
#                 write there (no "unsandboxed" warning); when apt does
#                 not know them, after updating its package lists
#
# Needs: root, apt-get; DIR's parents open to _apt.

deb_fetch() {
	_df_dir=$1
	shift
	mkdir -p "$_df_dir"
	chmod 755 "$_df_dir"
	chown _apt "$_df_dir" 2>/dev/null || true
	# a first try's error is the stale list's, which the update fixes:
	# the second try's errors are shown
	(cd "$_df_dir" && { apt-get download -q "$@" >/dev/null 2>&1 ||
	    { apt-get update -q >/dev/null &&
	    apt-get download -q "$@" >/dev/null; }; })
}
