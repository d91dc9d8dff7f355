/*
 * store.c: read and write customers' journey data, a batch at a time.
 *
 * Reads take every customer of a batch by direct scans of the primary keys.
 * Writes are buffered in memory and stored when the batch ends, table by
 * table, the way COPY FROM stores rows: through the table AM, a page of rows
 * at a time, with defaults, constraints and index entries, and states read
 * by the batch updated where they were read.  A table that needs more than
 * that (an enabled trigger, row-level security, ...) is written by
 * statements instead: INSERT ... SELECT unnest($1), unnest($2), ... with
 * column arrays as parameters, or INSERT ... VALUES for one or two rows,
 * prepared once per backend.  Every write names only the customers of the
 * batch, which is what a distributed (per-customer sharded) deployment
 * needs.
 *
 * All functions here expect SPI to be connected by the caller (trigger.c,
 * advance.c) and keep the caller's memory context current.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "nodes/nodeFuncs.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cjo.h"

#define MAX_COLS 16


/* Rows buffered for one table, column by column at flush time. */
typedef struct RowBuf
{
	int			ncols;
	Oid			types[MAX_COLS];
	int			nrows;
	int			cap;
	Datum	   *values;			/* nrows x ncols, row-major */
	bool	   *nulls;
	ItemPointerData *tids;		/* state_buf only: where each row was read */
} RowBuf;

/*
 * States are buffered in two lots: rows read by cjo_store_load (updated) and
 * new rows (inserted).  The last column, data, is dropped on 0.1.0 tables:
 * see state_columns_init.
 */
#define STATE_TYPES {TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, INT2OID, CHAROID, TIMESTAMPTZOID, \
	TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, NUMERICOID, INT8OID, JSONBOID}
static RowBuf state_buf = {.ncols = 15, .types = STATE_TYPES};
static RowBuf new_state_buf = {.ncols = 15, .types = STATE_TYPES};
static const char *const state_columns[] = {"customer_id", "journey_id", "version", "run", "step", "node",
	"status", "entered_at", "node_at", "due_at", "ended_at", "converted_at", "goal_value", "entry_event_id", "data"};

/*
 * Paths differ in length and a two-dimensional array cannot hold them: the
 * statement path sends each one as the text of a smallint[] inside a text[]
 * (see write_rows).
 */
static RowBuf history_buf = {
	.ncols = 10,
	.types = {TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, CHAROID, INT8OID, TIMESTAMPTZOID, INT2ARRAYOID, INT2ARRAYOID}
};
static const char *const history_columns[] = {"customer_id", "journey_id", "version", "run", "step", "cause",
	"event_id", "at", "path", "choices"};

static RowBuf action_buf = {
	.ncols = 9,
	.types = {TEXTOID, INT4OID, INT4OID, INT4OID, INT2OID, TEXTOID, TEXTOID, JSONBOID, INT8OID}
};
static const char *const action_columns[] = {"customer_id", "journey_id", "version", "run", "node", "channel",
	"template", "payload", "event_id"};

/*
 * Each table is written with one statement per batch, only if the batch has
 * rows for it: INSERT ... SELECT unnest($1), unnest($2), ... with one array
 * per column.  A batch of one or two rows (a single event) instead runs a
 * plain INSERT ... VALUES per row: no arrays to build and unnest, and a
 * much smaller plan to start, which is most of what a single row costs.
 */
/* The state statements take the data column's parts as arguments (D, U, V, S). */
#define STATE_INSERT(D) \
	"INSERT INTO cjo.journey_state AS s (customer_id, journey_id, version, run, step, node, status," \
	" entered_at, node_at, due_at, ended_at, converted_at, goal_value, entry_event_id" D ")"
#define STATE_UPSERT(S) \
	" ON CONFLICT (customer_id, journey_id) DO UPDATE SET" \
	"  version = excluded.version, run = excluded.run, step = excluded.step, node = excluded.node," \
	"  status = excluded.status, entered_at = excluded.entered_at, node_at = excluded.node_at," \
	"  due_at = excluded.due_at, ended_at = excluded.ended_at, converted_at = excluded.converted_at," \
	"  goal_value = excluded.goal_value, entry_event_id = excluded.entry_event_id" S
#define STATE_ARRAYS_SQL(D, U, S) STATE_INSERT(D) \
	" SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)," \
	"  unnest($8), unnest($9), unnest($10), unnest($11), unnest($12), unnest($13), unnest($14)" U STATE_UPSERT(S)
#define STATE_ROW_SQL(D, V, S) STATE_INSERT(D) \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14" V ")" STATE_UPSERT(S)
#define HISTORY_INSERT \
	"INSERT INTO cjo.history (customer_id, journey_id, version, run, step, cause, event_id, at, path, choices)"
#define HISTORY_ARRAYS_SQL HISTORY_INSERT \
	" SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)," \
	"  unnest($8), unnest($9)::smallint[], unnest($10)::smallint[]"
#define HISTORY_ROW_SQL HISTORY_INSERT \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::smallint[], $10::smallint[])"
#define ACTION_INSERT \
	"INSERT INTO cjo.actions (customer_id, journey_id, version, run, node, channel, template, payload, event_id)"
#define ACTION_ARRAYS_SQL ACTION_INSERT \
	" SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)," \
	"  unnest($8), unnest($9)"
