# man/build.mk: the manual pages and the example configuration, and the
# Debian packages.  Included by the top Makefile, which defines PREFIX,
# DESTDIR, MANDIR and SYSCONFDIR.
#
#   make install        also the man pages into MANDIR/man{1,5,8}, and
#                       etc/spfgate.conf as SYSCONFDIR/spfgate.conf, or as
#                       spfgate.conf.example when there is one already
#   make uninstall      removes them; spfgate.conf only if unchanged
#   make man-check      mandoc -Tlint over the pages
#   make dist-check     build the Debian packages in a copy of the tree,
#                       lintian them, install them into a throwaway root
#                       and run spfgate and the units' command lines from
#                       there (tests/dist/check.sh)

MAN_PAGES =	man/spfgate.1 man/spfgate.conf.5 man/filter-spf.8 \
		man/exim-spf.8 man/spfgate-policy.8
CONF_EXAMPLE =	etc/spfgate.conf

INSTALL_MORE +=		install-man install-conf
UNINSTALL_MORE +=	uninstall-man uninstall-conf
# the Debian packages: make check installs the packaging tools first
CHECKS +=		tests/install/check.sh tests/dist/check.sh

install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	for p in $(MAN_PAGES); do \
		s=$${p##*.}; \
		install -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

uninstall-man:
	for p in $(MAN_PAGES); do \
		s=$${p##*.}; \
		rm -f $(DESTDIR)$(MANDIR)/man$$s/$${p##*/}; \
	done

# An admin's configuration is never overwritten.
install-conf:
	install -d $(DESTDIR)$(SYSCONFDIR)
	if [ -e $(DESTDIR)$(SYSCONFDIR)/spfgate.conf ]; then \
		install -m 644 $(CONF_EXAMPLE) \
		    $(DESTDIR)$(SYSCONFDIR)/spfgate.conf.example; \
	else \
		install -m 644 $(CONF_EXAMPLE) \
		    $(DESTDIR)$(SYSCONFDIR)/spfgate.conf; \
	fi

# ... nor removed, once edited.
uninstall-conf:
	rm -f $(DESTDIR)$(SYSCONFDIR)/spfgate.conf.example
	if cmp -s $(CONF_EXAMPLE) $(DESTDIR)$(SYSCONFDIR)/spfgate.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/spfgate.conf; \
	fi

man-check:
	@sh tests/deps.sh docs
	mandoc -Tlint -Wwarning $(MAN_PAGES)

dist-check:
	@sh tests/deps.sh build deb exim
	@sh tests/dist/check.sh

.PHONY: install-man uninstall-man install-conf uninstall-conf man-check \
	dist-check
