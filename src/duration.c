/*
 * duration.c: parse and format journey durations.
 *
 * Grammar: one or more "<digits> <unit>" parts, optionally separated by
 * spaces, e.g. "2 days", "1 day 12 hours", "90m", "1w".  Units: s, sec,
 * second(s); m, min, minute(s); h, hour(s); d, day(s); w, week(s), in any
 * letter case ("2 Days", "1H"), as in PostgreSQL's interval input.  The
 * canonical form (the output of cjo_duration_format) names days, hours,
 * minutes and seconds, largest first, and parses back to the same value.
 */
#include "duration.h"

#include <stdio.h>
#include <string.h>

typedef struct DurationUnit
{
	const char *name;
	int64_t		usec;
} DurationUnit;

static const DurationUnit units[] = {
	{"s", 1000000}, {"sec", 1000000}, {"secs", 1000000}, {"second", 1000000}, {"seconds", 1000000},
	{"m", 60000000}, {"min", 60000000}, {"mins", 60000000}, {"minute", 60000000}, {"minutes", 60000000},
	{"h", 3600000000}, {"hour", 3600000000}, {"hours", 3600000000},
	{"d", 86400000000}, {"day", 86400000000}, {"days", 86400000000},
	{"w", 604800000000}, {"week", 604800000000}, {"weeks", 604800000000},
};

static const char *const calendar_units[] = {
	"mon", "mons", "month", "months", "y", "year", "years"
};

/* Does the word [w, w+n) equal the NUL-terminated lower-case s, ignoring ASCII case? */
static int
word_is(const char *w, size_t n, const char *s)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
	{
		char		ch = w[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = ch - 'A' + 'a';
		if (ch != s[i])
			return 0;
	}
	return 1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses text[0..len) into microseconds. */
CjoDurationError
cjo_duration_parse(const char *text, size_t len, int64_t *usec)
{
	size_t		i = 0;
	int64_t		total = 0;
	int			parts = 0;

	*usec = 0;
	for (;;)
	{
		int64_t		number = 0;
		size_t		digits = 0;
		size_t		wstart;
		size_t		wlen;
		int64_t		unit = 0;

		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		while (i < len && text[i] >= '0' && text[i] <= '9')
		{
			if (number > CJO_DURATION_MAX)
				return CJO_DURATION_RANGE;
			number = number * 10 + (text[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0)
			return CJO_DURATION_SYNTAX;
		while (i < len && is_space(text[i]))
			i++;
		wstart = i;
		while (i < len && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z')))
			i++;
		wlen = i - wstart;
		if (wlen == 0)
			return CJO_DURATION_SYNTAX;
		for (size_t u = 0; u < sizeof(calendar_units) / sizeof(calendar_units[0]); u++)
			if (word_is(text + wstart, wlen, calendar_units[u]))
				return CJO_DURATION_CALENDAR;
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (word_is(text + wstart, wlen, units[u].name))
				unit = units[u].usec;
		if (unit == 0)
			return CJO_DURATION_UNIT;
		if (number > CJO_DURATION_MAX / unit)
			return CJO_DURATION_RANGE;
		total += number * unit;
		if (total > CJO_DURATION_MAX)
			return CJO_DURATION_RANGE;
		parts++;
	}
	if (parts == 0)
		return CJO_DURATION_EMPTY;
	if (total <= 0)
		return CJO_DURATION_RANGE;
	*usec = total;
	return CJO_DURATION_OK;
}

/*
 * Writes the canonical text of usec (whole seconds) into buf; returns its
 * length.  A buffer too short for every part gets the leading whole parts.
 */
size_t
cjo_duration_format(int64_t usec, char *buf, size_t buflen)
{
	static const struct
	{
		const char *one;
		const char *many;
		int64_t		usec;
	}			parts[] = {
		{"day", "days", 86400000000},
		{"hour", "hours", 3600000000},
		{"minute", "minutes", 60000000},
		{"second", "seconds", 1000000},
	};
	size_t		used = 0;

	if (buflen == 0)
		return 0;
	buf[0] = '\0';
	for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++)
	{
		int64_t		n = usec / parts[p].usec;
		int			w;

		if (n == 0)
			continue;
		usec -= n * parts[p].usec;
		w = snprintf(buf + used, buflen - used, "%s%lld %s", used ? " " : "",
					 (long long) n, n == 1 ? parts[p].one : parts[p].many);
		if (w < 0 || (size_t) w >= buflen - used)
		{
			/* Too short: keep only whole parts, so the text matches the length returned. */
			buf[used] = '\0';
			break;
		}
		used += w;
	}
	return used;
}

/* A sentence for each parse error, for error details. */
const char *
cjo_duration_error_text(CjoDurationError err)
{
	switch (err)
	{
		case CJO_DURATION_OK:
			return "no error";
		case CJO_DURATION_EMPTY:
			return "A duration cannot be empty.";
		case CJO_DURATION_SYNTAX:
			return "A duration is a list of \"<whole number> <unit>\" parts, such as \"2 days\" or \"1 day 12 hours\".";
		case CJO_DURATION_UNIT:
			return "Known units are seconds, minutes, hours, days and weeks.";
		case CJO_DURATION_CALENDAR:
			return "Months and years have no fixed length; use days or weeks.";
		case CJO_DURATION_RANGE:
			return "A duration must be longer than zero and at most 3650 days.";
	}
	return "unknown duration error";
}