#define ACTION_ROW_SQL ACTION_INSERT " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"

/* Up to this many rows for a table, they are written one statement each. */
#define ROW_BY_ROW 2

/*
 * What insert_direct needs to know of a table, worked out once per backend
 * and again whenever the table's relcache entry is invalidated (ALTER
 * TABLE, triggers enabled or created, defaults changed, ...).
 */
typedef struct DirectPlan
{
	Oid			relid;			/* InvalidOid: to be worked out */
	bool		ok;				/* rows may be stored without a statement */
	AttrNumber	attnums[MAX_COLS];	/* the table's number of each buffer column */
	int			ndefaults;
	AttrNumber *default_attnums;	/* the other columns that have a default ... */
	Expr	  **default_exprs;	/* ... and its planned expression */
	int			nchecks;
	Expr	  **check_exprs;	/* the CHECK constraints, planned (ExecConstraints' order) */
	bool		user_code;		/* a default or CHECK calls a function not built in */
	Bitmapset  *updated_cols;	/* updates: the columns written but the key's */
	MemoryContext cxt;			/* where the above live */
} DirectPlan;

/*
 * How one table is written: straight through the table AM when it may be
 * (insert_direct), else by statements prepared on first use.
 */
typedef struct TableWriter
{
	RowBuf	   *buf;
	const char *table;			/* in schema cjo */
	const char *const *columns; /* the buffer's columns, in order */
	bool		direct;			/* try insert_direct (or, for read rows, update_direct) first */
	bool		update;			/* the rows were read from the table: update them */
	DirectPlan	plan;
	const char *arrays_sql;
	const char *row_sql;
	SPIPlanPtr	arrays_plan;
	SPIPlanPtr	row_plan;
} TableWriter;

#define STATE_WRITER(BUF, UPDATE) { \
	.buf = BUF, .table = "journey_state", .columns = state_columns, .direct = true, .update = UPDATE, \
	.arrays_sql = STATE_ARRAYS_SQL(", data", ", unnest($15)", ", data = excluded.data"), \
	.row_sql = STATE_ROW_SQL(", data", ", $15", ", data = excluded.data")}
static TableWriter state_writer = STATE_WRITER(&state_buf, true);
static TableWriter new_state_writer = STATE_WRITER(&new_state_buf, false);
static TableWriter history_writer = {.buf = &history_buf, .table = "history", .columns = history_columns,
	.direct = true, .arrays_sql = HISTORY_ARRAYS_SQL, .row_sql = HISTORY_ROW_SQL};
static TableWriter action_writer = {.buf = &action_buf, .table = "actions", .columns = action_columns,
	.direct = true, .arrays_sql = ACTION_ARRAYS_SQL, .row_sql = ACTION_ROW_SQL};

/* Prepares a statement once per backend; arguments are arrays of the column types. */
static SPIPlanPtr
prepare(const char *sql, int nargs, const Oid *types, bool arrays)
{
	Oid			argtypes[MAX_COLS];
	SPIPlanPtr	plan;
	int			guard;

	for (int i = 0; i < nargs; i++)
		argtypes[i] = !arrays ? types[i] : types[i] == INT2ARRAYOID ? TEXTARRAYOID : get_array_type(types[i]);
	/*
	 * Generic plans: the plan cache would otherwise keep re-planning
	 * "= ANY($1)" for every batch, which costs more than the batch itself
	 * for a single-row insert.
	 */
	guard = cjo_sql_begin();
	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	cjo_sql_end(guard);
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
	int			guard = cjo_sql_begin();
	int			ret = SPI_execute_plan(plan, args, nulls, read_only, 0);

	cjo_sql_end(guard);
	MemoryContextSwitchTo(cxt);
	if (ret != expect)
		elog(ERROR, "cjo statement failed: %s", SPI_result_code_string(ret));
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

/* A table of schema cjo, for a direct index scan, with its primary key index. */
static Relation
open_cjo_table(const char *name, Relation *pkey)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("cjo", false));
	Relation	rel;

	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("table cjo.%s does not exist", name)));
	rel = table_open(relid, AccessShareLock);
	*pkey = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	return rel;
}

/*
 * Does cjo.journey_state have the data column (0.2.0)?  A backend running
 * this library against the 0.1.0 tables, before ALTER EXTENSION cjo UPDATE,
 * must go on working: it reads no journey data and writes none.  Decided once
 * per backend, before the first state is buffered.
 */
static void
state_columns_init(void)
{
	static bool done = false;
	Oid			nsp;
	Oid			rel;

	if (done)
		return;
	nsp = get_namespace_oid("cjo", true);
	rel = OidIsValid(nsp) ? get_relname_relid("journey_state", nsp) : InvalidOid;
	if (OidIsValid(rel) && get_attnum(rel, "data") == InvalidAttrNumber)
	{
		state_buf.ncols = new_state_buf.ncols = 14;
		state_writer.arrays_sql = new_state_writer.arrays_sql = STATE_ARRAYS_SQL("", "", "");
		state_writer.row_sql = new_state_writer.row_sql = STATE_ROW_SQL("", "", "");
	}
	done = true;
}

/* The column's number, or 0 if the table has none of that name. */
static int
column_if_any(Relation rel, const char *name)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i + 1;
	return 0;
}

