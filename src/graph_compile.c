/*
 * graph_compile.c: validate a journey document and compile it into a CjoGraph.
 *
 * Three passes: read the JSON (parsed with PostgreSQL's jsonb parser) into
 * plain structs, checking every field; resolve node names, number the nodes
 * in graph order and check the graph (dangling and missing next steps,
 * unreachable nodes, cycles that contain no wait); then lay the result out
 * as one flat varlena (see graph.h).  Every error names the journey, the
 * node and the problem, with an errcode.
 */
#include "postgres.h"

#include <math.h>

#include "common/jsonapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "duration.h"
#include "graph.h"

/* Graphs index nodes with smallint columns. */
#define CJO_MAX_NODES	10000
#define CJO_MAX_CHOICES	1000

typedef struct PChoice
{
	const char *label;
	JsonPath   *cond;
	Jsonb	   *literal;
	const char *next_name;
	int			next;
	double		weight;
	bool		control;
	JsonPath   *score;			/* next_best_action candidate */
} PChoice;

typedef struct PNode
{
	const char *name;
	int			kind;
	const char *next_name;		/* next, else, timeout_next */
	int			next;
	int64		duration;
	const char *channel;
	const char *template_;
	const char *description;
	PChoice    *choices;
	int			nchoices;
	int			days;			/* wait_until: days allowed (bit 0 Monday) */
	int			choose;			/* split, next_best_action: CJO_CHOOSE_* */
	double		min_share;		/* learning: least share of each choice */
	int64		seed;			/* learning: seed of the random draws */
	int			index;			/* graph order, -1 until reached */
	int			color;			/* cycle search */
} PNode;

typedef struct Compiler
{
	const char *journey;		/* name, once known */
	const char *node;			/* node being read, for messages */
	PNode	   *nodes;
	int			nnodes;
	const char *description;
	const char *entry_event;
	JsonPath   *entry_cond;
	int			reentry;
	int64		cooldown;
	PChoice    *exits;
	int			nexits;
	const char *goal_event;
	JsonPath   *goal_cond;
	JsonPath   *goal_value;
	bool		goal_exit;
	int64		goal_within;
	const char *start;
	bool		wildcard_paths;
	bool		local_time;		/* a wait_until uses the profile's time zone */
	bool		weights_optional;	/* reading the variants of a learning split */
	bool		counts_arms;	/* some node counts its choices */
} Compiler;

/* Reports a problem with the document, naming the journey and node. */
static void
pg_attribute_printf(3, 4) pg_attribute_noreturn()
fail(Compiler *c, int code, const char *fmt,...)
{
	StringInfoData msg;
	va_list		args;

	initStringInfo(&msg);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	if (c->journey && c->node)
		ereport(ERROR, (errcode(code),
						errmsg("journey \"%s\": node \"%s\": %s", c->journey, c->node, msg.data)));
	else if (c->journey)
		ereport(ERROR, (errcode(code), errmsg("journey \"%s\": %s", c->journey, msg.data)));
	else
		ereport(ERROR, (errcode(code), errmsg("journey document: %s", msg.data)));
	pg_unreachable();
}

static const char *
json_type_name(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

/* Rejects any key of obj that is not in allowed (NULL-terminated). */
static void
check_fields(Compiler *c, JsonbContainer *obj, const char *what, const char *const *allowed)
{
	JsonbIterator *it = JsonbIteratorInit(obj);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			bool		known = false;

			for (const char *const *a = allowed; *a; a++)
				if (strlen(*a) == (size_t) v.val.string.len &&
					memcmp(*a, v.val.string.val, v.val.string.len) == 0)
					known = true;
			if (!known)
			{
				StringInfoData list;

				initStringInfo(&list);
				for (const char *const *a = allowed; *a; a++)
					appendStringInfo(&list, "%s%s", a == allowed ? "" : ", ", *a);
				fail(c, ERRCODE_INVALID_OBJECT_DEFINITION,
					 "unknown field \"%.*s\" in %s (known fields: %s)",
					 v.val.string.len, v.val.string.val, what, list.data);
			}
		}
	}
}

/* Looks up key in obj; NULL if absent (a JSON null counts as absent). */
static JsonbValue *
get_field(JsonbContainer *obj, const char *key)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	if (v && v->type == jbvNull)
		return NULL;
	return v;
}

static JsonbValue *
need_field(Compiler *c, JsonbContainer *obj, const char *key, const char *what)
{
	JsonbValue *v = get_field(obj, key);

	if (v == NULL)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "%s needs \"%s\"", what, key);
	return v;
}

static const char *
as_string(Compiler *c, JsonbValue *v, const char *key)
{
	if (v->type != jbvString)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must be a string, not %s", key, json_type_name(v));
	if (v->val.string.len == 0)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must not be empty", key);
	if (memchr(v->val.string.val, '\0', v->val.string.len))
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must not contain a NUL character", key);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static const char *
opt_string(Compiler *c, JsonbContainer *obj, const char *key)
{
	JsonbValue *v = get_field(obj, key);

	return v ? as_string(c, v, key) : NULL;
}

static const char *
req_string(Compiler *c, JsonbContainer *obj, const char *key, const char *what)
{
	return as_string(c, need_field(c, obj, key, what), key);
}

static JsonbContainer *
as_container(Compiler *c, JsonbValue *v, const char *key, bool array)
{
	if (v->type != jbvBinary || (array ? !JsonContainerIsArray(v->val.binary.data)
								 : !JsonContainerIsObject(v->val.binary.data)))
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must be %s, not %s", key,
			 array ? "an array" : "an object", json_type_name(v));
	return v->val.binary.data;
}

