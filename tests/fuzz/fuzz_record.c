/*
 * fuzz_record.c: libFuzzer target for the SPF record parser
 * (record_parse, record_is_spf, term_kind_str).
 *
 * The input is a TXT record's text as DNS hands it over: any octets,
 * any length.  It is parsed as given and, so that mutations of the
 * version tag do not starve the term parser, again behind "v=spf1 ".
 * A parsed record must describe itself consistently: every term and
 * domain-spec lies inside the text, the CIDR lengths are in range, and
 * redirect= and exp= point at terms of their kind; every domain-spec
 * is also expanded, since the evaluator does that to whatever the
 * parser accepted.  Any inconsistency is a crash, so libFuzzer keeps
 * the input.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	check_record(const char *, size_t, const struct spf_record *);
static void	expand_specs(const struct spf_record *);
static void	parse_one(const char *, size_t);

#define PREFIX	"v=spf1 "

static void
check_record(const char *txt, size_t len, const struct spf_record *rec)
{
	const struct spf_term	*t;
	int			 i, redirects = 0, exps = 0;

	CHECK(rec->text != NULL && rec->len == len);
	CHECK(memcmp(rec->text, txt, len) == 0 && rec->text[len] == '\0');
	CHECK(rec->nterms >= 0 && (size_t)rec->nterms <= len / 2);
	CHECK(rec->nterms == 0 || rec->terms != NULL);
	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		CHECK(t->len > 0 && (size_t)t->off + t->len <= len);
		CHECK(t->off >= 7 && rec->text[t->off - 1] == ' ');
		CHECK(strchr("+-~?", t->qualifier) != NULL);
		CHECK(t->kind >= T_ALL && t->kind <= T_UNKNOWN_MOD);
		CHECK(term_kind_str(t->kind) != NULL);
		CHECK(t->cidr4 <= 32 && t->cidr6 <= 128);
		if (t->spec_len > 0) {
			CHECK(t->spec_off >= t->off && (size_t)t->spec_off +
			    t->spec_len <= (size_t)t->off + t->len);
			CHECK(macro_check(rec->text + t->spec_off, t->spec_len,
			    0, NULL) == 0);
			CHECK(domain_spec_end_ok(rec->text + t->spec_off,
			    t->spec_len));
		}
		switch (t->kind) {
		case T_INCLUDE:
		case T_EXISTS:
		case T_REDIRECT:
		case T_EXP:
			CHECK(t->spec_len > 0);
			break;
		case T_ALL:
		case T_IP4:
		case T_IP6:
			CHECK(t->spec_len == 0);
			break;
		default:
			break;
		}
		if (t->kind == T_REDIRECT) {
			redirects++;
			CHECK(rec->redirect == i);
		}
		if (t->kind == T_EXP) {
			exps++;
			CHECK(rec->exp == i);
		}
	}
	CHECK(redirects <= 1 && exps <= 1);
	CHECK(rec->redirect == -1 ? redirects == 0 : redirects == 1);
	CHECK(rec->exp == -1 ? exps == 0 : exps == 1);
}

/* What the evaluator does next with each target: expand it. */
static void
expand_specs(const struct spf_record *rec)
{
	static const struct spf_addr ip = { AF_INET, { 192, 0, 2, 3 } };
	struct macro_env	 env;
	char			*out;
	const struct spf_term	*t;
	int			 i, n;

	memset(&env, 0, sizeof(env));
	env.sender = "strong-bad@email.example.com";
	env.local = "strong-bad";
	env.sender_domain = "email.example.com";
	env.domain = "email.example.com";
	env.helo = "mx.example.org";
	env.ip = &ip;
	env.receiver = "receiver.example.net";
	env.now = 1700000000;
	/* exactly the size the evaluator uses, on the heap for ASan */
	if ((out = malloc(SPF_DOMAIN_LEN)) == NULL)
		return;
	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		if (t->spec_len == 0)
			continue;
		n = macro_expand(rec->text + t->spec_off, t->spec_len,
		    MACRO_DOMAIN, &env, out, SPF_DOMAIN_LEN);
		CHECK(n >= -1 && n <= 253);
		if (n >= 0)
			CHECK(strlen(out) == (size_t)n);
	}
	free(out);
}

static void
parse_one(const char *txt, size_t len)
{
	struct spf_record	 rec;
	char			 err[200];
	int			 r;

	err[0] = '\0';
	r = record_parse(txt, len, &rec, err, sizeof(err));
	CHECK(r == 0 || r == -1);
	if (r == -1) {
		CHECK(rec.text == NULL && rec.terms == NULL);
		CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
		return;
	}
	CHECK(record_is_spf(txt, len));
	check_record(txt, len, &rec);
	expand_specs(&rec);
	record_free(&rec);
	CHECK(rec.text == NULL && rec.terms == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;

	(void)record_is_spf((const char *)data, size);
	parse_one((const char *)data, size);
	if (size > SPF_RECORD_MAX)
		return 0;
	/* exactly sized, so a read past the end is caught */
	if ((buf = malloc(sizeof(PREFIX) - 1 + size)) == NULL)
		return 0;
	memcpy(buf, PREFIX, sizeof(PREFIX) - 1);
	memcpy(buf + sizeof(PREFIX) - 1, data, size);
	parse_one(buf, sizeof(PREFIX) - 1 + size);
	free(buf);
	return 0;
}
