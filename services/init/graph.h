/*
 * The service dependency graph: who imports an export from whom, and the
 * order to start services in. Pure code, tested on the host.
 */
#ifndef CAPOS_INIT_GRAPH_H
#define CAPOS_INIT_GRAPH_H

#include <stdbool.h>

#define GRAPH_MAX	32

struct svc_graph {
	int n;
	bool dep[GRAPH_MAX][GRAPH_MAX];	/* dep[i][j]: i imports from j */
};

enum node_state {
	NODE_OK,	/* will start */
	NODE_BAD,	/* its own entry is bad (set by the caller) */
	NODE_BLOCKED,	/* imports from a service that will not start */
	NODE_CYCLE,	/* on a dependency cycle */
};

/*
 * Orders the services whose state is NODE_OK so that each comes after the
 * services it imports from, writing their indices to order and returning
 * how many. Services that cannot start get NODE_BLOCKED (blocker[i] names
 * the service they wait for) or NODE_CYCLE.
 */
int graph_order(const struct svc_graph *g, enum node_state *state,
    int *order, int *blocker);

#endif