static int
column(Relation rel, const char *name)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i + 1;
	ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
					errmsg("cjo.%s has no column \"%s\"", RelationGetRelationName(rel), name)));
}

/* A direct scan of the primary key of a table of schema cjo. */
typedef struct PkScan
{
	Relation	rel;
	Relation	pkey;
	TupleTableSlot *slot;
	IndexScanDesc scan;
} PkScan;

static void
pk_scan_begin(PkScan *s, const char *table, Snapshot snapshot, int nkeys)
{
	s->rel = open_cjo_table(table, &s->pkey);
	s->slot = table_slot_create(s->rel, NULL);
	s->scan = index_beginscan(s->rel, s->pkey, snapshot, nkeys, 0);
}

static void
pk_scan_end(PkScan *s)
{
	index_endscan(s->scan);
	ExecDropSingleTupleTableSlot(s->slot);
	index_close(s->pkey, NoLock);
	table_close(s->rel, NoLock);
}

/* Positions the scan on the rows whose key starts with the customer's id. */
static void
rescan_customer(IndexScanDesc scan, Relation pkey, const char *id)
{
	ScanKeyData key;

	ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   pkey->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(id));
	index_rescan(scan, &key, 1, NULL, 0);
}

/*
 * The customer's next state row, skipping (without reading the table) the
 * journeys that do not listen to the customer's events: the primary key's
 * entries carry the journey's id.
 */
static bool
next_state(IndexScanDesc scan, const CjoCustomer *c, TupleTableSlot *slot)
{
	for (;;)
	{
		if (scan->xs_heap_continue)
		{
			if (index_fetch_heap(scan, slot))
				return true;
			continue;
		}
		if (index_getnext_tid(scan, ForwardScanDirection) == NULL)
			return false;
		if (c->listening != NULL)
		{
			bool		isnull;
			int32		journey_id = DatumGetInt32(index_getattr(scan->xs_itup, 2, scan->xs_itupdesc, &isnull));

			if (bsearch(&journey_id, c->listening, c->nlistening, sizeof(int32), cjo_int32_cmp) == NULL)
				continue;
		}
		if (index_fetch_heap(scan, slot))
			return true;
	}
}

static TimestampTz
slot_time(TupleTableSlot *slot, int col)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, col, &isnull);

	return isnull ? CJO_NO_TIME : DatumGetTimestampTz(d);
}

/* Reads a customer's profile (none: NULL) into the customer's memory. */
static void
read_profile(PkScan *ps, CjoCustomer *c)
{
	rescan_customer(ps->scan, ps->pkey, c->id);
	if (index_getnext_slot(ps->scan, ForwardScanDirection, ps->slot))
	{
		bool		isnull;
		Datum		d = slot_getattr(ps->slot, column(ps->rel, "attributes"), &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(c->cxt);

			c->profile = DatumGetJsonbPCopy(d);
			MemoryContextSwitchTo(old);
		}
	}
	c->profile_read = true;
}

/*
 * Loads the journey states (and, if asked, the profiles) of customers by
 * direct scans of the primary keys of cjo.journey_state and cjo.customers:
 * no statement to plan or start, which is most of what a single event
 * costs.  Called with the customers' locks held: like a statement, the scan
 * takes a new snapshot, so that it sees what the lock's previous holder
 * committed.  Reads need no row locks, have no triggers, and the engine
 * runs as the extension's owner, so nothing a query would check is skipped.
 */
void
cjo_store_load(CjoCustomer *customers, int n, bool profiles)
{
	PkScan		ps;
	TupleTableSlot *slot;
	Snapshot	snapshot;
	int			a_journey,
				a_version,
				a_run,
				a_step,
				a_node,
				a_status,
				a_entered,
				a_node_at,
				a_due,
				a_ended,
				a_converted,
				a_goal,
				a_entry,
				a_data;

	state_columns_init();
	if (n == 0)
		return;
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());

	pk_scan_begin(&ps, "journey_state", snapshot, 1);
	ps.scan->xs_want_itup = true;
	slot = ps.slot;
	a_journey = column(ps.rel, "journey_id");
	a_version = column(ps.rel, "version");
	a_run = column(ps.rel, "run");
	a_step = column(ps.rel, "step");
	a_node = column(ps.rel, "node");
	a_status = column(ps.rel, "status");
	a_entered = column(ps.rel, "entered_at");
	a_node_at = column(ps.rel, "node_at");
	a_due = column(ps.rel, "due_at");
	a_ended = column(ps.rel, "ended_at");
	a_converted = column(ps.rel, "converted_at");
	a_goal = column(ps.rel, "goal_value");
	a_entry = column(ps.rel, "entry_event_id");
	a_data = column_if_any(ps.rel, "data");
	for (int i = 0; i < n; i++)
	{
		CjoCustomer *c = &customers[i];

		rescan_customer(ps.scan, ps.pkey, c->id);
		while (next_state(ps.scan, c, slot))
		{
			CjoState   *st;
			bool		isnull;
			Datum		d;

			st = cjo_state_add(c, DatumGetInt32(slot_getattr(slot, a_journey, &isnull)));
			st->version = DatumGetInt32(slot_getattr(slot, a_version, &isnull));
			st->run = DatumGetInt32(slot_getattr(slot, a_run, &isnull));
			st->step = DatumGetInt32(slot_getattr(slot, a_step, &isnull));
			st->node = DatumGetInt16(slot_getattr(slot, a_node, &isnull));
			st->status = DatumGetChar(slot_getattr(slot, a_status, &isnull));
			st->entered_at = slot_time(slot, a_entered);
			st->node_at = slot_time(slot, a_node_at);
			st->due_at = slot_time(slot, a_due);
			st->ended_at = slot_time(slot, a_ended);
			st->converted_at = slot_time(slot, a_converted);
			d = slot_getattr(slot, a_goal, &isnull);
			st->goal_value = isnull ? NULL : DatumGetNumericCopy(d);
			d = slot_getattr(slot, a_entry, &isnull);
			st->entry_event_id = isnull ? 0 : DatumGetInt64(d);
			if (a_data != 0)
			{
				d = slot_getattr(slot, a_data, &isnull);
				st->data = isnull ? NULL : DatumGetJsonbPCopy(d);
			}
			st->dirty = false;
			st->stored = true;
			st->tid = slot->tts_tid;
		}
	}
	pk_scan_end(&ps);

	if (profiles)
	{
		pk_scan_begin(&ps, "customers", snapshot, 1);
		for (int i = 0; i < n; i++)
			read_profile(&ps, &customers[i]);
		pk_scan_end(&ps);
	}
	UnregisterSnapshot(snapshot);
}

