/*
 * graph.h: the compiled journey graph (the cjo.journey type).
 *
 * A journey document (JSON) is validated and compiled once, at publish time,
 * into one flat varlena: a header, an array of nodes, an array of choices
 * (branch cases, split variants, awaited events, exit events) and a data area
 * holding NUL-terminated strings and MAXALIGNed varlena blobs (jsonpath
 * conditions, jsonb literals).  Every reference inside is an offset from the
 * start of the varlena, so a graph read from disk (or from the cache) is used
 * in place: no parsing on the hot path.
 *
 * Nodes are numbered in graph order: breadth first from the start node, each
 * node's successors in document order.  The numbering is part of the format,
 * since states and history store node indexes.
 */
#ifndef CJO_GRAPH_H
#define CJO_GRAPH_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/jsonpath.h"

#define CJO_GRAPH_FORMAT	1

/* Node kinds. */
typedef enum CjoNodeKind
{
	CJO_NODE_ACTION = 1,
	CJO_NODE_WAIT,
	CJO_NODE_WAIT_EVENT,
	CJO_NODE_BRANCH,
	CJO_NODE_SPLIT,
	CJO_NODE_EXIT,
	CJO_NODE_WAIT_UNTIL,
	CJO_NODE_SET,
	CJO_NODE_NEXT_BEST_ACTION
} CjoNodeKind;

/*
 * How a split or next_best_action node chooses (CjoNode.reserved): a split
 * by its fixed weights or by learning from conversions (Thompson sampling);
 * a next_best_action by the highest score, or by learning.
 */
#define CJO_CHOOSE_FIXED		0	/* split: weights; next_best_action: score */
#define CJO_CHOOSE_LEARN		1	/* Thompson sampling on the journey's goal */

/* Re-entry policies. */
typedef enum CjoReentry
{
	CJO_REENTRY_NEVER = 0,
	CJO_REENTRY_AFTER_EXIT,
	CJO_REENTRY_ALWAYS
} CjoReentry;

#define CJO_NONE	(-1)		/* no node / no offset */

/*
 * Flags: some path uses a wildcard (.*, .**, [*]) and may reach any part of
 * the context, so every part ($.event, $.entry, $.profile) must be there.
 */
#define CJO_GRAPH_WILDCARD_PATHS	0x0001
#define CJO_GRAPH_LOCAL_TIME		0x0002	/* a wait_until uses the profile's time zone */
#define CJO_GRAPH_ARMS				0x0004	/* a learning split or a next_best_action
										 * counts its choices and their conversions */

/*
 * One outgoing choice: a branch case (cond, next), a split variant (label,
 * weight, next, control), an awaited event (label = event name, cond, next),
 * an exit event (label, cond), a payload field (label = key, cond = path
 * or CJO_NONE, literal = jsonb value or CJO_NONE), or a next_best_action
 * candidate (label, cond = eligibility, score, next).
 */
typedef struct CjoChoice
{
	int32		label;			/* string offset or CJO_NONE */
	int32		cond;			/* jsonpath offset or CJO_NONE */
	int32		literal;		/* jsonb offset or CJO_NONE */
	int32		next;			/* node index or CJO_NONE */
	float8		weight;			/* split weight */
	bool		control;		/* split: the control variant */
	char		pad[3];
	int32		score;			/* next_best_action: jsonpath offset or CJO_NONE
								 * (read only for that kind) */
} CjoChoice;

typedef struct CjoNode
{
	uint8		kind;			/* CjoNodeKind */
	uint8		reserved;		/* wait_until: days allowed, bit 0 Monday .. bit 6
								 * Sunday; 0 = every day.  split and
								 * next_best_action: CJO_CHOOSE_* */
	uint16		nchoices;		/* cases, variants, events, payload fields */
	int32		name;			/* string offset */
	int32		next;			/* next, else, or time-out next; CJO_NONE if none */
	int32		choices;		/* index of the first choice */
	int64		duration;		/* wait duration or time-out, microseconds; 0 = none;
								 * wait_until: the local time of day; learning
								 * split and next_best_action: the seed */
	int32		channel;		/* action: string offset; wait_until: time zone
								 * (CJO_NONE: the profile's, else UTC) */
	int32		template_;		/* action: string offset */
	int32		description;	/* string offset or CJO_NONE */
	int32		min_share;		/* learning: least share of each choice, in
								 * millionths of the learned traffic */
} CjoNode;

