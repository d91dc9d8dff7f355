/*
 * store.c: read and write customers' journey data with a few statements
 * per batch.
 *
 * Reads take every customer of a batch at once (customer_id = ANY($1)).
 * Writes are buffered in memory and sent, when the batch ends, as one
 * statement for the three tables: INSERT ... SELECT unnest($1), unnest($2),
 * ... for each, column arrays as parameters, so the cost per row is an array
 * element, not a statement.  (Set functions in the select list stream their
 * rows; unnest() in FROM would first copy them all into a tuplestore.)
 * Plans are prepared once per backend.  Every statement names only the
 * customers of the batch, which is what a distributed (per-customer
 * sharded) deployment needs.
 *
 * All functions here expect SPI to be connected by the caller (trigger.c,
 * advance.c) and keep the caller's memory context current.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cjo.h"

#define MAX_COLS 16
#define WRITE_ARGS 33

/* Rows buffered for one table, column by column at flush time. */
typedef struct RowBuf
{
	int			ncols;
	Oid			types[MAX_COLS];
	int			nrows;
	int			cap;
	Datum	   *values;			/* nrows x ncols, row-major */
	bool	   *nulls;
} RowBuf;

static RowBuf state_buf = {
	.ncols = 14,
	.types = {TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, INT2OID, CHAROID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, NUMERICOID, INT8OID}
};

/*
 * Paths differ in length and a two-dimensional array cannot hold them, so
 * each path travels as the text of a smallint[] inside a text[].
 */
static RowBuf history_buf = {
	.ncols = 10,
	.types = {TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, CHAROID, INT8OID, TIMESTAMPTZOID, TEXTOID, TEXTOID}
};

static RowBuf action_buf = {
	.ncols = 9,
	.types = {TEXTOID, INT4OID, INT4OID, INT4OID, INT2OID, TEXTOID, TEXTOID, JSONBOID, INT8OID}
};

/*
 * One statement writes a batch: states ($1-$14), history ($15-$24) and
 * actions ($25-$33), each an array per column (empty arrays write nothing).
 * One statement instead of three saves two executor start-ups per batch,
 * which is most of the cost of a single-row insert.
 */
#define WRITE_SQL \
	"WITH states AS (" \
	" INSERT INTO cjo.journey_state AS s (customer_id, journey_id, version, run, step, node, status," \
	"  entered_at, node_at, due_at, ended_at, converted_at, goal_value, entry_event_id)" \
	" SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)," \
	"  unnest($8), unnest($9), unnest($10), unnest($11), unnest($12), unnest($13), unnest($14)" \
	" ON CONFLICT (customer_id, journey_id) DO UPDATE SET" \
	"  version = excluded.version, run = excluded.run, step = excluded.step, node = excluded.node," \
	"  status = excluded.status, entered_at = excluded.entered_at, node_at = excluded.node_at," \
	"  due_at = excluded.due_at, ended_at = excluded.ended_at, converted_at = excluded.converted_at," \
	"  goal_value = excluded.goal_value, entry_event_id = excluded.entry_event_id)," \
	" history AS (" \
	" INSERT INTO cjo.history (customer_id, journey_id, version, run, step, cause, event_id, at, path, choices)" \
	" SELECT unnest($15), unnest($16), unnest($17), unnest($18), unnest($19), unnest($20), unnest($21)," \
	"  unnest($22), unnest($23)::smallint[], unnest($24)::smallint[])" \
	" INSERT INTO cjo.actions (customer_id, journey_id, version, run, node, channel, template, payload, event_id)" \
	" SELECT unnest($25), unnest($26), unnest($27), unnest($28), unnest($29), unnest($30), unnest($31)," \
	"  unnest($32), unnest($33)"

