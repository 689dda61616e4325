/*
 * The agent shell's pure parts (docs/agent.md): the permission map and
 * the gate, the tool descriptors built from the generated schema
 * metadata (with its $C.readOnly and $C.secret marks), the typed call a
 * proposal becomes, auth's reading of a profile's map, and the scripted
 * model's rules.
 */
#define CAPNP_META
#include "agent.capnp.h"
#include "agentpolicy.h"
#include "audit.h"
#include "auth.capnp.h"
#include "broker.h"
#include "capos.capnp.h"
#include "script.h"
#include "shell.capnp.h"
#include "test.h"

/* The operator bundle of system/agent.capnp, less the model. */
static const struct agent_cap caps[] = {
	{ "session", &capos_UserSession_meta },
	{ "audit", &capos_AuditLog_meta },
	{ "launcher", &capos_ProgramLauncher_meta },
	{ "timer", &capos_Timer_meta },
	{ "mystery", NULL },
};

static void
operator_map(struct agent_map *m)
{
	static const struct { const char *t; unsigned mode; } e[] = {
		{ "session.info", AGENT_AUTO },
		{ "launcher.programs", AGENT_AUTO },
		{ "launcher.run", AGENT_CONSENT },
		{ "audit.read", AGENT_STEP_UP },
		{ "session.logout", AGENT_FORBIDDEN },
		{ "mystery.anything", AGENT_AUTO },
	};

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		CHECK_EQ(agent_map_add(m, e[i].t, strlen(e[i].t), e[i].mode), 0);
}

static const struct agent_tool *
tool(const struct agent_tools *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->t[i].name, name) == 0)
			return &t->t[i];
	return NULL;
}

TEST(agent_tools_are_the_maps_allowed_methods_of_held_caps)
{
	struct agent_map m;
	struct agent_tools t;

	operator_map(&m);
	agent_tools_build(&m, caps, 5, &t);
	CHECK_EQ(t.n, 4);
	CHECK(tool(&t, "session.info") != NULL);
	CHECK(tool(&t, "launcher.programs") != NULL);
	CHECK(tool(&t, "launcher.run") != NULL);
	CHECK(tool(&t, "audit.read") != NULL);
	/* Forbidden, outside the map, or of an unknown interface: never
	 * described. */
	CHECK(tool(&t, "session.logout") == NULL);
	CHECK(tool(&t, "session.shellBundle") == NULL);
	CHECK(tool(&t, "timer.now") == NULL);
	CHECK(tool(&t, "mystery.anything") == NULL);
	CHECK_EQ(tool(&t, "launcher.run")->mode, AGENT_CONSENT);
	CHECK_STR(caps[tool(&t, "audit.read")->cap].name, "audit");

	/* With no map, nothing at all. */
	memset(&m, 0, sizeof(m));
	agent_tools_build(&m, caps, 5, &t);
	CHECK_EQ(t.n, 0);
}

TEST(agent_gate_decides_by_the_map_alone)
{
	static const struct {
		const char *tool;
		enum agent_gate g;
	} cases[] = {
		{ "session.info", GATE_RUN },
		{ "launcher.programs", GATE_RUN },
		{ "launcher.run", GATE_CONSENT },
		{ "audit.read", GATE_STEP_UP },
		{ "session.logout", GATE_FORBIDDEN },
		{ "session.shellBundle", GATE_NOT_OFFERED },
		{ "timer.now", GATE_NOT_OFFERED },
		{ "mystery.anything", GATE_NOT_OFFERED },
		{ "spawner.spawn", GATE_NOT_OFFERED },
		{ "", GATE_NOT_OFFERED },
		{ "session.info2", GATE_NOT_OFFERED },
		{ "session.inf", GATE_NOT_OFFERED },
	};
	const struct agent_tool *t;
	struct agent_map m;
	struct agent_tools tools;

	operator_map(&m);
	agent_tools_build(&m, caps, 5, &tools);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum agent_gate g = agent_gate(&m, &tools, cases[i].tool,
		    strlen(cases[i].tool), &t);

		if (g != cases[i].g)
			test_fail(__FILE__, __LINE__, "%s: gate %d, want %d",
			    cases[i].tool, g, cases[i].g);
		CHECK((t != NULL) == (g <= GATE_STEP_UP));
	}
	/* A name with a NUL inside is not the tool it starts with. */
	CHECK_EQ(agent_gate(&m, &tools, "session.info\0x", 14, &t),
	    GATE_NOT_OFFERED);
}

