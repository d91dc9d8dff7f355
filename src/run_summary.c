/*
 * run_summary.c: one run's moves summed up in one pass, for cjo.runs and
 * cjo_journey_paths().
 *
 * cjo.summarize_run(step, cause, at, path) collects the moves of a run and
 * returns a cjo.run_summary row: when it entered, when it last moved, the
 * node it is at (or ended at), the cause of its last move, when it reached
 * the goal, and the nodes it reached in order.  Moves come in any order;
 * they are sorted by step here, which saves the query a sort per run.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(cjo_run_summary_add);
PG_FUNCTION_INFO_V1(cjo_run_summary_result);

typedef struct SummaryMove
{
	int32		step;
	char		cause;
	TimestampTz at;
	int			npath;
	int16	   *path;			/* -1 for NULL (the entry's origin) */
} SummaryMove;

typedef struct SummaryState
{
	int			count;
	int			capacity;
	SummaryMove *moves;
} SummaryState;

Datum
cjo_run_summary_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	SummaryState *state;
	SummaryMove *m;
	Datum	   *elems;
	bool	   *nulls;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cjo.summarize_run called in a non-aggregate context")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("cjo.summarize_run needs the step, cause, time and path of every move")));

	old = MemoryContextSwitchTo(aggcontext);
	if (PG_ARGISNULL(0))
	{
		state = palloc(sizeof(SummaryState));
		state->count = 0;
		state->capacity = 8;
		state->moves = palloc(sizeof(SummaryMove) * state->capacity);
	}
	else
		state = (SummaryState *) PG_GETARG_POINTER(0);
	if (state->count == state->capacity)
	{
		state->capacity *= 2;
		state->moves = repalloc(state->moves, sizeof(SummaryMove) * state->capacity);
	}
	m = &state->moves[state->count++];
	m->step = PG_GETARG_INT32(1);
	m->cause = PG_GETARG_CHAR(2);
	m->at = PG_GETARG_TIMESTAMPTZ(3);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), INT2OID, sizeof(int16), true, TYPALIGN_SHORT,
					  &elems, &nulls, &m->npath);
	m->path = palloc(sizeof(int16) * Max(m->npath, 1));
	for (int i = 0; i < m->npath; i++)
		m->path[i] = nulls[i] ? -1 : DatumGetInt16(elems[i]);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

static int
summary_move_cmp(const void *a, const void *b)
{
	const SummaryMove *x = a;
	const SummaryMove *y = b;

	return (x->step > y->step) - (x->step < y->step);
}

Datum
cjo_run_summary_result(PG_FUNCTION_ARGS)
{
	SummaryState *state;
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {true, false, true, false, true, false};
	Datum	   *nodes;
	int			nnodes = 0;
	int			total = 0;
	const SummaryMove *last;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (SummaryState *) PG_GETARG_POINTER(0);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cjo.summarize_run must return a row")));
	desc = BlessTupleDesc(desc);
	qsort(state->moves, state->count, sizeof(SummaryMove), summary_move_cmp);

	for (int i = 0; i < state->count; i++)
		total += state->moves[i].npath;
	nodes = palloc(sizeof(Datum) * Max(total, 1));
	for (int i = 0; i < state->count; i++)
	{
		const SummaryMove *m = &state->moves[i];

		if (m->cause == 'e' && nulls[0])
		{
			values[0] = TimestampTzGetDatum(m->at);
			nulls[0] = false;
		}
		if (m->cause == 'g' && nulls[4])
		{
			values[4] = TimestampTzGetDatum(m->at);
			nulls[4] = false;
		}
		/* A move's first node is where the previous one ended (or NULL). */
		for (int k = 1; k < m->npath; k++)
			if (m->path[k] >= 0)
				nodes[nnodes++] = Int16GetDatum(m->path[k]);
	}
	last = &state->moves[state->count - 1];
	values[1] = TimestampTzGetDatum(last->at);
	if (last->npath > 0 && last->path[last->npath - 1] >= 0)
	{
		values[2] = Int16GetDatum(last->path[last->npath - 1]);
		nulls[2] = false;
	}
	values[3] = CharGetDatum(last->cause);
	for (int i = 0; i < state->count; i++)
		if (state->moves[i].at > DatumGetTimestampTz(values[1]))
			values[1] = TimestampTzGetDatum(state->moves[i].at);
	values[5] = PointerGetDatum(construct_array(nodes, nnodes, INT2OID, sizeof(int16), true, TYPALIGN_SHORT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
