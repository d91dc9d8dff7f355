/*
 * random.c: stable hashes and reproducible random draws.
 *
 * Choices that look random must be the same on every machine and in every
 * run, so that a test, a simulation and production agree: a split hashes
 * the journey, node and customer; a learning node seeds a small generator
 * (splitmix64) from that hash, the run and the node's seed, and draws from
 * it.  Nothing here uses a global random state.
 */
#include "postgres.h"

#include <math.h>

#include "cjo.h"

/* murmur3's 64-bit finaliser: spreads every input bit over the output. */
uint64
cjo_mix64(uint64 h)
{
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/*
 * FNV-1a (64 bit) over the parts joined by '/', finished with cjo_mix64
 * (FNV's high bits mix poorly for similar keys).  doc/journeys.md gives the
 * same function in a few lines of Python.
 */
uint64
cjo_stable_hash(const char *const *parts, int nparts)
{
	uint64		h = UINT64CONST(0xcbf29ce484222325);

	for (int p = 0; p < nparts; p++)
	{
		for (const unsigned char *s = (const unsigned char *) parts[p]; *s; s++)
		{
			h ^= *s;
			h *= UINT64CONST(0x100000001b3);
		}
		if (p < nparts - 1)
		{
			h ^= '/';
			h *= UINT64CONST(0x100000001b3);
		}
	}
	return cjo_mix64(h);
}

/* A hash as a number in [0, 1): its top 53 bits. */
double
cjo_hash_unit(uint64 h)
{
	return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}

void
cjo_random_seed(CjoRandom *r, uint64 seed)
{
	r->state = seed;
}

/* splitmix64: one step of a Weyl sequence, mixed. */
static uint64
next64(CjoRandom *r)
{
	uint64		z = (r->state += UINT64CONST(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
double
cjo_random_unit(CjoRandom *r)
{
	return cjo_hash_unit(next64(r));
}

/* Standard normal, by the Box-Muller transform (one of the pair is used). */
static double
random_normal(CjoRandom *r)
{
	double		u = 1.0 - cjo_random_unit(r);	/* (0, 1]: log(u) is finite */
	double		v = cjo_random_unit(r);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/*
 * Gamma(shape, 1) for shape >= 1, by Marsaglia and Tsang's method ("A simple
 * method for generating gamma variables", 2000): accepts about 98% of the
 * time, and stays exact for shapes of millions (counts of conversions).
 */
static double
random_gamma(CjoRandom *r, double shape)
{
	double		d = shape - 1.0 / 3.0;
	double		c = 1.0 / sqrt(9.0 * d);

	for (;;)
	{
		double		x,
					v,
					u;

		do
		{
			x = random_normal(r);
			v = 1.0 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = cjo_random_unit(r);
		if (u < 1.0 - 0.0331 * x * x * x * x)
			return d * v;
		if (u > 0 && log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v;
	}
}

/* Beta(a, b) for a, b >= 1: X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
double
cjo_random_beta(CjoRandom *r, double a, double b)
{
	double		x = random_gamma(r, a);
	double		y = random_gamma(r, b);

	return x / (x + y);
}
