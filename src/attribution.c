/*
 * attribution.c: the state shared by the data-driven attribution aggregates
 * of cjo_attribution() (cjo.markov_shares, cjo.shapley_credits).
 *
 * SQL scans the events and hands over distinct paths: the channels of the
 * touches in time order, how many times the path ended in a conversion, how
 * many times without one, and (Shapley) the value of those conversions.  The
 * transition function here collects them with channel names turned into small
 * numbers; the models' final functions do the arithmetic.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "attribution.h"

PG_FUNCTION_INFO_V1(cjo_attribution_add);

/* The channel's number, added if new (linear search: channels are few). */
static int
channel_number(AttrState *st, const char *name)
{
	for (int i = 0; i < st->nchannels; i++)
		if (strcmp(st->names[i], name) == 0)
			return i;
	if (st->nchannels == st->capchannels)
	{
		st->capchannels *= 2;
		st->names = repalloc(st->names, sizeof(char *) * st->capchannels);
	}
	st->names[st->nchannels] = pstrdup(name);
	return st->nchannels++;
}

static double
count_arg(FunctionCallInfo fcinfo, int arg, const char *what)
{
	double		x;

	if (PG_NARGS() <= arg || PG_ARGISNULL(arg))
		return 0;
	x = PG_GETARG_FLOAT8(arg);
	if (isnan(x) || isinf(x) || x < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("path %s must be a non-negative finite number", what)));
	return x;
}

/*
 * Transition of both aggregates: (state, path, conversions, non_conversions
 * [, value]).  NULL channels in a path are skipped; a path without channels,
 * or with neither count, takes no part.
 */
Datum
cjo_attribution_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	AttrState  *st;
	AttrPath   *p;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	double		conversions,
				non_conversions,
				value;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("attribution aggregate called in a non-aggregate context")));
	old = MemoryContextSwitchTo(aggcontext);
	if (PG_ARGISNULL(0))
	{
		st = palloc(sizeof(AttrState));
		st->nchannels = 0;
		st->capchannels = 16;
		st->names = palloc(sizeof(char *) * st->capchannels);
		st->npaths = 0;
		st->cappaths = 64;
		st->paths = palloc(sizeof(AttrPath) * st->cappaths);
	}
	else
		st = (AttrState *) PG_GETARG_POINTER(0);

	conversions = count_arg(fcinfo, 2, "conversions");
	non_conversions = count_arg(fcinfo, 3, "non-conversions");
	value = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? PG_GETARG_FLOAT8(4) : 0;
	if (isnan(value) || isinf(value))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("path value must be a finite number")));
	if (PG_ARGISNULL(1) || (conversions == 0 && non_conversions == 0))
	{
		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(st);
	}

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (st->npaths == st->cappaths)
	{
		st->cappaths *= 2;
		st->paths = repalloc_huge(st->paths, sizeof(AttrPath) * st->cappaths);
	}
	p = &st->paths[st->npaths];
	p->channels = palloc(sizeof(int) * Max(n, 1));
	p->n = 0;
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			p->channels[p->n++] = channel_number(st, TextDatumGetCString(elems[i]));
	p->conversions = conversions;
	p->nulls = non_conversions;
	p->value = value;
	if (p->n > 0)
		st->npaths++;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/*
 * {channel: first} or, with second, {channel: [first, second]}; keys in the
 * order the channels were first seen (jsonb sorts them anyway).
 */
Datum
attribution_jsonb(const AttrState *st, const double *first, const double *second)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int c = 0; st && c < st->nchannels; c++)
	{
		if (c > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, st->names[c]);
		if (second)
			appendStringInfo(&buf, ": [%.17g, %.17g]", first[c], second[c]);
		else
			appendStringInfo(&buf, ": %.17g", first[c]);
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}