static bool
opt_bool(Compiler *c, JsonbContainer *obj, const char *key, bool dflt)
{
	JsonbValue *v = get_field(obj, key);

	if (v == NULL)
		return dflt;
	if (v->type != jbvBool)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must be true or false, not %s", key, json_type_name(v));
	return v->val.boolean;
}

/* Parses a duration field; 0 if absent and optional. */
static int64
get_duration(Compiler *c, JsonbContainer *obj, const char *key, bool required, const char *what)
{
	JsonbValue *v = required ? need_field(c, obj, key, what) : get_field(obj, key);
	const char *text;
	int64_t		usec;
	CjoDurationError err;

	if (v == NULL)
		return 0;
	/* A wrong JSON type is a structural error; every bad string, "" included, is a bad value. */
	if (v->type != jbvString)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must be a string, not %s", key, json_type_name(v));
	if (memchr(v->val.string.val, '\0', v->val.string.len))
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must not contain a NUL character", key);
	text = pnstrdup(v->val.string.val, v->val.string.len);
	err = cjo_duration_parse(text, strlen(text), &usec);
	if (err != CJO_DURATION_OK)
	{
		/* Quote at most 100 bytes: a hostile duration can be megabytes long. */
		int			len = strlen(text);
		int			shown = pg_mbcliplen(text, len, 100);

		if (c->journey && c->node)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("journey \"%s\": node \"%s\": invalid duration \"%.*s%s\" in \"%s\"",
								   c->journey, c->node, shown, text, shown < len ? "..." : "", key),
							errdetail("%s", cjo_duration_error_text(err))));
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("journey \"%s\": invalid duration \"%.*s%s\" in \"%s\"",
							   c->journey ? c->journey : "?", shown, text, shown < len ? "..." : "", key),
						errdetail("%s", cjo_duration_error_text(err))));
	}
	return usec;
}

/* Compiles a jsonpath, turning a syntax error into one that names the node. */
static JsonPath *
compile_path(Compiler *c, const char *text, const char *key)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	JsonPath   *volatile result = NULL;

	/*
	 * A '*' is a wildcard or a product, and .keyvalue() lists every key:
	 * either way, give the path everything.
	 */
	if (strchr(text, '*') || strstr(text, "keyvalue"))
		c->wildcard_paths = true;

	PG_TRY();
	{
		result = DatumGetJsonPathP(DirectFunctionCall1(jsonpath_in, CStringGetDatum(text)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		/* Only a bad path is the document's fault: a cancel, a deep stack or no memory stay as they are. */
		if (edata->sqlerrcode != ERRCODE_SYNTAX_ERROR &&
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		/* Quote at most 200 bytes of the path: a hostile one can be megabytes long. */
		fail(c, ERRCODE_SYNTAX_ERROR, "invalid jsonpath in \"%s\": %.*s%s (%s)", key,
			 pg_mbcliplen(text, strlen(text), 200), text, strlen(text) > 200 ? "..." : "",
			 edata->message);
	}
	PG_END_TRY();
	return result;
}

static JsonPath *
opt_path(Compiler *c, JsonbContainer *obj, const char *key)
{
	const char *text = opt_string(c, obj, key);

	return text ? compile_path(c, text, key) : NULL;
}

/* Reads an array of objects, each through read_one. */
typedef void (*ReadChoice) (Compiler *c, JsonbContainer *obj, PChoice *out);

static PChoice *
read_choices(Compiler *c, JsonbContainer *parent, const char *key, bool required,
			 ReadChoice read_one, int *count)
{
	JsonbValue *v = required ? need_field(c, parent, key, "this node") : get_field(parent, key);
	JsonbContainer *arr;
	int			n;
	PChoice    *out;

	*count = 0;
	if (v == NULL)
		return NULL;
	arr = as_container(c, v, key, true);
	n = JsonContainerSize(arr);
	if (n == 0)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must not be empty", key);
	if (n > CJO_MAX_CHOICES)
		fail(c, ERRCODE_PROGRAM_LIMIT_EXCEEDED, "\"%s\" has %d entries; at most %d are allowed",
			 key, n, CJO_MAX_CHOICES);
	out = palloc0(sizeof(PChoice) * n);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);

		out[i].next = CJO_NONE;
		read_one(c, as_container(c, elem, key, false), &out[i]);
	}
	*count = n;
	return out;
}

static void
read_event_choice(Compiler *c, JsonbContainer *obj, PChoice *out)
{
	static const char *const fields[] = {"event", "when", "next", NULL};

	check_fields(c, obj, "an awaited event", fields);
	out->label = req_string(c, obj, "event", "an awaited event");
	out->cond = opt_path(c, obj, "when");
	out->next_name = req_string(c, obj, "next", "an awaited event");
}

static void
read_exit_choice(Compiler *c, JsonbContainer *obj, PChoice *out)
{
	static const char *const fields[] = {"event", "when", NULL};

	check_fields(c, obj, "an exit_on entry", fields);
	out->label = req_string(c, obj, "event", "an exit_on entry");
	out->cond = opt_path(c, obj, "when");
}

static void
read_case_choice(Compiler *c, JsonbContainer *obj, PChoice *out)
{
	static const char *const fields[] = {"when", "next", NULL};

	check_fields(c, obj, "a branch case", fields);
	out->cond = compile_path(c, req_string(c, obj, "when", "a branch case"), "when");
	out->next_name = req_string(c, obj, "next", "a branch case");
}

