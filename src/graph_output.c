/*
 * graph_output.c: the canonical JSON text of a compiled journey graph.
 *
 * Keys come in a fixed order, nodes in graph order, durations and jsonpaths
 * in their canonical spelling, and fields at their default are left out, so
 * that compiling the output gives back the same graph byte for byte.
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"

#include "duration.h"
#include "graph.h"

/* The document name of a node kind. */
const char *
cjo_node_kind_name(int kind)
{
	switch (kind)
	{
		case CJO_NODE_ACTION:
			return "action";
		case CJO_NODE_WAIT:
			return "wait";
		case CJO_NODE_WAIT_EVENT:
			return "wait_event";
		case CJO_NODE_BRANCH:
			return "branch";
		case CJO_NODE_SPLIT:
			return "split";
		case CJO_NODE_EXIT:
			return "exit";
		case CJO_NODE_WAIT_UNTIL:
			return "wait_until";
		case CJO_NODE_SET:
			return "set";
		case CJO_NODE_NEXT_BEST_ACTION:
			return "next_best_action";
	}
	return "unknown";
}

static void
put_key(StringInfo out, bool *first, const char *key)
{
	if (!*first)
		appendStringInfoString(out, ", ");
	*first = false;
	escape_json(out, key);
	appendStringInfoString(out, ": ");
}

static void
put_str(StringInfo out, bool *first, const char *key, const char *value)
{
	if (value == NULL)
		return;
	put_key(out, first, key);
	escape_json(out, value);
}

static void
put_path(StringInfo out, bool *first, const char *key, JsonPath *path)
{
	if (path == NULL)
		return;
	put_key(out, first, key);
	escape_json(out, DatumGetCString(DirectFunctionCall1(jsonpath_out, PointerGetDatum(path))));
}

static void
put_duration(StringInfo out, bool *first, const char *key, int64 usec)
{
	char		buf[128];

	if (usec == 0)
		return;
	cjo_duration_format(usec, buf, sizeof(buf));
	put_str(out, first, key, buf);
}

static const char *
node_name(const CjoGraph *g, int32 index)
{
	return cjo_graph_str(g, cjo_graph_node(g, index)->name);
}

