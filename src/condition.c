/*
 * condition.c: evaluate jsonpath conditions against a customer's context.
 *
 * The context document, built only when a condition or payload template
 * needs it, and reused while the event (and entry event) stay the same:
 *   {"event":   {"name", "channel", "properties", "occurred_at"} or null,
 *    "entry":   the event that started the current run, same shape (only
 *               for paths that mention it),
 *    "journey": the run's journey data, what set nodes stored, or {} (only
 *               for paths that mention it),
 *    "profile": cjo.customers.attributes, or {} (only for paths that
 *               mention it: a single event may not need it read at all)}
 * A predicate path ("$.event.properties.price > 10") is taken as it is, like
 * the @@ operator, unknown counting as false; any other path is true when it
 * yields an item, like @?.  Evaluation is silent: a structural error in the
 * data (a missing key in strict mode, a type mismatch) makes it false.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cjo.h"

static void
push_key(JsonbParseState **ps, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
}

static void
push_string(JsonbParseState **ps, const char *key, const char *value)
{
	JsonbValue	v;

	push_key(ps, key);
	if (value == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* Pushes a jsonb container as the value of key (an empty object if NULL). */
static void
push_container(JsonbParseState **ps, const char *key, Jsonb *value)
{
	JsonbValue	v;

	push_key(ps, key);
	if (value == NULL || JB_ROOT_IS_SCALAR(value))
	{
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		return;
	}
	v.type = jbvBinary;
	v.val.binary.data = &value->root;
	v.val.binary.len = VARSIZE(value) - VARHDRSZ;
	pushJsonbValue(ps, WJB_VALUE, &v);
}

static void
push_event(JsonbParseState **ps, const char *key, const CjoEvent *ev)
{
	JsonbValue	v;

	push_key(ps, key);
	if (ev == NULL)
	{
		v.type = jbvNull;
		pushJsonbValue(ps, WJB_VALUE, &v);
		return;
	}
	pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
	push_string(ps, "name", ev->name);
	push_string(ps, "channel", ev->channel);
	push_container(ps, "properties", ev->properties);
	push_string(ps, "occurred_at",
				JsonEncodeDateTime(NULL, TimestampTzGetDatum(ev->occurred_at), TIMESTAMPTZOID, NULL));
	pushJsonbValue(ps, WJB_END_OBJECT, NULL);
}

/* The event that started the state's current run. */
static CjoEvent *
entry_event(CjoContext *cx)
{
	CjoCustomer *c = cx->customer;
	int64		id = cx->state ? cx->state->entry_event_id : 0;

	if (id == 0)
		return NULL;
	if (cx->event && cx->event->event_id == id)
		return cx->event;
	/* Most often it came in the same statement. */
	for (int i = 0; i < c->nevents; i++)
		if (c->events[i].event_id == id)
			return &c->events[i];
	if (c->entry_cache == NULL || c->entry_cache->event_id != id)
		c->entry_cache = cjo_store_load_event(c, id);
	return c->entry_cache;
}

/* Marks a context document without journey data (no path asked for it). */
static const Jsonb *const no_journey = (const Jsonb *) &no_journey;

/*
 * The context document for a path, reused while the event, the entry event
 * and the journey data stay the same (an event's entry conditions in several
 * journeys share one; so do the templates of an action that mix the event
 * and the profile, in a few slots).  Journey data is replaced, never changed
 * in place, so its address tells a new value.  The entry event and the
 * profile may have to be read from their tables, so only paths that mention
 * them (or journeys with wildcard paths) get them.
 */
