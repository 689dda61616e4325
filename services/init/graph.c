/*
 * Start order for services. See graph.h.
 */
#include "graph.h"

/* Whether `to` can be reached from `from` along dependencies. */
static bool
reaches(const struct svc_graph *g, int from, int to)
{
	bool seen[GRAPH_MAX] = { false };
	int stack[GRAPH_MAX], sp = 0;

	stack[sp++] = from;
	seen[from] = true;
	while (sp > 0) {
		int v = stack[--sp];

		for (int w = 0; w < g->n; w++) {
			if (!g->dep[v][w])
				continue;
			if (w == to)
				return true;
			if (!seen[w]) {
				seen[w] = true;
				stack[sp++] = w;
			}
		}
	}
	return false;
}

/* Marks every service that imports from one that will not start. */
static void
propagate_blocked(const struct svc_graph *g, enum node_state *state,
    int *blocker)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (int i = 0; i < g->n; i++) {
			if (state[i] != NODE_OK)
				continue;
			for (int j = 0; j < g->n; j++) {
				if (g->dep[i][j] && state[j] != NODE_OK) {
					state[i] = NODE_BLOCKED;
					blocker[i] = j;
					changed = true;
					break;
				}
			}
		}
	}
}

int
graph_order(const struct svc_graph *g, enum node_state *state, int *order,
    int *blocker)
{
	bool done[GRAPH_MAX] = { false };
	int n = 0, progress = 1;

	for (int i = 0; i < g->n; i++) {
		blocker[i] = -1;
		if (state[i] == NODE_OK && reaches(g, i, i))
			state[i] = NODE_CYCLE;
	}
	propagate_blocked(g, state, blocker);
	/* What is left has no cycle: repeatedly take a service whose
	 * dependencies have all been taken. */
	while (progress) {
		progress = 0;
		for (int i = 0; i < g->n; i++) {
			bool ready = state[i] == NODE_OK && !done[i];

			for (int j = 0; ready && j < g->n; j++)
				if (g->dep[i][j] && !done[j])
					ready = false;
			if (ready) {
				done[i] = true;
				order[n++] = i;
				progress = 1;
			}
		}
	}
	return n;
}
