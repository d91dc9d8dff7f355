/*
 * attribution.c: the data-driven attribution models of cjo_attribution().
 *
 * Both are aggregates over distinct paths: (channels in time order, how many
 * times the path ended in a conversion, how many times it ended without).
 * SQL finds the paths; here is the arithmetic.  Each returns a jsonb object
 * {channel: share}, the shares summing to 1 (or every share 0 when nothing
 * converted).
 *
 * cjo.markov_shares: first-order Markov chain from a start state through
 *   the channels (consecutive repeats collapsed) to conversion or null.  The
 *   conversion probability from the start is solved exactly from the
 *   absorbing chain; a channel's removal effect is the share of it lost when
 *   the channel's inbound transitions go to null instead; shares are removal
 *   effects normalised to sum to 1.
 * cjo.shapley_shares: Shapley values of the channels in the cooperative game
 *   v(S) = sum over the channel sets T within S of rate(T), the conversion
 *   rate of the paths whose set of channels is exactly T (converting and
 *   non-converting paths alike): the simplified Shapley value of Zhao et al.
 *   (2018) with rates in place of conversion counts.  Computed exactly, in
 *   closed form; at most 64 channels (a set is a bit mask).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#define MARKOV_MAX_CHANNELS 200
#define SHAPLEY_MAX_CHANNELS 64

PG_FUNCTION_INFO_V1(cjo_attribution_add);
PG_FUNCTION_INFO_V1(cjo_markov_shares);
PG_FUNCTION_INFO_V1(cjo_shapley_shares);

typedef struct AttrPath
{
	int			n;
	int		   *channels;		/* channel numbers in time order */
	double		conversions;
	double		nulls;
} AttrPath;

typedef struct AttrState
{
	int			nchannels;
	int			capchannels;
	char	  **names;
	int			npaths;
	int			cappaths;
	AttrPath   *paths;
} AttrState;

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

/* Transition, shared by both aggregates: one distinct path and its counts. */
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

	/* A path without channels, or without counts, takes no part. */
	if (PG_ARGISNULL(1) || (PG_ARGISNULL(2) && PG_ARGISNULL(3)))
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
	p->conversions = PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2);
	p->nulls = PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3);
	if (p->conversions < 0 || p->nulls < 0 || isnan(p->conversions) || isnan(p->nulls))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("path counts must be non-negative numbers")));
	if (p->n > 0)
		st->npaths++;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* {channel: share} as jsonb; keys in the order the channels were first seen. */
static Datum
shares_jsonb(AttrState *st, const double *share)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int c = 0; c < st->nchannels; c++)
	{
		if (c > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, st->names[c]);
		appendStringInfo(&buf, ": %.17g", share[c]);
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/*
 * Solves a x = b (n x n, row-major) by Gaussian elimination with partial
 * pivoting; a and b are overwritten, x is left in b.
 */
static void
solve(double *a, double *b, int n)
{
	for (int col = 0; col < n; col++)
	{
		int			pivot = col;

		for (int r = col + 1; r < n; r++)
			if (fabs(a[r * n + col]) > fabs(a[pivot * n + col]))
				pivot = r;
		if (fabs(a[pivot * n + col]) < 1e-300)
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
							errmsg("the Markov chain of the paths has no absorbing solution")));
		if (pivot != col)
		{
			for (int k = 0; k < n; k++)
			{
				double		t = a[col * n + k];

				a[col * n + k] = a[pivot * n + k];
				a[pivot * n + k] = t;
			}
			{
				double		t = b[col];

				b[col] = b[pivot];
				b[pivot] = t;
			}
		}
		for (int r = col + 1; r < n; r++)
		{
			double		f = a[r * n + col] / a[col * n + col];

			if (f == 0.0)
				continue;
			for (int k = col; k < n; k++)
				a[r * n + k] -= f * a[col * n + k];
			b[r] -= f * b[col];
		}
	}
	for (int r = n - 1; r >= 0; r--)
	{
		double		s = b[r];

		for (int k = r + 1; k < n; k++)
			s -= a[r * n + k] * b[k];
		b[r] = s / a[r * n + r];
	}
}

/*
 * Conversion probability from the start state, with channel `removed`
 * (or none: -1) sending everyone who would reach it to null.  Transient
 * states: 0 = start, 1 + c = channel c.
 */
static double
conversion_probability(const double *count, const double *out, const double *to_conv, int nstates, int removed)
{
	double	   *a = palloc0(sizeof(double) * nstates * nstates);
	double	   *b = palloc0(sizeof(double) * nstates);
	double		p;

	for (int i = 0; i < nstates; i++)
	{
		a[i * nstates + i] = 1.0;
		if (out[i] <= 0)
			continue;			/* never left: an unused state, converts with 0 */
		b[i] = to_conv[i] / out[i];
		for (int j = 0; j < nstates; j++)
			if (j != removed + 1 || removed < 0)
				a[i * nstates + j] -= count[i * nstates + j] / out[i];
	}
	solve(a, b, nstates);
	p = b[0];
	pfree(a);
	pfree(b);
	return p;
}

