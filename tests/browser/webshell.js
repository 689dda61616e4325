// The web gateway's browser proof (tests/qemu/test_webshell.py,
// docs/web.md, "Passkeys"): Debian's chromium, driven by playwright-core
// over CDP, with a virtual WebAuthn authenticator (CTAP2, resident keys,
// user verification). The guest's port 443 is forwarded to WEB_PORT on
// 127.0.0.1; the page's origin is https://localhost:8443, so chromium
// reaches it through the CONNECT proxy of common.js that sends
// localhost:8443 there. The development certificate is trusted by its
// key (--ignore-certificate-errors-spki-list): WebAuthn refuses pages
// with certificate errors.
//
// Steps, each printed as "step: ..." once it has been seen to work:
//   1. log in with the password in the terminal, add a passkey; `exit`:
//      the page says the shell exited and offers to reconnect;
//   2. reconnect: log in with the passkey, run caps, keep a screenshot,
//      read the audit log (the enrolment, the login's strength), run
//      one agent turn whose call is gated and answered, resize
//      the window, paste a two-line block (one line on the prompt, run
//      once by Enter) and a paste holding Ctrl-C and ESC[201~ (nothing
//      runs), copy a double-clicked word with Ctrl-C (the line being
//      typed is kept), log out; in a second browser
//      session, log in, ask `passkey link` for an enrolment link, and
//      close the tab without logging out; in a third, with an
//      authenticator of its own, open the link, enrol a passkey by its
//      code and log in with it;
//   3. refusals without a browser, each answered 403 (the console lines
//      that say why are test_webshell.py's to check): the login's own
//      request sent again (its challenge is spent), and assertions made
//      with the authenticator's key for fresh challenges with a wrong
//      origin, a wrong RP ID and a tampered signature; the login's
//      cookie presented again after its use; a malformed and an
//      oversized login body and a POST without Origin; the enrolment
//      code used again (its options, its answer), a made-up one, none.
// It prints "figure:" lines: the time from the passkey button's click to
// the shell's prompt.
// Exits 0 when every step passed, 1 with the reason otherwise.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const tls = require("tls");
const { HOST, ORIGIN, WAIT_MS, ROWS, fail, step, launch, addAuthenticator,
	rows, waitScreen, waitText, typeLine } = require("./common.js");

const PORT = Number(process.env.WEB_PORT);
const CERT = process.env.WEB_CERT;
const SHOT = process.env.WEB_SHOT;

// One request over TLS straight to the guest: the raw answer's status
// line and head. Host and Origin are the page's.
function raw(head, body) {
	return new Promise((resolve, reject) => {
		const s = tls.connect({ host: "127.0.0.1", port: PORT,
			servername: "localhost", ca: fs.readFileSync(CERT),
			minVersion: "TLSv1.3" });
		let got = Buffer.alloc(0);
		s.setTimeout(WAIT_MS, () => {
			s.destroy();
			reject(new Error("no answer"));
		});
		s.on("secureConnect", () => {
			s.write(head);
			if (body)
				s.write(body);
		});
		s.on("data", (d) => { got = Buffer.concat([got, d]); });
		s.on("error", reject);
		s.on("end", () => resolve(got));
		s.on("close", () => resolve(got));
	});
}

function post(path, body) {
	return raw(`POST ${path} HTTP/1.1\r\nHost: ${HOST}\r\n` +
		`Origin: ${ORIGIN}\r\nContent-Type: application/octet-stream\r\n` +
		`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`, body);
}

function statusOf(answer) {
	const m = /^HTTP\/1\.1 (\d{3})/.exec(answer.toString("latin1"));
	return m ? Number(m[1]) : 0;
}

function fields(list) {
	return Buffer.concat(list.map((b) => {
		const n = Buffer.alloc(2);
		n.writeUInt16BE(b.length);
		return Buffer.concat([n, b]);
	}));
}

