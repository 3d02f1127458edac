/*
 * fuzz_filter.c: libFuzzer target for "spfgate filter" as a whole: the
 * input is its stdin, and cmd_filter() (filter/stream.c, unchanged)
 * reads it, splits lines and fields, evaluates each line on a checker
 * answering from a zone file (no network) and writes one JSON object
 * per line.  fuzz_query covers the evaluation in depth; this one
 * covers what only the stream has: line framing (CR, NUL octets, lines
 * over 4,096 octets, a last line without newline), tab- or
 * space-separated fields, "<>", more fields than three, and the
 * ordering of answers.
 *
 * stdin is a memfd holding the input (a regular file, so the stream's
 * non-polling read loop runs); stdout is another memfd, read back after
 * each run.  Checked: exit status 0; exactly one output line per input
 * line; each a JSON object ending in the "line" number of its input
 * line, in order; no line that lost its result because the result's
 * texts did not fit (fixed in 00bc0a4; regress-long-quoted-sender).  A first input line "zN" (taken off) picks the zone
 * as fuzz_query's mode word does.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spfgate.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t	count_lines(const uint8_t *, size_t);
static void	check_output(const char *, size_t, size_t);

#ifndef FUZZ_ZONES
#define FUZZ_ZONES	"tests/fuzz/zones"
#endif
#define NZONES		17
#define MAX_LINE	4096		/* stream.c's */

static int	 in_fd = -1, out_fd = -1;
static const char *zonedir = FUZZ_ZONES;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*s;

	(void)argc;
	(void)argv;
	if ((s = getenv("SPF_FUZZ_ZONES")) != NULL && *s != '\0')
		zonedir = s;
	/* the resolver writes its zone config to TMPDIR for every run */
	if (access("/dev/shm", W_OK) == 0)
		(void)setenv("TMPDIR", "/dev/shm", 1);
	if ((in_fd = memfd_create("fuzz-filter-in", 0)) == -1 ||
	    (out_fd = memfd_create("fuzz-filter-out", 0)) == -1 ||
	    dup2(in_fd, STDIN_FILENO) == -1) {
		perror("fuzz_filter");
		exit(1);
	}
	fflush(stdout);
	if (dup2(out_fd, STDOUT_FILENO) == -1) {
		perror("fuzz_filter");
		exit(1);
	}
	return 0;
}

/* Lines as the stream counts them: a last one without newline too. */
static size_t
count_lines(const uint8_t *p, size_t n)
{
	size_t	 i, lines = 0;

	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			lines++;
	if (n > 0 && p[n - 1] != '\n')
		lines++;
	return lines;
}

static void
check_output(const char *out, size_t len, size_t want)
{
	const char	*p = out, *nl, *tail;
	char		 expect[40];
	size_t		 n = 0;
	int		 k;

	CHECK(len == 0 || out[len - 1] == '\n');
	while (p < out + len) {
		nl = memchr(p, '\n', (size_t)(out + len - p));
		CHECK(nl != NULL);
		n++;
		k = snprintf(expect, sizeof(expect), "\"line\":%zu}", n);
		CHECK(nl - p > k && p[0] == '{');
		tail = nl - k;
		if (memcmp(tail, expect, (size_t)k) != 0) {
			fprintf(stderr, "output line %zu: %.*s\n", n,
			    (int)(nl - p), p);
			CHECK(!"line numbers in order");
		}
		CHECK(memchr(p, '\0', (size_t)(nl - p)) == NULL);
		/* every result fits (spf.h: SPF_JSON_LEN suffices) */
		CHECK(strncmp(p, "{\"error\":\"result too long\"", 26) != 0);
		p = nl + 1;
	}
	if (n != want)
		fprintf(stderr, "%zu output lines for %zu input lines\n", n,
		    want);
	CHECK(n == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_config	 cfg;
	char			*out;
	off_t			 olen;
	int			 zone = 0, rc;

	if (size > 64 * 1024)
		return 0;
	/* "zN\n" first: the zone */
	if (size >= 3 && data[0] == 'z' && data[1] >= '0' && data[1] <= '9') {
		const uint8_t	*nl = memchr(data, '\n', size);

		if (nl != NULL && nl - data <= 3) {
			zone = atoi((const char *)data + 1) % NZONES;
			size -= (size_t)(nl + 1 - data);
			data = nl + 1;
		}
	}
	if (ftruncate(in_fd, 0) == -1 || pwrite(in_fd, data, size, 0) !=
	    (ssize_t)size || lseek(STDIN_FILENO, 0, SEEK_SET) == -1 ||
	    ftruncate(out_fd, 0) == -1 || lseek(STDOUT_FILENO, 0,
	    SEEK_SET) == -1)
		abort();

	spf_config_init(&cfg);
	cfg.nzones = 1;
	if (zone == 0)
		(void)snprintf(cfg.zones[0], sizeof(cfg.zones[0]),
		    "%s/realworld.zone", zonedir);
	else
		(void)snprintf(cfg.zones[0], sizeof(cfg.zones[0]),
		    "%s/suite-%02d.zone", zonedir, zone);
	cfg.nresolvers = 1;
	(void)strlcpy(cfg.resolvers[0], "127.0.0.1@9",
	    sizeof(cfg.resolvers[0]));
	cfg.dnssec = SPF_DNSSEC_MODE_NO;
	cfg.timeout_ms = 2000;
	cfg.max_inflight = 3;
	cfg.cache_size = 65536;
	(void)strlcpy(cfg.receiver, "receiver.example.net",
	    sizeof(cfg.receiver));

	rc = cmd_filter(&cfg);
	fflush(stdout);
	CHECK(rc == 0);
	if ((olen = lseek(out_fd, 0, SEEK_END)) < 0)
		abort();
	if ((out = malloc((size_t)olen + 1)) == NULL)
		return 0;
	if (pread(out_fd, out, (size_t)olen, 0) != olen)
		abort();
	out[olen] = '\0';
	check_output(out, (size_t)olen, count_lines(data, size));
	free(out);
	return 0;
}