/*
 * The customer's profile, read now if cjo_store_load did not read it (a
 * batch of one customer: most single events need no profile).  The
 * customer's lock is held, as for the states.
 */
Jsonb *
cjo_customer_profile(CjoCustomer *c)
{
	PkScan		ps;
	Snapshot	snapshot;

	if (c->profile_read)
		return c->profile;
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	pk_scan_begin(&ps, "customers", snapshot, 1);
	read_profile(&ps, c);
	pk_scan_end(&ps);
	UnregisterSnapshot(snapshot);
	return c->profile;
}

/*
 * Loads one event of a customer (the entry event of a run), or NULL: a
 * direct scan of the primary key of cjo.events.  Under a fresh snapshot,
 * like the state it belongs to: with the statement's snapshot, an event
 * whose insert waited for the customer's lock would not see an entry event
 * committed meanwhile by the lock's holder, though it sees the run that
 * event started.
 */
CjoEvent *
cjo_store_load_event(CjoCustomer *c, int64 event_id)
{
	PkScan		ps;
	Snapshot	snapshot;
	ScanKeyData keys[2];
	CjoEvent   *ev = NULL;

	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	pk_scan_begin(&ps, "events", snapshot, 2);
	ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   ps.pkey->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(c->id));
	ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8EQ, Int64GetDatum(event_id));
	index_rescan(ps.scan, keys, 2, NULL, 0);
	if (index_getnext_slot(ps.scan, ForwardScanDirection, ps.slot))
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);
		bool		isnull;
		Datum		d;

		ev = palloc0(sizeof(CjoEvent));
		ev->event_id = event_id;
		ev->customer_id = c->id;
		ev->name = TextDatumGetCString(slot_getattr(ps.slot, column(ps.rel, "name"), &isnull));
		d = slot_getattr(ps.slot, column(ps.rel, "channel"), &isnull);
		ev->channel = isnull ? NULL : TextDatumGetCString(d);
		d = slot_getattr(ps.slot, column(ps.rel, "properties"), &isnull);
		ev->properties = isnull ? NULL : DatumGetJsonbPCopy(d);
		ev->occurred_at = ev->at = slot_time(ps.slot, column(ps.rel, "occurred_at"));
		MemoryContextSwitchTo(old);
	}
	pk_scan_end(&ps);
	UnregisterSnapshot(snapshot);
	return ev;
}

/* Appends one row to a buffer. */
static void
rowbuf_add(RowBuf *b, const Datum *values, const bool *nulls, const ItemPointerData *tid)
{
	if (b->nrows == b->cap)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		b->cap = Max(64, b->cap * 2);
		b->values = b->values ? repalloc(b->values, sizeof(Datum) * b->cap * b->ncols)
			: palloc(sizeof(Datum) * b->cap * b->ncols);
		b->nulls = b->nulls ? repalloc(b->nulls, sizeof(bool) * b->cap * b->ncols)
			: palloc(sizeof(bool) * b->cap * b->ncols);
		b->tids = b->tids ? repalloc(b->tids, sizeof(ItemPointerData) * b->cap)
			: palloc(sizeof(ItemPointerData) * b->cap);
		MemoryContextSwitchTo(old);
	}
	memcpy(b->values + b->nrows * b->ncols, values, sizeof(Datum) * b->ncols);
	memcpy(b->nulls + b->nrows * b->ncols, nulls, sizeof(bool) * b->ncols);
	if (tid != NULL)
		b->tids[b->nrows] = *tid;
	else
		ItemPointerSetInvalid(&b->tids[b->nrows]);
	b->nrows++;
}

/* Rows taken out of a buffer, to be written. */
typedef struct Rows
{
	int			nrows;
	Datum	   *values;			/* nrows x ncols, row-major */
	bool	   *nulls;
	ItemPointerData *tids;		/* rows read from the table: where */
} Rows;