static void
read_variant_choice(Compiler *c, JsonbContainer *obj, PChoice *out)
{
	static const char *const fields[] = {"name", "weight", "next", "control", NULL};
	JsonbValue *w;

	check_fields(c, obj, "a split variant", fields);
	out->label = req_string(c, obj, "name", "a split variant");
	/* A learning split learns the shares: weights only size a control group. */
	w = c->weights_optional ? get_field(obj, "weight") : need_field(c, obj, "weight", "a split variant");
	out->weight = 1;
	if (w == NULL)
		;
	else if (w->type != jbvNumeric)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "weight of variant \"%s\" must be a number, not %s",
			 out->label, json_type_name(w));
	else
		out->weight = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(w->val.numeric)));
	if (isnan(out->weight) || isinf(out->weight) || out->weight < 0 || out->weight > 1e9)
		fail(c, ERRCODE_INVALID_PARAMETER_VALUE,
			 "weight of variant \"%s\" must be between 0 and 1000000000", out->label);
	out->next_name = req_string(c, obj, "next", "a split variant");
	out->control = opt_bool(c, obj, "control", false);
}

static void
read_candidate_choice(Compiler *c, JsonbContainer *obj, PChoice *out)
{
	static const char *const fields[] = {"name", "when", "score", "next", NULL};

	check_fields(c, obj, "a candidate", fields);
	out->label = req_string(c, obj, "name", "a candidate");
	out->cond = opt_path(c, obj, "when");
	out->score = opt_path(c, obj, "score");
	out->next_name = req_string(c, obj, "next", "a candidate");
}

/* Names of a node's choices must differ: they are what arm counts are kept by. */
static void
check_unique_labels(Compiler *c, const PNode *n, const char *what)
{
	for (int i = 0; i < n->nchoices; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(n->choices[i].label, n->choices[j].label) == 0)
				fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "two %s are named \"%s\"", what, n->choices[i].label);
}

/* A JSON number field within [lo, hi]; dflt if absent. */
static double
opt_number(Compiler *c, JsonbContainer *obj, const char *key, double lo, double hi, double dflt)
{
	JsonbValue *v = get_field(obj, key);
	double		x;

	if (v == NULL)
		return dflt;
	if (v->type != jbvNumeric)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" must be a number, not %s", key, json_type_name(v));
	x = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (isnan(x) || x < lo || x > hi)
		fail(c, ERRCODE_INVALID_PARAMETER_VALUE, "\"%s\" must be between %g and %g", key, lo, hi);
	return x;
}

/*
 * The settings of a node that learns from conversions: "min_share", the
 * least share of the learned traffic each of its k choices gets (default:
 * a tenth of the traffic spread evenly), and "seed", which makes the random
 * draws reproducible.
 */
static void
read_learning(Compiler *c, PNode *n, JsonbContainer *obj, int k)
{
	double		seed;

	n->min_share = opt_number(c, obj, "min_share", 0, 1, 0.1 / Max(k, 1));
	if (n->min_share * k > 1 + 1e-9)
		fail(c, ERRCODE_INVALID_PARAMETER_VALUE,
			 "\"min_share\" %g for each of %d choices adds up to more than all the traffic", n->min_share, k);
	seed = opt_number(c, obj, "seed", -9007199254740992.0, 9007199254740992.0, 0);
	if (seed != floor(seed))
		fail(c, ERRCODE_INVALID_PARAMETER_VALUE, "\"seed\" must be a whole number");
	n->seed = (int64) seed;
}

/*
 * Reads an object of fields (an action's payload, a set node's values) into
 * choices: literal values, or {{jsonpath}} templates.
 */
static PChoice *
read_payload(Compiler *c, JsonbContainer *node, const char *field, int *count)
{
	JsonbValue *v = get_field(node, field);
	JsonbContainer *obj;
	JsonbIterator *it;
	JsonbValue	key,
				val;
	JsonbIteratorToken tok;
	PChoice    *out;
	int			n = 0;

	*count = 0;
	if (v == NULL)
		return NULL;
	obj = as_container(c, v, field, false);
	if (JsonContainerSize(obj) > CJO_MAX_CHOICES)
		fail(c, ERRCODE_PROGRAM_LIMIT_EXCEEDED, "\"%s\" has more than %d fields", field, CJO_MAX_CHOICES);
	out = palloc0(sizeof(PChoice) * Max(JsonContainerSize(obj), 1));
	it = JsonbIteratorInit(obj);
	tok = JsonbIteratorNext(&it, &val, true);	/* WJB_BEGIN_OBJECT */
	while ((tok = JsonbIteratorNext(&it, &key, true)) == WJB_KEY)
	{
		PChoice    *p = &out[n++];
		const char *s;
		int			len;

		tok = JsonbIteratorNext(&it, &val, true);
		p->label = pnstrdup(key.val.string.val, key.val.string.len);
		p->next = CJO_NONE;
		if (val.type == jbvString && val.val.string.len >= 4 &&
			strncmp(val.val.string.val, "{{", 2) == 0 &&
			strncmp(val.val.string.val + val.val.string.len - 2, "}}", 2) == 0)
		{
			s = val.val.string.val + 2;
			len = val.val.string.len - 4;
			while (len > 0 && isspace((unsigned char) *s))
				s++, len--;
			while (len > 0 && isspace((unsigned char) s[len - 1]))
				len--;
			if (len == 0)
				fail(c, ERRCODE_SYNTAX_ERROR, "%s field \"%s\" has an empty {{ }} template", field, p->label);
			p->cond = compile_path(c, pnstrdup(s, len), field);
		}
		else
			p->literal = JsonbValueToJsonb(&val);
	}
	*count = n;
	return out;
}

