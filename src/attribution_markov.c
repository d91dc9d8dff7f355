/*
 * attribution_markov.c: cjo.markov_shares, the Markov-chain removal effects
 * of cjo_attribution().
 *
 * A first-order Markov chain goes from a start state through the channels
 * (consecutive repeats of a channel collapsed into one) to conversion or
 * null, with transition probabilities counted from the paths.  The
 * probability of reaching conversion from the start is solved exactly from
 * the absorbing chain, (I - Q) x = r, by Gaussian elimination: no simulation.
 * A channel's removal effect is the share of that probability lost when every
 * transition into the channel goes to null instead.  The result is
 * {channel: share}, removal effects normalised to sum to 1 (every share 0
 * when nothing converts).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

#include "attribution.h"

#define MARKOV_MAX_CHANNELS 200

PG_FUNCTION_INFO_V1(cjo_markov_shares);

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
		PG_RETURN_DATUM(attribution_jsonb(NULL, NULL, NULL));
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
	PG_RETURN_DATUM(attribution_jsonb(st, share, NULL));
}