/* Takes a buffer's rows out (into the current memory context) and empties it. */
static Rows
rowbuf_take(RowBuf *b)
{
	Rows		r;
	Size		n = (Size) Max(b->nrows, 1) * b->ncols;

	r.nrows = b->nrows;
	r.values = palloc(sizeof(Datum) * n);
	r.nulls = palloc(sizeof(bool) * n);
	r.tids = palloc(sizeof(ItemPointerData) * Max(b->nrows, 1));
	if (b->nrows > 0)
	{
		memcpy(r.values, b->values, sizeof(Datum) * b->nrows * b->ncols);
		memcpy(r.nulls, b->nulls, sizeof(bool) * b->nrows * b->ncols);
		memcpy(r.tids, b->tids, sizeof(ItemPointerData) * b->nrows);
	}
	b->nrows = 0;
	if (b->cap > 65536)
	{
		/* Don't keep a huge batch's buffers for the life of the backend. */
		pfree(b->values);
		pfree(b->nulls);
		pfree(b->tids);
		b->values = NULL;
		b->nulls = NULL;
		b->tids = NULL;
		b->cap = 0;
	}
	return r;
}

/* Rows handed to the table AM at a time, as COPY FROM does. */
#define MULTI_INSERT_ROWS 1000

/* insert_direct calls under way: only at 0 may an old plan be freed. */
static int	direct_depth = 0;

static TableWriter *const direct_writers[] = {&state_writer, &new_state_writer, &history_writer, &action_writer};

/* Relcache invalidation: forget what was worked out for the table. */
static void
direct_plan_invalidate(Datum arg, Oid relid)
{
	for (int i = 0; i < (int) lengthof(direct_writers); i++)
		if (!OidIsValid(relid) || direct_writers[i]->plan.relid == relid)
			direct_writers[i]->plan.relid = InvalidOid;
}

/*
 * A function or type changed: planned defaults may have inlined an SQL
 * function's old body or folded its old result (a plan cache would replan),
 * or taken a domain's old default.  Rare enough to forget every table.
 */
static void
direct_plan_invalidate_all(Datum arg, int cacheid, uint32 hashvalue)
{
	direct_plan_invalidate(arg, InvalidOid);
}

static bool
is_user_function(Oid func_id, void *context)
{
	return func_id >= FirstNormalObjectId;
}

/* Does the expression call a function (or operator) that is not built in? */
static bool
calls_user_function(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, is_user_function, context))
		return true;
	return expression_tree_walker(node, calls_user_function, context);
}

/*
 * May rows be stored in rel without a statement?  Only if an INSERT would
 * do nothing more than store them, fill in defaults, check constraints and
 * insert index entries: no enabled insert trigger (the user's, the delivery
 * policies' trigger on cjo.actions, and foreign keys and deferred unique
 * checks, which are triggers too), no row-level security, no stored
 * generated column, no partitioning, no rule, and the columns of the types the
 * buffer holds.  Otherwise the statement does it all.  (The right to insert
 * is checked at each write: a grant does not invalidate the relcache.)
 */
static void
direct_plan_build(TableWriter *w, Relation rel)
{
	DirectPlan *p = &w->plan;
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	MemoryContext old;
	static bool registered = false;

	if (!registered)
	{
		CacheRegisterRelcacheCallback(direct_plan_invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, direct_plan_invalidate_all, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, direct_plan_invalidate_all, (Datum) 0);
		registered = true;
	}
	/* A plan still in use by an outer write (a default that inserts events?) is left alone. */
	if (p->cxt != NULL && direct_depth == 0)
		MemoryContextDelete(p->cxt);
	p->cxt = AllocSetContextCreate(TopMemoryContext, "cjo direct insert", ALLOCSET_SMALL_SIZES);
	p->relid = RelationGetRelid(rel);
	p->ok = false;
	p->ndefaults = 0;
	p->nchecks = 0;
	p->user_code = false;
	p->updated_cols = NULL;
	/* Rules (DO ALSO, DO INSTEAD) rewrite an INSERT or UPDATE statement. */
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relispartition ||
		rel->rd_rel->relrowsecurity || rel->rd_rel->relhasrules)
		return;
	if (desc->constr && desc->constr->has_generated_stored)
		return;
	/* An upsert fires insert triggers too. */
	if (trig != NULL)
		for (int i = 0; i < trig->numtriggers; i++)
			if ((TRIGGER_FOR_INSERT(trig->triggers[i].tgtype) ||
				 (w->update && TRIGGER_FOR_UPDATE(trig->triggers[i].tgtype))) &&
				trig->triggers[i].tgenabled != TRIGGER_DISABLED)
				return;
	for (int c = 0; c < w->buf->ncols; c++)
	{
		p->attnums[c] = column_if_any(rel, w->columns[c]);
		if (p->attnums[c] == 0 || TupleDescAttr(desc, p->attnums[c] - 1)->atttypid != w->buf->types[c])
			return;
	}
	/* An update writes whole rows: every column must be one of ours. */
	if (w->update)
	{
		int			live = 0;

		for (int a = 0; a < desc->natts; a++)
			live += !TupleDescAttr(desc, a)->attisdropped;
		if (live != w->buf->ncols)
			return;
	}

	/* The other columns get their defaults, as in an INSERT naming only ours. */
	old = MemoryContextSwitchTo(p->cxt);
	p->default_attnums = palloc(sizeof(AttrNumber) * desc->natts);
	p->default_exprs = palloc(sizeof(Expr *) * desc->natts);
	for (int a = 1; a <= desc->natts; a++)
	{
		bool		given = false;
		Node	   *expr;

		for (int c = 0; c < w->buf->ncols; c++)
			given |= p->attnums[c] == a;
		if (given || TupleDescAttr(desc, a - 1)->attisdropped)
			continue;
		expr = build_column_default(rel, a);
		if (expr == NULL)
			continue;
		p->default_attnums[p->ndefaults] = a;
		p->default_exprs[p->ndefaults] = expression_planner((Expr *) expr);
		p->user_code |= calls_user_function((Node *) p->default_exprs[p->ndefaults], NULL);
		p->ndefaults++;
	}

	/*
	 * An update rewrites every column but the primary key's: told so, the
	 * key's index cleans out the old versions of a row before it splits a
	 * page (bottom-up deletion), as it does for an UPDATE statement.
	 */
	if (w->update)
	{
		Bitmapset  *key = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);

		for (int c = 0; c < w->buf->ncols; c++)
			if (!bms_is_member(p->attnums[c] - FirstLowInvalidHeapAttributeNumber, key))
				p->updated_cols = bms_add_member(p->updated_cols, p->attnums[c] - FirstLowInvalidHeapAttributeNumber);
	}

	/* Planned once here, not at every write as ExecConstraints would. */
	p->nchecks = desc->constr != NULL ? desc->constr->num_check : 0;
	p->check_exprs = palloc(sizeof(Expr *) * Max(p->nchecks, 1));
	for (int i = 0; i < p->nchecks; i++)
	{
		p->check_exprs[i] = expression_planner(stringToNode(desc->constr->check[i].ccbin));
		p->user_code |= calls_user_function((Node *) p->check_exprs[i], NULL);
	}
	MemoryContextSwitchTo(old);
	p->ok = true;
}