function b64url(b) {
	return b.toString("base64").replace(/\+/g, "-").replace(/\//g, "_")
		.replace(/=+$/, "");
}

function sha256(b) {
	return crypto.createHash("sha256").update(b).digest();
}

// An assertion made here with the authenticator's own key for a fresh
// challenge: every field right but the one a case spoils.
async function forged(cred, counter, spoil) {
	const a = await post("/passkey/challenge", Buffer.alloc(0));
	const head = a.toString("latin1");
	const m = /"challenge":"([^"]+)"/.exec(head);
	if (statusOf(a) !== 200 || !m)
		fail("no challenge: " + head.split("\r\n")[0]);
	const cd = { type: "webauthn.get",
		challenge: b64url(Buffer.from(m[1], "base64")),
		origin: spoil === "origin" ? "https://evil.example" : ORIGIN,
		crossOrigin: false };
	const cdj = Buffer.from(JSON.stringify(cd));
	const cnt = Buffer.alloc(4);
	cnt.writeUInt32BE(counter);
	const ad = Buffer.concat([sha256(Buffer.from(spoil === "rpid" ?
		"evil.example" : "localhost")), Buffer.from([0x05]), cnt]);
	const key = crypto.createPrivateKey({ format: "der", type: "pkcs8",
		key: Buffer.from(cred.privateKey, "base64") });
	const sig = crypto.sign("sha256", Buffer.concat([ad, sha256(cdj)]), key);
	if (spoil === "signature")
		sig[sig.length - 1] ^= 0x01;
	return fields([Buffer.from(cred.credentialId, "base64"), cdj, ad, sig,
		Buffer.from(cred.userHandle, "base64")]);
}

// The browser's paste of text on the terminal, as Ctrl-V gives it.
async function paste(page, text) {
	await page.evaluate((t) => {
		const dt = new DataTransfer();
		dt.setData("text/plain", t);
		document.querySelector("#screen .xterm-helper-textarea")
			.dispatchEvent(new ClipboardEvent("paste", {
				clipboardData: dt, bubbles: true, cancelable: true }));
	}, text);
}

// Waits for the first of texts on the screen; returns it.
async function waitScreenAny(page, texts) {
	const h = await page.waitForFunction(([sel, ts]) => {
		const t = Array.from(document.querySelectorAll(sel),
			(d) => d.textContent.replace(/\u00a0/g, " ")).join("\n");
		return ts.find((x) => t.includes(x)) || false;
	}, [ROWS, texts], { timeout: WAIT_MS });
	return h.jsonValue();
}

// Waits until the prompt is drawn after the last occurrence of text.
async function waitPromptAfter(page, text) {
	await page.waitForFunction(([sel, x]) => {
		const t = Array.from(document.querySelectorAll(sel),
			(d) => d.textContent).join("");
		return t.includes(x) &&
		    t.lastIndexOf("@capos>") > t.lastIndexOf(x);
	}, [ROWS, text], { timeout: WAIT_MS });
}