/* Prepares a statement once per backend; arguments are arrays of the column types. */
static SPIPlanPtr
prepare(const char *sql, int nargs, const Oid *types, bool arrays)
{
	Oid			argtypes[WRITE_ARGS];
	SPIPlanPtr	plan;

	for (int i = 0; i < nargs; i++)
		argtypes[i] = arrays ? get_array_type(types[i]) : types[i];
	/*
	 * Generic plans: the plan cache would otherwise keep re-planning
	 * "= ANY($1)" for every batch, which costs more than the batch itself
	 * for a single-row insert.
	 */
	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* Runs a prepared plan, keeping the caller's memory context current. */
static void
execute(SPIPlanPtr plan, Datum *args, const char *nulls, bool read_only, int expect)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			ret = SPI_execute_plan(plan, args, nulls, read_only, 0);

	MemoryContextSwitchTo(cxt);
	if (ret != expect)
		elog(ERROR, "cjo statement failed: %s", SPI_result_code_string(ret));
}

static Datum
text_array(const char **values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(values[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static int
customer_cmp(const void *key, const void *elem)
{
	return strcmp((const char *) key, ((const CjoCustomer *) elem)->id);
}

static CjoCustomer *
find_customer(CjoCustomer *customers, int n, const char *id)
{
	return bsearch(id, customers, n, sizeof(CjoCustomer), customer_cmp);
}

static TimestampTz
get_time(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? CJO_NO_TIME : DatumGetTimestampTz(d);
}

/* The state of a customer in a journey, or NULL. */
CjoState *
cjo_state_find(CjoCustomer *c, int32 journey_id)
{
	for (int i = 0; i < c->nstates; i++)
		if (c->states[i].journey_id == journey_id)
			return &c->states[i];
	return NULL;
}

/* A new, empty state (run 0) of a customer in a journey. */
CjoState *
cjo_state_add(CjoCustomer *c, int32 journey_id)
{
	CjoState   *st;

	if (c->nstates == c->maxstates)
	{
		c->maxstates = Max(4, c->maxstates * 2);
		c->states = c->states ? repalloc(c->states, sizeof(CjoState) * c->maxstates)
			: MemoryContextAlloc(c->cxt, sizeof(CjoState) * c->maxstates);
	}
	st = &c->states[c->nstates++];
	memset(st, 0, sizeof(*st));
	st->journey_id = journey_id;
	st->due_at = st->ended_at = st->converted_at = CJO_NO_TIME;
	return st;
}

#define STATE_COLUMNS \
	"customer_id, journey_id, version, run, step, node, status, entered_at, node_at, due_at," \
	" ended_at, converted_at, goal_value, entry_event_id"

/*
 * Loads the journey states (and, if asked, the profiles) of customers,
 * which must be sorted by id: one statement either way.
 */
void
cjo_store_load(CjoCustomer *customers, int n, bool profiles)
{
	static SPIPlanPtr states_plan = NULL;
	static SPIPlanPtr both_plan = NULL;
	const char **ids = palloc(sizeof(char *) * Max(n, 1));
	Datum		arg;
	Oid			textoid = TEXTOID;

	if (n == 0)
		return;
	for (int i = 0; i < n; i++)
		ids[i] = customers[i].id;
	arg = text_array(ids, n);

	if (states_plan == NULL)
	{
		states_plan = prepare("SELECT " STATE_COLUMNS ", NULL::jsonb"
							  " FROM cjo.journey_state WHERE customer_id = ANY ($1)",
							  1, &textoid, true);
		/* Profiles come as rows without a journey. */
		both_plan = prepare("SELECT " STATE_COLUMNS ", NULL::jsonb"
							" FROM cjo.journey_state WHERE customer_id = ANY ($1)"
							" UNION ALL"
							" SELECT customer_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
							" NULL, NULL, NULL, NULL, attributes"
							" FROM cjo.customers WHERE customer_id = ANY ($1)",
							1, &textoid, true);
	}
	execute(profiles ? both_plan : states_plan, &arg, NULL, false, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *id = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		CjoCustomer *c = find_customer(customers, n, id);
		CjoState   *st;
		Datum		d = SPI_getbinval(tup, desc, 2, &isnull);

		if (c == NULL)
			continue;			/* a collation-equal but byte-different id */
		if (isnull)
		{
			d = SPI_getbinval(tup, desc, 15, &isnull);
			if (!isnull)
				c->profile = DatumGetJsonbPCopy(d);
			continue;
		}
		st = cjo_state_add(c, DatumGetInt32(d));
		st->version = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		st->run = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		st->step = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		st->node = DatumGetInt16(SPI_getbinval(tup, desc, 6, &isnull));
		st->status = DatumGetChar(SPI_getbinval(tup, desc, 7, &isnull));
		st->entered_at = get_time(tup, desc, 8);
		st->node_at = get_time(tup, desc, 9);
		st->due_at = get_time(tup, desc, 10);
		st->ended_at = get_time(tup, desc, 11);
		st->converted_at = get_time(tup, desc, 12);
		d = SPI_getbinval(tup, desc, 13, &isnull);
		st->goal_value = isnull ? NULL : DatumGetNumericCopy(d);
		d = SPI_getbinval(tup, desc, 14, &isnull);
		st->entry_event_id = isnull ? 0 : DatumGetInt64(d);
		st->dirty = false;
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Loads one event of a customer (the entry event of a run), or NULL. */
CjoEvent *
cjo_store_load_event(CjoCustomer *c, int64 event_id)
{
	const char *customer_id = c->id;
	MemoryContext old;
	static SPIPlanPtr plan = NULL;
	Datum		args[2];
	CjoEvent   *ev = NULL;

	if (plan == NULL)
	{
		Oid			types[2] = {TEXTOID, INT8OID};

		plan = prepare("SELECT name, channel, properties, occurred_at FROM cjo.events"
					   " WHERE customer_id = $1 AND event_id = $2", 2, types, false);
	}
	args[0] = CStringGetTextDatum(customer_id);
	args[1] = Int64GetDatum(event_id);

	/*
	 * Not read-only: a fresh snapshot, like the state it belongs to.  With
	 * the statement's snapshot, an event whose insert waited for the
	 * customer's lock would not see an entry event committed meanwhile by
	 * the lock's holder, though it sees the run that event started.
	 */
	execute(plan, args, NULL, false, SPI_OK_SELECT);
	old = MemoryContextSwitchTo(c->cxt);
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		ev = palloc0(sizeof(CjoEvent));
		ev->event_id = event_id;
		ev->customer_id = customer_id;
		ev->name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		ev->channel = isnull ? NULL : TextDatumGetCString(d);
		ev->properties = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 3, &isnull));
		ev->occurred_at = ev->at = get_time(tup, desc, 4);
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
	return ev;
}

/* Appends one row to a buffer. */
static void
rowbuf_add(RowBuf *b, const Datum *values, const bool *nulls)
{
	if (b->nrows == b->cap)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		b->cap = Max(64, b->cap * 2);
		b->values = b->values ? repalloc(b->values, sizeof(Datum) * b->cap * b->ncols)
			: palloc(sizeof(Datum) * b->cap * b->ncols);
		b->nulls = b->nulls ? repalloc(b->nulls, sizeof(bool) * b->cap * b->ncols)
			: palloc(sizeof(bool) * b->cap * b->ncols);
		MemoryContextSwitchTo(old);
	}
	memcpy(b->values + b->nrows * b->ncols, values, sizeof(Datum) * b->ncols);
	memcpy(b->nulls + b->nrows * b->ncols, nulls, sizeof(bool) * b->ncols);
	b->nrows++;
}

/*
 * Takes a buffer's rows out as column arrays (arguments of the write
 * statement, empty if it has none) and empties it; returns how many rows.
 */
static int
rowbuf_take(RowBuf *b, Datum *args)
{
	Datum	   *col;
	bool	   *colnulls;
	int			nrows = b->nrows;

	col = palloc(sizeof(Datum) * Max(nrows, 1));
	colnulls = palloc(sizeof(bool) * Max(nrows, 1));
	for (int c = 0; c < b->ncols; c++)
	{
		int16		typlen;
		bool		byval;
		char		align;
		int			dims[1] = {nrows};
		int			lbs[1] = {1};

		get_typlenbyvalalign(b->types[c], &typlen, &byval, &align);
		for (int r = 0; r < nrows; r++)
		{
			col[r] = b->values[r * b->ncols + c];
			colnulls[r] = b->nulls[r * b->ncols + c];
		}
		args[c] = PointerGetDatum(construct_md_array(col, colnulls, 1, dims, lbs, b->types[c],
													 typlen, byval, align));
	}
	b->nrows = 0;
	if (b->cap > 65536)
	{
		/* Don't keep a huge batch's buffers for the life of the backend. */
		pfree(b->values);
		pfree(b->nulls);
		b->values = NULL;
		b->nulls = NULL;
		b->cap = 0;
	}
	return nrows;
}

/* Forgets buffered rows left by a batch that failed; keeps the allocation. */
static void
rowbuf_reset(RowBuf *b)
{
	b->nrows = 0;
}

/* Writes a smallint array literal, -1 as NULL: "{NULL,3,4}". */
static char *
int2_array_text(const int16 *v, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		if (v[i] < 0)
			appendStringInfoString(&buf, "NULL");
		else
			appendStringInfo(&buf, "%d", v[i]);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Buffers one history row: a move.  Its arrays go to the customer's lasting memory. */
void
cjo_store_history(CjoCustomer *c, int32 journey_id, const CjoMove *m)
{
	Datum		v[10];
	bool		n[10] = {0};
	bool		any_choice = false;
	MemoryContext old = MemoryContextSwitchTo(c->cxt);

	for (int i = 0; i + 1 < m->n; i++)
		any_choice |= m->choices[i] >= 0;
	v[0] = PointerGetDatum(c->id);	/* converted to text at flush */
	v[1] = Int32GetDatum(journey_id);
	v[2] = Int32GetDatum(m->version);
	v[3] = Int32GetDatum(m->run);
	v[4] = Int32GetDatum(m->step);
	v[5] = CharGetDatum(m->cause);
	v[6] = Int64GetDatum(m->event_id);
	n[6] = m->event_id == 0;
	v[7] = TimestampTzGetDatum(m->at);
	v[8] = PointerGetDatum(int2_array_text(m->path, m->n));
	v[9] = PointerGetDatum(any_choice ? int2_array_text(m->choices, m->n - 1) : NULL);
	n[9] = !any_choice;
	rowbuf_add(&history_buf, v, n);
	MemoryContextSwitchTo(old);
}

/* Buffers one outbox row. */
void
cjo_store_action(const char *customer_id, const CjoState *st, int16 node, const char *channel,
				 const char *template_, Jsonb *payload, int64 event_id)
{
	Datum		v[9];
	bool		n[9] = {0};

	v[0] = PointerGetDatum(customer_id);
	v[1] = Int32GetDatum(st->journey_id);
	v[2] = Int32GetDatum(st->version);
	v[3] = Int32GetDatum(st->run);
	v[4] = Int16GetDatum(node);
	v[5] = PointerGetDatum(channel);
	v[6] = PointerGetDatum(template_);
	v[7] = JsonbPGetDatum(payload);
	v[8] = Int64GetDatum(event_id);
	n[8] = event_id == 0;
	rowbuf_add(&action_buf, v, n);
}

/* Turns the C strings buffered in column col into text datums. */
static void
strings_to_text(RowBuf *b, int col)
{
	for (int r = 0; r < b->nrows; r++)
		if (!b->nulls[r * b->ncols + col])
			b->values[r * b->ncols + col] =
				CStringGetTextDatum((const char *) DatumGetPointer(b->values[r * b->ncols + col]));
}

static Datum
time_datum(TimestampTz t, bool *isnull)
{
	*isnull = (t == CJO_NO_TIME);
	return TimestampTzGetDatum(t);
}

/* Writes the changed states, the history and the actions of a batch. */
void
cjo_store_flush(CjoCustomer *customers, int ncustomers)
{
	List	   *channels = NIL;
	ListCell   *lc;
	static SPIPlanPtr write_plan = NULL;
	Datum		args[WRITE_ARGS];
	int			rows;

	for (int i = 0; i < ncustomers; i++)
		for (int s = 0; s < customers[i].nstates; s++)
		{
			CjoState   *st = &customers[i].states[s];
			Datum		v[14];
			bool		n[14] = {0};

			if (!st->dirty || st->run == 0)
				continue;
			v[0] = PointerGetDatum(customers[i].id);
			v[1] = Int32GetDatum(st->journey_id);
			v[2] = Int32GetDatum(st->version);
			v[3] = Int32GetDatum(st->run);
			v[4] = Int32GetDatum(st->step);
			v[5] = Int16GetDatum(st->node);
			v[6] = CharGetDatum(st->status);
			v[7] = TimestampTzGetDatum(st->entered_at);
			v[8] = TimestampTzGetDatum(st->node_at);
			v[9] = time_datum(st->due_at, &n[9]);
			v[10] = time_datum(st->ended_at, &n[10]);
			v[11] = time_datum(st->converted_at, &n[11]);
			v[12] = NumericGetDatum(st->goal_value);
			n[12] = st->goal_value == NULL;
			v[13] = Int64GetDatum(st->entry_event_id);
			n[13] = st->entry_event_id == 0;
			rowbuf_add(&state_buf, v, n);
			st->dirty = false;
		}

	strings_to_text(&state_buf, 0);
	strings_to_text(&history_buf, 0);
	strings_to_text(&history_buf, 8);
	strings_to_text(&history_buf, 9);
	strings_to_text(&action_buf, 0);
	strings_to_text(&action_buf, 5);
	strings_to_text(&action_buf, 6);

	/* One notification per channel that got new work. */
	for (int r = 0; r < action_buf.nrows; r++)
	{
		text	   *ch = DatumGetTextPP(action_buf.values[r * action_buf.ncols + 5]);
		char	   *name = text_to_cstring(ch);
		bool		seen = false;

		foreach(lc, channels)
			if (strcmp(lfirst(lc), name) == 0)
				seen = true;
		if (!seen)
			channels = lappend(channels, name);
	}

	/*
	 * Take every buffer's rows out before writing any: a trigger of the
	 * user's on a cjo table may insert events, and that nested batch must
	 * find the buffers empty (and may drop what it leaves there if its
	 * subtransaction aborts) without touching ours.
	 */
	rows = rowbuf_take(&state_buf, args);
	rows += rowbuf_take(&history_buf, args + state_buf.ncols);
	rows += rowbuf_take(&action_buf, args + state_buf.ncols + history_buf.ncols);
	if (rows > 0)
	{
		if (write_plan == NULL)
		{
			Oid			types[WRITE_ARGS];
			int			n = 0;

			for (int i = 0; i < state_buf.ncols; i++)
				types[n++] = state_buf.types[i];
			for (int i = 0; i < history_buf.ncols; i++)
				types[n++] = history_buf.types[i];
			for (int i = 0; i < action_buf.ncols; i++)
				types[n++] = action_buf.types[i];
			write_plan = prepare(WRITE_SQL, WRITE_ARGS, types, true);
		}
		execute(write_plan, args, NULL, false, SPI_OK_INSERT);
	}
	foreach(lc, channels)
		Async_Notify("cjo_actions", lfirst(lc));
}

/* Drops anything a failed batch left buffered: called when a transaction aborts. */
void
cjo_store_reset(void)
{
	rowbuf_reset(&state_buf);
	rowbuf_reset(&history_buf);
	rowbuf_reset(&action_buf);
}