TEST(agent_map_refuses_what_does_not_fit)
{
	struct agent_map m;
	char longname[AGENT_TOOL_MAX + 2];

	memset(&m, 0, sizeof(m));
	memset(longname, 'a', sizeof(longname));
	CHECK_EQ(agent_map_add(&m, longname, AGENT_TOOL_MAX + 1, AGENT_AUTO),
	    -1);
	CHECK_EQ(agent_map_add(&m, longname, AGENT_TOOL_MAX, AGENT_AUTO), 0);
	CHECK_EQ(agent_map_add(&m, "a.b", 3, 4), -1);
	CHECK_EQ(agent_map_add(&m, "", 0, AGENT_AUTO), -1);
	for (int i = 1; i < AGENT_MAP_MAX; i++)
		CHECK_EQ(agent_map_add(&m, "x.y", 3, AGENT_AUTO), 0);
	CHECK_EQ(agent_map_add(&m, "x.z", 3, AGENT_AUTO), -1);
}

TEST(agent_descriptors_come_from_schema_metadata)
{
	struct agent_map m;
	struct agent_tools t;
	char text[256];
	const struct capnp_meta_method *me;

	operator_map(&m);
	agent_tools_build(&m, caps, 5, &t);
	agent_describe(tool(&t, "audit.read"), caps, text, sizeof(text));
	CHECK_STR(text, "AuditLog.read(after :UInt64, max :UInt32) -> "
	    "(records :List, dropped :UInt64, last :UInt64)");
	agent_describe(tool(&t, "launcher.run"), caps, text, sizeof(text));
	CHECK_STR(text, "ProgramLauncher.run(program :Text, args :List) -> "
	    "ProgramLauncher.RunResult");
	agent_describe(tool(&t, "session.info"), caps, text, sizeof(text));
	CHECK_STR(text, "UserSession.info() -> SessionInfo");
	/* Cut to the room, NUL-terminated. */
	agent_describe(tool(&t, "launcher.run"), caps, text, 12);
	CHECK_STR(text, "ProgramLaun");

	/* The marks the schema carries. */
	CHECK(tool(&t, "audit.read")->method->flags & CAPNP_META_READ_ONLY);
	CHECK(tool(&t, "session.info")->method->flags & CAPNP_META_READ_ONLY);
	CHECK(!(tool(&t, "launcher.run")->method->flags &
	    CAPNP_META_READ_ONLY));
	me = &capos_SessionManager_meta.methods[
	    capos_SessionManager_login_ORDINAL];
	CHECK(me->params->fields[1].flags & CAPNP_META_SECRET);
	CHECK(!(me->params->fields[0].flags & CAPNP_META_SECRET));

	agent_param_type(&capos_SessionInfo_meta.fields[5], text, sizeof(text));
	CHECK_STR(text, "AuthStrength (none|password|publicKey|passkey)");
	agent_param_type(&capos_SessionInfo_meta.fields[5], text, 16);
	CHECK_STR(text, "AuthStrength (n");
}

TEST(agent_call_text_is_the_typed_call_with_secrets_redacted)
{
	const struct capnp_meta_method *login;
	struct agent_tool t;
	struct agent_arg a[2] = {
		{ "account", "\"admin\"", 7, 7 },
		{ "password", "\"hunter2\"", 8, 9 },
	};
	struct typed_call tc;
	char out[128], err[TYPED_ERR_MAX];
	int n;

	login = &capos_SessionManager_meta.methods[0];
	memset(&t, 0, sizeof(t));
	memcpy(t.name, "sessionManager.login", 21);
	t.method = login;
	n = agent_call_text(&t, a, 2, 0, out, sizeof(out));
	CHECK_STR(out, "sessionManager.login(account=\"admin\", "
	    "password=\"hunter2\")");
	CHECK_EQ(typed_parse(out, (size_t)n, &tc, err), 0);
	CHECK_EQ(tc.nargs, 2);
	CHECK_STR(tc.args[1].text, "hunter2");
	agent_call_text(&t, a, 2, 1, out, sizeof(out));
	CHECK_STR(out, "sessionManager.login(account=\"admin\", "
	    "password=<secret>)");
	CHECK(strstr(out, "hunter2") == NULL);
	/* Too long for the room: refused, not cut. */
	CHECK_EQ(agent_call_text(&t, a, 2, 0, out, 40), -1);
	CHECK_EQ(agent_call_text(&t, a, 0, 0, out, sizeof(out)), 22);
	CHECK_STR(out, "sessionManager.login()");
}

