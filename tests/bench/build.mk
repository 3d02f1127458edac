# tests/bench/build.mk: the side-by-side benchmark (issue 7); included by
# the top Makefile, which defines CC, CFLAGS, LDLIBS, B and CORE_LIB.
# Not part of make check.  Needs root (it runs in network and mount
# namespaces of its own); about four minutes on two cores.
#
#   make bench             the whole table (tests/bench/RESULTS.md)
#   make bench-quick       a 2,000-domain corpus, no callgrind: for trying
#   make bench-callgrind   only instructions per warm evaluation
#   make bench-callgrind-cold  only instructions per cold evaluation
#   make bench-modes       only libunbound's two async modes
#   make bench-exim        real Exim, one message per connection: the
#                          built-in spf = beside exim-spf.so (issue 20)

BENCH_PY =	/usr/bin/python3
BENCH_BIN =	$(B)/bench/dnsdelay $(B)/bench/dnsload $(B)/bench/spf2drv \
		$(B)/bench/spflat $(B)/bench/resolver-modes
BENCH_CFLAGS =	$(CFLAGS) -Werror

bench: bench-deps
	@$(MAKE) --no-print-directory bench-tools
	$(BENCH_PY) tests/bench/bench.py
	@echo
	@echo "== OpenSMTPD: 200 concurrent sessions through smtpd and filter-spf, DNS 100 ms late"
	@$(MAKE) --no-print-directory bench-filter-spf
	@echo
	@echo "== Exim: one message per connection, built-in spf = beside exim-spf.so"
	@$(MAKE) --no-print-directory bench-exim
	@echo
	@echo "== Postfix: 200 sessions, spfgate policy beside pypolicyd-spf"
	@$(MAKE) --no-print-directory bench-postfix

bench-exim: bench-deps
	@sh tests/deps.sh exim
	@$(MAKE) --no-print-directory $(EXIM_SO) $(B)/spfgate $(B)/bench/conncost \
	    $(B)/bench/ubstart
	$(BENCH_PY) tests/bench/exim_bench.py

bench-quick: bench-deps
	@$(MAKE) --no-print-directory bench-tools
	$(BENCH_PY) tests/bench/bench.py --quick --no-callgrind

bench-callgrind: bench-deps
	@$(MAKE) --no-print-directory bench-tools
	$(BENCH_PY) tests/bench/bench.py --callgrind

bench-callgrind-cold: bench-deps
	@$(MAKE) --no-print-directory bench-tools
	$(BENCH_PY) tests/bench/bench.py --callgrind-cold

bench-modes: bench-deps
	@$(MAKE) --no-print-directory bench-tools
	$(BENCH_PY) tests/bench/bench.py --modes

bench-deps:
	@sh tests/deps.sh build bench

bench-tools: $(B)/spfgate $(BENCH_BIN)

$(B)/bench/dnsdelay: tests/bench/dnsdelay.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDLIBS)

$(B)/bench/dnsload: tests/bench/dnsload.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDLIBS)

$(B)/bench/spf2drv: tests/bench/spf2drv.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lspf2 $(LDLIBS)

$(B)/bench/spflat: tests/bench/spflat.c $(CORE_LIB)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(CORE_LIB) $(LDLIBS)

$(B)/bench/conncost: tests/bench/conncost.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDLIBS) -ldl

$(B)/bench/ubstart: tests/bench/ubstart.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDLIBS)

$(B)/bench/resolver-modes: tests/bench/resolver-modes.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDLIBS)

.PHONY: bench bench-quick bench-callgrind bench-callgrind-cold bench-modes bench-deps bench-tools \
	bench-exim
