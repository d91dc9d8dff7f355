/*
 * stats.c: the statistics behind cjo.experiment_results.
 *
 * PostgreSQL has no normal distribution or log-gamma function in SQL; both
 * come from the C library here.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"

PG_FUNCTION_INFO_V1(cjo_two_proportion_p_value);
PG_FUNCTION_INFO_V1(cjo_probability_to_beat);

static void
check_counts(int64 conversions, int64 trials)
{
	if (trials < 0 || conversions < 0 || conversions > trials)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("conversions must lie between 0 and the number of trials, got %lld of %lld",
							   (long long) conversions, (long long) trials)));
}

/*
 * Two-sided p-value of the two-proportion z-test with pooled variance:
 * z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b)), p = (x_a + x_b) / (n_a + n_b).
 * NULL when it is undefined (an empty group, or no variance at all).
 */
Datum
cjo_two_proportion_p_value(PG_FUNCTION_ARGS)
{
	int64		xa = PG_GETARG_INT64(0);
	int64		na = PG_GETARG_INT64(1);
	int64		xb = PG_GETARG_INT64(2);
	int64		nb = PG_GETARG_INT64(3);
	double		pooled,
				se,
				z;

	check_counts(xa, na);
	check_counts(xb, nb);
	if (na == 0 || nb == 0)
		PG_RETURN_NULL();
	pooled = (double) (xa + xb) / (double) (na + nb);
	se = sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb));
	if (se == 0.0)
		PG_RETURN_NULL();
	z = ((double) xb / nb - (double) xa / na) / se;
	PG_RETURN_FLOAT8(erfc(fabs(z) / M_SQRT2));
}

static double
log_beta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/*
 * P(p_b > p_a) for p_a ~ Beta(aa, ba), p_b ~ Beta(ab, bb) with integer ab:
 * the closed form sum_{i=0}^{ab-1} B(aa+i, ba+bb) / ((bb+i) B(1+i, bb) B(aa, ba)).
 */
static double
beta_beats(double aa, double ba, double ab, double bb)
{
	double		total = 0.0;

	for (int64 i = 0; i < (int64) ab; i++)
		total += exp(log_beta(aa + i, ba + bb) - log(bb + i)
					 - log_beta(1 + i, bb) - log_beta(aa, ba));
	return total;
}

/*
 * Bayesian probability that variant b converts better than a, with uniform
 * priors: posteriors Beta(1 + conversions, 1 + non-conversions).  The sum runs
 * over the smaller of the two success counts (P(b > a) = 1 - P(a > b)).
 */
Datum
cjo_probability_to_beat(PG_FUNCTION_ARGS)
{
	int64		xa = PG_GETARG_INT64(0);
	int64		na = PG_GETARG_INT64(1);
	int64		xb = PG_GETARG_INT64(2);
	int64		nb = PG_GETARG_INT64(3);
	double		p;

	check_counts(xa, na);
	check_counts(xb, nb);
	CHECK_FOR_INTERRUPTS();
	if (xb <= xa)
		p = beta_beats(1 + xa, 1 + na - xa, 1 + xb, 1 + nb - xb);
	else
		p = 1.0 - beta_beats(1 + xb, 1 + nb - xb, 1 + xa, 1 + na - xa);
	/* Rounding can step a hair outside [0, 1]. */
	PG_RETURN_FLOAT8(Min(1.0, Max(0.0, p)));
}