TEST(agent_call_parse_refuses_arguments_smuggled_in_a_value)
{
	struct agent_tool t;
	/* The value of the secret password carries an account of its own:
	 * the consent prompt would show password=<secret> and nothing else,
	 * while the call ran with the smuggled account. */
	struct agent_arg a[1] = {
		{ "password", "\"x\", account=\"root\"", 8, 19 },
	};
	struct agent_arg ok[2] = {
		{ "account", "\"a, b=\\\"c\\\"\"", 7, 12 },
		{ "password", "\"x\"", 8, 3 },
	};
	struct agent_arg renamed[1] = {
		{ "account", "\"x\"", 7, 3 },
	};
	struct typed_call tc;
	char shown[128], exact[128], err[TYPED_ERR_MAX];

	memset(&t, 0, sizeof(t));
	memcpy(t.name, "sessionManager.login", 21);
	t.method = &capos_SessionManager_meta.methods[0];
	CHECK_EQ(agent_call_parse(&t, a, 1, shown, sizeof(shown), exact,
	    sizeof(exact), &tc, err), -1);
	CHECK_STR(shown, "sessionManager.login(password=<secret>)");
	CHECK_STR(err, "an argument's value is not one value");
	/* A quoted value that only looks like more arguments is one value. */
	CHECK_EQ(agent_call_parse(&t, ok, 2, shown, sizeof(shown), exact,
	    sizeof(exact), &tc, err), 0);
	CHECK_EQ(tc.nargs, 2);
	CHECK_STR(tc.args[0].text, "a, b=\"c\"");
	CHECK_STR(shown, "sessionManager.login(account=\"a, b=\\\"c\\\"\", "
	    "password=<secret>)");
	CHECK_EQ(agent_call_parse(&t, renamed, 1, shown, sizeof(shown), exact,
	    sizeof(exact), &tc, err), 0);
	CHECK_STR(tc.args[0].name, "account");
}

static size_t
tty(struct agent_tty_state *st, const char *in, char *out)
{
	size_t n = agent_tty_filter(st, in, strlen(in), out);

	out[n] = '\0';
	return n;
}

TEST(agent_tty_filter_keeps_the_model_off_the_terminal)
{
	struct agent_tty_state st;
	char out[64];

	agent_tty_start(&st);
	/* C0 (ESC, BEL) but newline, and DEL. */
	tty(&st, "a\x1b[2J\x07\n\x7f", out);
	CHECK_STR(out, "a?[2J?\n?");
	/* C1 as UTF-8 (CSI U+009B, OSC U+009D, ST U+009C) and as single
	 * bytes; the characters beside them stay. */
	tty(&st, "\xc2\x9b" "2J\xc2\x9d" "52;c;QQ==\xc2\x9c \xc2\xa9 \xc3\xa9", out);
	CHECK_STR(out, "?2J?52;c;QQ==? \xc2\xa9 \xc3\xa9");
	tty(&st, "\x9b" "2J\x85", out);
	CHECK_STR(out, "?2J?");
	/* Split between chunks, either way. */
	CHECK_EQ(tty(&st, "x\xc2", out), 1u);
	CHECK_STR(out, "x");
	tty(&st, "\x9b" "1A", out);
	CHECK_STR(out, "?1A");
	tty(&st, "\xe2\x82", out);
	CHECK_STR(out, "\xe2\x82");
	tty(&st, "\xac!", out);
	CHECK_STR(out, "\xac!");
	/* A held lead whose sequence breaks off. */
	tty(&st, "\xc2", out);
	tty(&st, "A", out);
	CHECK_STR(out, "?A");
	/* Overlong forms of U+009B, surrogates, past U+10FFFF. */
	tty(&st, "\xe0\x82\x9b|\xf0\x80\x82\x9b|\xed\xa0\x80|\xf4\x90\x80\x80",
	    out);
	CHECK(strchr(out, (char)0x9b) == NULL);
	CHECK(strstr(out, "\xe0\x82") == NULL);
	CHECK(strstr(out, "\xed\xa0") == NULL);
	CHECK(strstr(out, "\xf4\x90") == NULL);

	CHECK(agent_tty_clean("launcher.run \xc2\xa9?", 16));
	CHECK(!agent_tty_clean("\xc2\x9b" "1A", 4));
	CHECK(!agent_tty_clean("\x9b", 1));
	CHECK(!agent_tty_clean("a\x1b", 2));
	CHECK(!agent_tty_clean("\xe2\x82", 2));
}

