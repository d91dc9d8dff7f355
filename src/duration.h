/*
 * duration.h: journey durations ("2 days", "1 day 12 hours", "90 minutes").
 *
 * Pure C with no PostgreSQL dependency, so that it can be fuzzed on its own.
 * Durations are fixed lengths in microseconds: months and years are refused
 * because their length depends on the calendar.
 */
#ifndef CJO_DURATION_H
#define CJO_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration accepted: 10 years of 365 days. */
#define CJO_DURATION_MAX	((int64_t) 3650 * 24 * 3600 * 1000000)

/* Outcome of parsing. */
typedef enum CjoDurationError
{
	CJO_DURATION_OK = 0,
	CJO_DURATION_EMPTY,			/* no text */
	CJO_DURATION_SYNTAX,		/* not "<number> <unit> ..." */
	CJO_DURATION_UNIT,			/* unknown unit */
	CJO_DURATION_CALENDAR,		/* months or years */
	CJO_DURATION_RANGE,			/* zero, or longer than CJO_DURATION_MAX */
} CjoDurationError;

extern CjoDurationError cjo_duration_parse(const char *text, size_t len, int64_t *usec);
extern size_t cjo_duration_format(int64_t usec, char *buf, size_t buflen);
extern const char *cjo_duration_error_text(CjoDurationError err);

#endif							/* CJO_DURATION_H */
