/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A broken promise of the code under test: say which, and crash, so
 * libFuzzer keeps the input as a finding.
 */
#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/*
 * Is the known, reported bug with this tag to be stepped over?  Set
 * by SPF_FUZZ_IGNORE (a comma-separated list, from tests/fuzz/known-bugs)
 * for long runs and the smoke runs, so fuzzing goes on past a bug that
 * waits for its fix; the regression inputs are replayed without it.
 */
static inline int
fuzz_ignoring(const char *tag)
{
	const char	*s = getenv("SPF_FUZZ_IGNORE"), *p;
	size_t		 n = strlen(tag);

	for (p = s; p != NULL && (p = strstr(p, tag)) != NULL; p += n)
		if ((p == s || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

#endif /* FUZZ_H */
