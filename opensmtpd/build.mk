# opensmtpd/build.mk: filter-spf, the OpenSMTPD filter; included by the
# top Makefile, which defines CC, CFLAGS, LDLIBS, B, CORE_LIB, CORE_HDRS.

FILTER_SPF_OBJS =	$(B)/opensmtpd/proto.o $(B)/opensmtpd/fields.o \
			$(B)/opensmtpd/authres.o \
			$(B)/opensmtpd/filter-spf.o

MORE +=			$(B)/filter-spf
CHECKS +=		tests/opensmtpd/check-proto.sh \
			tests/opensmtpd/check-policy-e2e.sh \
			tests/opensmtpd/check-e2e.sh
INSTALL_MORE +=		install-filter-spf
UNINSTALL_MORE +=	uninstall-filter-spf

$(B)/filter-spf: $(FILTER_SPF_OBJS) $(CORE_LIB)
	$(CC) $(LDFLAGS) -o $@ $(FILTER_SPF_OBJS) $(CORE_LIB) $(LDLIBS)

$(B)/opensmtpd/%.o: opensmtpd/%.c opensmtpd/proto.h opensmtpd/fields.h \
    opensmtpd/authres.h \
    $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

install-filter-spf: $(B)/filter-spf
	install -d $(DESTDIR)$(LIBEXECDIR)/opensmtpd
	install -m 755 $(B)/filter-spf \
	    $(DESTDIR)$(LIBEXECDIR)/opensmtpd/filter-spf

uninstall-filter-spf:
	rm -f $(DESTDIR)$(LIBEXECDIR)/opensmtpd/filter-spf

# 200 concurrent SMTP sessions through smtpd and filter-spf, DNS
# answering after 100 ms (issue 4); not part of make check.
bench-filter-spf: all
	@sh tests/opensmtpd/bench-e2e.sh

.PHONY: install-filter-spf uninstall-filter-spf bench-filter-spf
