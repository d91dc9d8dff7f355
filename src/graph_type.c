/*
 * graph_type.c: SQL functions of the cjo.journey type.
 *
 * Input, receive and the jsonb cast all go through cjo_graph_compile, so
 * every journey value in the database has passed the same validation.  The
 * binary wire format is the canonical JSON text, which keeps the on-disk
 * layout private and free to change with the format number.
 */
#include "postgres.h"

#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "graph.h"

PG_FUNCTION_INFO_V1(cjo_journey_in);
PG_FUNCTION_INFO_V1(cjo_journey_out);
PG_FUNCTION_INFO_V1(cjo_journey_recv);
PG_FUNCTION_INFO_V1(cjo_journey_send);
PG_FUNCTION_INFO_V1(cjo_journey_name);
PG_FUNCTION_INFO_V1(cjo_journey_nodes);
PG_FUNCTION_INFO_V1(cjo_journey_choices);

/* Text input: a journey document. */
Datum
cjo_journey_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);

	PG_RETURN_CJO_GRAPH_P(cjo_graph_compile(text, strlen(text)));
}

/* Text output: the canonical document. */
Datum
cjo_journey_out(PG_FUNCTION_ARGS)
{
	CjoGraph   *g = PG_GETARG_CJO_GRAPH_P(0);

	PG_RETURN_CSTRING(cjo_graph_to_json(g));
}

/* Binary input: a format byte (1) and the document text. */
Datum
cjo_journey_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			format = pq_getmsgbyte(buf);
	int			len;
	char	   *text;

	if (format != 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						errmsg("unsupported cjo.journey binary format %d", format)));
	text = pq_getmsgtext(buf, buf->len - buf->cursor, &len);
	PG_RETURN_CJO_GRAPH_P(cjo_graph_compile(text, len));
}

/* Binary output: a format byte (1) and the canonical document text. */
Datum
cjo_journey_send(PG_FUNCTION_ARGS)
{
	CjoGraph   *g = PG_GETARG_CJO_GRAPH_P(0);
	char	   *text = cjo_graph_to_json(g);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, 1);
	pq_sendtext(&buf, text, strlen(text));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* The journey's name. */
Datum
cjo_journey_name(PG_FUNCTION_ARGS)
{
	CjoGraph   *g = PG_GETARG_CJO_GRAPH_P(0);

	PG_RETURN_TEXT_P(cstring_to_text(cjo_graph_str(g, g->name)));
}

/* Nodes in graph order: index, name, type, the names of the nodes it leads to. */
Datum
cjo_journey_nodes(PG_FUNCTION_ARGS)
{
	CjoGraph   *g = PG_GETARG_CJO_GRAPH_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < g->nnodes; i++)
	{
		const CjoNode *n = cjo_graph_node(g, i);
		Datum	   *next = palloc(sizeof(Datum) * (n->nchoices + 1));
		int			nnext = 0;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (cjo_node_choices_are_edges(n))
			for (int j = 0; j < n->nchoices; j++)
			{
				const CjoChoice *ch = cjo_graph_choice(g, n->choices + j);

				next[nnext++] = CStringGetTextDatum(cjo_graph_str(g, cjo_graph_node(g, ch->next)->name));
			}
		if (n->next != CJO_NONE)
			next[nnext++] = CStringGetTextDatum(cjo_graph_str(g, cjo_graph_node(g, n->next)->name));
		values[0] = Int32GetDatum(i);
		values[1] = CStringGetTextDatum(cjo_graph_str(g, n->name));
		values[2] = CStringGetTextDatum(cjo_node_kind_name(n->kind));
		values[3] = PointerGetDatum(construct_array(next, nnext, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * The choices of every node: branch cases ("case 1", ...), split variants
 * and next_best_action candidates (their names), awaited events (event
 * names), with the node each leads to.
 */
Datum
cjo_journey_choices(PG_FUNCTION_ARGS)
{
	CjoGraph   *g = PG_GETARG_CJO_GRAPH_P(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < g->nnodes; i++)
	{
		const CjoNode *n = cjo_graph_node(g, i);

		if (!cjo_node_choices_are_edges(n))
			continue;
		for (int j = 0; j < n->nchoices; j++)
		{
			const CjoChoice *ch = cjo_graph_choice(g, n->choices + j);
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			values[0] = Int32GetDatum(i);
			values[1] = Int32GetDatum(j);
			values[2] = CStringGetTextDatum(n->kind == CJO_NODE_BRANCH ? psprintf("case %d", j + 1)
											: cjo_graph_str(g, ch->label));
			values[3] = CStringGetTextDatum(cjo_graph_str(g, cjo_graph_node(g, ch->next)->name));
			values[4] = BoolGetDatum(ch->control);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