typedef struct CjoGraph
{
	int32		vl_len_;		/* varlena header */
	uint16		format;			/* CJO_GRAPH_FORMAT */
	uint16		flags;			/* CJO_GRAPH_* */
	int32		nnodes;
	int32		nchoices;
	int32		nodes_off;		/* offset of CjoNode[nnodes] */
	int32		choices_off;	/* offset of CjoChoice[nchoices] */
	int32		name;			/* string offset */
	int32		description;	/* string offset or CJO_NONE */
	int32		entry_event;	/* string offset */
	int32		entry_cond;		/* jsonpath offset or CJO_NONE */
	int32		reentry;		/* CjoReentry */
	int64		cooldown;		/* microseconds, 0 = none */
	int32		exits;			/* index of the first exit-event choice */
	int32		nexits;
	int32		goal_event;		/* string offset or CJO_NONE (no goal) */
	int32		goal_cond;		/* jsonpath offset or CJO_NONE */
	int32		goal_value;		/* jsonpath offset or CJO_NONE */
	int32		goal_exit;		/* bool */
	int64		goal_within;	/* microseconds, 0 = unlimited */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} CjoGraph;

#define DatumGetCjoGraphP(X)	((CjoGraph *) PG_DETOAST_DATUM(X))
#define PG_GETARG_CJO_GRAPH_P(n)	DatumGetCjoGraphP(PG_GETARG_DATUM(n))
#define PG_RETURN_CJO_GRAPH_P(x)	PG_RETURN_POINTER(x)

/* Accessors: every offset is from the start of the graph. */
static inline const char *
cjo_graph_str(const CjoGraph *g, int32 off)
{
	return off == CJO_NONE ? NULL : (const char *) g + off;
}

static inline JsonPath *
cjo_graph_path(const CjoGraph *g, int32 off)
{
	return off == CJO_NONE ? NULL : (JsonPath *) ((const char *) g + off);
}

static inline Jsonb *
cjo_graph_jsonb(const CjoGraph *g, int32 off)
{
	return off == CJO_NONE ? NULL : (Jsonb *) ((const char *) g + off);
}

static inline const CjoNode *
cjo_graph_node(const CjoGraph *g, int32 i)
{
	return (const CjoNode *) ((const char *) g + g->nodes_off) + i;
}

static inline const CjoChoice *
cjo_graph_choice(const CjoGraph *g, int32 i)
{
	return (const CjoChoice *) ((const char *) g + g->choices_off) + i;
}

/*
 * Do the node's choices lead to other nodes?  Those of branch, split and
 * wait_event do; those of action (payload fields) and set (values) do not.
 */
static inline bool
cjo_node_choices_are_edges(const CjoNode *n)
{
	return n->kind == CJO_NODE_BRANCH || n->kind == CJO_NODE_SPLIT || n->kind == CJO_NODE_WAIT_EVENT ||
		n->kind == CJO_NODE_NEXT_BEST_ACTION;
}

/*
 * Does the node keep counts of its choices (cjo.arm_stats) and record its
 * choice in the run's journey data under its own name?
 */
static inline bool
cjo_node_counts_arms(const CjoNode *n)
{
	return n->kind == CJO_NODE_NEXT_BEST_ACTION ||
		(n->kind == CJO_NODE_SPLIT && n->reserved == CJO_CHOOSE_LEARN);
}

/* graph_compile.c */
extern CjoGraph *cjo_graph_compile(const char *json, int len);

/* learning.c */
extern bool cjo_arm_tables_exist(void);

/* graph_output.c */
extern char *cjo_graph_to_json(const CjoGraph *g);
extern const char *cjo_node_kind_name(int kind);

#endif							/* CJO_GRAPH_H */
