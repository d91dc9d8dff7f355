/*
 * engine.c: move a customer through a journey graph, in memory.
 *
 * An event, for each journey listening to it, in this order:
 *   1. timers of the run that fell due at or before the event fire first, so
 *      that the outcome does not depend on when the sweep last ran;
 *   2. an exit event ends an active run;
 *   3. a goal event marks the run converted (within the goal's window), and
 *      ends it if the goal says exit;
 *   4. an active run waiting at a wait_event moves on the first awaited event
 *      whose condition holds;
 *   5. an entry event starts a new run in the latest version when the
 *      re-entry policy and cooldown allow it and the event was not already
 *      used by steps 2 and 4.
 * An event that happened before the customer's current run began (it
 * arrived late) is ignored by that journey.
 * Immediate nodes (action, set, branch, split, exit) chain at once; wait,
 * wait_until and wait_event stop with a timer.  The graph compiler refuses cycles without a
 * wait, so a chain visits each node at most once.
 *
 * Every move appends a history row; every action appends an outbox row;
 * store.c writes them when the batch ends.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "cjo.h"

/* One version being followed, with the context for its conditions. */
typedef struct Step
{
	CjoCustomer *customer;
	CjoState   *state;
	const CjoJourney *journey;
	const CjoGraph *graph;
	CjoContext	cx;
	CjoMove		move;			/* the move being recorded */
} Step;

static void
step_init(Step *s, CjoCustomer *c, CjoState *st, const CjoJourney *j, const CjoGraph *g, CjoEvent *ev)
{
	s->customer = c;
	s->state = st;
	s->journey = j;
	s->graph = g;
	s->cx.customer = c;
	s->cx.event = ev;
	s->cx.state = st;
	s->cx.graph = g;
	s->move.open = false;
	s->move.path = palloc(sizeof(int16) * (g->nnodes + 2));
	s->move.choices = palloc(sizeof(int16) * (g->nnodes + 2));
}

/*
 * Forgets what was built in the scratch memory of one event or timer; the
 * caller resets that memory next.
 */
void
cjo_forget_scratch(CjoCustomer *c)
{
	memset(c->docs, 0, sizeof(c->docs));
	c->docs_next = 0;
}

/* Copies a varlena into the customer's lasting memory. */
static void *
keep(CjoCustomer *c, const void *v)
{
	void	   *copy = MemoryContextAlloc(c->cxt, VARSIZE(v));

	memcpy(copy, v, VARSIZE(v));
	return copy;
}

/* The position in [0, 1) of a customer at a split: stable, see random.c. */
static double
split_position(const CjoGraph *g, const CjoNode *n, const char *journey, const char *customer)
{
	const char *parts[3] = {journey, cjo_graph_str(g, n->name), customer};

	return cjo_hash_unit(cjo_stable_hash(parts, 3));
}

/*
 * Stable variant choice: the customer's position at the split, mapped into
 * the cumulative weights.
 */
static int
split_choose(const CjoGraph *g, const CjoNode *n, double position)
{
	double		total = 0,
				u,
				acc = 0;

	for (int i = 0; i < n->nchoices; i++)
		total += cjo_graph_choice(g, n->choices + i)->weight;
	u = position * total;
	for (int i = 0; i < n->nchoices; i++)
	{
		double		w = cjo_graph_choice(g, n->choices + i)->weight;

		acc += w;
		if (w > 0 && u < acc)
			return i;
	}
	/* Rounding at the top end: the last variant with any weight. */
	for (int i = n->nchoices - 1; i >= 0; i--)
		if (cjo_graph_choice(g, n->choices + i)->weight > 0)
			return i;
	return 0;
}

/*
 * Records one transition from -> to (to = CJO_NONE: the run left, or a goal)
 * in the current move, opening one if needed.
 */
static void
record(Step *s, int16 from, int16 to, char cause, int16 choice, TimestampTz at)
{
	CjoState   *st = s->state;
	CjoMove    *m = &s->move;

