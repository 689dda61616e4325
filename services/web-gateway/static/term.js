// capOS's browser terminal: the terminal stream protocol (docs/web.md,
// "Terminal stream") over this page's WebSocket, drawn into a <pre>. It
// understands printable text, CR, LF and backspace, and drops other
// control sequences; a full terminal emulator replaces it later.
"use strict";

const COLS = 80, ROWS = 24;
const WINDOW = 65536;		// output bytes granted to the gateway
const screen = document.getElementById("screen");
const status = document.getElementById("status");
const ws = new WebSocket("wss://" + location.host + "/term");
const decoder = new TextDecoder();
let lines = [""], col = 0, inWindow = 0, escape = 0;

ws.binaryType = "arraybuffer";

function send(type, body) {
	const m = new Uint8Array(1 + body.length);
	m[0] = type;
	m.set(body, 1);
	ws.send(m);
}

function u16(n) { return [n >> 8, n & 255]; }
function u32(n) { return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]; }

ws.onopen = () => {
	status.textContent = "connected";
	send(0x01, [1, ...u16(COLS), ...u16(ROWS), ...u32(WINDOW), 0]);
};

function draw(text) {
	for (const ch of text) {
		if (escape === 1) {
			escape = ch === "[" ? 2 : 0;
			continue;
		}
		if (escape === 2) {
			if (ch >= "@" && ch <= "~")
				escape = 0;
			continue;
		}
		let line = lines[lines.length - 1];
		if (ch === "\x1b") {
			escape = 1;
		} else if (ch === "\r") {
			col = 0;
		} else if (ch === "\n") {
			lines.push("");
			col = 0;
		} else if (ch === "\b") {
			col = Math.max(0, col - 1);
		} else if (ch >= " ") {
			line = line.slice(0, col) + ch + line.slice(col + 1);
			lines[lines.length - 1] = line;
			col++;
		}
	}
	lines = lines.slice(-500);
	screen.textContent = lines.join("\n");
	window.scrollTo(0, document.body.scrollHeight);
}

ws.onmessage = (e) => {
	const m = new Uint8Array(e.data);
	const view = new DataView(e.data);
	switch (m[0]) {
	case 0x81:
		inWindow = view.getUint32(18);
		break;
	case 0x82:
		draw(decoder.decode(m.subarray(1), { stream: true }));
		send(0x06, u32(m.length - 1));
		break;
	case 0x86:
		inWindow += view.getUint32(1);
		break;
	case 0x87:
		status.textContent = "closed: " +
			decoder.decode(m.subarray(3)) + " (" + view.getUint16(1) + ")";
		break;
	}
};

ws.onclose = () => {
	if (status.textContent === "connected")
		status.textContent = "the connection is gone; reload to start again";
};

const KEYS = { Enter: "\r", Backspace: "\x7f", Tab: "\t", Escape: "\x1b",
	ArrowUp: "\x1b[A", ArrowDown: "\x1b[B", ArrowRight: "\x1b[C",
	ArrowLeft: "\x1b[D" };

screen.addEventListener("keydown", (e) => {
	let s = KEYS[e.key];
	if (s === undefined && e.ctrlKey && e.key.length === 1)
		s = String.fromCharCode(e.key.toUpperCase().charCodeAt(0) & 31);
	else if (s === undefined && e.key.length === 1 && !e.metaKey)
		s = e.key;
	if (s === undefined)
		return;
	e.preventDefault();
	const bytes = new TextEncoder().encode(s);
	if (bytes.length > inWindow)
		return;
	inWindow -= bytes.length;
	send(0x02, bytes);
});
screen.focus();
