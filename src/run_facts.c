/*
 * run_facts.c: one pass over a run's history for the journey funnel.
 *
 * cjo.run_facts(graph, run_state, step, cause, at, path, choices) aggregates the
 * moves of one run (one customer's pass through a journey version) and
 * (run_state: 'a' still in the journey, 'e' ended, 'm' moved on to a newer
 * version by cjo_migrate, where it neither waits nor ended in this one)
 * returns what the funnel counts about it, so that cjo_journey_funnel() reads
 * cjo.history once instead of joining it with itself several times.
 *
 * The result is a flat bigint array:
 *   [1] entry time (microseconds since 2000-01-01, as timestamptz), or NULL
 *   [2] node index of the first split the run passed, or -1
 *   [3] the variant taken there, or -1
 *   [4] 1 if the run reached the goal, else 0
 *   then one triple (node, flags, stay) per node the run touched, where
 *   flags are the RUN_* bits below and stay is the time in microseconds of one
 *   finished stay at the node (-1 if none); a node with several stays gives
 *   one triple per further stay, with flags 0.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "graph.h"

#define RUN_ENTERED		0x01		/* reached the node */
#define RUN_WENT_ON		0x02		/* went on from it to another node */
#define RUN_WAITING		0x04		/* is there now (active run) */
#define RUN_ENDED		0x08		/* ended there */
#define RUN_COMPLETED	0x10		/* ended there because it is an exit node */
#define RUN_CONVERTED	0x20		/* reached the goal while there */
#define RUN_DROPPED		0x40		/* ended there without reaching the goal */
#define RUN_BEFORE		0x80		/* reached a node leading there (or it is the start) */

PG_FUNCTION_INFO_V1(cjo_run_facts_add);
PG_FUNCTION_INFO_V1(cjo_run_facts_result);

typedef struct RunMove
{
	int32		step;
	char		cause;
	TimestampTz at;
	int			npath;
	int16	   *path;			/* node indexes; -1 for NULL (the entry's origin) */
	int16	   *choices;		/* choice taken at each path position, -1 for none */
	int			nchoices;		/* may be shorter than the path */
} RunMove;

typedef struct RunState
{
	CjoGraph   *graph;
	char		run_state;		/* 'a' active, 'e' ended, 'm' migrated */
	int			count;
	int			capacity;
	RunMove    *moves;
} RunState;

/* Copies an int2[] (NULL elements as -1) into the aggregate's memory. */
static int16 *
copy_int2_array(ArrayType *a, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int16	   *out;

	if (ARR_NDIM(a) == 0)
	{
		*n = 0;
		return NULL;
	}
	deconstruct_array(a, INT2OID, sizeof(int16), true, TYPALIGN_SHORT, &elems, &nulls, n);
	out = palloc(sizeof(int16) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? -1 : DatumGetInt16(elems[i]);
	return out;
}

/* Transition: one move of the run. */
Datum
cjo_run_facts_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	MemoryContext old;
	RunState   *state;
	RunMove    *m;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("cjo.run_facts called in a non-aggregate context")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		PG_ARGISNULL(5) || PG_ARGISNULL(6))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("cjo.run_facts needs a graph, the run state, and the step, cause, time and path of every move")));

	old = MemoryContextSwitchTo(aggcontext);
	if (PG_ARGISNULL(0))
	{
		state = palloc(sizeof(RunState));
		/* Every move of a run has the same graph: keep a private copy of the first. */
		state->graph = (CjoGraph *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(1));
		state->run_state = PG_GETARG_CHAR(2);
		state->count = 0;
		state->capacity = 8;
		state->moves = palloc(sizeof(RunMove) * state->capacity);
	}
	else
		state = (RunState *) PG_GETARG_POINTER(0);

	if (state->count == state->capacity)
	{
		state->capacity *= 2;
		state->moves = repalloc(state->moves, sizeof(RunMove) * state->capacity);
	}
	m = &state->moves[state->count++];
	m->step = PG_GETARG_INT32(3);
	m->cause = PG_GETARG_CHAR(4);
	m->at = PG_GETARG_TIMESTAMPTZ(5);
	m->path = copy_int2_array(PG_GETARG_ARRAYTYPE_P(6), &m->npath);
	m->nchoices = 0;
	m->choices = PG_ARGISNULL(7) ? NULL : copy_int2_array(PG_GETARG_ARRAYTYPE_P(7), &m->nchoices);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

static int
move_cmp(const void *a, const void *b)
{
	const RunMove *x = a;
	const RunMove *y = b;

	return (x->step > y->step) - (x->step < y->step);
}

static inline bool
valid_node(const CjoGraph *g, int node)
{
	return node >= 0 && node < g->nnodes;
}

/* Marks the nodes a node leads to. */
static void
mark_successors(const CjoGraph *g, int node, int32 *flags)
{
	const CjoNode *n = cjo_graph_node(g, node);

	if (cjo_node_choices_are_edges(n))
		for (int j = 0; j < n->nchoices; j++)
		{
			int			next = cjo_graph_choice(g, n->choices + j)->next;

			if (valid_node(g, next))
				flags[next] |= RUN_BEFORE;
		}
	if (valid_node(g, n->next))
		flags[n->next] |= RUN_BEFORE;
}