static const struct
{
	const char *name;
	int			kind;
	const char *const fields[8];
}			node_kinds[] = {
	{"action", CJO_NODE_ACTION, {"type", "description", "channel", "template", "payload", "next", NULL}},
	{"wait", CJO_NODE_WAIT, {"type", "description", "duration", "next", NULL}},
	{"wait_event", CJO_NODE_WAIT_EVENT, {"type", "description", "events", "timeout", "timeout_next", NULL}},
	{"branch", CJO_NODE_BRANCH, {"type", "description", "cases", "else", NULL}},
	{"split", CJO_NODE_SPLIT, {"type", "description", "variants", "learn", "min_share", "seed", NULL}},
	{"exit", CJO_NODE_EXIT, {"type", "description", NULL}},
	{"wait_until", CJO_NODE_WAIT_UNTIL, {"type", "description", "time", "days", "time_zone", "next", NULL}},
	{"set", CJO_NODE_SET, {"type", "description", "values", "next", NULL}},
	{"next_best_action", CJO_NODE_NEXT_BEST_ACTION, {"type", "description", "candidates", "else", "choose_by", "min_share", "seed", NULL}},
};

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* "HH:MM" or "HH:MM:SS", 00:00 to 23:59:59, as microseconds after midnight. */
static int64
parse_time_of_day(Compiler *c, const char *text)
{
	int			part[3] = {0, 0, 0};
	int			nparts = 0;
	const char *p = text;

	while (nparts < 3 && isdigit((unsigned char) p[0]) && isdigit((unsigned char) p[1]))
	{
		part[nparts++] = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p != ':')
			break;
		p++;
	}
	if (*p != '\0' || nparts < 2 || p[-1] == ':' || part[0] > 23 || part[1] > 59 || part[2] > 59)
		fail(c, ERRCODE_INVALID_PARAMETER_VALUE,
			 "invalid time of day \"%s\" in \"time\" (use HH:MM or HH:MM:SS, 00:00 to 23:59:59)", text);
	return ((int64) part[0] * 3600 + part[1] * 60 + part[2]) * USECS_PER_SEC;
}

/* "days": a non-empty list of mon, tue, ... sun, as a bit mask. */
static int
read_days(Compiler *c, JsonbContainer *obj)
{
	JsonbValue *v = get_field(obj, "days");
	JsonbContainer *arr;
	int			mask = 0;

	if (v == NULL)
		return 0;
	arr = as_container(c, v, "days", true);
	if (JsonContainerSize(arr) == 0)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"days\" must not be empty");
	for (int i = 0; i < (int) JsonContainerSize(arr); i++)
	{
		const char *day = as_string(c, getIthJsonbValueFromContainer(arr, i), "days");
		int			d;

		for (d = 0; d < 7; d++)
			if (pg_strcasecmp(day, day_names[d]) == 0)
				break;
		if (d == 7)
			fail(c, ERRCODE_INVALID_PARAMETER_VALUE,
				 "unknown day \"%s\" in \"days\" (use mon, tue, wed, thu, fri, sat, sun)", day);
		mask |= 1 << d;
	}
	return mask;
}

