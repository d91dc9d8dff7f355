/*
 * rollup.c: the two C pieces of the incremental analytics rollup
 * (sql/install/35_analytics_rollup.sql).
 *
 * cjo.analytics_changed(xmin, snapshot, refresher) tells whether a
 * cjo.journey_state row was written by a transaction that the refresh's
 * snapshot did not see: those customer-journeys are recomputed from the
 * history, the others are read from the rollup.
 *
 * cjo.stay_percentiles(stay, runs) is percentile_cont(0.5) and (0.9) over
 * a multiset given as (value, multiplicity) rows, so that stays can be kept
 * as an exact, mergeable histogram and still give the very numbers that
 * percentile_cont over the single values gives.
 */
#include "postgres.h"

#include <math.h>

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/snapmgr.h"
#include "utils/xid8.h"

PG_FUNCTION_INFO_V1(cjo_analytics_changed);
PG_FUNCTION_INFO_V1(cjo_analytics_snapshot);
PG_FUNCTION_INFO_V1(cjo_stay_percentiles_add);
PG_FUNCTION_INFO_V1(cjo_stay_percentiles_result);

/*
 * The layout of a pg_snapshot value (src/backend/utils/adt/xid8funcs.c,
 * which does not export it): full transaction ids.
 */
typedef struct SavedSnapshot
{
	int32		vl_len_;
	uint32		nxip;
	FullTransactionId xmin;
	FullTransactionId xmax;
	FullTransactionId xip[FLEXIBLE_ARRAY_MEMBER];
} SavedSnapshot;

/*
 * A row's xmin is a 32-bit id: it is widened against the next transaction
 * id, read once per query (every live row's xmin is at most 2^31 older).
 * A frozen row older than that would widen to a recent id and count as
 * changed: a needless recomputation, never a missed change.
 */
static FullTransactionId
widen_xid(TransactionId xid, FullTransactionId next)
{
	uint32		next32 = XidFromFullTransactionId(next);

	return FullTransactionIdFromU64(U64FromFullTransactionId(next) - (uint32) (next32 - xid));
}

static int
full_xid_cmp(const void *a, const void *b)
{
	uint64		x = U64FromFullTransactionId(*(const FullTransactionId *) a);
	uint64		y = U64FromFullTransactionId(*(const FullTransactionId *) b);

	return (x > y) - (x < y);
}

/*
 * The current snapshot as a pg_snapshot, with the subtransactions in
 * progress among the transactions in progress. pg_current_snapshot() lists
 * top-level ids only, but a row written in a subtransaction (a savepoint,
 * an exception block) carries the subtransaction's id: without it, a write
 * in progress at the refresh would pass for one committed before it, and
 * its customer-journey would never be recomputed. When a backend had too
 * many subtransactions for the snapshot to list them (suboverflowed), the
 * saved xmax is lowered to xmin: every later id counts as changed, which
 * recomputes more but misses nothing.
 */
Datum
cjo_analytics_snapshot(PG_FUNCTION_ARGS)
{
	Snapshot	cur = GetActiveSnapshot();
	FullTransactionId next = ReadNextFullTransactionId();
	SavedSnapshot *snap;
	uint32		n = 0;
	uint32		kept = 0;
	int			capacity;

	if (cur == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_TRANSACTION_STATE),
						errmsg("cjo.analytics_snapshot() needs an active snapshot")));
	capacity = cur->xcnt + (cur->suboverflowed ? 0 : cur->subxcnt);
	snap = palloc(offsetof(SavedSnapshot, xip) + sizeof(FullTransactionId) * Max(capacity, 1));
	snap->xmin = widen_xid(cur->xmin, next);
	snap->xmax = widen_xid(cur->xmax, next);
	if (cur->suboverflowed)
		snap->xmax = snap->xmin;
	else
	{
		for (uint32 i = 0; i < cur->xcnt; i++)
			snap->xip[n++] = widen_xid(cur->xip[i], next);
		for (int32 i = 0; i < cur->subxcnt; i++)
			snap->xip[n++] = widen_xid(cur->subxip[i], next);
	}
	/* Ascending, unique, and within [xmin, xmax), as pg_snapshot_in wants. */
	qsort(snap->xip, n, sizeof(FullTransactionId), full_xid_cmp);
	for (uint32 i = 0; i < n; i++)
	{
		if (FullTransactionIdPrecedes(snap->xip[i], snap->xmin) ||
			FullTransactionIdFollowsOrEquals(snap->xip[i], snap->xmax))
			continue;
		if (kept > 0 && FullTransactionIdEquals(snap->xip[kept - 1], snap->xip[i]))
			continue;
		snap->xip[kept++] = snap->xip[i];
	}
	snap->nxip = kept;
	SET_VARSIZE(snap, offsetof(SavedSnapshot, xip) + sizeof(FullTransactionId) * kept);
	PG_RETURN_POINTER(snap);
}