TEST(agent_auth_reads_a_profiles_tool_map)
{
	static struct profile_set ps;
	static const char *bad[] = {
		"nosuch:session.info=auto",
		"operator:session.info",
		"operator:session.info=sometimes",
		"operator:sessioninfo=auto",
		"operator:session.=auto",
		"operator:.info=auto",
		"operator:session.info=auto+session.info=consent",
		"operator:session.info=auto+",
		"operator:se ssion.info=auto",
	};
	const char *p = "operator:session+audit";
	const char *tools = "operator:session.info=auto+audit.read=stepUp+"
	    "session.logout=forbidden+launcher.run=consent";

	memset(&ps, 0, sizeof(ps));
	CHECK(profile_add(&ps, p, strlen(p)) == NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (profile_tools_add(&ps, bad[i], strlen(bad[i])) == NULL)
			test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
		/* A refused argument adds nothing. */
		CHECK_EQ(ps.p[0].ntools, 0);
	}
	CHECK(profile_tools_add(&ps, tools, strlen(tools)) == NULL);
	CHECK_EQ(ps.p[0].ntools, 4);
	CHECK_STR(ps.p[0].tools[1].tool, "audit.read");
	CHECK_EQ(ps.p[0].tools[1].mode, TOOL_STEP_UP);
	CHECK_EQ(ps.p[0].tools[2].mode, TOOL_FORBIDDEN);
	CHECK_EQ(ps.p[0].tools[3].mode, TOOL_CONSENT);
	/* The modes are schema/agent.capnp's PermissionMode values. */
	CHECK_EQ(TOOL_STEP_UP, capos_PermissionMode_stepUp);
	CHECK_EQ(TOOL_FORBIDDEN, capos_PermissionMode_forbidden);
	CHECK_EQ(AGENT_CONSENT, capos_PermissionMode_consent);
	/* A second argument for the profile adds to its map. */
	CHECK(profile_tools_add(&ps, "operator:timer.now=auto", 23) == NULL);
	CHECK_EQ(ps.p[0].ntools, 5);
	CHECK(profile_tools_add(&ps, "operator:audit.read=auto", 24) != NULL);
}

TEST(agent_audit_names_the_tool_of_a_decision)
{
	static struct audit_log log;
	const struct audit_record *r[4];
	uint64_t seq;
	char longtool[AUDIT_TOOL_MAX + 8];

	memset(&log, 0, sizeof(log));
	seq = audit_append(&log, 1, AUDIT_TOOL_DECISION,
	    capos_AuthReason_toolForbidden, "admin", 5, "console", 7,
	    "operator", 8, 2);
	audit_set_tool(&log, seq, "session.logout", 14);
	memset(longtool, 'x', sizeof(longtool));
	seq = audit_append(&log, 2, AUDIT_TOOL_DECISION,
	    capos_AuthReason_toolNotOffered, "admin", 5, "console", 7,
	    "operator", 8, 2);
	audit_set_tool(&log, seq, longtool, sizeof(longtool));
	/* A record that is not the newest is left alone. */
	audit_set_tool(&log, seq + 1, "nope", 4);
	CHECK_EQ(audit_read(&log, 0, 4, r), 2);
	CHECK_STR(r[0]->tool, "session.logout");
	CHECK_EQ(r[0]->event, AUDIT_TOOL_DECISION);
	CHECK_EQ(strlen(r[1]->tool), AUDIT_TOOL_MAX);
	CHECK_EQ(AUDIT_TOOL_DECISION, capos_AuditEvent_toolDecision);
	CHECK_EQ(AUDIT_STEP_UP, capos_AuditEvent_stepUp);
}