/* Reads one node object. */
static void
read_node(Compiler *c, PNode *n, JsonbContainer *obj)
{
	const char *type = req_string(c, obj, "type", "a node");
	int			k;

	n->kind = 0;
	n->next = CJO_NONE;
	n->index = -1;
	for (k = 0; k < (int) lengthof(node_kinds); k++)
		if (strcmp(type, node_kinds[k].name) == 0)
			break;
	if (k == (int) lengthof(node_kinds))
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION,
			 "unknown node type \"%s\" (known types: action, set, wait, wait_event, wait_until, branch, split, next_best_action, exit)", type);
	n->kind = node_kinds[k].kind;
	check_fields(c, obj, "this node", node_kinds[k].fields);
	n->description = opt_string(c, obj, "description");

	switch (n->kind)
	{
		case CJO_NODE_ACTION:
			n->channel = req_string(c, obj, "channel", "an action");
			n->template_ = req_string(c, obj, "template", "an action");
			n->choices = read_payload(c, obj, "payload", &n->nchoices);
			n->next_name = req_string(c, obj, "next", "an action");
			break;
		case CJO_NODE_WAIT:
			n->duration = get_duration(c, obj, "duration", true, "a wait");
			n->next_name = req_string(c, obj, "next", "a wait");
			break;
		case CJO_NODE_SET:
			(void) need_field(c, obj, "values", "a set");
			n->choices = read_payload(c, obj, "values", &n->nchoices);
			if (n->nchoices == 0)
				fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"values\" must not be empty");
			n->next_name = req_string(c, obj, "next", "a set");
			break;
		case CJO_NODE_WAIT_UNTIL:
			n->duration = parse_time_of_day(c, req_string(c, obj, "time", "a wait_until"));
			n->days = read_days(c, obj);
			/* The time zone is kept in the channel slot of the node. */
			n->channel = opt_string(c, obj, "time_zone");
			if (n->channel != NULL && pg_tzset(n->channel) == NULL)
				fail(c, ERRCODE_INVALID_PARAMETER_VALUE, "unknown time zone \"%s\" in \"time_zone\"", n->channel);
			if (n->channel == NULL)
				c->local_time = true;
			n->next_name = req_string(c, obj, "next", "a wait_until");
			break;
		case CJO_NODE_WAIT_EVENT:
			n->choices = read_choices(c, obj, "events", true, read_event_choice, &n->nchoices);
			n->duration = get_duration(c, obj, "timeout", false, "a wait_event");
			n->next_name = opt_string(c, obj, "timeout_next");
			if (n->duration && !n->next_name)
				fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "a wait_event with a \"timeout\" needs \"timeout_next\"");
			if (!n->duration && n->next_name)
				fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"timeout_next\" needs a \"timeout\"");
			break;
		case CJO_NODE_BRANCH:
			n->choices = read_choices(c, obj, "cases", true, read_case_choice, &n->nchoices);
			n->next_name = req_string(c, obj, "else", "a branch");
			break;
		case CJO_NODE_SPLIT:
			{
				double		total = 0;
				int			controls = 0,
							learners = 0;

				n->choose = opt_bool(c, obj, "learn", false) ? CJO_CHOOSE_LEARN : CJO_CHOOSE_FIXED;
				c->weights_optional = (n->choose == CJO_CHOOSE_LEARN);
				n->choices = read_choices(c, obj, "variants", true, read_variant_choice, &n->nchoices);
				c->weights_optional = false;
				check_unique_labels(c, n, "variants");
				for (int i = 0; i < n->nchoices; i++)
				{
					total += n->choices[i].weight;
					controls += n->choices[i].control;
					learners += !n->choices[i].control && n->choices[i].weight > 0;
				}
				if (total <= 0)
					fail(c, ERRCODE_INVALID_PARAMETER_VALUE, "the variant weights add up to zero");
				if (controls > 1)
					fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "only one variant can be the control");
				if (n->choose == CJO_CHOOSE_LEARN)
				{
					if (learners == 0)
						fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "a learning split needs a variant to learn about besides the control");
					read_learning(c, n, obj, learners);
				}
				else if (get_field(obj, "min_share") || get_field(obj, "seed"))
					fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"min_share\" and \"seed\" need \"learn\": true");
			}
			break;
		case CJO_NODE_NEXT_BEST_ACTION:
			{
				const char *by = opt_string(c, obj, "choose_by");

				n->choices = read_choices(c, obj, "candidates", true, read_candidate_choice, &n->nchoices);
				check_unique_labels(c, n, "candidates");
				n->next_name = req_string(c, obj, "else", "a next_best_action");
				if (by == NULL || strcmp(by, "score") == 0)
				{
					n->choose = CJO_CHOOSE_FIXED;
					for (int i = 0; i < n->nchoices; i++)
						if (n->choices[i].score == NULL)
							fail(c, ERRCODE_INVALID_OBJECT_DEFINITION,
								 "candidate \"%s\" needs a \"score\" (or choose_by \"conversion\")", n->choices[i].label);
					if (get_field(obj, "min_share") || get_field(obj, "seed"))
						fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"min_share\" and \"seed\" need choose_by \"conversion\"");
				}
				else if (strcmp(by, "conversion") == 0)
				{
					n->choose = CJO_CHOOSE_LEARN;
					read_learning(c, n, obj, n->nchoices);
				}
				else
					fail(c, ERRCODE_INVALID_PARAMETER_VALUE,
						 "unknown choose_by \"%s\" (known: score, conversion)", by);
			}
			break;
		case CJO_NODE_EXIT:
			break;
	}
}

/* Finds a node by name; -1 if none. */
static int
find_node(Compiler *c, const char *name)
{
	for (int i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return i;
	return -1;
}

/* Resolves a next-step name of node n. */
static int
resolve(Compiler *c, PNode *n, const char *name, const char *field)
{
	int			i = find_node(c, name);

	if (i < 0)
	{
		c->node = n->name;
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"%s\" names node \"%s\", which does not exist", field, name);
	}
	return i;
}

/* Successors of node n, in document order, as positions in c->nodes. */
static int
successors(Compiler *c, PNode *n, int *out)
{
	int			k = 0;

	if (n->kind == CJO_NODE_WAIT_EVENT || n->kind == CJO_NODE_BRANCH || n->kind == CJO_NODE_SPLIT ||
		n->kind == CJO_NODE_NEXT_BEST_ACTION)
		for (int i = 0; i < n->nchoices; i++)
			out[k++] = n->choices[i].next;
	if (n->next != CJO_NONE)
		out[k++] = n->next;
	return k;
}

static bool
is_wait(const PNode *n)
{
	return n->kind == CJO_NODE_WAIT || n->kind == CJO_NODE_WAIT_EVENT || n->kind == CJO_NODE_WAIT_UNTIL;
}

/* Depth-first search for a cycle through immediate nodes only. */
static void
find_instant_cycle(Compiler *c, int u, int *stack, int depth)
{
	PNode	   *n = &c->nodes[u];
	int		   *succ;
	int			nsucc;

	check_stack_depth();
	n->color = 1;
	stack[depth] = u;
	succ = palloc(sizeof(int) * (n->nchoices + 1));
	nsucc = successors(c, n, succ);
	for (int i = 0; i < nsucc; i++)
	{
		PNode	   *m = &c->nodes[succ[i]];

		if (is_wait(m))
			continue;
		if (m->color == 1)
		{
			StringInfoData path;
			int			from = depth;

			while (stack[from] != succ[i])
				from--;
			initStringInfo(&path);
			for (int j = from; j <= depth; j++)
				appendStringInfo(&path, "%s -> ", c->nodes[stack[j]].name);
			appendStringInfoString(&path, m->name);
			c->node = m->name;
			fail(c, ERRCODE_INVALID_OBJECT_DEFINITION,
				 "cycle without a wait (%s): it would loop forever", path.data);
		}
		if (m->color == 0)
			find_instant_cycle(c, succ[i], stack, depth + 1);
	}
	n->color = 2;
	pfree(succ);
}

