// capOS's browser terminal: the terminal stream protocol (docs/web.md,
// "Terminal stream") over this page's WebSocket, drawn by xterm.js, and
// passkeys (docs/web.md, "Passkeys"): a login by POST /passkey/challenge
// and /passkey/login before the terminal opens, and an enrolment inside
// the terminal's stream once logged in. Keys and pastes wait in
// `pending` while the gateway's input window is short, and go out in
// order as it grants more; the size sent follows the window's (xterm.js's
// fit addon). Output is credited back once xterm.js has drawn it.
"use strict";

// xterm.js inserts <style> elements, which this page's CSP refuses
// unless they carry the nonce the gateway gave this page (on this
// script's element): every <style> made from here on gets it, before it
// is inserted.
const styleNonce = document.currentScript.nonce;
const makeElement = document.createElement.bind(document);
document.createElement = (name, options) => {
	const e = makeElement(name, options);
	if (String(name).toLowerCase() === "style")
		e.setAttribute("nonce", styleNonce);
	return e;
};

// Its DOM renderer also colours some cells (a selection's among them)
// with a style attribute, which the CSP refuses as inline style: the
// same declarations are set through the CSSOM instead, which the CSP
// does not govern and which can carry no script.
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (name, value) {
	if (String(name).toLowerCase() === "style" && this.style) {
		this.style.cssText = String(value);
		return;
	}
	setAttribute.call(this, name, value);
};

const WINDOW = 65536;		// output bytes granted to the gateway
const CHUNK = 4096;		// the most data bytes in one input or paste
const screen = document.getElementById("screen");
const status = document.getElementById("status");
const buttons = {
	passkey: document.getElementById("passkey"),
	password: document.getElementById("password"),
	enrol: document.getElementById("enrol"),
	reconnect: document.getElementById("reconnect"),
	link: document.getElementById("link"),
};
const decoder = new TextDecoder();
const term = new Terminal({ fontSize: 14, scrollback: 1000 });
const fit = new FitAddon.FitAddon();
let ws = null, inWindow = 0;
// Input not yet sent: [type, bytes, paste flags]; a paste's parts stay
// together, so keys typed during it follow its last part.
let pending = [];

term.loadAddon(fit);
term.open(screen);
fit.fit();

// The terminal's size, within the protocol's 1..1000.
function size() {
	const clamp = (n) => Math.max(1, Math.min(1000, n));
	return [clamp(term.cols), clamp(term.rows)];
}

// Sends what the window allows, oldest first.
function pump() {
	while (pending.length > 0 && ws !== null &&
	    ws.readyState === WebSocket.OPEN) {
		const [type, b, flags] = pending[0];
		const room = Math.min(inWindow, CHUNK);
		if (b.length > 0 && room === 0)
			return;
		const n = Math.min(b.length, room);
		const last = n === b.length;
		if (type === 0x03) {
			send(0x03, [(flags & 1) | (last ? 2 : 0), ...b.subarray(0, n)]);
			pending[0][2] = 0;
		} else {
			send(0x02, b.subarray(0, n));
		}
		inWindow -= n;
		if (last)
			pending.shift();
		else
			pending[0][1] = b.subarray(n);
	}
}

function queue(type, b) {
	if (type === 0x02 && b.length === 0)
		return;
	pending.push([type, b, 1]);
	pump();
}
function setStatus(s) {
	status.textContent = s;
}

function bytes(s) {
	return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

function send(type, body) {
	const m = new Uint8Array(1 + body.length);
	m[0] = type;
	m.set(body, 1);
	ws.send(m);
}

function u16(n) { return [n >> 8, n & 255]; }
function u32(n) { return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]; }

// Fields of a 2-byte length and their bytes, one after another.
function fields(list) {
	const parts = list.map((b) => new Uint8Array(b));
	const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(u16(p.length), at);
		out.set(p, at + 2);
		at += 2 + p.length;
	}
	return out;
}

// A new passkey for auth's challenge, the account's user handle, the
// RP ID and the account's name.
function create(challenge, handle, rpId, name) {
	return navigator.credentials.create({ publicKey: {
		challenge: challenge,
		rp: { id: rpId, name: "capOS" },
		user: { id: handle, name: name, displayName: name },
		pubKeyCredParams: [{ type: "public-key", alg: -7 },
			{ type: "public-key", alg: -8 }],
		authenticatorSelection: { residentKey: "required",
			userVerification: "required" },
		attestation: "none",
		timeout: 60000,
	} });
}

