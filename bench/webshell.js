// make bench-webshell's browser (bench/webshell.py, docs/benchmarks.md,
// "The web shell rows"): Debian's chromium, driven by playwright-core as
// in tests/browser/webshell.js, against a booted web shell system whose
// port 443 QEMU forwards from 127.0.0.1:WEB_PORT. The page's origin is
// https://localhost:8443 whatever that port is, so chromium reaches it
// through the CONNECT proxy of tests/browser/common.js and trusts the
// development certificate (WEB_CERT) by its key.
//
// Once: a password login in the terminal, a passkey added with a CDP
// virtual authenticator, logout (untimed: it also warms the system up).
// Then BENCH_LOGINS times:
//   - webshell_login_ms: a fresh load of the page, the passkey button
//     clicked as soon as it can be, until the shell's prompt is drawn;
//     from the start of the page's navigation (the document's time
//     origin) to the first animation frame that shows the prompt;
//   - webshell_echo_ms: BENCH_KEYS keys typed one at a time at the
//     prompt, each from its keydown in the page to the WebSocket message
//     that brings its echo back (gateway, terminal, shell and back);
//   - Ctrl-U and logout.
// It prints one line "result: JSON" ({"login_ms": [...], "echo_ms":
// [...]}) and exits 0, or prints "FAILED: why" and exits 1.
"use strict";

// What the browser scripts share: the CONNECT proxy (without Nagle:
// held back behind the ACK of the key before, each key's bytes would
// wait out the loopback's 40 ms delayed ACK, which the echo figure would
// then measure instead of capOS), chromium's launch, the authenticator.
const { ORIGIN, WAIT_MS, ROWS, fail, launch, addAuthenticator, waitScreen,
	waitText, typeLine } = require("../tests/browser/common.js");

const PORT = Number(process.env.WEB_PORT);
const CERT = process.env.WEB_CERT;
const LOGINS = Number(process.env.BENCH_LOGINS || 5);
const KEYS = Number(process.env.BENCH_KEYS || 20);
const PROMPT = "admin@capos> ";
// The keys typed at the prompt, one at a time: none repeats, so each
// echo is told from the one before.
const TYPED = "abcdefghijklmnopqrstuvwxyz";

// In every page before its own scripts: the time of the last keydown,
// and a WebSocket that reports the first output message (type 0x82)
// carrying the byte asked for.
function instrument() {
	const b = window.__bench = { key: 0, want: -1, done: null, got: null };
	window.addEventListener("keydown", () => {
		b.key = performance.now();
	}, true);
	const WS = window.WebSocket;
	window.WebSocket = class extends WS {
		constructor(...args) {
			super(...args);
			this.addEventListener("message", (e) => {
				if (b.want < 0 || !(e.data instanceof ArrayBuffer))
					return;
				const d = new Uint8Array(e.data);
				if (d[0] !== 0x82 || d.indexOf(b.want, 1) < 0)
					return;
				b.want = -1;
				b.done(performance.now() - b.key);
			});
		}
	};
}

function waitStatus(page, text) {
	return waitText(page, "#status", text);
}

// From the page's navigation to the frame that draws the prompt.
async function passkeyLogin(page) {
	await page.goto(ORIGIN + "/", { timeout: WAIT_MS });
	await page.click("#passkey");
	const at = await page.waitForFunction(([sel, t]) => Array.from(
		document.querySelectorAll(sel), (d) => d.textContent
		.replace(/\u00a0/g, " ")).join("\n").includes(t) &&
		performance.now(), [ROWS, PROMPT],
		{ timeout: WAIT_MS, polling: "raf" });
	return at.jsonValue();
}

// One key: its keydown to its echo's arrival.
async function echo(page, ch) {
	await page.evaluate((c) => {
		const b = window.__bench;
		b.got = new Promise((resolve) => { b.done = resolve; });
		b.want = c;
	}, ch.charCodeAt(0));
	await page.keyboard.type(ch);
	return page.evaluate(() => window.__bench.got);
}

async function main() {
	if (!(PORT > 0) || !CERT || !(LOGINS > 0) || !(KEYS > 0) ||
	    KEYS > TYPED.length)
		fail("WEB_PORT, WEB_CERT, BENCH_LOGINS >= 1 and BENCH_KEYS "
			+ "1.." + TYPED.length + " are needed");
	const { browser, proxy } = await launch(PORT, CERT);
	const ctx = await browser.newContext({ viewport: { width: 900,
		height: 600 } });
	ctx.setDefaultTimeout(WAIT_MS);
	await ctx.addInitScript(instrument);
	const page = await ctx.newPage();
	await addAuthenticator(ctx, page);

	// The passkey, added from a password login (untimed).
	await page.goto(ORIGIN + "/", { timeout: WAIT_MS });
	await page.click("#password");
	await waitScreen(page, "username> ");
	await typeLine(page, "admin");
	await waitScreen(page, "password> ");
	await typeLine(page, "capos-dev");
	await waitScreen(page, PROMPT);
	await page.click("#enrol");
	await waitStatus(page, "passkey added");
	await typeLine(page, "logout");
	await waitStatus(page, "closed: ");

	const loginMs = [], echoMs = [];
	for (let i = 0; i < LOGINS; i++) {
		loginMs.push(await passkeyLogin(page));
		await page.focus("#screen .xterm-helper-textarea");
		for (let k = 0; k < KEYS; k++)
			echoMs.push(await echo(page, TYPED[k]));
		await waitScreen(page, PROMPT + TYPED.slice(0, KEYS));
		await page.keyboard.press("Control+u");
		await typeLine(page, "logout");
		await waitStatus(page, "closed: ");
	}
	await browser.close();
	proxy.close();
	console.log("result: " + JSON.stringify({ login_ms: loginMs,
		echo_ms: echoMs }));
}

main().catch((e) => fail(e.stack || String(e)));