async function main() {
	const { browser, proxy } = await launch(PORT, CERT);
	const ctx = await browser.newContext({ viewport: { width: 900,
		height: 600 } });
	ctx.setDefaultTimeout(WAIT_MS);
	const page = await ctx.newPage();
	// The page keeps its CSP: nothing it does may be refused by it (the
	// style nonce covers xterm.js's <style> elements).
	const refusedByCsp = [];
	page.on("console", (m) => {
		if (/Content Security Policy/.test(m.text()))
			refusedByCsp.push(m.text());
	});
	const { cdp, authenticatorId } = await addAuthenticator(ctx, page);

	// 1. Password login, then a passkey for the account.
	await page.goto(ORIGIN + "/", { timeout: WAIT_MS });
	await page.click("#password");
	await waitScreen(page, "username> ");
	await typeLine(page, "admin");
	await waitScreen(page, "password> ");
	await typeLine(page, "capos-dev");
	await waitScreen(page, "@capos>");
	await page.click("#enrol");
	await waitText(page, "#status", "passkey added");
	const { credentials } = await cdp.send("WebAuthn.getCredentials",
		{ authenticatorId });
	if (credentials.length !== 1 || !credentials[0].isResidentCredential)
		fail("the authenticator holds " + credentials.length +
			" credentials");
	step("password login, passkey added");
	// `exit` ends the shell: the page says so, from the gateway's close,
	// and offers to reconnect, which leads to a fresh login.
	await typeLine(page, "exit");
	await waitText(page, "#status", "closed: the shell exited; its " +
		"session has ended (4000)");
	await page.click("#reconnect");
	await waitScreen(page, "Not connected. Log in again");
	if (await page.isDisabled("#passkey") ||
	    await page.isDisabled("#password") ||
	    await page.isVisible("#reconnect"))
		fail("reconnect did not lead to the login's buttons");
	step("the shell exited: the page said so; reconnect leads to a login");

	// 2. Log in with the passkey; its request and cookie are kept for
	// the refusals below.
	let loginBody = null, cookie = null;
	page.on("request", (r) => {
		if (r.url().endsWith("/passkey/login"))
			loginBody = r.postDataBuffer();
	});
	page.on("response", async (r) => {
		if (r.url().endsWith("/passkey/login"))
			cookie = await r.headerValue("set-cookie");
	});
	const clicked = Date.now();
	await page.click("#passkey");
	await waitScreen(page, "Logged in with a passkey.");
	await waitScreen(page, "@capos>");
	console.log("figure: passkey login, click to the shell's prompt: " +
		(Date.now() - clicked) + " ms");
	await typeLine(page, "caps");
	await waitScreen(page, "TerminalSession");
	await page.waitForFunction((sel) => {
		const r = Array.from(document.querySelectorAll(sel),
			(d) => d.textContent);
		return r.join("\n").split("@capos>").length > 2;
	}, ROWS, { timeout: WAIT_MS });
	const screen = (await rows(page)).join("\n");
	if (!screen.includes("UserSession") ||
	    !screen.includes("TerminalSession"))
		fail("caps shows no session or terminal: " + screen);
	await page.screenshot({ path: SHOT });
	step("passkey login, caps, screenshot " + SHOT);
	// auth's audit log, read by this operator session: the enrolment,
	// and this login with strength passkey.
	await typeLine(page, "audit");
	await waitScreen(page, "records overwritten unread");
	const audit = (await rows(page)).join("");
	if (!/passkeyEnrolled, reason = ok/.test(audit))
		fail("no passkeyEnrolled record: " + audit);
	if (!/loginSucceeded, reason = ok[^)]*strength = passkey/.test(audit))
		fail("no passkey login record: " + audit);
	step("audited: passkeyEnrolled, loginSucceeded with strength passkey");
	// One agent turn (docs/agent.md): the scripted model proposes
	// launcher.run, which the operator's map gates by consent; y runs it
	// and the model is told the outcome.
	await typeLine(page, "agent start hello");
	await waitScreen(page,
		'agent: run launcher.run(program="hello") ? [y/N]');
	await typeLine(page, "y");
	await waitScreen(page, "model: launcher.run ran");
	// The turn is over once the prompt follows the model's last words.
	await page.waitForFunction((sel) => {
		const t = Array.from(document.querySelectorAll(sel),
			(d) => d.textContent).join("");
		return t.lastIndexOf("@capos>") > t.lastIndexOf("ran: (started");
	}, ROWS, { timeout: WAIT_MS });
	const turn = (await rows(page)).join("");
	for (const want of ["model: Starting hello needs your consent.",
	    "(started = (handle = <capability",
	    "model: launcher.run ran: (started"])
		if (!turn.includes(want))
			fail("the agent turn lacks " + JSON.stringify(want) +
				": " + turn);
	step("an agent turn: launcher.run gated by consent, run, reported");
	// A smaller window sends a resize (the gateway's console says so).
	const sized = await page.textContent("#status");
	if (!/^connected, \d+x\d+$/.test(sized))
		fail("the status shows no size: " + sized);
	await page.setViewportSize({ width: 640, height: 400 });
	await page.waitForFunction((was) => {
		const t = document.querySelector("#status").textContent;
		return t.startsWith("connected, ") && t !== was;
	}, sized, { timeout: WAIT_MS });
	// Bracketed paste at the prompt: a pasted two-line block is one
	// line on the prompt, and nothing runs until Enter; then it runs
	// once, as one line (the shell names the command it does not know).
	await paste(page, "bogus-one\nbogus-two");
	const shown = await waitScreenAny(page, ["bogus-one bogus-two",
		"unknown command: bogus"]);
	if (shown !== "bogus-one bogus-two")
		fail("a pasted line ran before Enter: " +
			(await rows(page)).join("\n"));
	await page.keyboard.press("Enter");
	await waitScreen(page, "unknown command: bogus-one");
	await waitPromptAfter(page, "unknown command: bogus-one");
	const ran = (await rows(page)).join("\n");
	if (ran.split("unknown command: bogus").length !== 2)
		fail("the pasted block did not run once as one line: " + ran);
	step("resized; a pasted two-line block waited for Enter, ran as " +
		"one line");
	// A paste's Ctrl-C and its own end sequence are removed by the
	// page: neither ends the bracket early, so nothing of it runs, and
	// its ESC-less rest is plain text. A typed Ctrl-C abandons the line.
	await paste(page, "zz-a\x03zz-b\nzz-c\x1b[201~zz-d\nzz-e");
	const kept = await waitScreenAny(page, ["zz-azz-b zz-c[201~zz-d zz-e",
		"unknown command: zz"]);
	if (kept !== "zz-azz-b zz-c[201~zz-d zz-e")
		fail("a paste with Ctrl-C and ESC[201~ ran: " +
			(await rows(page)).join("\n"));
	await page.keyboard.press("Control+C");
	await waitPromptAfter(page, "zz-e");
	const after = (await rows(page)).join("\n");
	if (after.includes("unknown command: zz"))
		fail("a paste with Ctrl-C and ESC[201~ ran: " + after);
	step("a paste's Ctrl-C and ESC[201~ were removed; nothing ran");
	// Copy: a word double-clicked in the output and Ctrl-C put on the
	// clipboard, and the line being typed is kept (no Ctrl-C reached
	// the shell): Enter then runs it.
	await page.evaluate(() => {
		window.__copied = null;
		window.addEventListener("copy", (e) => {
			window.__copied = e.clipboardData.getData("text/plain");
		});
	});
	await page.focus("#screen .xterm-helper-textarea");
	await page.keyboard.type("zz-copy");
	await waitScreen(page, "zz-copy");
	const cols = Number(/^connected, (\d+)x/.exec(
		await page.textContent("#status"))[1]);
	const row = page.locator(ROWS, { hasText: "unknown command: bogus-one" })
		.last();
	const box = await row.boundingBox();
	await page.mouse.dblclick(box.x + 3.5 * box.width / cols,
		box.y + box.height / 2);
	await page.keyboard.press("Control+C");
	await page.waitForFunction(() => window.__copied !== null, null,
		{ timeout: WAIT_MS });
	const copied = await page.evaluate(() => window.__copied);
	if (copied !== "unknown")
		fail("the copy put " + JSON.stringify(copied) + ", not the " +
			"word double-clicked (\"unknown\")");
	await page.keyboard.press("Enter");
	await waitScreen(page, "unknown command: zz-copy");
	step("a double-clicked word copied by Ctrl-C; the line typed was kept");
	await typeLine(page, "logout");
	await waitText(page, "#status", "closed: ");
	step("logged out");
	// A second browser session that ends by closing its tab: no logout
	// is sent (test_webshell.py waits for the gateway's proof that the
	// shell ended and the session is revoked).
	const ctx2 = await browser.newContext({ viewport: { width: 900,
		height: 600 } });
	ctx2.setDefaultTimeout(WAIT_MS);
	const tab = await ctx2.newPage();
	await tab.goto(ORIGIN + "/", { timeout: WAIT_MS });
	await tab.click("#password");
	await waitScreen(tab, "username> ");
	await typeLine(tab, "admin");
	await waitScreen(tab, "password> ");
	await typeLine(tab, "capos-dev");
	await waitScreen(tab, "@capos>");
	// That session asks for a link that enrols a passkey elsewhere.
	await typeLine(tab, "passkey link");
	await waitScreen(tab, "keep it to yourself:");
	const link = /(https:\/\/localhost:8443\/#enrol=([A-Za-z0-9_-]{22}))\s/
		.exec((await rows(tab)).join("\n") + "\n");
	if (!link)
		fail("no enrolment link: " + (await rows(tab)).join("\n"));
	const code = link[2];
	console.log("enrolment code: " + code);
	step("passkey link gave a link with a code in its fragment");
	await tab.close();
	await ctx2.close();
	step("a logged-in tab closed without logout");

	// A fresh browser with an authenticator of its own opens the link,
	// enrols a passkey by the code, and logs in with it.
	const ctx3 = await browser.newContext({ viewport: { width: 900,
		height: 600 } });
	ctx3.setDefaultTimeout(WAIT_MS);
	const fresh = await ctx3.newPage();
	const { cdp: cdp3, authenticatorId: auth3 } =
		await addAuthenticator(ctx3, fresh);
	let enrolBody = null;
	fresh.on("request", (r) => {
		if (r.url().endsWith("/passkey/enrol"))
			enrolBody = r.postDataBuffer();
		if (r.url().includes(code))
			fail("a request's address holds the code: " + r.url());
	});
	await fresh.goto(link[1], { timeout: WAIT_MS });
	await fresh.waitForSelector("#link", { state: "visible" });
	if (await fresh.evaluate(() => location.href) !== ORIGIN + "/")
		fail("the code stayed in the address: " +
			await fresh.evaluate(() => location.href));
	await fresh.click("#link");
	await waitText(fresh, "#status", "passkey added for admin");
	const held = (await cdp3.send("WebAuthn.getCredentials",
		{ authenticatorId: auth3 })).credentials;
	if (held.length !== 1)
		fail("the new authenticator holds " + held.length + " credentials");
	await fresh.click("#passkey");
	await waitScreen(fresh, "Logged in with a passkey.");
	await waitScreen(fresh, "@capos>");
	await typeLine(fresh, "whoami");
	await fresh.waitForFunction((sel) => Array.from(
		document.querySelectorAll(sel), (d) => d.textContent
		.replace(/\u00a0/g, " ").trim()).includes("admin"), ROWS,
		{ timeout: WAIT_MS });
	await typeLine(fresh, "logout");
	await waitText(fresh, "#status", "closed: ");
	await ctx3.close();
	step("the link enrolled a passkey in a fresh browser; it logged in");
	await browser.close();
	if (refusedByCsp.length > 0)
		fail("the page's CSP refused: " + refusedByCsp[0]);
	step("nothing refused by the page's CSP");

	// 3. Refusals.
	if (loginBody === null || cookie === null)
		fail("the passkey login's request or cookie was not seen");
	if (!/HttpOnly/.test(cookie) || !/Secure/.test(cookie) ||
	    !/SameSite=Strict/.test(cookie))
		fail("the cookie lacks a flag: " + cookie);
	let st = statusOf(await post("/passkey/login", loginBody));
	if (st !== 403)
		fail("the replayed login answered " + st);
	step("replayed challenge refused");
	// Bodies the gateway refuses before auth sees them: fields that do
	// not add up (400), one past the route's bound (413), and a POST
	// without Origin (403).
	const bad = Buffer.concat([fields([Buffer.alloc(3)]), Buffer.alloc(1)]);
	st = statusOf(await post("/passkey/login", bad));
	if (st !== 400)
		fail("a malformed login body answered " + st);
	// Only the head: the gateway answers at it, and a body it never reads
	// could reset the connection before its answer is read.
	st = statusOf(await raw(`POST /passkey/login HTTP/1.1\r\n` +
		`Host: ${HOST}\r\nOrigin: ${ORIGIN}\r\n` +
		`Content-Length: 4097\r\n\r\n`));
	if (st !== 413)
		fail("a 4097-byte login body answered " + st);
	st = statusOf(await raw(`POST /passkey/challenge HTTP/1.1\r\n` +
		`Host: ${HOST}\r\nContent-Length: 0\r\n\r\n`));
	if (st !== 403)
		fail("a challenge without Origin answered " + st);
	step("malformed, oversized and origin-less requests refused");
	const cred = credentials[0];
	let counter = 1000;
	for (const spoil of ["origin", "rpid", "signature"]) {
		st = statusOf(await post("/passkey/login",
			await forged(cred, counter++, spoil)));
		if (st !== 403)
			fail("the assertion with a wrong " + spoil + " answered " + st);
		step("wrong " + spoil + " refused");
	}
	const value = /capos_login=([0-9a-f]+)/.exec(cookie);
	if (!value)
		fail("no cookie value in " + cookie);
	const up = await raw(`GET /term HTTP/1.1\r\nHost: ${HOST}\r\n` +
		`Origin: ${ORIGIN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
		`Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\n` +
		`Sec-WebSocket-Version: 13\r\nCookie: capos_login=${value[1]}\r\n\r\n`);
	if (statusOf(up) !== 403)
		fail("the stale cookie's upgrade answered " + statusOf(up));
	step("stale cookie refused");
	// The enrolment code: spent once used (its options and its answer
	// again are refused), and a made-up one or an empty body likewise.
	if (enrolBody === null)
		fail("the enrolment's request was not seen");
	st = statusOf(await post("/passkey/enrol-options", Buffer.from(code)));
	if (st !== 403)
		fail("the used code's options answered " + st);
	st = statusOf(await post("/passkey/enrol", enrolBody));
	if (st !== 403)
		fail("the enrolment sent again answered " + st);
	st = statusOf(await post("/passkey/enrol-options",
		Buffer.from(b64url(crypto.randomBytes(16)))));
	if (st !== 403)
		fail("a made-up code's options answered " + st);
	st = statusOf(await post("/passkey/enrol-options", Buffer.alloc(0)));
	if (st !== 400)
		fail("an empty code answered " + st);
	step("used, replayed, made-up and empty enrolment codes refused");
	proxy.close();
	console.log("webshell: all steps passed");
}

main().catch((e) => fail(e.stack || String(e)));