// The passkey enrolment's options (0x88): challenge(32) handle(16)
// rpidlen(1) rpid namelen(1) name.
async function enrol(m) {
	const rl = m[49], rpId = decoder.decode(m.subarray(50, 50 + rl));
	const name = decoder.decode(m.subarray(51 + rl, 51 + rl + m[50 + rl]));
	try {
		const c = await create(m.slice(1, 33), m.slice(33, 49), rpId, name);
		const cd = new Uint8Array(c.response.clientDataJSON);
		const ao = new Uint8Array(c.response.attestationObject);
		const body = new Uint8Array(2 + cd.length + ao.length);
		body.set(u16(cd.length), 0);
		body.set(cd, 2);
		body.set(ao, 2 + cd.length);
		send(0x09, body);
		setStatus("checking the new passkey...");
	} catch (e) {
		setStatus("passkey not created: " + e.name);
		buttons.enrol.disabled = false;
	}
}

function onMessage(e) {
	const m = new Uint8Array(e.data);
	const view = new DataView(e.data);
	switch (m[0]) {
	case 0x81:
		inWindow = view.getUint32(18);
		pump();
		setStatus("connected, " + size().join("x"));
		buttons.enrol.hidden = false;
		break;
	case 0x82:
		term.write(m.subarray(1), () => {
			if (ws !== null && ws.readyState === WebSocket.OPEN)
				send(0x06, u32(m.length - 1));
		});
		break;
	case 0x86:
		inWindow += view.getUint32(1);
		pump();
		break;
	case 0x87:
		ended(view.getUint16(1), decoder.decode(m.subarray(3)));
		break;
	case 0x88:
		enrol(m);
		break;
	case 0x89:
		setStatus(view.getUint16(1) === 0 ? "passkey added" :
			"passkey refused (reason " + view.getUint16(1) + ")");
		buttons.enrol.disabled = false;
		break;
	}
}

// What the gateway's close (0x87) means for the person at the terminal.
// A session never outlives its connection: whatever ended it, what is
// left is a fresh login.
const closeMessages = {
	4000: "the shell exited; its session has ended",
	4001: "the session is gone (it ended, or the gateway restarted)",
	4002: "the gateway refused what the page sent (protocol violation); " +
		"the session has ended",
	4003: "the page sent past its input window (flow-control " +
		"violation); the session has ended",
	4004: "the session was idle too long and has ended",
};

function ended(code, reason) {
	setStatus("closed: " + (closeMessages[code] ||
		"the gateway closed the terminal: " + reason +
		"; the session has ended") + " (" + code + ")");
	buttons.reconnect.hidden = false;
}

function connect() {
	buttons.passkey.disabled = buttons.password.disabled = true;
	setStatus("connecting...");
	ws = new WebSocket("wss://" + location.host + "/term");
	ws.binaryType = "arraybuffer";
	ws.onopen = () => send(0x01, [1, ...u16(size()[0]), ...u16(size()[1]),
		...u32(WINDOW), 0]);
	ws.onmessage = onMessage;
	ws.onclose = () => {
		buttons.enrol.hidden = true;
		pending = [];
		if (status.textContent.startsWith("closed: "))
			return;
		setStatus(status.textContent === "connecting..." ?
			"closed: the gateway refused the terminal" :
			"closed: the connection to the gateway was lost; its " +
			"session has ended");
		buttons.reconnect.hidden = false;
	};
	term.focus();
}

async function passkeyLogin() {
	buttons.passkey.disabled = buttons.password.disabled = true;
	setStatus("asking for a challenge...");
	try {
		const r = await fetch("/passkey/challenge", { method: "POST" });
		if (!r.ok)
			throw new Error("no challenge (" + r.status + ")");
		const o = await r.json();
		const a = await navigator.credentials.get({ publicKey: {
			challenge: bytes(o.challenge), rpId: o.rpId,
			userVerification: "required", timeout: 60000,
		} });
		const body = fields([a.rawId, a.response.clientDataJSON,
			a.response.authenticatorData, a.response.signature,
			a.response.userHandle || new ArrayBuffer(0)]);
		const l = await fetch("/passkey/login", { method: "POST",
			headers: { "Content-Type": "application/octet-stream" },
			body: body });
		if (l.status !== 204)
			throw new Error("refused (" + l.status + ")");
		connect();
	} catch (e) {
		setStatus("passkey login failed: " + e.message);
		buttons.passkey.disabled = buttons.password.disabled = false;
	}
}