/* Resolves names, numbers nodes breadth first, and checks the graph. */
static int *
order_graph(Compiler *c)
{
	int		   *order = palloc(sizeof(int) * c->nnodes);
	int			head = 0,
				tail = 0;
	int			s = find_node(c, c->start);
	int		   *stack;

	for (int i = 0; i < c->nnodes; i++)
	{
		PNode	   *n = &c->nodes[i];

		c->node = n->name;
		for (int j = 0; j < n->nchoices; j++)
			if (n->choices[j].next_name)
				n->choices[j].next = resolve(c, n, n->choices[j].next_name,
											 n->kind == CJO_NODE_SPLIT ? "variants" :
											 n->kind == CJO_NODE_BRANCH ? "cases" :
											 n->kind == CJO_NODE_NEXT_BEST_ACTION ? "candidates" : "events");
		if (n->next_name)
			n->next = resolve(c, n, n->next_name,
							  n->kind == CJO_NODE_BRANCH || n->kind == CJO_NODE_NEXT_BEST_ACTION ? "else" :
							  n->kind == CJO_NODE_WAIT_EVENT ? "timeout_next" : "next");
	}
	c->node = NULL;
	if (s < 0)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"start\" names node \"%s\", which does not exist", c->start);

	c->nodes[s].index = tail;
	order[tail++] = s;
	while (head < tail)
	{
		PNode	   *n = &c->nodes[order[head++]];
		int		   *succ = palloc(sizeof(int) * (n->nchoices + 1));
		int			nsucc = successors(c, n, succ);

		for (int i = 0; i < nsucc; i++)
			if (c->nodes[succ[i]].index < 0)
			{
				c->nodes[succ[i]].index = tail;
				order[tail++] = succ[i];
			}
		pfree(succ);
	}
	for (int i = 0; i < c->nnodes; i++)
		if (c->nodes[i].index < 0)
		{
			c->node = c->nodes[i].name;
			fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "node is unreachable from the start node \"%s\"", c->start);
		}

	stack = palloc(sizeof(int) * c->nnodes);
	for (int i = 0; i < c->nnodes; i++)
		if (c->nodes[order[i]].color == 0 && !is_wait(&c->nodes[order[i]]))
			find_instant_cycle(c, order[i], stack, 0);
	return order;
}

/* Reads the whole document into c. */
static void
read_document(Compiler *c, JsonbContainer *root)
{
	static const char *const fields[] = {"name", "description", "entry", "reentry", "exit_on",
	"goal", "start", "nodes", NULL};
	static const char *const entry_fields[] = {"event", "when", NULL};
	static const char *const reentry_fields[] = {"policy", "cooldown", NULL};
	static const char *const goal_fields[] = {"event", "when", "within", "value", "exit", NULL};
	JsonbValue *v;
	JsonbContainer *obj;
	JsonbIterator *it;
	JsonbValue	key,
				val;
	int			n;

	c->journey = req_string(c, root, "name", "the journey");
	if (strlen(c->journey) > NAMEDATALEN * 4)
		fail(c, ERRCODE_INVALID_PARAMETER_VALUE, "the name is longer than %d bytes", NAMEDATALEN * 4);
	check_fields(c, root, "the journey", fields);
	c->description = opt_string(c, root, "description");

	obj = as_container(c, need_field(c, root, "entry", "the journey"), "entry", false);
	check_fields(c, obj, "\"entry\"", entry_fields);
	c->entry_event = req_string(c, obj, "event", "\"entry\"");
	c->entry_cond = opt_path(c, obj, "when");

	c->reentry = CJO_REENTRY_NEVER;
	if ((v = get_field(root, "reentry")) != NULL)
	{
		const char *policy;

		obj = as_container(c, v, "reentry", false);
		check_fields(c, obj, "\"reentry\"", reentry_fields);
		policy = req_string(c, obj, "policy", "\"reentry\"");
		if (strcmp(policy, "never") == 0)
			c->reentry = CJO_REENTRY_NEVER;
		else if (strcmp(policy, "after_exit") == 0)
			c->reentry = CJO_REENTRY_AFTER_EXIT;
		else if (strcmp(policy, "always") == 0)
			c->reentry = CJO_REENTRY_ALWAYS;
		else
			fail(c, ERRCODE_INVALID_PARAMETER_VALUE,
				 "unknown re-entry policy \"%s\" (known policies: never, after_exit, always)", policy);
		c->cooldown = get_duration(c, obj, "cooldown", false, "\"reentry\"");
	}

	c->exits = read_choices(c, root, "exit_on", false, read_exit_choice, &c->nexits);

	if ((v = get_field(root, "goal")) != NULL)
	{
		obj = as_container(c, v, "goal", false);
		check_fields(c, obj, "\"goal\"", goal_fields);
		c->goal_event = req_string(c, obj, "event", "\"goal\"");
		c->goal_cond = opt_path(c, obj, "when");
		c->goal_within = get_duration(c, obj, "within", false, "\"goal\"");
		c->goal_value = opt_path(c, obj, "value");
		c->goal_exit = opt_bool(c, obj, "exit", false);
	}

	c->start = req_string(c, root, "start", "the journey");
	obj = as_container(c, need_field(c, root, "nodes", "the journey"), "nodes", false);
	n = JsonContainerSize(obj);
	if (n == 0)
		fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "\"nodes\" must not be empty");
	if (n > CJO_MAX_NODES)
		fail(c, ERRCODE_PROGRAM_LIMIT_EXCEEDED, "the journey has %d nodes; at most %d are allowed",
			 n, CJO_MAX_NODES);
	c->nodes = palloc0(sizeof(PNode) * n);
	it = JsonbIteratorInit(obj);
	(void) JsonbIteratorNext(&it, &val, true);	/* WJB_BEGIN_OBJECT */
	while (JsonbIteratorNext(&it, &key, true) == WJB_KEY)
	{
		PNode	   *node = &c->nodes[c->nnodes++];

		(void) JsonbIteratorNext(&it, &val, true);
		node->name = pnstrdup(key.val.string.val, key.val.string.len);
		c->node = node->name;
		if (key.val.string.len == 0)
			fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "a node name must not be empty");
		if (memchr(key.val.string.val, '\0', key.val.string.len))
			fail(c, ERRCODE_INVALID_OBJECT_DEFINITION, "a node name must not contain a NUL character");
		read_node(c, node, as_container(c, &val, "nodes", false));
		c->node = NULL;
	}
}

