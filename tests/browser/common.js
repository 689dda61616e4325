// What the browser scripts share (tests/browser/, bench/webshell.js):
// chromium reaching the guest's web shell as https://localhost:8443
// through a CONNECT proxy of our own that sends localhost:8443 to
// 127.0.0.1:port and nothing else, with the development certificate
// trusted by its key (WebAuthn refuses pages with certificate errors);
// a virtual WebAuthn authenticator for a browser context; and the
// terminal's rows as xterm.js draws them.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const net = require("net");
const { chromium } = require("playwright-core");

const HOST = "localhost:8443";
const ORIGIN = "https://" + HOST;
// Generous: a loaded 2-core machine running QEMU under TCG.
const WAIT_MS = 120000;
// The terminal's rows (xterm.js's DOM renderer), one a line.
const ROWS = "#screen .xterm-rows > div";

function fail(why) {
	console.log("FAILED: " + why);
	process.exit(1);
}

function step(s) {
	console.log("step: " + s);
}

// localhost:8443 -> 127.0.0.1:port, and nothing else. Without Nagle:
// each keystroke is its own small write.
function startProxy(port) {
	const proxy = http.createServer((req, res) => {
		res.writeHead(405);
		res.end();
	});
	proxy.on("connect", (req, client, head) => {
		if (req.url !== HOST) {
			client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
			return;
		}
		client.setNoDelay(true);
		const up = net.connect({ port, host: "127.0.0.1", noDelay: true },
			() => {
				client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
				up.write(head);
				up.pipe(client);
				client.pipe(up);
			});
		up.on("error", () => client.destroy());
		client.on("error", () => up.destroy());
	});
	return new Promise((resolve) => proxy.listen(0, "127.0.0.1",
		() => resolve(proxy)));
}

// chromium through that proxy, trusting the certificate in certPath.
async function launch(port, certPath, browserPath) {
	const spki = crypto.createHash("sha256").update(
		new crypto.X509Certificate(fs.readFileSync(certPath)).publicKey
			.export({ type: "spki", format: "der" })).digest("base64");
	const proxy = await startProxy(port);
	const browser = await chromium.launch({ executablePath: browserPath ||
		process.env.CHROMIUM || "/usr/bin/chromium", timeout: WAIT_MS,
		args: [
			"--proxy-server=http://127.0.0.1:" + proxy.address().port,
			"--proxy-bypass-list=<-loopback>",
			"--ignore-certificate-errors-spki-list=" + spki,
		] });
	return { browser, proxy };
}

// A CTAP2 platform authenticator with resident keys and user
// verification, for page's context: { cdp, authenticatorId }.
async function addAuthenticator(ctx, page) {
	const cdp = await ctx.newCDPSession(page);
	await cdp.send("WebAuthn.enable");
	const { authenticatorId } = await cdp.send(
		"WebAuthn.addVirtualAuthenticator", { options: {
			protocol: "ctap2", transport: "internal",
			hasResidentKey: true, hasUserVerification: true,
			isUserVerified: true, automaticPresenceSimulation: true } });
	return { cdp, authenticatorId };
}

async function rows(page) {
	return page.$$eval(ROWS, (r) => r.map((d) => d.textContent
		.replace(/\u00a0/g, " ")));
}

async function waitScreen(page, text) {
	await page.waitForFunction(([sel, t]) => Array.from(
		document.querySelectorAll(sel), (d) => d.textContent
		.replace(/\u00a0/g, " ")).join("\n").includes(t), [ROWS, text],
		{ timeout: WAIT_MS });
}

async function waitText(page, sel, text) {
	await page.waitForFunction(([s, t]) =>
		document.querySelector(s).textContent.includes(t), [sel, text],
		{ timeout: WAIT_MS });
}

async function typeLine(page, s) {
	await page.focus("#screen .xterm-helper-textarea");
	await page.keyboard.type(s);
	await page.keyboard.press("Enter");
}

module.exports = { HOST, ORIGIN, WAIT_MS, ROWS, fail, step, startProxy,
	launch, addAuthenticator, rows, waitScreen, waitText, typeLine };