static Jsonb *
context_doc(CjoContext *cx, JsonPath *path)
{
	CjoCustomer *c = cx->customer;
	bool		wildcard = (cx->graph->flags & CJO_GRAPH_WILDCARD_PATHS) != 0;
	bool		need_entry = wildcard || cjo_path_mentions(path, "entry");
	bool		need_journey = wildcard || cjo_path_mentions(path, "journey");
	bool		need_profile = wildcard || cjo_path_mentions(path, "profile");
	int64		entry = need_entry && cx->state ? cx->state->entry_event_id : -1;
	const Jsonb *journey = !need_journey ? no_journey : cx->state ? cx->state->data : NULL;
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	CjoContextDoc *slot;

	/*
	 * Reused only if it holds exactly what this path gets: a path that
	 * names no key ("{{$}}") would otherwise see the profile or not
	 * depending on which path came before it.
	 */
	for (int i = 0; i < CJO_CONTEXT_DOCS; i++)
	{
		slot = &c->docs[i];
		if (slot->doc && slot->event == cx->event && slot->entry == entry && slot->journey == journey &&
			slot->profile == need_profile)
			return slot->doc;
	}
	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	push_event(&ps, "event", cx->event);
	if (need_entry)
		push_event(&ps, "entry", entry_event(cx));
	if (need_journey)
		push_container(&ps, "journey", (Jsonb *) journey);
	if (need_profile)
		push_container(&ps, "profile", cjo_customer_profile(c));
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	slot = &c->docs[c->docs_next];
	c->docs_next = (c->docs_next + 1) % CJO_CONTEXT_DOCS;
	slot->doc = JsonbValueToJsonb(res);
	slot->event = cx->event;
	slot->entry = entry;
	slot->journey = journey;
	slot->profile = need_profile;
	return slot->doc;
}

static Jsonb *
empty_vars(void)
{
	static Jsonb *vars = NULL;

	if (vars == NULL)
	{
		JsonbParseState *ps = NULL;
		JsonbValue *res;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
		vars = JsonbValueToJsonb(res);
		MemoryContextSwitchTo(old);
	}
	return vars;
}

/* Calls one of the jsonb_path_* functions silently; isnull reports SQL NULL. */
static Datum
call_path(PGFunction fn, Jsonb *doc, JsonPath *path, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 4);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 4, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = JsonbPGetDatum(doc);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = PointerGetDatum(path);
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = JsonbPGetDatum(empty_vars());
	fcinfo->args[2].isnull = false;
	fcinfo->args[3].value = BoolGetDatum(true);
	fcinfo->args[3].isnull = false;
	result = fn(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/*
 * Does the path mention a key?  Keys are stored verbatim in a compiled
 * jsonpath, so a byte search finds them; a false positive (the word inside
 * a string constant) only costs a little work.
 */
bool
cjo_path_mentions(const JsonPath *path, const char *key)
{
	return path != NULL && memmem(path, VARSIZE(path), key, strlen(key)) != NULL;
}

static bool
is_predicate(JsonPath *path)
{
	JsonPathItem item;

	jspInit(&item, path);
	switch (item.type)
	{
		case jpiAnd:
		case jpiOr:
		case jpiNot:
		case jpiIsUnknown:
		case jpiEqual:
		case jpiNotEqual:
		case jpiLess:
		case jpiGreater:
		case jpiLessOrEqual:
		case jpiGreaterOrEqual:
		case jpiExists:
		case jpiStartsWith:
		case jpiLikeRegex:
			return true;
		default:
			return false;
	}
}

/* Is the condition true for this context?  A missing condition is true. */
bool
cjo_condition(CjoContext *cx, JsonPath *path)
{
	bool		isnull;
	Datum		d;

	if (path == NULL)
		return true;
	d = call_path(is_predicate(path) ? jsonb_path_match : jsonb_path_exists,
				  context_doc(cx, path), path, &isnull);
	return !isnull && DatumGetBool(d);
}

/* The first item the path yields, or NULL. */
Jsonb *
cjo_path_first(CjoContext *cx, JsonPath *path)
{
	bool		isnull;
	Datum		d = call_path(jsonb_path_query_first,
							  context_doc(cx, path), path, &isnull);

	return isnull ? NULL : DatumGetJsonbP(d);
}