/* A direct write under way: the table and what its rows need. */
typedef struct DirectWrite
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	ExprState **defaults;
	TupleTableSlot **slots;
	int			maxslots;
	MemoryContext rows_cxt;		/* per group of rows: defaults' values */
	CommandId	cid;
	int			guard;			/* search_path pinned for user code (0: not) */
} DirectWrite;

/*
 * Opens a writer's table for a direct write of up to nrows rows, or returns
 * false, having opened nothing, if the rows need a statement (see
 * direct_plan_build) or the current role lacks a right the statement needs.
 */
static bool
direct_begin(TableWriter *w, int nrows, DirectWrite *d)
{
	DirectPlan *p = &w->plan;
	Oid			relid = get_relname_relid(w->table, get_namespace_oid("cjo", false));
	AclMode		rights = w->update ? ACL_INSERT | ACL_UPDATE : ACL_INSERT;
	TupleDesc	desc;
	MemoryContext old;

	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("table cjo.%s does not exist", w->table)));
	d->rel = table_open(relid, RowExclusiveLock);
	if (p->relid != relid)
		direct_plan_build(w, d->rel);
	if (!p->ok || pg_class_aclmask(relid, GetUserId(), rights, ACLMASK_ALL) != rights)
	{
		table_close(d->rel, NoLock);
		return false;
	}
	desc = RelationGetDescr(d->rel);
	d->estate = CreateExecutorState();
	old = MemoryContextSwitchTo(d->estate->es_query_cxt);
	d->rri = makeNode(ResultRelInfo);
	if (w->update)
	{
		/* A range table entry only to say which columns an update writes. */
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rte->rtekind = RTE_RELATION;
		rte->relid = relid;
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
		rte->updatedCols = p->updated_cols;
		ExecInitRangeTable(d->estate, list_make1(rte));
		InitResultRelInfo(d->rri, d->rel, 1, NULL, 0);
	}
	else
		InitResultRelInfo(d->rri, d->rel, 0, NULL, 0);
	ExecOpenIndices(d->rri, false);
	d->defaults = palloc(sizeof(ExprState *) * Max(p->ndefaults, 1));
	for (int i = 0; i < p->ndefaults; i++)
		d->defaults[i] = ExecInitExpr(p->default_exprs[i], NULL);
	if (p->nchecks > 0)
	{
		d->rri->ri_ConstraintExprs = palloc(sizeof(ExprState *) * p->nchecks);
		for (int i = 0; i < p->nchecks; i++)
			d->rri->ri_ConstraintExprs[i] = ExecInitExpr(p->check_exprs[i], NULL);
	}
	d->maxslots = Min(nrows, MULTI_INSERT_ROWS);
	d->slots = palloc(sizeof(TupleTableSlot *) * d->maxslots);
	for (int i = 0; i < d->maxslots; i++)
		d->slots[i] = ExecInitExtraTupleSlot(d->estate, desc, table_slot_callbacks(d->rel));
	d->rows_cxt = AllocSetContextCreate(d->estate->es_query_cxt, "cjo rows", ALLOCSET_DEFAULT_SIZES);
	d->cid = GetCurrentCommandId(true);
	MemoryContextSwitchTo(old);
	/*
	 * A default or CHECK of the user's runs with the owner's rights, as in
	 * the statements of the other path: not with the caller's search_path.
	 */
	d->guard = p->user_code ? cjo_sql_begin() : 0;
	direct_depth++;
	return true;
}