	st->step++;
	st->dirty = true;
	if (!m->open)
	{
		m->open = true;
		m->cause = cause;
		m->version = st->version;
		m->run = st->run;
		m->step = st->step;
		m->event_id = s->cx.event ? s->cx.event->event_id : 0;
		m->at = at;
		m->n = 1;
		m->path[0] = from;
	}
	if (to != CJO_NONE)
	{
		m->choices[m->n - 1] = choice;
		m->path[m->n++] = to;
	}
}

/* Writes the current move as one history row. */
static void
end_move(Step *s)
{
	if (s->move.open)
		cjo_store_history(s->customer, s->state->journey_id, &s->move);
	s->move.open = false;
}

/* Builds an action's payload from its literal and {{path}} fields. */
static Jsonb *
build_payload(Step *s, const CjoNode *n)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n->nchoices; i++)
	{
		const CjoChoice *ch = cjo_graph_choice(s->graph, n->choices + i);
		const char *key = cjo_graph_str(s->graph, ch->label);
		Jsonb	   *value;
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = (char *) key;
		k.val.string.len = strlen(key);
		pushJsonbValue(&ps, WJB_KEY, &k);
		value = ch->cond != CJO_NONE
			? cjo_path_first(&s->cx, cjo_graph_path(s->graph, ch->cond))
			: cjo_graph_jsonb(s->graph, ch->literal);
		if (value == NULL)
		{
			v.type = jbvNull;
			pushJsonbValue(&ps, WJB_VALUE, &v);
		}
		else if (JB_ROOT_IS_SCALAR(value))
		{
			(void) JsonbExtractScalar(&value->root, &v);
			pushJsonbValue(&ps, WJB_VALUE, &v);
		}
		else
		{
			v.type = jbvBinary;
			v.val.binary.data = &value->root;
			v.val.binary.len = VARSIZE(value) - VARHDRSZ;
			pushJsonbValue(&ps, WJB_VALUE, &v);
		}
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* Ends the run at its current node. */
static void
end_run(CjoState *st, char status, TimestampTz at)
{
	st->status = status;
	st->ended_at = at;
	st->due_at = CJO_NO_TIME;
	st->dirty = true;
}

/* Merges values into the run's journey data: new names replace old ones, the rest stay. */
static void
set_data(Step *s, Jsonb *values)
{
	CjoState   *st = s->state;

	if (st->data != NULL)
		values = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(st->data),
													JsonbPGetDatum(values)));
	st->data = keep(s->customer, values);
	st->dirty = true;
}

/*
 * A node that counts its arms keeps the arm the run took in the journey
 * data, under the node's name (so a later goal credits it, and templates
 * can say which offer was made), and counts the assignment.  No arm (no
 * eligible candidate) removes an older one.
 */
static void
remember_arm(Step *s, const CjoNode *n, int choice)
{
	const char *node = cjo_graph_str(s->graph, n->name);

	if (choice >= 0)
	{
		const char *arm = cjo_graph_str(s->graph, cjo_graph_choice(s->graph, n->choices + choice)->label);
		JsonbParseState *ps = NULL;
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = (char *) node;
		k.val.string.len = strlen(node);
		v.type = jbvString;
		v.val.string.val = (char *) arm;
		v.val.string.len = strlen(arm);
		(void) pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		(void) pushJsonbValue(&ps, WJB_KEY, &k);
		(void) pushJsonbValue(&ps, WJB_VALUE, &v);
		set_data(s, JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_OBJECT, NULL)));
		cjo_arms_note(s->journey->journey_id, node, arm, 1, 0);
	}
	else if (s->state->data != NULL &&
			 getKeyJsonValueFromContainer(&s->state->data->root, node, strlen(node), NULL) != NULL)
	{
		s->state->data = keep(s->customer, DatumGetJsonbP(DirectFunctionCall2(jsonb_delete,
																			  JsonbPGetDatum(s->state->data),
																			  CStringGetTextDatum(node))));
		s->state->dirty = true;
	}
}

