/*
 * learning.c: nodes that learn which of their choices converts best.
 *
 * A learning split and a next_best_action node count, per journey, node and
 * choice (an "arm"), the runs that took it and those of them that reached
 * the journey's goal.  The totals live in cjo.arm_stats.  The engine never
 * updates a row there, since concurrent events would queue on it: each
 * batch appends its increments to cjo.arm_deltas (one row per arm), and
 * cjo_advance() folds them into the totals.  Readers add the two up.
 *
 * Choosing is Thompson sampling: the conversion rate of each arm has the
 * posterior Beta(1 + converted, 1 + assigned - converted); one draw is
 * taken from each and the highest wins, so an arm gets the share of traffic
 * of its probability of being the best.  Before that, a part of the traffic
 * (min_share for each arm) is spread evenly, so that no arm stops being
 * measured.  The draws come from a generator seeded by the caller: the same
 * counts and seed give the same choice.
 *
 * Counts are read at most once every cjo.learning_refresh seconds per
 * backend and node (0: at every choice), so a bulk load costs one query per
 * learning node, not one per event; a sweep in the backend, which folds
 * new counts, makes the next choice read them again.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cjo.h"

/* cjo.learning_refresh, seconds. */
int			cjo_learning_refresh = 10;

/* ---- choosing ---- */

/*
 * Chooses one of k arms: eligible[i] says which may be chosen, scale[i]
 * (NULL: all 1) multiplies an arm's sampled rate (an expected value instead
 * of a rate).  Returns the arm, or -1 if none is eligible.
 */
int
cjo_thompson_choose(int k, const bool *eligible, const int64 *assigned, const int64 *converted,
					const double *scale, double min_share, CjoRandom *r)
{
	int			neligible = 0;
	int			best = -1;
	double		best_value = -1;

	for (int i = 0; i < k; i++)
		neligible += eligible[i];
	if (neligible == 0)
		return -1;

	/* Exploration: min_share of the traffic for each arm, spread evenly. */
	if (cjo_random_unit(r) < neligible * min_share)
	{
		int			pick = (int) (cjo_random_unit(r) * neligible);

		for (int i = 0; i < k; i++)
			if (eligible[i] && pick-- == 0)
				return i;
	}

	for (int i = 0; i < k; i++)
	{
		int64		c,
					a;
		double		value;

		if (!eligible[i])
			continue;
		/* A conversion can only follow an assignment; clamp what could disagree. */
		a = Max(assigned[i], 0);
		c = Min(Max(converted[i], 0), a);
		value = cjo_random_beta(r, 1.0 + c, 1.0 + (a - c)) * (scale ? scale[i] : 1.0);
		if (value > best_value)
		{
			best = i;
			best_value = value;
		}
	}
	return best;
}

/* ---- counts, cached per backend ---- */

typedef struct ArmKey
{
	int32		journey_id;
	int32		version;
	int32		node;
} ArmKey;

typedef struct ArmCounts
{
	ArmKey		key;
	TimestampTz loaded_at;		/* 0: never */
	int			n;
	int64	   *assigned;
	int64	   *converted;
} ArmCounts;

static HTAB *arm_cache = NULL;

/* Reads the totals of one node's arms: arm_stats plus the deltas not folded yet. */
static void
load_counts(ArmCounts *e, const CjoGraph *g, const CjoNode *n)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[2];
	int			guard;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	guard = cjo_sql_begin();
	if (plan == NULL)
	{
		Oid			types[2] = {INT4OID, TEXTOID};

		plan = SPI_prepare("SELECT arm, sum(assigned)::bigint, sum(converted)::bigint FROM ("
						   " SELECT arm, assigned, converted FROM cjo.arm_stats WHERE journey_id = $1 AND node = $2"
						   " UNION ALL"
						   " SELECT arm, assigned, converted FROM cjo.arm_deltas WHERE journey_id = $1 AND node = $2"
						   ") s GROUP BY arm", 2, types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	args[0] = Int32GetDatum(e->key.journey_id);
	args[1] = CStringGetTextDatum(cjo_graph_str(g, n->name));
	if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading arm counts failed");
	memset(e->assigned, 0, sizeof(int64) * e->n);
	memset(e->converted, 0, sizeof(int64) * e->n);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		char	   *arm = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		bool		isnull;

		/* Arms of variants that are gone from this version are not this node's business. */
		for (int i = 0; i < e->n; i++)
			if (strcmp(cjo_graph_str(g, cjo_graph_choice(g, n->choices + i)->label), arm) == 0)
			{
				Datum		a = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
				Datum		c = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);

				e->assigned[i] = DatumGetInt64(a);
				e->converted[i] = DatumGetInt64(c);
			}
	}
	cjo_sql_end(guard);
	SPI_finish();
	e->loaded_at = GetCurrentTimestamp();
}

