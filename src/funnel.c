/*
 * funnel.c: the window funnel aggregate behind cjo_funnel().
 *
 * cjo.window_funnel(occurred_at, matched, steps, window, mode) collects one
 * customer's events, each with the bit mask of the funnel steps it matches,
 * and at the end walks them in time order the way ClickHouse's windowFunnel
 * does: an event of step 1 starts a chain; an event of step k extends a chain
 * that has reached step k-1 if it lies within the window of that chain's
 * first event.  The result is the deepest step reached and, for each step up
 * to it, the time from the chain's first event.
 *
 * Modes (bits of `mode`):
 *   strict_order         an event that matches no step, or a step whose
 *                        previous step is not reached, ends the search once
 *                        a chain has started (other events in between break
 *                        the chain);
 *   strict_deduplication a step (other than the first) that repeats after it
 *                        was reached ends the search;
 *   strict_increase      a step must be strictly later than the previous one
 *                        (equal timestamps do not count as an order).
 * Events with equal timestamps are taken in step order, and one event that
 * matches several steps counts for each of them, as in ClickHouse (under
 * strict_increase in reverse step order: see funnel_event_cmp_desc).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#define FUNNEL_MAX_STEPS 32
#define FUNNEL_STRICT_ORDER 1
#define FUNNEL_STRICT_DEDUPLICATION 2
#define FUNNEL_STRICT_INCREASE 4

PG_FUNCTION_INFO_V1(cjo_window_funnel_add);
PG_FUNCTION_INFO_V1(cjo_window_funnel_result);

typedef struct FunnelEvent
{
	TimestampTz at;
	int			step;			/* 1..steps, or 0: matches no step */
} FunnelEvent;

typedef struct FunnelState
{
	int			steps;
	int64		window;			/* microseconds */
	int			mode;
	int			count;
	int			capacity;
	FunnelEvent *events;
} FunnelState;

static void
funnel_push(FunnelState *state, TimestampTz at, int step)
{
	if (state->count == state->capacity)
	{
		state->capacity *= 2;
		state->events = repalloc_huge(state->events, sizeof(FunnelEvent) * state->capacity);
	}
	state->events[state->count].at = at;
	state->events[state->count].step = step;
	state->count++;
}

/* Transition: one event of the customer. */
Datum
cjo_window_funnel_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	FunnelState *state;
	int64		matched;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cjo.window_funnel called in a non-aggregate context")));

	if (PG_ARGISNULL(0))
	{
		MemoryContext old;
		int			steps;
		Interval   *window;

		if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("window funnel steps, window and mode must not be null")));
		steps = PG_GETARG_INT32(3);
		window = PG_GETARG_INTERVAL_P(4);
		if (steps < 1 || steps > FUNNEL_MAX_STEPS)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("a funnel has 1 to %d steps, not %d", FUNNEL_MAX_STEPS, steps)));
		if (window->month != 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("the funnel window must be given in days, hours, minutes or seconds, not months"),
							errhint("Use for example interval '30 days'.")));
		old = MemoryContextSwitchTo(aggcontext);
		state = palloc(sizeof(FunnelState));
		state->steps = steps;
		state->window = window->day * USECS_PER_DAY + window->time;
		if (state->window < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("the funnel window must not be negative")));
		state->mode = PG_GETARG_INT32(5);
		state->count = 0;
		state->capacity = 16;
		state->events = palloc(sizeof(FunnelEvent) * state->capacity);
		MemoryContextSwitchTo(old);
	}
	else
		state = (FunnelState *) PG_GETARG_POINTER(0);

	/* An event without a time cannot be ordered: it takes no part. */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);

	matched = PG_GETARG_INT64(2);
	if (matched == 0)
	{
		/* Only strict order cares about events that match no step. */
		if (state->mode & FUNNEL_STRICT_ORDER)
			funnel_push(state, PG_GETARG_TIMESTAMPTZ(1), 0);
	}
	else
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		for (int step = 1; step <= state->steps; step++)
			if (matched & ((int64) 1 << (step - 1)))
				funnel_push(state, PG_GETARG_TIMESTAMPTZ(1), step);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(state);
}

static int
funnel_event_cmp(const void *a, const void *b)
{
	const FunnelEvent *x = a;
	const FunnelEvent *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->step - y->step;
}

/*
 * Under strict_increase, steps at one instant are taken last step first: an
 * event matching steps 1 and 2 then extends the chain before it restarts it,
 * instead of restarting it and being refused as "not later" (where ClickHouse
 * differs).
 */
static int
funnel_event_cmp_desc(const void *a, const void *b)
{
	const FunnelEvent *x = a;
	const FunnelEvent *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return y->step - x->step;
}

/*
 * The walk over one customer's sorted events.  first[k] and last[k] hold the
 * first and the latest event time of the chain that reached step k+1.
 */
static int
funnel_walk(FunnelState *state, TimestampTz *first, TimestampTz *last, bool *reached)
{
	bool		started = false;
	int			level;

	for (int i = 0; i < state->count; i++)
	{
		TimestampTz at = state->events[i].at;
		int			k = state->events[i].step - 1;

		if (k < 0)
		{
			if (started)
				break;
			continue;
		}
		if (k == 0)
		{
			first[0] = last[0] = at;
			reached[0] = true;
			started = true;
		}
		else if ((state->mode & FUNNEL_STRICT_DEDUPLICATION) && reached[k])
			break;
		else if ((state->mode & FUNNEL_STRICT_ORDER) && started && !reached[k - 1])
			break;
		else if (reached[k - 1])
		{
			bool		in_time = at - first[k - 1] <= state->window;

			if (state->mode & FUNNEL_STRICT_INCREASE)
				in_time = in_time && last[k - 1] < at;
			if (in_time)
			{
				first[k] = first[k - 1];
				last[k] = at;
				reached[k] = true;
				if (k + 1 == state->steps)
					break;
			}
		}
	}
	for (level = 0; level < state->steps && reached[level]; level++)
		;
	return level;
}

/*
 * Final: {level, t1, ..., t_level} where t_k is the time in microseconds from
 * the chain's first event to its step k event (t1 = 0).  NULL when the
 * customer had no event in the aggregate at all.
 */
Datum
cjo_window_funnel_result(PG_FUNCTION_ARGS)
{
	FunnelState *state;
	TimestampTz first[FUNNEL_MAX_STEPS];
	TimestampTz last[FUNNEL_MAX_STEPS];
	bool		reached[FUNNEL_MAX_STEPS] = {false};
	Datum	   *out;
	int			level;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (FunnelState *) PG_GETARG_POINTER(0);

	qsort(state->events, state->count, sizeof(FunnelEvent),
		  (state->mode & FUNNEL_STRICT_INCREASE) ? funnel_event_cmp_desc : funnel_event_cmp);
	level = funnel_walk(state, first, last, reached);

	out = palloc(sizeof(Datum) * (level + 1));
	out[0] = Int64GetDatum(level);
	for (int k = 0; k < level; k++)
		out[k + 1] = Int64GetDatum(last[k] - first[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, level + 1, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
