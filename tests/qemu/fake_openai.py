"""A scripted OpenAI-compatible chat-completions server for
tests/qemu/test_agent.py. QEMU's user network runs it once for each
connection the guest opens to 10.0.2.100:80 (guestfwd ... cmd:), with the
connection on its standard input, output and error, so it needs no port.
It reads one HTTP request, appends a line saying what it received to the
file named by its argument (the test reads it), and answers by the
user's words:

  programs   a call of launcher.programs; after a tool result, a text
             answer quoting it
  malformed  a body that is not JSON
  unknown    a call of a tool nobody offered (spawner.spawn)
  huge       a call whose arguments are 16 KiB
  stops      a Content-Length of 4000 and 100 bytes, then the end
  stalls     a Content-Length of 4000 and 100 bytes, then nothing for
             30 s with the connection left open
  anything else: a short text answer
"""
import json
import sys
import time


def read_request(inp):
    head = b""
    while b"\r\n\r\n" not in head:
        b = inp.read(1)
        if not b:
            return None
        head += b
        if len(head) > 16384:
            return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = inp.read(length)
    return json.loads(body)


def send(out, body, status="200 OK", length=None):
    data = body.encode() if isinstance(body, str) else body
    out.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(data) if length is None else length}"
              f"\r\nConnection: close\r\n\r\n".encode() + data)
    out.flush()


def message(content=None, calls=None):
    msg = {"role": "assistant", "content": content}
    if calls:
        msg["tool_calls"] = [
            {"id": f"fake-{i}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(calls)]
    return json.dumps({"id": "x", "object": "chat.completion",
                       "choices": [{"index": 0, "message": msg,
                                    "finish_reason": "stop"}]})


def main():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    req = read_request(inp)
    if req is None:
        return
    msgs = req.get("messages", [])
    tools = [t["function"]["name"] for t in req.get("tools", [])]
    last = msgs[-1] if msgs else {}
    words = next((m.get("content") or "" for m in reversed(msgs)
                  if m.get("role") == "user"), "")
    with open(sys.argv[1], "a") as log:
        log.write(f"model={req.get('model')} messages={len(msgs)} "
                  f"last={last.get('role')} tools={','.join(tools)} "
                  f"roles={','.join(m.get('role', '?') for m in msgs)} "
                  f"users={'|'.join(m.get('content') or '' for m in msgs if m.get('role') == 'user')}\n")
    if last.get("role") == "tool":
        send(out, message(f"The tool said: {last.get('content')}"))
    elif "programs" in words:
        send(out, message("Asking the launcher.",
                          [("launcher-programs", {})]))
    elif "malformed" in words:
        send(out, '{"choices": [{"message": {"content": "x"')
    elif "unknown" in words:
        send(out, message(None, [("spawner-spawn", {"name": "x"})]))
    elif "huge" in words:
        send(out, message(None, [("launcher-run",
                                  {"program": "A" * 16384})]))
    elif "terminal" in words:
        # C1 controls as UTF-8 (CSI, OSC 52 setting the clipboard, ST) and
        # an ESC, in the text and in a call's argument.
        send(out, message("Look\u009b2J\u009d52;c;QQ==\u009c done"
                          "\u001b[31m \u00e9",
                          [("launcher-run", {"program": "\u009b1Ahello"})]))
    elif "stops" in words:
        send(out, message("cut")[:100], length=4000)
    elif "stalls" in words:
        send(out, message("cut")[:100], length=4000)
        time.sleep(30)
    else:
        send(out, message("Hello from the scripted server."))


if __name__ == "__main__":
    main()
