/*
 * fuzz_config.c: libFuzzer target for the configuration parser
 * (spf_config_load, spf_config_args, spf_config_set, spf_net_parse,
 * spf_config_skips).
 *
 * The input is read three ways:
 *   1. as a config file: written to a memfd and loaded through
 *      /proc/self/fd/N, so the real fopen/fgets path runs without disk;
 *   2. as a command line: split on newlines into argv (after
 *      "spfgate"), with the same memfd holding the config file any
 *      --config names, whatever path the input gave (a path of the
 *      fuzzer's choosing could be /dev/stdin, which would block);
 *   3. every line that parses as "KEYWORD VALUE" also straight into
 *      spf_config_set, and every word into spf_net_parse and
 *      spf_config_skips.
 * After any of them that succeeded the configuration must be one the
 * rest of the code can trust: counts within their arrays, every string
 * NUL-terminated, numbers in their documented ranges.  (After an error
 * a setting may be left half-made; every caller then drops the whole
 * configuration.)
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spfint.h"
#include "fuzz.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	other(const char *, const char *, void *);
static void	check_config(const struct spf_config *);
static int	is_config_opt(const char *, int *);

#define MAX_ARGS	128


static int	 memfd = -1;
static char	 mempath[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((memfd = memfd_create("fuzz-config", 0)) == -1) {
		perror("memfd_create");
		exit(1);
	}
	(void)snprintf(mempath, sizeof(mempath), "/proc/self/fd/%d", memfd);
	return 0;
}

/* The program's own options, as spfgate's main.c takes them. */
static int
other(const char *opt, const char *next, void *arg)
{
	int	*flags = arg;

	(void)next;
	if (strcmp(opt, "--json") == 0)
		*flags |= 1;
	else if (strcmp(opt, "--explain") == 0)
		*flags |= 2;
	else
		return -1;
	return 1;
}

#define STR_OK(s)	(memchr((s), '\0', sizeof(s)) != NULL)

static void
check_config(const struct spf_config *c)
{
	int	 i;

	CHECK(c->nresolvers >= 0 && c->nresolvers <= SPF_MAX_RESOLVERS);
	CHECK(c->nzones >= 0 && c->nzones <= SPF_MAX_ZONES);
	CHECK(c->nanchors >= 0 && c->nanchors <= SPF_MAX_ANCHORS);
	CHECK(c->nskip >= 0 && c->nskip <= SPF_MAX_SKIP);
	for (i = 0; i < c->nresolvers; i++)
		CHECK(STR_OK(c->resolvers[i]));
	for (i = 0; i < c->nzones; i++)
		CHECK(STR_OK(c->zones[i]));
	for (i = 0; i < c->nanchors; i++)
		CHECK(STR_OK(c->anchors[i]));
	for (i = 0; i < c->nskip; i++) {
		CHECK(c->skip[i].af == AF_INET || c->skip[i].af == AF_INET6);
		CHECK(c->skip[i].prefix >= 0 && c->skip[i].prefix <=
		    (c->skip[i].af == AF_INET ? 32 : 128));
	}
	CHECK(STR_OK(c->receiver));
	CHECK(STR_OK(c->default_explanation));
	CHECK(c->timeout_ms >= 100 && c->timeout_ms <= 3600 * 1000);
	CHECK(c->max_inflight >= 1 && c->max_inflight <= 100000);
	CHECK(c->max_void_lookups >= 0 && c->max_void_lookups <= 100);
	CHECK(c->cache_size >= 65536 && c->cache_size <= (1ULL << 34));
	CHECK(c->dnssec >= SPF_DNSSEC_MODE_NO &&
	    c->dnssec <= SPF_DNSSEC_MODE_REQUIRE);
	CHECK(c->log == SPF_LOG_STDERR || c->log == SPF_LOG_SYSLOG);
	for (i = 0; i < SPF_NCODES; i++)
		CHECK(c->actions[i] >= SPF_ACCEPT &&
		    c->actions[i] <= SPF_DEFER);
	CHECK(c->headers == 0 || c->headers == 1);
	CHECK(c->require_dnssec_pass == 0 || c->require_dnssec_pass == 1);
}

/*
 * Does this argument name the config file, as spf_config_args reads
 * options ("-c F", "--config F", "--config=F")?  *inline_value is set
 * for the "=" form.
 */
static int
is_config_opt(const char *a, int *inline_value)
{
	const char	*key, *eq;
	size_t		 n;

	*inline_value = 0;
	if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
		return 0;
	key = a + (a[1] == '-' ? 2 : 1);
	eq = strchr(key, '=');
	n = eq != NULL ? (size_t)(eq - key) : strlen(key);
	if ((n == 6 && strncmp(key, "config", 6) == 0) ||
	    (n == 1 && key[0] == 'c')) {
		*inline_value = eq != NULL;
		return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spf_config	 cfg;
	struct spf_net		 net;
	char			*text, *argv[MAX_ARGS + 2], *p, *nl, *sp;
	char			 err[512], cfgopt[80];
	int			 argc, i, r, flags = 0, inl;

	if (size > 64 * 1024)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	/* 1. the input as a config file */
	if (ftruncate(memfd, 0) == -1 || pwrite(memfd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	spf_config_init(&cfg);
	err[0] = '\0';
	r = spf_config_load(&cfg, mempath, 1, err, sizeof(err));
	CHECK(r == 0 || (r == -1 && err[0] != '\0'));
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (r == 0)
		check_config(&cfg);

	/* 2. the input as a command line, one argument per line */
	argc = 0;
	argv[argc++] = "spfgate";
	for (p = text; argc < MAX_ARGS && p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	(void)snprintf(cfgopt, sizeof(cfgopt), "--config=%s", mempath);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (!is_config_opt(argv[i], &inl))
			continue;
		if (inl)
			argv[i] = cfgopt;
		else if (i + 1 < argc)
			argv[++i] = mempath;
	}
	spf_config_init(&cfg);
	err[0] = '\0';
	r = spf_config_args(&cfg, argc, argv, other, &flags, err, sizeof(err));
	CHECK(r == -1 || (r >= 1 && r <= argc));
	CHECK(r != -1 || err[0] != '\0');
	if (r != -1)
		check_config(&cfg);

	/* 3. each argument as "KEYWORD VALUE", as an address, a network */
	spf_config_init(&cfg);
	for (i = 1; i < argc; i++) {
		(void)spf_config_skips(&cfg, argv[i]);
		if (spf_net_parse(argv[i], &net) == 0) {
			CHECK(net.af == AF_INET || net.af == AF_INET6);
			CHECK(net.prefix >= 0 && net.prefix <=
			    (net.af == AF_INET ? 32 : 128));
			(void)spf_net_contains(&net, net.af, net.addr);
		}
		if ((sp = strchr(argv[i], ' ')) == NULL)
			continue;
		*sp++ = '\0';
		/* a failed setting may leave junk: callers drop the config */
		if (spf_config_set(&cfg, argv[i], sp, err, sizeof(err)) == -1)
			spf_config_init(&cfg);
		check_config(&cfg);
		(void)spf_config_skips(&cfg, sp);
	}
	free(text);
	return 0;
}
