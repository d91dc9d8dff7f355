/*
 * attribution_shapley.c: cjo.shapley_credits, the Shapley-value model of
 * cjo_attribution().
 *
 * The game (the conversion-probability game of Shao and Li, "Data-driven
 * multi-touch attribution models", KDD 2011, and of the Shapley-based
 * data-driven attribution that Google describes): a coalition S of channels
 * is worth rate(S), the conversion rate of the paths whose set of channels is
 * exactly S, converting and non-converting paths alike (0 for a set never
 * seen, and for the empty set).  Order and repeats within a path do not
 * matter.
 *
 * Each conversion is split among the channels T of its path by their Shapley
 * values in that game played by the players T.  Efficiency makes them add up
 * to rate(T) > 0; a channel whose average marginal contribution is negative
 * (its presence lowers the rate) gets nothing, and the rest are normalised,
 * so every conversion and its value are shared out whole.
 *
 * Exact without enumerating the 2^|T| coalitions: the game restricted to T is
 * the sum over the observed sets U within T of rate(U) times the game that is
 * worth 1 at exactly U and 0 elsewhere, whose Shapley value is, with
 * u = |U| and t = |T|,
 *     for a member of U:      (u-1)! (t-u)! / t! = 1 / (u C(t,u))
 *     for a non-member of U: -u! (t-u-1)! / t!   = -1 / ((t-u) C(t,u))
 * (a member adds 1 only when it joins U \ {itself}; a non-member takes 1
 * away only when it joins U).  Sets that never converted have rate 0 and
 * drop out, so the cost is (converting sets)^2 times channels.  A set is a
 * 64-bit mask: at most 64 channels.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"

#include "attribution.h"

#define SHAPLEY_MAX_CHANNELS 64

PG_FUNCTION_INFO_V1(cjo_shapley_credits);

typedef struct ChannelSet
{
	uint64		members;
	double		conversions;
	double		paths;
	double		value;
} ChannelSet;

static int
channel_set_cmp(const void *a, const void *b)
{
	uint64		x = ((const ChannelSet *) a)->members;
	uint64		y = ((const ChannelSet *) b)->members;

	return (x > y) - (x < y);
}

/* Distinct channel sets with their conversions, paths and value; returns how many. */
static int
channel_sets(const AttrState *st, ChannelSet *sets)
{
	int			nsets = 0;

	for (int i = 0; i < st->npaths; i++)
	{
		const AttrPath *p = &st->paths[i];

		sets[i].members = 0;
		for (int k = 0; k < p->n; k++)
			sets[i].members |= UINT64CONST(1) << p->channels[k];
		sets[i].conversions = p->conversions;
		sets[i].paths = p->conversions + p->nulls;
		sets[i].value = p->value;
	}
	qsort(sets, st->npaths, sizeof(ChannelSet), channel_set_cmp);
	for (int i = 0; i < st->npaths; i++)
	{
		if (nsets > 0 && sets[nsets - 1].members == sets[i].members)
		{
			sets[nsets - 1].conversions += sets[i].conversions;
			sets[nsets - 1].paths += sets[i].paths;
			sets[nsets - 1].value += sets[i].value;
		}
		else
			sets[nsets++] = sets[i];
	}
	return nsets;
}

Datum
cjo_shapley_credits(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	ChannelSet *sets;
	int			nsets;
	double		binomial[SHAPLEY_MAX_CHANNELS + 1][SHAPLEY_MAX_CHANNELS + 1];
	double		phi[SHAPLEY_MAX_CHANNELS];
	double	   *conversions;
	double	   *value;

	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(attribution_jsonb(NULL, NULL, NULL));
	st = (AttrState *) PG_GETARG_POINTER(0);
	if (st->nchannels > SHAPLEY_MAX_CHANNELS)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("the Shapley model takes at most %d channels, the paths have %d",
							   SHAPLEY_MAX_CHANNELS, st->nchannels),
						errhint("Group rare channels together before attributing.")));

	for (int n = 0; n <= SHAPLEY_MAX_CHANNELS; n++)
	{
		binomial[n][0] = binomial[n][n] = 1;
		for (int k = 1; k < n; k++)
			binomial[n][k] = binomial[n - 1][k - 1] + binomial[n - 1][k];
	}
	sets = palloc(sizeof(ChannelSet) * Max(st->npaths, 1));
	nsets = channel_sets(st, sets);
	conversions = palloc0(sizeof(double) * Max(st->nchannels, 1));
	value = palloc0(sizeof(double) * Max(st->nchannels, 1));

	for (int i = 0; i < nsets; i++)
	{
		const ChannelSet *T = &sets[i];
		int			t = pg_popcount64(T->members);
		double		positive = 0;

		if (T->conversions <= 0)
			continue;			/* nothing of its own to share out */
		CHECK_FOR_INTERRUPTS();
		memset(phi, 0, sizeof(phi));
		for (int j = 0; j < nsets; j++)
		{
			const ChannelSet *U = &sets[j];
			int			u;
			double		rate,
						in,
						out;

			if (U->conversions <= 0 || (U->members & ~T->members) != 0)
				continue;		/* worth 0, or not within T */
			u = pg_popcount64(U->members);
			rate = U->conversions / U->paths;
			in = rate / (u * binomial[t][u]);
			out = u < t ? rate / ((t - u) * binomial[t][u]) : 0;
			for (int c = 0; c < st->nchannels; c++)
			{
				uint64		bit = UINT64CONST(1) << c;

				if (U->members & bit)
					phi[c] += in;
				else if (T->members & bit)
					phi[c] -= out;
			}
		}
		for (int c = 0; c < st->nchannels; c++)
			if ((T->members & (UINT64CONST(1) << c)) && phi[c] > 0)
				positive += phi[c];
		/* positive >= sum of phi = rate(T) > 0 */
		for (int c = 0; c < st->nchannels; c++)
			if ((T->members & (UINT64CONST(1) << c)) && phi[c] > 0)
			{
				conversions[c] += T->conversions * phi[c] / positive;
				value[c] += T->value * phi[c] / positive;
			}
	}
	PG_RETURN_DATUM(attribution_jsonb(st, conversions, value));
}