// A page opened as ORIGIN/#enrol=CODE (`passkey link` in a shell,
// docs/web.md "Enrolment by code"): the code is taken out of the address
// at once, so it stays out of the history, and the button enrols a
// passkey with it: auth's options for the code, the authenticator's
// answer, and auth's verdict. The fragment never reaches a server, nor
// a Referer.
let enrolCode = null;
{
	const m = /^#enrol=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
	if (m !== null) {
		enrolCode = new TextEncoder().encode(m[1]);
		history.replaceState(null, "", location.pathname);
		buttons.link.hidden = false;
		setStatus("a link to add a passkey");
	}
}

async function enrolByCode() {
	buttons.link.disabled = true;
	setStatus("asking for the enrolment's options...");
	try {
		const r = await fetch("/passkey/enrol-options", { method: "POST",
			headers: { "Content-Type": "application/octet-stream" },
			body: enrolCode });
		if (!r.ok)
			throw new Error("the link is used, expired or wrong (" +
				r.status + ")");
		const o = await r.json();
		const c = await create(bytes(o.challenge), bytes(o.userHandle),
			o.rpId, o.account);
		const l = await fetch("/passkey/enrol", { method: "POST",
			headers: { "Content-Type": "application/octet-stream" },
			body: fields([enrolCode, c.response.clientDataJSON,
				c.response.attestationObject]) });
		if (l.status !== 204)
			throw new Error("refused (" + l.status + ")");
		enrolCode = null;
		buttons.link.hidden = true;
		setStatus("passkey added for " + o.account + "; log in with it");
	} catch (e) {
		setStatus("passkey not added: " + e.message);
		buttons.link.disabled = false;
	}
}

buttons.link.addEventListener("click", enrolByCode);

// Nothing to reattach to (see ended): the terminal is cleared, says so,
// and the login's buttons come back.
buttons.reconnect.addEventListener("click", () => {
	buttons.reconnect.hidden = true;
	ws = null;
	term.reset();
	term.write("Not connected. Log in again with a passkey or a " +
		"password.\r\n");
	buttons.passkey.disabled = buttons.password.disabled = false;
	setStatus("not connected");
});

buttons.passkey.addEventListener("click", passkeyLogin);
buttons.password.addEventListener("click", connect);
buttons.enrol.addEventListener("click", () => {
	buttons.enrol.disabled = true;
	setStatus("asking for an enrolment challenge...");
	send(0x08, []);
});

term.onData((d) => {
	if (ws !== null && ws.readyState === WebSocket.OPEN)
		queue(0x02, new TextEncoder().encode(d));
});

// A paste (Ctrl-V, the browser's paste) is taken before xterm.js sees it
// and goes as one paste message in parts, delivered as typed: line ends
// as Enter sends them, every other control character (C0, DEL, C1; ESC
// among them) removed, Tab kept. When the shell has turned on bracketed
// paste (docs/shell.md, "Pasting"; xterm.js tracks the mode from the
// output drawn), the whole paste is wrapped once in ESC[200~ ... ESC[201~:
// a line in it then waits for Enter, and since its own ESC and Ctrl-C
// bytes are gone, nothing in it can end the bracket early.
const PASTE_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
screen.addEventListener("paste", (e) => {
	e.preventDefault();
	e.stopPropagation();
	if (ws === null || ws.readyState !== WebSocket.OPEN)
		return;
	let text = e.clipboardData.getData("text/plain")
		.replace(PASTE_CONTROLS, "").replace(/\r?\n/g, "\r");
	if (term.modes.bracketedPasteMode)
		text = "\x1b[200~" + text + "\x1b[201~";
	queue(0x03, new TextEncoder().encode(text));
}, true);

// Copy: Ctrl-C with text selected is the browser's copy (xterm.js puts
// the selection on the clipboard) and sends nothing; without a selection
// Ctrl-C goes to the shell as always.
term.attachCustomKeyEventHandler((e) =>
	!(e.type === "keydown" && e.ctrlKey && !e.altKey && !e.metaKey &&
	  e.key.toLowerCase() === "c" && term.hasSelection()));

term.onResize(() => {
	if (ws === null || ws.readyState !== WebSocket.OPEN)
		return;
	send(0x04, [...u16(size()[0]), ...u16(size()[1])]);
	if (status.textContent.startsWith("connected"))
		setStatus("connected, " + size().join("x"));
});

let resizing = null;
window.addEventListener("resize", () => {
	clearTimeout(resizing);
	resizing = setTimeout(() => fit.fit(), 100);
});
