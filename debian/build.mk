# debian/build.mk: the Debian packages.  Included by the top Makefile.
#
#   make debs       build spfgate, opensmtpd-filter-spf and exim4-spf
#                   (dpkg-buildpackage -us -uc -b, DEB_BUILD_OPTIONS=nocheck,
#                   in a copy of the tree) into build/debs/; then
#                   apt install ./build/debs/spfgate_*.deb ... (README)

debs:
	@sh tests/deps.sh build deb
	@sh tests/dist/debs.sh

.PHONY: debs