/* The seed of a learning node's draws for this run: see doc/journeys.md. */
static uint64
learning_seed(Step *s, const CjoNode *n)
{
	const char *parts[5] = {s->journey->name, cjo_graph_str(s->graph, n->name), s->customer->id,
	psprintf("%d", s->state->run), psprintf(INT64_FORMAT, n->duration)};

	return cjo_stable_hash(parts, 5);
}

/*
 * A learning split: the control variant keeps a fixed share of customers
 * (its weight over all weights, by the customer's stable position); the
 * others share the rest by Thompson sampling on their conversions.
 */
static int
learning_split(Step *s, const CjoNode *n, double position)
{
	const CjoGraph *g = s->graph;
	bool	   *eligible = palloc(sizeof(bool) * n->nchoices);
	double		total = 0;
	int			control = -1;

	for (int i = 0; i < n->nchoices; i++)
	{
		const CjoChoice *ch = cjo_graph_choice(g, n->choices + i);

		total += ch->weight;
		if (ch->control && ch->weight > 0)
			control = i;
		eligible[i] = !ch->control && ch->weight > 0;
	}
	if (control >= 0 && position * total < cjo_graph_choice(g, n->choices + control)->weight)
		return control;
	return cjo_learn_choose(s->journey->journey_id, s->state->version, s->state->node, g,
							eligible, NULL, learning_seed(s, n));
}

/* The score of a candidate as a finite number; false if it is none. */
static bool
candidate_score(Step *s, const CjoChoice *ch, double *score)
{
	Jsonb	   *value = cjo_path_first(&s->cx, cjo_graph_path(s->graph, ch->score));
	JsonbValue	v;

	if (value == NULL || !JsonbExtractScalar(&value->root, &v) || v.type != jbvNumeric ||
		numeric_is_nan(v.val.numeric) || numeric_is_inf(v.val.numeric))
		return false;
	*score = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v.val.numeric)));
	return !isinf(*score);
}

/*
 * next_best_action: the candidates whose condition holds and whose score
 * (if any) is a number are eligible; the highest score wins (the first on
 * a tie), or, choosing by conversion, Thompson sampling on the candidates'
 * conversions, each draw times the candidate's score if it has one (an
 * expected value).  -1 if none is eligible.
 */
static int
best_action(Step *s, const CjoNode *n)
{
	const CjoGraph *g = s->graph;
	bool	   *eligible = palloc(sizeof(bool) * n->nchoices);
	double	   *score = palloc(sizeof(double) * n->nchoices);
	int			best = -1;

	for (int i = 0; i < n->nchoices; i++)
	{
		const CjoChoice *ch = cjo_graph_choice(g, n->choices + i);

		score[i] = 1;
		eligible[i] = cjo_condition(&s->cx, cjo_graph_path(g, ch->cond)) &&
			(ch->score == CJO_NONE || candidate_score(s, ch, &score[i]));
		if (n->reserved == CJO_CHOOSE_LEARN)
			score[i] = Max(score[i], 0);
		else if (eligible[i] && (best < 0 || score[i] > score[best]))
			best = i;
	}
	if (n->reserved == CJO_CHOOSE_LEARN)
		best = cjo_learn_choose(s->journey->journey_id, s->state->version, s->state->node, g,
								eligible, score, learning_seed(s, n));
	return best;
}

/* A conversion credits the arm each counting node gave the run. */
static void
credit_arms(Step *s)
{
	const CjoGraph *g = s->graph;

	for (int i = 0; i < g->nnodes; i++)
	{
		const CjoNode *n = cjo_graph_node(g, i);
		const char *node = cjo_graph_str(g, n->name);
		JsonbValue *arm;

		if (!cjo_node_counts_arms(n))
			continue;
		arm = getKeyJsonValueFromContainer(&s->state->data->root, node, strlen(node), NULL);
		if (arm != NULL && arm->type == jbvString)
			cjo_arms_note(s->journey->journey_id, node,
						  pnstrdup(arm->val.string.val, arm->val.string.len), 0, 1);
	}
}

