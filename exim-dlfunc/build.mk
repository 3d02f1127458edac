# exim-dlfunc/build.mk: exim-spf.so, the Exim ${dlfunc} module.
# Included by the top Makefile, which defines CC, CFLAGS, LDLIBS, B,
# CORE_LIB, CORE_HDRS, PREFIX, DESTDIR and EXIMLIBDIR.

EXIM_SO =	$(B)/exim-spf.so
EXIM_OBJS =	$(B)/exim-dlfunc/exim-spf.o $(B)/exim-dlfunc/exim-entry.o
EXIM_MAP =	exim-dlfunc/exim-spf.map

# Exim's dlfunc header comes with exim4-dev; without it exim-entry.c
# declares the few things it uses itself (same ABI).
EXIM_HDR :=	$(wildcard /usr/include/exim4/local_scan.h)
EXIM_CFLAGS =	-fvisibility=hidden
ifneq ($(EXIM_HDR),)
EXIM_CFLAGS +=	-DHAVE_LOCAL_SCAN_H -isystem /usr/include/exim4
endif

MORE +=		$(EXIM_SO)
CHECKS +=	tests/exim/check-bh.sh tests/exim/check-daemon.sh \
		tests/exim/check-policy.sh \
		tests/exim/check-builtin.sh tests/exim/check-cost.sh \
		tests/exim/check-readsocket.sh tests/exim/check-dmarc.sh
INSTALL_MORE +=	install-exim
UNINSTALL_MORE += uninstall-exim

$(B)/exim-dlfunc/%.o: exim-dlfunc/%.c exim-dlfunc/exim-spf.h $(CORE_HDRS) \
    $(EXIM_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(EXIM_CFLAGS) -c -o $@ $<

# Only the entry points are exported (version script); the core and
# the libraries' symbols stay inside, so nothing in Exim's process can
# interpose on them.  -z now: a missing symbol fails at dlopen, which
# Exim reports, not in the middle of a session.
$(EXIM_SO): $(EXIM_OBJS) $(CORE_LIB) $(EXIM_MAP)
	$(CC) -shared $(LDFLAGS) -Wl,--version-script=$(EXIM_MAP) \
	    -Wl,--exclude-libs,ALL -Wl,-z,defs -Wl,-z,now -Wl,-z,relro \
	    -o $@ $(EXIM_OBJS) $(CORE_LIB) $(LDLIBS)

install-exim: $(EXIM_SO)
	install -d $(DESTDIR)$(EXIMLIBDIR)
	install -m 644 $(EXIM_SO) $(DESTDIR)$(EXIMLIBDIR)/exim-spf.so

uninstall-exim:
	rm -f $(DESTDIR)$(EXIMLIBDIR)/exim-spf.so

.PHONY: install-exim uninstall-exim