/* The counts of node (index node) of a journey version, fresh enough. */
static ArmCounts *
arm_counts(int32 journey_id, int32 version, int node, const CjoGraph *g)
{
	const CjoNode *n = cjo_graph_node(g, node);
	ArmKey		key;
	ArmCounts  *e;
	bool		found;

	if (arm_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(ArmKey);
		ctl.entrysize = sizeof(ArmCounts);
		arm_cache = hash_create("cjo arm counts", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	key.journey_id = journey_id;
	key.version = version;
	key.node = node;
	e = hash_search(arm_cache, &key, HASH_ENTER, &found);
	if (!found)
	{
		e->loaded_at = 0;
		e->n = n->nchoices;
		e->assigned = MemoryContextAllocZero(TopMemoryContext, sizeof(int64) * e->n);
		e->converted = MemoryContextAllocZero(TopMemoryContext, sizeof(int64) * e->n);
	}
	if (e->loaded_at == 0 ||
		TimestampDifferenceExceeds(e->loaded_at, GetCurrentTimestamp(), cjo_learning_refresh * 1000 - 1))
		load_counts(e, g, n);
	return e;
}

/* Makes the next choice of every node read its counts again (a sweep folded them). */
void
cjo_arms_invalidate(void)
{
	HASH_SEQ_STATUS it;
	ArmCounts  *e;

	if (arm_cache == NULL)
		return;
	hash_seq_init(&it, arm_cache);
	while ((e = hash_seq_search(&it)) != NULL)
		e->loaded_at = 0;
}

/*
 * Chooses among the choices of a learning node by Thompson sampling on its
 * counts, with the node's min_share; seed makes the draws reproducible.
 */
int
cjo_learn_choose(int32 journey_id, int32 version, int node, const CjoGraph *g,
				 const bool *eligible, const double *scale, uint64 seed)
{
	ArmCounts  *c = arm_counts(journey_id, version, node, g);
	CjoRandom	r;

	cjo_random_seed(&r, seed);
	return cjo_thompson_choose(c->n, eligible, c->assigned, c->converted, scale,
							   cjo_graph_node(g, node)->min_share / 1000000.0, &r);
}

/*
 * Do the tables of arm counts exist?  Not in a database still at version
 * 0.1.0 that runs this library: ALTER EXTENSION cjo UPDATE creates them.
 * A syscache lookup, cheap enough to ask at every flush and sweep.
 */
bool
cjo_arm_tables_exist(void)
{
	Oid			ns = get_namespace_oid("cjo", true);

	return OidIsValid(ns) && OidIsValid(get_relname_relid("arm_deltas", ns)) &&
		OidIsValid(get_relname_relid("arm_stats", ns));
}

/* The sweep's part: folds the increments into the totals, if this version keeps them. */
void
cjo_arms_fold(void)
{
	if (!cjo_arm_tables_exist())
		return;
	if (SPI_execute("SELECT cjo.fold_arm_deltas()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "folding arm counts failed");
	cjo_arms_invalidate();
}

/* ---- increments, written when the batch ends ---- */

typedef struct ArmDelta
{
	int32		journey_id;
	char	   *node;
	char	   *arm;
	int64		assigned;
	int64		converted;
} ArmDelta;

static MemoryContext delta_cxt = NULL;
static ArmDelta *deltas = NULL;
static int	ndeltas = 0;
static int	maxdeltas = 0;

/* Counts a run that took arm (assigned) or converted after taking it. */
void
cjo_arms_note(int32 journey_id, const char *node, const char *arm, int assigned, int converted)
{
	ArmDelta   *d;

	/* A batch touches a handful of arms: a linear search is the fastest. */
	for (int i = 0; i < ndeltas; i++)
		if (deltas[i].journey_id == journey_id && strcmp(deltas[i].node, node) == 0 &&
			strcmp(deltas[i].arm, arm) == 0)
		{
			deltas[i].assigned += assigned;
			deltas[i].converted += converted;
			return;
		}
	if (delta_cxt == NULL)
		delta_cxt = AllocSetContextCreate(TopMemoryContext, "cjo arm deltas", ALLOCSET_SMALL_SIZES);
	if (ndeltas == maxdeltas)
	{
		maxdeltas = Max(16, maxdeltas * 2);
		deltas = deltas ? repalloc(deltas, sizeof(ArmDelta) * maxdeltas)
			: MemoryContextAlloc(delta_cxt, sizeof(ArmDelta) * maxdeltas);
	}
	d = &deltas[ndeltas++];
	d->journey_id = journey_id;
	d->node = MemoryContextStrdup(delta_cxt, node);
	d->arm = MemoryContextStrdup(delta_cxt, arm);
	d->assigned = assigned;
	d->converted = converted;
}

/* Forgets the increments of a batch that failed. */
void
cjo_arms_reset(void)
{
	if (delta_cxt != NULL)
		MemoryContextReset(delta_cxt);
	deltas = NULL;
	ndeltas = maxdeltas = 0;
}

/* Appends the batch's increments to cjo.arm_deltas, one row per arm. */
void
cjo_arms_flush(void)
{
	static SPIPlanPtr plan = NULL;
	Datum	   *cols[5];
	Datum		args[5];
	Oid			types[5] = {INT4OID, TEXTOID, TEXTOID, INT8OID, INT8OID};
	int			guard;

	if (ndeltas == 0)
		return;
	if (!cjo_arm_tables_exist())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("learning nodes need the tables of cjo 0.2.0"),
				 errhint("Run ALTER EXTENSION cjo UPDATE.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	guard = cjo_sql_begin();
	if (plan == NULL)
	{
		Oid			argtypes[5] = {INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID};

		plan = SPI_prepare("INSERT INTO cjo.arm_deltas (journey_id, node, arm, assigned, converted)"
						   " SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5)", 5, argtypes);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
	}
	for (int c = 0; c < 5; c++)
		cols[c] = palloc(sizeof(Datum) * ndeltas);
	for (int i = 0; i < ndeltas; i++)
	{
		cols[0][i] = Int32GetDatum(deltas[i].journey_id);
		cols[1][i] = CStringGetTextDatum(deltas[i].node);
		cols[2][i] = CStringGetTextDatum(deltas[i].arm);
		cols[3][i] = Int64GetDatum(deltas[i].assigned);
		cols[4][i] = Int64GetDatum(deltas[i].converted);
	}
	for (int c = 0; c < 5; c++)
	{
		int16		len;
		bool		byval;
		char		align;

		get_typlenbyvalalign(types[c], &len, &byval, &align);
		args[c] = PointerGetDatum(construct_array(cols[c], ndeltas, types[c], len, byval, align));
	}
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "writing arm counts failed");
	cjo_sql_end(guard);
	SPI_finish();
	cjo_arms_reset();
}

/* ---- SQL ---- */

static void
int8_array(ArrayType *a, const char *what, int64 **out, int *n)
{
	Datum	   *elems;
	bool	   *nulls;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
	*out = palloc(sizeof(int64) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not contain NULL", what)));
		(*out)[i] = DatumGetInt64(elems[i]);
		if ((*out)[i] < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s must not be negative", what)));
	}
}

/* Reads and checks the (assigned, converted) pair of arrays of a SQL call. */
static int
read_counts(FunctionCallInfo fcinfo, int64 **assigned, int64 **converted)
{
	int			na,
				nc;

	int8_array(PG_GETARG_ARRAYTYPE_P(0), "assigned", assigned, &na);
	int8_array(PG_GETARG_ARRAYTYPE_P(1), "converted", converted, &nc);
	if (na != nc)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("assigned has %d arms and converted %d", na, nc)));
	if (na == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("there must be at least one arm")));
	for (int i = 0; i < na; i++)
		if ((*converted)[i] > (*assigned)[i])
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("arm %d has more conversions (" INT64_FORMAT ") than assignments (" INT64_FORMAT ")",
								   i + 1, (*converted)[i], (*assigned)[i])));
	return na;
}