Datum
cjo_analytics_changed(PG_FUNCTION_ARGS)
{
	TransactionId xmin = DatumGetTransactionId(PG_GETARG_DATUM(0));
	SavedSnapshot *snap = (SavedSnapshot *) PG_GETARG_VARLENA_P(1);
	FullTransactionId refresher = PG_GETARG_FULLTRANSACTIONID(2);
	FullTransactionId *next = fcinfo->flinfo->fn_extra;
	FullTransactionId full;

	if (next == NULL)
	{
		next = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(FullTransactionId));
		*next = ReadNextFullTransactionId();
		fcinfo->flinfo->fn_extra = next;
	}
	/* Bootstrap and frozen ids: written long before any refresh. */
	if (!TransactionIdIsNormal(xmin))
		PG_RETURN_BOOL(false);
	full = widen_xid(xmin, *next);

	/*
	 * The refreshing transaction and its subtransactions (whose ids come
	 * after it) may write after their refresh read: always changed.
	 */
	if (FullTransactionIdIsValid(refresher) && FullTransactionIdFollowsOrEquals(full, refresher))
		PG_RETURN_BOOL(true);
	if (FullTransactionIdPrecedes(full, snap->xmin))
		PG_RETURN_BOOL(false);
	if (FullTransactionIdFollowsOrEquals(full, snap->xmax))
		PG_RETURN_BOOL(true);
	for (uint32 i = 0; i < snap->nxip; i++)
		if (FullTransactionIdEquals(full, snap->xip[i]))
			PG_RETURN_BOOL(true);
	/* Committed before the snapshot (the live row's writer committed). */
	PG_RETURN_BOOL(false);
}

typedef struct WeightedValue
{
	int64		value;
	int64		weight;
} WeightedValue;

typedef struct WeightedState
{
	int			count;
	int			capacity;
	int64		total;
	WeightedValue *items;
} WeightedState;

Datum
cjo_stay_percentiles_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	WeightedState *state;
	int64		weight;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cjo.stay_percentiles called in a non-aggregate context")));
	state = PG_ARGISNULL(0) ? NULL : (WeightedState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	weight = PG_GETARG_INT64(2);
	if (weight < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("cjo.stay_percentiles needs non-negative multiplicities, not " INT64_FORMAT, weight)));
	if (weight == 0)
		PG_RETURN_POINTER(state);

	old = MemoryContextSwitchTo(aggcontext);
	if (state == NULL)
	{
		state = palloc(sizeof(WeightedState));
		state->count = 0;
		state->capacity = 16;
		state->total = 0;
		state->items = palloc(sizeof(WeightedValue) * state->capacity);
	}
	if (state->count == state->capacity)
	{
		state->capacity *= 2;
		state->items = repalloc_huge(state->items, sizeof(WeightedValue) * state->capacity);
	}
	state->items[state->count].value = PG_GETARG_INT64(1);
	state->items[state->count].weight = weight;
	state->count++;
	state->total += weight;
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

static int
weighted_cmp(const void *a, const void *b)
{
	const WeightedValue *x = a;
	const WeightedValue *y = b;

	return (x->value > y->value) - (x->value < y->value);
}

/* The value at 0-based position pos of the sorted multiset. */
static double
value_at(const WeightedState *state, int64 pos)
{
	int64		seen = 0;

	for (int i = 0; i < state->count; i++)
	{
		seen += state->items[i].weight;
		if (pos < seen)
			return (double) state->items[i].value;
	}
	return (double) state->items[state->count - 1].value;
}

/* percentile_cont as PostgreSQL computes it over float8 (orderedsetaggs.c). */
static double
percentile_cont_of(const WeightedState *state, double percentile)
{
	double		position = percentile * (state->total - 1);
	int64		first_row = (int64) floor(position);
	int64		second_row = (int64) ceil(position);
	double		lo = value_at(state, first_row);
	double		hi;

	if (first_row == second_row)
		return lo;
	hi = value_at(state, second_row);
	return lo + ((position - first_row) * (hi - lo));
}

Datum
cjo_stay_percentiles_result(PG_FUNCTION_ARGS)
{
	WeightedState *state;
	Datum		out[2];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (WeightedState *) PG_GETARG_POINTER(0);
	qsort(state->items, state->count, sizeof(WeightedValue), weighted_cmp);
	out[0] = Float8GetDatum(percentile_cont_of(state, 0.5));
	out[1] = Float8GetDatum(percentile_cont_of(state, 0.9));
	PG_RETURN_ARRAYTYPE_P(construct_array(out, 2, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