/* Writes an array of choices of node or journey. */
static void
put_choices(StringInfo out, bool *first, const CjoGraph *g, const char *key, int from, int n, int kind)
{
	put_key(out, first, key);
	appendStringInfoChar(out, '[');
	for (int i = 0; i < n; i++)
	{
		const CjoChoice *ch = cjo_graph_choice(g, from + i);
		bool		f = true;

		appendStringInfoString(out, i ? ", {" : "{");
		if (kind == CJO_NODE_SPLIT)
		{
			char		num[64];

			put_str(out, &f, "name", cjo_graph_str(g, ch->label));
			put_key(out, &f, "weight");
			snprintf(num, sizeof(num), "%.17g", ch->weight);
			appendStringInfoString(out, num);
		}
		else if (kind == CJO_NODE_NEXT_BEST_ACTION)
			put_str(out, &f, "name", cjo_graph_str(g, ch->label));
		else
			put_str(out, &f, "event", cjo_graph_str(g, ch->label));
		put_path(out, &f, "when", cjo_graph_path(g, ch->cond));
		if (kind == CJO_NODE_NEXT_BEST_ACTION)
			put_path(out, &f, "score", cjo_graph_path(g, ch->score));
		if (ch->next != CJO_NONE)
			put_str(out, &f, "next", node_name(g, ch->next));
		if (ch->control)
		{
			put_key(out, &f, "control");
			appendStringInfoString(out, "true");
		}
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
}

/* Writes an action's payload: literals as they are, paths as {{path}}. */
static void
put_payload(StringInfo out, bool *first, const CjoGraph *g, const CjoNode *n, const char *field)
{
	put_key(out, first, field);
	appendStringInfoChar(out, '{');
	for (int i = 0; i < n->nchoices; i++)
	{
		const CjoChoice *ch = cjo_graph_choice(g, n->choices + i);
		bool		f = (i == 0);

		put_key(out, &f, cjo_graph_str(g, ch->label));
		if (ch->cond != CJO_NONE)
		{
			char	   *p = DatumGetCString(DirectFunctionCall1(jsonpath_out,
																PointerGetDatum(cjo_graph_path(g, ch->cond))));

			escape_json(out, psprintf("{{%s}}", p));
		}
		else
		{
			Jsonb	   *lit = cjo_graph_jsonb(g, ch->literal);

			(void) JsonbToCString(out, &lit->root, VARSIZE(lit));
		}
	}
	appendStringInfoChar(out, '}');
}

/* The settings of a node that learns: min_share always, seed unless 0. */
static void
put_learning(StringInfo out, bool *first, const CjoNode *n)
{
	char		num[64];

	put_key(out, first, "min_share");
	snprintf(num, sizeof(num), "%.7g", n->min_share / 1000000.0);
	appendStringInfoString(out, num);
	if (n->duration != 0)
	{
		put_key(out, first, "seed");
		snprintf(num, sizeof(num), INT64_FORMAT, n->duration);
		appendStringInfoString(out, num);
	}
}

static void
put_node(StringInfo out, const CjoGraph *g, const CjoNode *n)
{
	bool		f = true;

	appendStringInfoChar(out, '{');
	put_str(out, &f, "type", cjo_node_kind_name(n->kind));
	put_str(out, &f, "description", cjo_graph_str(g, n->description));
	switch (n->kind)
	{
		case CJO_NODE_ACTION:
			put_str(out, &f, "channel", cjo_graph_str(g, n->channel));
			put_str(out, &f, "template", cjo_graph_str(g, n->template_));
			if (n->nchoices > 0)
				put_payload(out, &f, g, n, "payload");
			put_str(out, &f, "next", node_name(g, n->next));
			break;
		case CJO_NODE_WAIT:
			put_duration(out, &f, "duration", n->duration);
			put_str(out, &f, "next", node_name(g, n->next));
			break;
		case CJO_NODE_WAIT_EVENT:
			put_choices(out, &f, g, "events", n->choices, n->nchoices, n->kind);
			put_duration(out, &f, "timeout", n->duration);
			if (n->next != CJO_NONE)
				put_str(out, &f, "timeout_next", node_name(g, n->next));
			break;
		case CJO_NODE_BRANCH:
			put_choices(out, &f, g, "cases", n->choices, n->nchoices, n->kind);
			put_str(out, &f, "else", node_name(g, n->next));
			break;
		case CJO_NODE_SPLIT:
			if (n->reserved == CJO_CHOOSE_LEARN)
			{
				put_key(out, &f, "learn");
				appendStringInfoString(out, "true");
				put_learning(out, &f, n);
			}
			put_choices(out, &f, g, "variants", n->choices, n->nchoices, n->kind);
			break;
		case CJO_NODE_NEXT_BEST_ACTION:
			if (n->reserved == CJO_CHOOSE_LEARN)
			{
				put_str(out, &f, "choose_by", "conversion");
				put_learning(out, &f, n);
			}
			put_choices(out, &f, g, "candidates", n->choices, n->nchoices, n->kind);
			put_str(out, &f, "else", node_name(g, n->next));
			break;
		case CJO_NODE_SET:
			put_payload(out, &f, g, n, "values");
			put_str(out, &f, "next", node_name(g, n->next));
			break;
		case CJO_NODE_WAIT_UNTIL:
			{
				static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
				int64		secs = n->duration / USECS_PER_SEC;
				char		buf[16];

				if (secs % 60)
					snprintf(buf, sizeof(buf), "%02d:%02d:%02d", (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
				else
					snprintf(buf, sizeof(buf), "%02d:%02d", (int) (secs / 3600), (int) (secs / 60 % 60));
				put_str(out, &f, "time", buf);
				if (n->reserved != 0)
				{
					bool		df = true;

					put_key(out, &f, "days");
					appendStringInfoChar(out, '[');
					for (int d = 0; d < 7; d++)
						if (n->reserved & (1 << d))
						{
							if (!df)
								appendStringInfoString(out, ", ");
							escape_json(out, days[d]);
							df = false;
						}
					appendStringInfoChar(out, ']');
				}
				put_str(out, &f, "time_zone", cjo_graph_str(g, n->channel));
				put_str(out, &f, "next", node_name(g, n->next));
			}
			break;
	}
	appendStringInfoChar(out, '}');
}

/* The canonical JSON document of a graph. */
char *
cjo_graph_to_json(const CjoGraph *g)
{
	StringInfoData out;
	bool		f = true;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	put_str(&out, &f, "name", cjo_graph_str(g, g->name));
	put_str(&out, &f, "description", cjo_graph_str(g, g->description));

	put_key(&out, &f, "entry");
	{
		bool		ef = true;

		appendStringInfoChar(&out, '{');
		put_str(&out, &ef, "event", cjo_graph_str(g, g->entry_event));
		put_path(&out, &ef, "when", cjo_graph_path(g, g->entry_cond));
		appendStringInfoChar(&out, '}');
	}
	if (g->reentry != CJO_REENTRY_NEVER || g->cooldown != 0)
	{
		bool		rf = true;

		put_key(&out, &f, "reentry");
		appendStringInfoChar(&out, '{');
		put_str(&out, &rf, "policy", g->reentry == CJO_REENTRY_ALWAYS ? "always" :
				g->reentry == CJO_REENTRY_AFTER_EXIT ? "after_exit" : "never");
		put_duration(&out, &rf, "cooldown", g->cooldown);
		appendStringInfoChar(&out, '}');
	}
	if (g->nexits > 0)
		put_choices(&out, &f, g, "exit_on", g->exits, g->nexits, 0);
	if (g->goal_event != CJO_NONE)
	{
		bool		gf = true;

		put_key(&out, &f, "goal");
		appendStringInfoChar(&out, '{');
		put_str(&out, &gf, "event", cjo_graph_str(g, g->goal_event));
		put_path(&out, &gf, "when", cjo_graph_path(g, g->goal_cond));
		put_duration(&out, &gf, "within", g->goal_within);
		put_path(&out, &gf, "value", cjo_graph_path(g, g->goal_value));
		if (g->goal_exit)
		{
			put_key(&out, &gf, "exit");
			appendStringInfoString(&out, "true");
		}
		appendStringInfoChar(&out, '}');
	}
	put_str(&out, &f, "start", node_name(g, 0));
	put_key(&out, &f, "nodes");
	appendStringInfoChar(&out, '{');
	for (int i = 0; i < g->nnodes; i++)
	{
		const CjoNode *n = cjo_graph_node(g, i);

		if (i > 0)
			appendStringInfoString(&out, ", ");
		escape_json(&out, cjo_graph_str(g, n->name));
		appendStringInfoString(&out, ": ");
		put_node(&out, g, n);
	}
	appendStringInfoString(&out, "}}");
	return out.data;
}