/*
 * cjo.thompson_choose(assigned, converted, min_share, seed): the arm (from
 * 1) that Thompson sampling picks with these counts and this seed.
 */
PG_FUNCTION_INFO_V1(cjo_thompson_choose_sql);
Datum
cjo_thompson_choose_sql(PG_FUNCTION_ARGS)
{
	int64	   *assigned,
			   *converted;
	int			k = read_counts(fcinfo, &assigned, &converted);
	double		min_share = PG_GETARG_FLOAT8(2);
	bool	   *eligible = palloc(sizeof(bool) * k);
	CjoRandom	r;

	if (isnan(min_share) || min_share < 0 || min_share * k > 1 + 1e-9)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("min_share must be between 0 and 1/%d for %d arms", k, k)));
	for (int i = 0; i < k; i++)
		eligible[i] = true;
	cjo_random_seed(&r, (uint64) PG_GETARG_INT64(3));
	PG_RETURN_INT32(cjo_thompson_choose(k, eligible, assigned, converted, NULL, min_share, &r) + 1);
}

/*
 * cjo.probability_best(assigned, converted, draws): for each arm, the
 * probability that its conversion rate is the highest, estimated with draws
 * joint draws from the posteriors (a fixed seed: the same counts give the
 * same answer).  This is the share of traffic Thompson sampling gives it
 * before exploration.
 */
PG_FUNCTION_INFO_V1(cjo_probability_best);
Datum
cjo_probability_best(PG_FUNCTION_ARGS)
{
	int64	   *assigned,
			   *converted;
	int			k = read_counts(fcinfo, &assigned, &converted);
	int			draws = PG_GETARG_INT32(2);
	int64	   *wins = palloc0(sizeof(int64) * k);
	bool	   *eligible = palloc(sizeof(bool) * k);
	Datum	   *out = palloc(sizeof(Datum) * k);
	CjoRandom	r;

	if (draws < 1 || draws > 10000000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("draws must be between 1 and 10000000")));
	for (int i = 0; i < k; i++)
		eligible[i] = true;
	cjo_random_seed(&r, 0);
	for (int d = 0; d < draws; d++)
	{
		CHECK_FOR_INTERRUPTS();
		wins[cjo_thompson_choose(k, eligible, assigned, converted, NULL, 0, &r)]++;
	}
	for (int i = 0; i < k; i++)
		out[i] = Float8GetDatum((double) wins[i] / draws);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, k, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