/* Fills a slot with row number row of r and the defaults, and checks the table's constraints. */
static void
direct_fill(const TableWriter *w, DirectWrite *d, TupleTableSlot *slot, const Rows *r, int row)
{
	const RowBuf *b = w->buf;
	const DirectPlan *p = &w->plan;
	TupleDesc	desc = RelationGetDescr(d->rel);
	ExprContext *econtext = GetPerTupleExprContext(d->estate);
	MemoryContext old = MemoryContextSwitchTo(d->rows_cxt);

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * desc->natts);
	for (int c = 0; c < b->ncols; c++)
	{
		slot->tts_values[p->attnums[c] - 1] = r->values[row * b->ncols + c];
		slot->tts_isnull[p->attnums[c] - 1] = r->nulls[row * b->ncols + c];
	}
	for (int i = 0; i < p->ndefaults; i++)
	{
		int			a = p->default_attnums[i] - 1;

		slot->tts_values[a] = ExecEvalExpr(d->defaults[i], econtext, &slot->tts_isnull[a]);
	}
	ExecStoreVirtualTuple(slot);
	if (desc->constr != NULL)
		ExecConstraints(d->rri, slot, d->estate);
	ResetPerTupleExprContext(d->estate);
	MemoryContextSwitchTo(old);
}

static void
direct_end(DirectWrite *d)
{
	/* An inner batch's abort (a default inserting events?) may have reset it. */
	if (direct_depth > 0)
		direct_depth--;
	if (d->guard != 0)
		cjo_sql_end(d->guard);
	ExecCloseIndices(d->rri);
	ExecResetTupleTable(d->estate->es_tupleTable, false);
	FreeExecutorState(d->estate);
	table_close(d->rel, NoLock);
}

/*
 * Inserts rows the way COPY FROM does, without a statement to parse, plan
 * or start: the other columns get their defaults (identity, now(), ...),
 * NOT NULL and CHECK constraints are checked, the heap takes the rows a
 * page at a time (table_multi_insert) and each index gets its entries,
 * unique ones checked.  Returns false, having written nothing, if the rows
 * need a statement.
 */
static bool
insert_direct(TableWriter *w, const Rows *r)
{
	DirectWrite d;
	BulkInsertState bistate;
	int			nslots = 0;

	if (!direct_begin(w, r->nrows, &d))
		return false;
	bistate = r->nrows > MULTI_INSERT_ROWS ? GetBulkInsertState() : NULL;
	for (int row = 0; row < r->nrows; row++)
	{
		direct_fill(w, &d, d.slots[nslots++], r, row);
		if (nslots == d.maxslots || row == r->nrows - 1)
		{
			table_multi_insert(d.rel, d.slots, nslots, d.cid, 0, bistate);
			if (d.rri->ri_NumIndices > 0)
				for (int i = 0; i < nslots; i++)
				{
					list_free(ExecInsertIndexTuples(d.rri, d.slots[i], d.estate, false, false, NULL, NIL));
					ResetPerTupleExprContext(d.estate);
				}
			for (int i = 0; i < nslots; i++)
				ExecClearTuple(d.slots[i]);
			nslots = 0;
			MemoryContextReset(d.rows_cxt);
		}
	}
	if (bistate != NULL)
		FreeBulkInsertState(bistate);
	direct_end(&d);
	return true;
}

/*
 * Updates rows read by cjo_store_load where it read them, as an UPDATE
 * would: constraints checked, index entries added unless the update is
 * HOT.  The customers' locks keep other batches away, but a row someone
 * else updated or deleted meanwhile (by hand, without the lock) is left in
 * *left, for the upsert statement, which follows the row to its latest
 * version.  Returns false, having written nothing, if the rows need a
 * statement.
 */
static bool
update_direct(TableWriter *w, const Rows *r, Rows *left)
{
	const RowBuf *b = w->buf;
	DirectWrite d;

	left->nrows = 0;
	if (!direct_begin(w, 1, &d))
		return false;
	left->values = palloc(sizeof(Datum) * r->nrows * b->ncols);
	left->nulls = palloc(sizeof(bool) * r->nrows * b->ncols);
	left->tids = palloc(sizeof(ItemPointerData) * r->nrows);
	for (int row = 0; row < r->nrows; row++)
	{
		TupleTableSlot *slot = d.slots[0];
		TM_FailureData tmfd;
		LockTupleMode lockmode;
		bool		update_indexes;
		TM_Result	result;

		direct_fill(w, &d, slot, r, row);
		result = table_tuple_update(d.rel, &r->tids[row], slot, d.cid, InvalidSnapshot, InvalidSnapshot,
									true, &tmfd, &lockmode, &update_indexes);
		if (result == TM_Ok)
		{
			if (update_indexes && d.rri->ri_NumIndices > 0)
				list_free(ExecInsertIndexTuples(d.rri, slot, d.estate, true, false, NULL, NIL));
			ResetPerTupleExprContext(d.estate);
		}
		else
		{
			memcpy(left->values + left->nrows * b->ncols, r->values + row * b->ncols, sizeof(Datum) * b->ncols);
			memcpy(left->nulls + left->nrows * b->ncols, r->nulls + row * b->ncols, sizeof(bool) * b->ncols);
			left->tids[left->nrows++] = r->tids[row];
		}
		ExecClearTuple(slot);
		MemoryContextReset(d.rows_cxt);
	}
	direct_end(&d);
	return true;
}