/*
 * Nodes that count their choices record the choice in the run's journey
 * data under their own name: a set node must not write that name.  Those
 * that learn need the goal, the conversion they learn from.
 */
static void
check_arms(Compiler *c)
{
	for (int i = 0; i < c->nnodes; i++)
	{
		PNode	   *n = &c->nodes[i];

		if (!(n->kind == CJO_NODE_NEXT_BEST_ACTION || n->choose == CJO_CHOOSE_LEARN))
			continue;
		c->counts_arms = true;
		c->node = n->name;
		if (!cjo_arm_tables_exist())
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("journey \"%s\": node \"%s\": learning splits and next_best_action nodes need cjo 0.2.0",
							c->journey, n->name),
					 errhint("Run ALTER EXTENSION cjo UPDATE.")));
		if (n->choose == CJO_CHOOSE_LEARN && c->goal_event == NULL)
			fail(c, ERRCODE_INVALID_OBJECT_DEFINITION,
				 "it learns from conversions, so the journey needs a \"goal\"");
		for (int j = 0; j < c->nnodes; j++)
			if (c->nodes[j].kind == CJO_NODE_SET)
				for (int k = 0; k < c->nodes[j].nchoices; k++)
					if (strcmp(c->nodes[j].choices[k].label, n->name) == 0)
					{
						c->node = c->nodes[j].name;
						fail(c, ERRCODE_INVALID_OBJECT_DEFINITION,
							 "\"values\" must not set \"%s\": node \"%s\" keeps its choice in the journey data under that name",
							 n->name, n->name);
					}
	}
	c->node = NULL;
}

/* ---- layout ---- */

typedef struct Layout
{
	StringInfoData data;		/* the data area */
	int32		base;			/* offset of the data area in the graph */
} Layout;

static int32
put_string(Layout *l, const char *s)
{
	int32		off;

	if (s == NULL)
		return CJO_NONE;
	off = l->base + l->data.len;
	appendBinaryStringInfo(&l->data, s, strlen(s) + 1);
	return off;
}

static int32
put_varlena(Layout *l, const void *v)
{
	int32		off;

	if (v == NULL)
		return CJO_NONE;
	while (l->data.len % MAXIMUM_ALIGNOF)
		appendStringInfoChar(&l->data, '\0');
	off = l->base + l->data.len;
	appendBinaryStringInfo(&l->data, v, VARSIZE(v));
	return off;
}

static void
put_choice(Layout *l, CjoChoice *dst, const PChoice *src, const Compiler *c)
{
	memset(dst, 0, sizeof(*dst));
	dst->label = put_string(l, src->label);
	dst->cond = put_varlena(l, src->cond);
	dst->literal = put_varlena(l, src->literal);
	dst->next = src->next == CJO_NONE ? CJO_NONE : c->nodes[src->next].index;
	dst->weight = src->weight;
	dst->control = src->control;
	dst->score = put_varlena(l, src->score);
}

