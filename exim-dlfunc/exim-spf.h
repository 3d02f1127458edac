/*
 * exim-spf.h: between the Exim entry points (exim-entry.c, which sees
 * only Exim's local_scan.h) and the evaluation (exim-spf.c, which sees
 * only the core's spf.h).  The two headers cannot share a translation
 * unit: Exim's header defines OK, FAIL and ERROR as bare macros.
 */
#ifndef EXIM_SPF_H
#define EXIM_SPF_H

#include <stddef.h>

enum xspf_fn {
	XSPF_RESULT,
	XSPF_ACTION,
	XSPF_RECEIVED,
	XSPF_AUTH_RESULTS,
	XSPF_REASON,
	XSPF_LOG_LINE
};

enum xspf_status {
	XSPF_OK,		/* out holds the function's value */
	XSPF_USAGE		/* out holds why the call is wrong */
};

/* Output room: every core header line fits in 1024 octets. */
#define XSPF_OUT_LEN		2048
#define XSPF_NOTE_LEN		512

/*
 * Run one function for Exim.  argv holds argc strings (NULL is read
 * as "").  On return out holds the value or the usage message;
 * *tainted says whether it carries text from the client (the sender,
 * the HELO name, a domain's explanation); note, when not empty, is a
 * line for Exim's main log about an internal problem.
 */
enum xspf_status xspf_call(enum xspf_fn, int argc, unsigned char *argv[],
		    char *out, size_t outlen, int *tainted, char *note,
		    size_t notelen);

#endif /* EXIM_SPF_H */