/* Writes rows taken out of a writer's buffer: row by row, or as column arrays. */
static void
write_rows(TableWriter *w, const Rows *r)
{
	RowBuf	   *b = w->buf;
	Datum		args[MAX_COLS];
	char		nulls[MAX_COLS];

	Rows		left;

	if (r->nrows == 0)
		return;
	/*
	 * New states under REPEATABLE READ go to the upsert: a state another
	 * transaction created after the snapshot (its customer's lock came
	 * later) is then a serialization failure (40001, retry), as documented,
	 * not a duplicate key (23505).
	 */
	if (w->direct && w->update && update_direct(w, r, &left))
		r = &left;
	else if (w->direct && !w->update && !(w == &new_state_writer && IsolationUsesXactSnapshot()) &&
			 insert_direct(w, r))
		return;
	if (r->nrows == 0)
		return;
	if (r->nrows <= ROW_BY_ROW)
	{
		if (w->row_plan == NULL)
			w->row_plan = prepare(w->row_sql, b->ncols, b->types, false);
		for (int row = 0; row < r->nrows; row++)
		{
			for (int c = 0; c < b->ncols; c++)
			{
				args[c] = r->values[row * b->ncols + c];
				nulls[c] = r->nulls[row * b->ncols + c] ? 'n' : ' ';
			}
			execute(w->row_plan, args, nulls, false, SPI_OK_INSERT);
		}
		return;
	}

	if (w->arrays_plan == NULL)
		w->arrays_plan = prepare(w->arrays_sql, b->ncols, b->types, true);
	{
		Datum	   *col = palloc(sizeof(Datum) * r->nrows);
		bool	   *colnulls = palloc(sizeof(bool) * r->nrows);

		for (int c = 0; c < b->ncols; c++)
		{
			int16		typlen;
			bool		byval;
			char		align;
			int			dims[1] = {r->nrows};
			int			lbs[1] = {1};

			Oid			elemtype = b->types[c] == INT2ARRAYOID ? TEXTOID : b->types[c];

			get_typlenbyvalalign(elemtype, &typlen, &byval, &align);
			for (int row = 0; row < r->nrows; row++)
			{
				col[row] = r->values[row * b->ncols + c];
				colnulls[row] = r->nulls[row * b->ncols + c];
				if (elemtype != b->types[c] && !colnulls[row])
					col[row] = CStringGetTextDatum(OidOutputFunctionCall(F_ARRAY_OUT, col[row]));
			}
			args[c] = PointerGetDatum(construct_md_array(col, colnulls, 1, dims, lbs, elemtype,
														 typlen, byval, align));
		}
		pfree(col);
		pfree(colnulls);
	}
	execute(w->arrays_plan, args, NULL, false, SPI_OK_INSERT);
}

/* Forgets buffered rows left by a batch that failed; keeps the allocation. */
static void
rowbuf_reset(RowBuf *b)
{
	b->nrows = 0;
}

/* A smallint[], -1 as NULL: {NULL,3,4}. */
static Datum
int2_array(const int16 *v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		elems[i] = Int16GetDatum(v[i]);
		nulls[i] = v[i] < 0;
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, INT2OID, sizeof(int16), true,
											  TYPALIGN_SHORT));
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
	v[8] = int2_array(m->path, m->n);
	v[9] = any_choice ? int2_array(m->choices, m->n - 1) : (Datum) 0;
	n[9] = !any_choice;
	rowbuf_add(&history_buf, v, n, NULL);
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
	rowbuf_add(&action_buf, v, n, NULL);
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
	Rows		states,
				new_states,
				history,
				actions;

	state_columns_init();
	for (int i = 0; i < ncustomers; i++)
		for (int s = 0; s < customers[i].nstates; s++)
		{
			CjoState   *st = &customers[i].states[s];
			Datum		v[15];
			bool		n[15] = {0};

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
			v[14] = PointerGetDatum(st->data);
			n[14] = st->data == NULL;
			rowbuf_add(st->stored ? &state_buf : &new_state_buf, v, n, st->stored ? &st->tid : NULL);
			st->dirty = false;
			st->stored = true;
		}

	strings_to_text(&state_buf, 0);
	strings_to_text(&new_state_buf, 0);
	strings_to_text(&history_buf, 0);
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
	states = rowbuf_take(&state_buf);
	new_states = rowbuf_take(&new_state_buf);
	history = rowbuf_take(&history_buf);
	actions = rowbuf_take(&action_buf);
	write_rows(&new_state_writer, &new_states);
	write_rows(&state_writer, &states);
	write_rows(&history_writer, &history);
	write_rows(&action_writer, &actions);
	foreach(lc, channels)
		Async_Notify("cjo_actions", lfirst(lc));
}

/* Drops anything a failed batch left buffered: called when a transaction aborts. */
void
cjo_store_reset(void)
{
	direct_depth = 0;
	rowbuf_reset(&state_buf);
	rowbuf_reset(&new_state_buf);
	rowbuf_reset(&history_buf);
	rowbuf_reset(&action_buf);
}