TEST(agent_audit_keeps_the_redacted_call_within_its_bound)
{
	static struct audit_log log;
	const struct audit_record *r[2];
	char longcall[AUDIT_CALL_MAX + 40];
	uint64_t seq;

	memset(&log, 0, sizeof(log));
	seq = audit_append(&log, 1, AUDIT_TOOL_DECISION,
	    capos_AuthReason_toolStepUpPassed, "admin", 5, "console", 7,
	    "operator", 8, 2);
	audit_set_call(&log, seq, "session.stepUp(password=<secret>)", 33);
	CHECK_EQ(audit_read(&log, 0, 2, r), 1);
	CHECK_STR(r[0]->call, "session.stepUp(password=<secret>)");
	memset(longcall, 'y', sizeof(longcall));
	seq = audit_append(&log, 2, AUDIT_TOOL_DECISION,
	    capos_AuthReason_toolAuto, "admin", 5, "console", 7, "operator",
	    8, 2);
	audit_set_call(&log, seq, longcall, sizeof(longcall));
	audit_set_call(&log, seq + 1, "nope", 4);
	CHECK_EQ(audit_read(&log, 1, 2, r), 1);
	CHECK_EQ(strlen(r[0]->call), AUDIT_CALL_MAX);
	CHECK_EQ(AUDIT_CALL_MAX, capos_UserSession_maxCall);
	/* A record that is not a tool decision carries no call. */
	seq = audit_append(&log, 3, AUDIT_LOGIN_OK, capos_AuthReason_ok,
	    "admin", 5, "console", 7, "", 0, 3);
	CHECK_EQ(audit_read(&log, 2, 2, r), 1);
	CHECK_STR(r[0]->call, "");
}

TEST(agent_script_rules_parse_and_match)
{
	static struct script s;
	const struct script_rule *r;
	const char *rule = "start hello|say:Asking.|call:launcher.run("
	    "program=\"a, \\\"b\\\"\", n=3)|stall";

	memset(&s, 0, sizeof(s));
	CHECK(script_add(&s, rule, strlen(rule)) == NULL);
	CHECK(script_add(&s, "x|call:session.info()", 21) == NULL);
	r = script_match(&s, "please start hello now", 22);
	CHECK(r == &s.r[0]);
	CHECK_EQ(r->nsteps, 3);
	CHECK_EQ(r->steps[0].kind, STEP_SAY);
	CHECK_STR(r->steps[0].text, "Asking.");
	CHECK_EQ(r->steps[1].kind, STEP_CALL);
	CHECK_STR(r->steps[1].text, "launcher.run");
	CHECK_EQ(r->steps[1].nargs, 2);
	CHECK_STR(r->steps[1].args[0].name, "program");
	CHECK_STR(r->steps[1].args[0].value, "\"a, \\\"b\\\"\"");
	CHECK_STR(r->steps[1].args[1].value, "3");
	CHECK_EQ(r->steps[2].kind, STEP_STALL);
	CHECK_EQ(s.r[1].steps[0].nargs, 0);
	CHECK(script_match(&s, "start hell", 10) == NULL);
	CHECK(script_match(&s, "", 0) == NULL);

	static const char *bad[] = {
		"no steps",
		"|say:x",
		"w|",
		"w|shout:x",
		"w|say:",
		"w|call:noparens",
		"w|call:(a=1)",
		"w|call:t(a=1",
		"w|call:t(a)",
		"w|call:t(=1)",
		"w|call:t(a=)",
		"w|call:t(a=1,)",
		"w|call:t(a=\"open)",
		"w|call:t(a=1, b=2, c=3, d=4, e=5)",
		"w|say:1|say:2|say:3|say:4|say:5|say:6|say:7|say:8|say:9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (script_add(&s, bad[i], strlen(bad[i])) == NULL)
			test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
	CHECK_EQ(s.n, 2);
}