/* Lays the checked journey out as a flat CjoGraph. */
static CjoGraph *
layout_graph(Compiler *c, const int *order)
{
	int			nchoices = c->nexits;
	Size		fixed;
	Layout		l;
	CjoGraph   *g;
	CjoNode    *nodes;
	CjoChoice  *choices;
	int			ci = 0;

	for (int i = 0; i < c->nnodes; i++)
		nchoices += c->nodes[i].nchoices;
	fixed = MAXALIGN(offsetof(CjoGraph, data)) + sizeof(CjoNode) * c->nnodes +
		sizeof(CjoChoice) * nchoices;
	fixed = MAXALIGN(fixed);
	initStringInfo(&l.data);
	l.base = fixed;
	nodes = palloc0(sizeof(CjoNode) * c->nnodes);
	choices = palloc0(sizeof(CjoChoice) * Max(nchoices, 1));

	for (int i = 0; i < c->nnodes; i++)
	{
		const PNode *src = &c->nodes[order[i]];
		CjoNode    *dst = &nodes[i];

		dst->kind = src->kind;
		dst->reserved = (uint8) (src->kind == CJO_NODE_WAIT_UNTIL ? src->days : src->choose);
		dst->nchoices = src->nchoices;
		dst->name = put_string(&l, src->name);
		dst->next = src->next == CJO_NONE ? CJO_NONE : c->nodes[src->next].index;
		dst->choices = ci;
		dst->duration = src->duration;
		if (src->choose == CJO_CHOOSE_LEARN)
		{
			dst->duration = src->seed;
			dst->min_share = (int32) rint(src->min_share * 1000000.0);
		}
		dst->channel = put_string(&l, src->channel);
		dst->template_ = put_string(&l, src->template_);
		dst->description = put_string(&l, src->description);
		for (int j = 0; j < src->nchoices; j++)
			put_choice(&l, &choices[ci++], &src->choices[j], c);
	}

	g = palloc0(fixed + l.data.len);
	SET_VARSIZE(g, fixed + l.data.len);
	g->format = CJO_GRAPH_FORMAT;
	g->flags = (c->wildcard_paths ? CJO_GRAPH_WILDCARD_PATHS : 0) | (c->local_time ? CJO_GRAPH_LOCAL_TIME : 0) |
		(c->counts_arms ? CJO_GRAPH_ARMS : 0);
	g->nnodes = c->nnodes;
	g->nchoices = nchoices;
	g->nodes_off = MAXALIGN(offsetof(CjoGraph, data));
	g->choices_off = g->nodes_off + sizeof(CjoNode) * c->nnodes;
	g->name = put_string(&l, c->journey);
	g->description = put_string(&l, c->description);
	g->entry_event = put_string(&l, c->entry_event);
	g->entry_cond = put_varlena(&l, c->entry_cond);
	g->reentry = c->reentry;
	g->cooldown = c->cooldown;
	g->exits = ci;
	g->nexits = c->nexits;
	for (int j = 0; j < c->nexits; j++)
		put_choice(&l, &choices[ci++], &c->exits[j], c);
	g->goal_event = put_string(&l, c->goal_event);
	g->goal_cond = put_varlena(&l, c->goal_cond);
	g->goal_value = put_varlena(&l, c->goal_value);
	g->goal_exit = c->goal_exit;
	g->goal_within = c->goal_within;

	/* The data area grew while the header was filled in: size it again. */
	g = repalloc(g, fixed + l.data.len);
	SET_VARSIZE(g, fixed + l.data.len);
	memcpy((char *) g + g->nodes_off, nodes, sizeof(CjoNode) * c->nnodes);
	memcpy((char *) g + g->choices_off, choices, sizeof(CjoChoice) * nchoices);
	memcpy((char *) g + fixed, l.data.data, l.data.len);
	return g;
}

/* Keys seen in each enclosing object, innermost first. */
typedef struct KeyCheck
{
	List	   *levels;			/* List of List of char * */
} KeyCheck;

static void
keys_object_start(void *state)
{
	KeyCheck   *kc = state;

	kc->levels = lcons(NIL, kc->levels);
}

static int
compare_key_cells(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/*
 * Checks the keys of the object just closed.  Sorting them first keeps this
 * O(n log n): a document with hundreds of thousands of keys in one object
 * would otherwise take minutes before any size limit is reached.
 */
static void
keys_object_end(void *state)
{
	KeyCheck   *kc = state;
	List	   *keys = linitial(kc->levels);

	if (list_length(keys) > 1)
	{
		list_sort(keys, compare_key_cells);
		for (int i = 1; i < list_length(keys); i++)
			if (strcmp(list_nth(keys, i - 1), list_nth(keys, i)) == 0)
				ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
								errmsg("journey document: key \"%s\" appears twice in one object",
									   (char *) list_nth(keys, i)),
								errhint("A JSON object keeps only one value per key; remove the repeated key (nodes need distinct names).")));
	}
	list_free(keys);
	kc->levels = list_delete_first(kc->levels);
}

static void
keys_field_start(void *state, char *fname, bool isnull)
{
	KeyCheck   *kc = state;

	CHECK_FOR_INTERRUPTS();
	linitial(kc->levels) = lappend(linitial(kc->levels), fname);
}

/*
 * Rejects duplicate keys, which jsonb would silently collapse (two nodes of
 * the same name would lose one).  Syntax errors are left to jsonb_in.
 */
static void
reject_duplicate_keys(char *text, int len)
{
	KeyCheck	kc = {NIL};
	JsonSemAction sem;
	JsonLexContext *lex = makeJsonLexContextCstringLen(text, len, GetDatabaseEncoding(), true);

	memset(&sem, 0, sizeof(sem));
	sem.semstate = &kc;
	sem.object_start = keys_object_start;
	sem.object_end = keys_object_end;
	sem.object_field_start = keys_field_start;
	(void) pg_parse_json(lex, &sem);
}

/* Validates and compiles a journey document. */
CjoGraph *
cjo_graph_compile(const char *json, int len)
{
	Compiler	c;
	Jsonb	   *doc;
	char	   *text = pnstrdup(json, len);
	int		   *order;

	memset(&c, 0, sizeof(c));
	reject_duplicate_keys(text, len);
	doc = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	if (!JB_ROOT_IS_OBJECT(doc))
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						errmsg("journey document: must be a JSON object")));
	read_document(&c, &doc->root);
	check_arms(&c);
	order = order_graph(&c);
	return layout_graph(&c, order);
}