Datum
cjo_markov_shares(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	int			nstates;
	double	   *count;			/* transitions between transient states */
	double	   *out;			/* all transitions out of each state */
	double	   *to_conv;		/* transitions to conversion */
	double	   *share;
	double		total,
				sum = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	st = (AttrState *) PG_GETARG_POINTER(0);
	if (st->nchannels > MARKOV_MAX_CHANNELS)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("the Markov model takes at most %d channels, the paths have %d",
							   MARKOV_MAX_CHANNELS, st->nchannels),
						errhint("Group rare channels together before attributing.")));
	nstates = st->nchannels + 1;
	count = palloc0(sizeof(double) * nstates * nstates);
	out = palloc0(sizeof(double) * nstates);
	to_conv = palloc0(sizeof(double) * nstates);
	for (int i = 0; i < st->npaths; i++)
	{
		const AttrPath *p = &st->paths[i];
		double		w = p->conversions + p->nulls;
		int			from = 0;

		for (int k = 0; k < p->n; k++)
		{
			int			to = 1 + p->channels[k];

			if (to == from)
				continue;		/* consecutive repeats collapse */
			count[from * nstates + to] += w;
			out[from] += w;
			from = to;
		}
		to_conv[from] += p->conversions;
		out[from] += w;			/* to conversion or to null */
	}

	share = palloc0(sizeof(double) * Max(st->nchannels, 1));
	total = st->nchannels > 0 ? conversion_probability(count, out, to_conv, nstates, -1) : 0;
	if (total > 0)
	{
		for (int c = 0; c < st->nchannels; c++)
		{
			CHECK_FOR_INTERRUPTS();
			share[c] = 1.0 - conversion_probability(count, out, to_conv, nstates, c) / total;
			if (share[c] < 0)
				share[c] = 0;	/* rounding */
			sum += share[c];
		}
		for (int c = 0; c < st->nchannels; c++)
			share[c] = sum > 0 ? share[c] / sum : 0;
	}
	PG_RETURN_DATUM(shares_jsonb(st, share));
}

typedef struct ChannelSet
{
	uint64		members;
	double		conversions;
	double		paths;
} ChannelSet;

static int
channel_set_cmp(const void *a, const void *b)
{
	uint64		x = ((const ChannelSet *) a)->members;
	uint64		y = ((const ChannelSet *) b)->members;

	return (x > y) - (x < y);
}

Datum
cjo_shapley_shares(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	ChannelSet *sets;
	int			nsets = 0;
	double	   *share;
	double		sum = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	st = (AttrState *) PG_GETARG_POINTER(0);
	if (st->nchannels > SHAPLEY_MAX_CHANNELS)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("the Shapley model takes at most %d channels, the paths have %d",
							   SHAPLEY_MAX_CHANNELS, st->nchannels),
						errhint("Group rare channels together before attributing.")));

	/* Conversions and paths per distinct channel set. */
	sets = palloc(sizeof(ChannelSet) * Max(st->npaths, 1));
	for (int i = 0; i < st->npaths; i++)
	{
		const AttrPath *p = &st->paths[i];

		sets[i].members = 0;
		for (int k = 0; k < p->n; k++)
			sets[i].members |= UINT64CONST(1) << p->channels[k];
		sets[i].conversions = p->conversions;
		sets[i].paths = p->conversions + p->nulls;
	}
	qsort(sets, st->npaths, sizeof(ChannelSet), channel_set_cmp);
	for (int i = 0; i < st->npaths; i++)
	{
		if (nsets > 0 && sets[nsets - 1].members == sets[i].members)
		{
			sets[nsets - 1].conversions += sets[i].conversions;
			sets[nsets - 1].paths += sets[i].paths;
		}
		else
			sets[nsets++] = sets[i];
	}

	/*
	 * v(S) = sum of the conversion rates of the channel sets within S is a sum
	 * of unanimity games, one per observed set T weighted by its rate; the
	 * Shapley value of such a game gives each member of T rate(T) / |T|.
	 */
	share = palloc0(sizeof(double) * Max(st->nchannels, 1));
	for (int i = 0; i < nsets; i++)
	{
		double		rate = sets[i].paths > 0 ? sets[i].conversions / sets[i].paths : 0;
		int			size = pg_popcount64(sets[i].members);

		CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < st->nchannels; c++)
			if (sets[i].members & (UINT64CONST(1) << c))
				share[c] += rate / size;
	}
	for (int c = 0; c < st->nchannels; c++)
		sum += share[c];
	for (int c = 0; c < st->nchannels; c++)
		share[c] = sum > 0 ? share[c] / sum : 0;
	PG_RETURN_DATUM(shares_jsonb(st, share));
}
