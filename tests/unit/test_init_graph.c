/*
 * init's start order: dependencies first, cycles and services that import
 * from a bad or cyclic service never start, and each is told why.
 */
#include "graph.h"
#include "test.h"

static int
position(const int *order, int n, int v)
{
	for (int i = 0; i < n; i++)
		if (order[i] == v)
			return i;
	return -1;
}

TEST(init_graph_orders_dependencies_first)
{
	struct svc_graph g = { .n = 4 };
	enum node_state st[4] = { NODE_OK, NODE_OK, NODE_OK, NODE_OK };
	int order[4], blocker[4], n;

	/* 0 imports from 2, 2 from 3, 1 from 0 and 3. */
	g.dep[0][2] = g.dep[2][3] = g.dep[1][0] = g.dep[1][3] = true;
	n = graph_order(&g, st, order, blocker);
	CHECK_EQ(n, 4);
	CHECK(position(order, n, 3) < position(order, n, 2));
	CHECK(position(order, n, 2) < position(order, n, 0));
	CHECK(position(order, n, 0) < position(order, n, 1));
	for (int i = 0; i < 4; i++)
		CHECK_EQ(st[i], NODE_OK);
}

TEST(init_graph_cycles_and_their_dependents_do_not_start)
{
	struct svc_graph g = { .n = 5 };
	enum node_state st[5] = { NODE_OK, NODE_OK, NODE_OK, NODE_OK,
	    NODE_OK };
	int order[5], blocker[5], n;

	/* 0 <-> 1 is a cycle; 2 imports from 1; 3 imports from itself. */
	g.dep[0][1] = g.dep[1][0] = g.dep[2][1] = g.dep[3][3] = true;
	n = graph_order(&g, st, order, blocker);
	CHECK_EQ(n, 1);
	CHECK_EQ(order[0], 4);
	CHECK_EQ(st[0], NODE_CYCLE);
	CHECK_EQ(st[1], NODE_CYCLE);
	CHECK_EQ(st[3], NODE_CYCLE);
	CHECK_EQ(st[2], NODE_BLOCKED);
	CHECK_EQ(blocker[2], 1);
}

TEST(init_graph_bad_services_block_their_importers_transitively)
{
	struct svc_graph g = { .n = 3 };
	enum node_state st[3] = { NODE_BAD, NODE_OK, NODE_OK };
	int order[3], blocker[3], n;

	g.dep[1][0] = g.dep[2][1] = true;
	n = graph_order(&g, st, order, blocker);
	CHECK_EQ(n, 0);
	CHECK_EQ(st[0], NODE_BAD);
	CHECK_EQ(st[1], NODE_BLOCKED);
	CHECK_EQ(blocker[1], 0);
	CHECK_EQ(st[2], NODE_BLOCKED);
	CHECK_EQ(blocker[2], 1);
}