/* Final: the run's facts, as described at the top. */
Datum
cjo_run_facts_result(PG_FUNCTION_ARGS)
{
	RunState   *state;
	CjoGraph   *g;
	int32	   *flags;
	int64	   *stays;			/* (node, stay) pairs */
	int			nstays = 0;
	Datum	   *out;
	bool	   *outnulls;
	int			nout = 4;
	int			split_node = -1,
				split_choice = -1;
	bool		converted = false;
	TimestampTz entered_at = 0;
	bool		has_entry = false;
	const RunMove *last;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RunState *) PG_GETARG_POINTER(0);
	g = state->graph;
	qsort(state->moves, state->count, sizeof(RunMove), move_cmp);

	flags = palloc0(sizeof(int32) * Max(g->nnodes, 1));
	stays = palloc(sizeof(int64) * 2 * state->count);
	if (g->nnodes > 0)
		flags[0] |= RUN_BEFORE;	/* every run reaches the start node from the entry */

	for (int i = 0; i < state->count; i++)
	{
		const RunMove *m = &state->moves[i];

		if (m->cause == 'e' && !has_entry)
		{
			entered_at = m->at;
			has_entry = true;
		}
		for (int k = 0; k < m->npath; k++)
		{
			int			node = m->path[k];

			if (!valid_node(g, node))
				continue;
			flags[node] |= RUN_ENTERED;
			if (k < m->npath - 1)
				flags[node] |= RUN_WENT_ON;
			if (split_node < 0 && cjo_graph_node(g, node)->kind == CJO_NODE_SPLIT &&
				k < m->nchoices && m->choices[k] >= 0)
			{
				split_node = node;
				split_choice = m->choices[k];
			}
		}
		if (m->cause == 'g' && !converted && m->npath > 0 && valid_node(g, m->path[0]))
		{
			flags[m->path[0]] |= RUN_CONVERTED;
			converted = true;
		}

		/*
		 * A stay: from the move's arrival at its last node to the next move
		 * that takes the run away (a goal only does if it ended the run).
		 */
		if (m->npath >= 2 && valid_node(g, m->path[m->npath - 1]) &&
			cjo_graph_node(g, m->path[m->npath - 1])->kind != CJO_NODE_EXIT)
			for (int j = i + 1; j < state->count; j++)
			{
				const RunMove *later = &state->moves[j];

				if (later->cause != 'g' || (j == state->count - 1 && state->run_state == 'e'))
				{
					stays[2 * nstays] = m->path[m->npath - 1];
					stays[2 * nstays + 1] = later->at - m->at;
					nstays++;
					break;
				}
			}
	}
	for (int node = 0; node < g->nnodes; node++)
		if (flags[node] & RUN_ENTERED)
			mark_successors(g, node, flags);

	last = &state->moves[state->count - 1];
	if (last->npath > 0 && valid_node(g, last->path[last->npath - 1]))
	{
		int			node = last->path[last->npath - 1];

		if (state->run_state == 'a')
			flags[node] |= RUN_WAITING;
		else if (state->run_state == 'e')
		{
			flags[node] |= RUN_ENDED;
			if (cjo_graph_node(g, node)->kind == CJO_NODE_EXIT)
				flags[node] |= RUN_COMPLETED;
			if (!converted)
				flags[node] |= RUN_DROPPED;
		}
	}

	out = palloc(sizeof(Datum) * (4 + 3 * (g->nnodes + nstays)));
	outnulls = palloc0(sizeof(bool) * (4 + 3 * (g->nnodes + nstays)));
	out[0] = Int64GetDatum(entered_at);
	outnulls[0] = !has_entry;
	out[1] = Int64GetDatum(split_node);
	out[2] = Int64GetDatum(split_choice);
	out[3] = Int64GetDatum(converted ? 1 : 0);
	for (int node = 0; node < g->nnodes; node++)
	{
		int64		stay = -1;

		if (flags[node] == 0)
			continue;
		/* The node's first stay goes with its flags, the others alone. */
		for (int s = 0; s < nstays; s++)
			if (stays[2 * s] == node)
			{
				stay = stays[2 * s + 1];
				stays[2 * s] = -1;
				break;
			}
		out[nout++] = Int64GetDatum(node);
		out[nout++] = Int64GetDatum(flags[node]);
		out[nout++] = Int64GetDatum(stay);
	}
	for (int s = 0; s < nstays; s++)
		if (stays[2 * s] >= 0)
		{
			out[nout++] = Int64GetDatum(stays[2 * s]);
			out[nout++] = Int64GetDatum(0);
			out[nout++] = Int64GetDatum(stays[2 * s + 1]);
		}

	{
		int			dims[1] = {nout};
		int			lbs[1] = {1};

		PG_RETURN_ARRAYTYPE_P(construct_md_array(out, outnulls, 1, dims, lbs, INT8OID,
												 sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
}