/* Follows immediate nodes from the current node until a wait or an exit. */
static void
run_chain(Step *s, TimestampTz at)
{
	CjoState   *st = s->state;
	const CjoGraph *g = s->graph;

	for (int guard = 0; guard <= g->nnodes; guard++)
	{
		const CjoNode *n = cjo_graph_node(g, st->node);
		int			next = CJO_NONE;
		int16		choice = -1;

		switch (n->kind)
		{
			case CJO_NODE_WAIT:
				st->due_at = at + n->duration;
				end_move(s);
				return;
			case CJO_NODE_WAIT_EVENT:
				st->due_at = n->duration ? at + n->duration : CJO_NO_TIME;
				end_move(s);
				return;
			case CJO_NODE_WAIT_UNTIL:
				{
					const char *zone = cjo_graph_str(g, n->channel);
					pg_tz	   *tz = zone ? pg_tzset(zone) : cjo_profile_time_zone(cjo_customer_profile(s->customer));

					st->due_at = cjo_next_local_time(at, n->duration, n->reserved,
													 tz ? tz : pg_tzset("UTC"));
				}
				end_move(s);
				return;
			case CJO_NODE_EXIT:
				end_run(st, CJO_COMPLETED, at);
				end_move(s);
				return;
			case CJO_NODE_SET:
				set_data(s, build_payload(s, n));
				next = n->next;
				break;
			case CJO_NODE_ACTION:
				cjo_store_action(s->customer->id, st, st->node,
								 cjo_graph_str(g, n->channel), cjo_graph_str(g, n->template_),
								 keep(s->customer, build_payload(s, n)),
								 s->cx.event ? s->cx.event->event_id : 0);
				next = n->next;
				break;
			case CJO_NODE_BRANCH:
				next = n->next;
				for (int i = 0; i < n->nchoices; i++)
				{
					const CjoChoice *ch = cjo_graph_choice(g, n->choices + i);

					if (cjo_condition(&s->cx, cjo_graph_path(g, ch->cond)))
					{
						next = ch->next;
						choice = i;
						break;
					}
				}
				break;
			case CJO_NODE_SPLIT:
				{
					double		position = split_position(g, n, s->journey->name, s->customer->id);

					choice = n->reserved == CJO_CHOOSE_LEARN ? learning_split(s, n, position)
						: split_choose(g, n, position);
					next = cjo_graph_choice(g, n->choices + choice)->next;
					if (cjo_node_counts_arms(n))
						remember_arm(s, n, choice);
				}
				break;
			case CJO_NODE_NEXT_BEST_ACTION:
				choice = best_action(s, n);
				next = choice >= 0 ? cjo_graph_choice(g, n->choices + choice)->next : n->next;
				remember_arm(s, n, choice);
				break;
			default:
				elog(ERROR, "journey \"%s\": node %d has unknown kind %d", s->journey->name, st->node, n->kind);
		}
		record(s, st->node, next, CJO_CAUSE_STEP, choice, at);
		st->node = next;
		st->node_at = at;
		st->due_at = CJO_NO_TIME;
	}
	elog(ERROR, "journey \"%s\": chain did not stop at a wait", s->journey->name);
}

/* Moves the run from its node to next, then chains. */
static void
move_to(Step *s, int next, char cause, int16 choice, TimestampTz at)
{
	CjoState   *st = s->state;

	record(s, st->node, next, cause, choice, at);
	st->node = next;
	st->node_at = at;
	st->due_at = CJO_NO_TIME;
	run_chain(s, at);
}

/* Fires the run's timers due at or before as_of; true if any fired. */
static bool
fire_due(Step *s, TimestampTz as_of)
{
	CjoState   *st = s->state;
	CjoEvent   *ev = s->cx.event;
	bool		moved = false;

	/* A timer that fell due before an event fired without it. */
	s->cx.event = NULL;
	while (st->status == CJO_ACTIVE && st->due_at != CJO_NO_TIME && st->due_at <= as_of)
	{
		const CjoNode *n = cjo_graph_node(s->graph, st->node);
		TimestampTz at = st->due_at;

		/* A loop of short waits caught up over years fires millions of timers: stay cancellable. */
		CHECK_FOR_INTERRUPTS();
		move_to(s, n->next, n->kind == CJO_NODE_WAIT_EVENT ? CJO_CAUSE_TIMEOUT : CJO_CAUSE_TIMER, -1, at);
		moved = true;
	}
	s->cx.event = ev;
	return moved;
}

