/*
 * duration_fuzz.c: libFuzzer harness for the journey duration parser.
 *
 * src/duration.c is pure C, so it is compiled straight into this harness;
 * no server is needed.  Besides "no crash, no sanitizer report", it checks
 * the parser's promises: an accepted duration is in (0, CJO_DURATION_MAX],
 * its canonical text parses back to the same value, and formatting never
 * writes past a short buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy, so that ASan sees any read past the end. */
	char	   *text = malloc(size ? size : 1);
	int64_t		usec = -1;
	CjoDurationError err;

	if (size)
		memcpy(text, data, size);
	err = cjo_duration_parse(text, size, &usec);
	if (err < CJO_DURATION_OK || err > CJO_DURATION_RANGE)
		abort();
	if (cjo_duration_error_text(err) == NULL)
		abort();
	if (err == CJO_DURATION_OK)
	{
		char		buf[128];
		char		tiny[8];
		size_t		n;
		int64_t		again = -1;

		if (usec <= 0 || usec > CJO_DURATION_MAX)
			abort();
		n = cjo_duration_format(usec, buf, sizeof(buf));
		if (n == 0 || n >= sizeof(buf) || strlen(buf) != n)
			abort();
		if (cjo_duration_parse(buf, n, &again) != CJO_DURATION_OK || again != usec)
			abort();
		/* A short buffer is cut, never overrun. */
		n = cjo_duration_format(usec, tiny, sizeof(tiny));
		if (n >= sizeof(tiny) || strlen(tiny) != n)
			abort();
	}
	else if (usec != 0)
		abort();
	free(text);
	return 0;
}
