/*
 * local_time.c: the next instant a customer's clock shows a given time.
 *
 * A wait_until node waits until the next time of day (on allowed days of the
 * week) in a time zone: the node's, or the customer's (profile attribute
 * time_zone), or UTC.  Local times are turned into instants with the time
 * zone's rules for that very day, so daylight saving changes are followed:
 * 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "cjo.h"

/* The time zone named by a profile's "time_zone" string attribute, or NULL. */
pg_tz *
cjo_profile_time_zone(Jsonb *profile)
{
	JsonbValue *v;
	char	   *name;

	if (profile == NULL || !JB_ROOT_IS_OBJECT(profile))
		return NULL;
	v = getKeyJsonValueFromContainer(&profile->root, "time_zone", strlen("time_zone"), NULL);
	if (v == NULL || v->type != jbvString || v->val.string.len == 0 || v->val.string.len > 100)
		return NULL;
	name = pnstrdup(v->val.string.val, v->val.string.len);
	return pg_tzset(name);
}

/*
 * The first instant after `after` when the local time in `tz` is
 * `time_of_day` (microseconds after midnight) on a day allowed by
 * `days` (bit 0 Monday .. bit 6 Sunday; 0: every day).  A local time that a
 * daylight saving change skips is taken with the offset before the change
 * (02:30 on a spring-forward night is 03:30 summer time).
 */
TimestampTz
cjo_next_local_time(TimestampTz after, int64 time_of_day, int days, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	int			today;

	if (timestamp2tm(after, &offset, &tm, &fsec, NULL, tz) != 0)
		return after;			/* out of range: no wait */
	today = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
	for (int k = 0; k <= 8; k++)
	{
		int			day = today + k;
		int			weekday = (j2day(day) + 6) % 7;	/* Monday = 0 */
		TimestampTz result;

		if (days != 0 && !(days & (1 << weekday)))
			continue;
		j2date(day, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		tm.tm_hour = (int) (time_of_day / USECS_PER_HOUR);
		tm.tm_min = (int) (time_of_day / USECS_PER_MINUTE % 60);
		tm.tm_sec = (int) (time_of_day / USECS_PER_SEC % 60);
		tm.tm_isdst = -1;
		offset = DetermineTimeZoneOffset(&tm, tz);
		if (tm2timestamp(&tm, 0, &offset, &result) != 0)
			return after;
		if (result > after)
			return result;
	}
	return after;				/* not reached: every week has an allowed day */
}