/* Fires every timer of one state due at or before as_of (the sweep). */
bool
cjo_fire_timers(CjoCustomer *c, CjoState *st, TimestampTz as_of)
{
	CjoJourney *j = cjo_journey_by_id(st->journey_id);
	CjoVersion *v;
	Step		s;

	if (j == NULL || (v = cjo_journey_version(j, st->version)) == NULL)
		return false;
	step_init(&s, c, st, j, v->graph, NULL);
	return fire_due(&s, as_of);
}

/* Does the event match one of the (label, condition) choices? Returns its index or -1. */
static int
match_choice(Step *s, int from, int n, const CjoEvent *ev)
{
	for (int i = 0; i < n; i++)
	{
		const CjoChoice *ch = cjo_graph_choice(s->graph, from + i);

		if (strcmp(cjo_graph_str(s->graph, ch->label), ev->name) == 0 &&
			cjo_condition(&s->cx, cjo_graph_path(s->graph, ch->cond)))
			return i;
	}
	return -1;
}

/* Records a conversion if the event is this version's goal. */
static void
check_goal(Step *s, CjoEvent *ev, TimestampTz at)
{
	const CjoGraph *g = s->graph;
	CjoState   *st = s->state;
	Jsonb	   *value;

	if (g->goal_event == CJO_NONE || st->converted_at != CJO_NO_TIME ||
		strcmp(cjo_graph_str(g, g->goal_event), ev->name) != 0)
		return;
	if (g->goal_within && at > st->entered_at + g->goal_within)
		return;
	if (!cjo_condition(&s->cx, cjo_graph_path(g, g->goal_cond)))
		return;
	st->converted_at = at;
	st->goal_value = NULL;
	if (g->goal_value != CJO_NONE &&
		(value = cjo_path_first(&s->cx, cjo_graph_path(g, g->goal_value))) != NULL)
	{
		JsonbValue	v;

		/* Only a JSON number is a value; anything else leaves goal_value NULL. */
		if (JsonbExtractScalar(&value->root, &v) && v.type == jbvNumeric)
			st->goal_value = keep(s->customer, v.val.numeric);
	}
	if ((g->flags & CJO_GRAPH_ARMS) && st->data != NULL)
		credit_arms(s);
	record(s, st->node, CJO_NONE, CJO_CAUSE_GOAL, -1, at);
	end_move(s);
	if (g->goal_exit && st->status == CJO_ACTIVE)
		end_run(st, CJO_CONVERTED, at);
}

/* Starts a new run of the latest version at its start node. */
static void
enter(Step *s, CjoState *st, CjoEvent *ev, TimestampTz at)
{
	if (st->run > 0 && st->status == CJO_ACTIVE)
	{
		/* Re-entry policy "always": the current run ends where it is. */
		record(s, st->node, CJO_NONE, CJO_CAUSE_REENTRY, -1, at);
		end_move(s);
	}
	st->version = s->journey->versions[s->journey->nversions - 1].version;
	st->run++;
	st->step = 0;
	st->status = CJO_ACTIVE;
	st->entered_at = at;
	st->node_at = at;
	st->due_at = CJO_NO_TIME;
	st->ended_at = CJO_NO_TIME;
	st->converted_at = CJO_NO_TIME;
	st->goal_value = NULL;
	st->data = NULL;
	st->entry_event_id = ev->event_id;
	st->node = 0;
	st->dirty = true;
	record(s, CJO_NONE, 0, CJO_CAUSE_ENTRY, -1, at);
	run_chain(s, at);
}

