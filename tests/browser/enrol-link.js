// A passkey enrolled by a link that another session asked for
// (`passkey link` on the console or over SSH, docs/auth.md), in the
// system make run boots (tests/qemu/test_ssh.py): a fresh chromium with
// an authenticator of its own opens WEB_LINK, enrols a passkey by the
// code in its fragment, logs in with it, runs whoami and caps (printed
// after "caps:" for the caller to check), and logs out. The code never
// appears in a request's address, and leaves the page's address at once.
// The guest's port 443 is forwarded to WEB_PORT; WEB_CERT is the
// development certificate.
// Exits 0 when every step passed, 1 with the reason otherwise.
"use strict";

const c = require("./common.js");

async function main() {
	const link = process.env.WEB_LINK || "";
	const m = /^https:\/\/localhost:8443\/#enrol=([A-Za-z0-9_-]{22})$/
		.exec(link);
	if (!m)
		c.fail("WEB_LINK is not an enrolment link: " + link);
	const code = m[1];
	const { browser } = await c.launch(Number(process.env.WEB_PORT),
		process.env.WEB_CERT);
	const ctx = await browser.newContext({ viewport: { width: 900,
		height: 600 } });
	ctx.setDefaultTimeout(c.WAIT_MS);
	const page = await ctx.newPage();
	const { cdp, authenticatorId } = await c.addAuthenticator(ctx, page);
	page.on("request", (r) => {
		if (r.url().includes(code))
			c.fail("a request's address holds the code: " + r.url());
	});
	await page.goto(link, { timeout: c.WAIT_MS });
	await page.waitForSelector("#link", { state: "visible" });
	const href = await page.evaluate(() => location.href);
	if (href !== c.ORIGIN + "/")
		c.fail("the code stayed in the address: " + href);
	await page.click("#link");
	await c.waitText(page, "#status", "passkey added for admin");
	const held = (await cdp.send("WebAuthn.getCredentials",
		{ authenticatorId })).credentials;
	if (held.length !== 1 || !held[0].isResidentCredential)
		c.fail("the authenticator holds " + held.length + " credentials");
	c.step("the link enrolled a passkey for admin");

	await page.click("#passkey");
	await c.waitScreen(page, "Logged in with a passkey.");
	await c.waitScreen(page, "@capos>");
	await c.typeLine(page, "whoami");
	await page.waitForFunction((sel) => Array.from(
		document.querySelectorAll(sel), (d) => d.textContent
		.replace(/\u00a0/g, " ").trim()).includes("admin"), c.ROWS,
		{ timeout: c.WAIT_MS });
	c.step("logged in with that passkey as admin");
	const before = (await c.rows(page)).join("\n").trimEnd();
	await c.typeLine(page, "caps");
	// caps has answered once its list is followed by the next prompt.
	await page.waitForFunction(([sel, n]) => {
		const t = Array.from(document.querySelectorAll(sel), (d) =>
			d.textContent.replace(/\u00a0/g, " ")).join("\n").trimEnd();
		return t.length > n && t.endsWith("@capos>");
	}, [c.ROWS, before.length], { timeout: c.WAIT_MS });
	const after = (await c.rows(page)).join("\n").trimEnd();
	const caps = after.slice(after.lastIndexOf("caps"));
	for (const l of caps.split("\n"))
		console.log("caps: " + l);
	await c.typeLine(page, "logout");
	await c.waitText(page, "#status", "closed: ");
	c.step("logged out");
	await browser.close();
	console.log("all steps passed");
	process.exit(0);
}

main().catch((e) => c.fail(e.stack || String(e)));
