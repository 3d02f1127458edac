/*
 * trace.c: the evaluator's own account of an evaluation, for
 * `spfgate check --explain`: one line per step, indented by include
 * depth, kept in one bounded, growing sbuf.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spfint.h"

#define TRACE_MAX	(64 * 1024)

void
trace_add(struct spf_trace *t, int depth, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	size_t	 i, n, had;
	int	 ind, u;
	unsigned char *c;

	if (t == NULL || t->truncated)
		return;
	/* a trace comes zeroed (calloc): its buffer starts here */
	if (t->sb.buf == NULL && t->sb.max == 0)
		sbuf_growing(&t->sb, TRACE_MAX);
	ind = depth < 0 ? 0 : depth > 20 ? 40 : depth * 2;
	memset(line, ' ', (size_t)ind);
	va_start(ap, fmt);
	(void)vsnprintf(line + ind, sizeof(line) - (size_t)ind, fmt, ap);
	va_end(ap);
	n = strlen(line);
	/*
	 * What strangers wrote is shown, never interpreted by a terminal:
	 * UTF-8 stays (a U-label sender reads as it came), but not the C1
	 * controls (U+0080..U+009F: CSI is one), nor what is not UTF-8.
	 */
	for (i = 0; i < n; i += (size_t)(u > 0 ? u : 1)) {
		c = (unsigned char *)line + i;
		u = c[0] >= 0x80 ? utf8_len(c) : 0;
		if (u > 1 && !(c[0] == 0xc2 && c[1] < 0xa0))
			continue;
		if (c[0] < 0x20 || c[0] > 0x7e) {
			line[i] = '?';
			u = 0;
		}
	}
	had = sbuf_len(&t->sb);
	if (had + n + 2 > TRACE_MAX) {
		t->truncated = 1;
		return;
	}
	sbuf_put(&t->sb, line, n);
	sbuf_put(&t->sb, "\n", 1);
	if (sbuf_whole(&t->sb)) {
		(void)sbuf_finish(&t->sb);
		return;
	}
	/* out of memory: the lines before this one stand */
	t->truncated = 1;
	t->sb.len = had;
	if (t->sb.buf != NULL)
		t->sb.buf[had] = '\0';
}

void
trace_free(struct spf_trace *t)
{
	if (t != NULL)
		sbuf_free(&t->sb);
}

int
spf_trace_print(const struct spf_trace *t, int color,
    void (*emit)(const char *, void *), void *arg)
{
	char		 line[1200];
	const char	*p, *nl, *c;
	size_t		 n;

	if (t == NULL || t->sb.buf == NULL)
		return 0;
	for (p = t->sb.buf; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		n = (size_t)(nl - p);
		c = NULL;
		if (color) {
			if (strstr(p, ": match") != NULL &&
			    strstr(p, ": match") < nl)
				c = "\033[32m";
			else if (n > 0 && memchr(p, '=', n) != NULL &&
			    strncmp(p, "= ", 2) == 0)
				c = "\033[1m";
			else if (memchr(p, '?', 1) != NULL)
				c = "\033[2m";
		}
		(void)snprintf(line, sizeof(line), "%s%.*s%s", c ? c : "",
		    (int)(n > 1100 ? 1100 : n), p, c ? "\033[0m" : "");
		emit(line, arg);
	}
	if (t->truncated)
		emit("... (trace truncated)", arg);
	return 0;
}