/* May this event start a new run, given the previous one? */
static bool
may_enter(const CjoGraph *latest, const CjoState *st, TimestampTz at)
{
	if (st == NULL || st->run == 0)
		return true;
	switch (latest->reentry)
	{
		case CJO_REENTRY_NEVER:
			return false;
		case CJO_REENTRY_AFTER_EXIT:
			if (st->status == CJO_ACTIVE)
				return false;
			break;
		case CJO_REENTRY_ALWAYS:
			break;
	}
	return latest->cooldown == 0 || at >= st->entered_at + latest->cooldown;
}

/*
 * Does the event meet the journey's entry condition?  The condition sees the
 * event, the profile, and the event as the run's entry: nothing of the
 * customer's state (so the trigger may ask before reading any).
 */
bool
cjo_entry_condition(CjoCustomer *c, const CjoJourney *j, CjoEvent *ev)
{
	const CjoGraph *latest = j->versions[j->nversions - 1].graph;
	CjoState	probe;
	CjoContext	cx;

	memset(&probe, 0, sizeof(probe));
	probe.entry_event_id = ev->event_id;
	cx.customer = c;
	cx.event = ev;
	cx.state = &probe;
	cx.graph = latest;
	return cjo_condition(&cx, cjo_graph_path(latest, latest->entry_cond));
}

/*
 * Applies one event to one journey; entry_met: the entry condition is known
 * to hold for it.
 */
static void
apply_to_journey(CjoCustomer *c, CjoJourney *j, CjoEvent *ev, bool entry_met)
{
	CjoState   *st = cjo_state_find(c, j->journey_id);
	const CjoGraph *latest = j->versions[j->nversions - 1].graph;
	bool		used = false;
	TimestampTz at = ev->at;
	Step		s;

	if (st)
	{
		CjoVersion *v = cjo_journey_version(j, st->version);

		if (v == NULL)
			return;				/* its version was deleted: leave it alone */
		if (ev->at < st->entered_at)
			return;				/* it happened before this run began */
		step_init(&s, c, st, j, v->graph, ev);
		if (at < st->node_at)
			at = st->node_at;	/* a late event never moves a run back in time */

		if (st->status == CJO_ACTIVE)
			(void) fire_due(&s, at);
		if (st->status == CJO_ACTIVE && s.graph->nexits > 0 &&
			match_choice(&s, s.graph->exits, s.graph->nexits, ev) >= 0)
		{
			record(&s, st->node, CJO_NONE, CJO_CAUSE_EXIT, -1, at);
			end_move(&s);
			end_run(st, CJO_EXITED, at);
			used = true;
		}
		check_goal(&s, ev, at);
		if (st->status == CJO_ACTIVE)
		{
			const CjoNode *n = cjo_graph_node(s.graph, st->node);

			if (n->kind == CJO_NODE_WAIT_EVENT)
			{
				int			i = match_choice(&s, n->choices, n->nchoices, ev);

				if (i >= 0)
				{
					move_to(&s, cjo_graph_choice(s.graph, n->choices + i)->next, CJO_CAUSE_MATCH, i, at);
					used = true;
				}
			}
		}
	}

	if (!used && strcmp(cjo_graph_str(latest, latest->entry_event), ev->name) == 0 &&
		may_enter(latest, st, at))
	{
		if (!entry_met && !cjo_entry_condition(c, j, ev))
			return;
		if (st == NULL)
			st = cjo_state_add(c, j->journey_id);
		step_init(&s, c, st, j, latest, ev);
		enter(&s, st, ev, at);
	}
}

/* Applies one event to every journey listening to it; returns how many. */
int
cjo_apply_event(CjoCustomer *c, CjoEvent *ev)
{
	int			njourneys;
	CjoJourney *journeys = cjo_journeys(&njourneys);
	int			n;
	const int  *listeners = cjo_journeys_for_event(ev->name, &n);

	for (int i = 0; i < n; i++)
	{
		char		verdict = ev->entry_verdicts ? ev->entry_verdicts[i] : CJO_ENTRY_UNJUDGED;

		/* Judged only for journeys that hear the name as their entry alone. */
		if (verdict != CJO_ENTRY_FAILED)
			apply_to_journey(c, &journeys[listeners[i]], ev, verdict == CJO_ENTRY_MET);
	}
	return n;
}
