"""The chat system (system/chat.capnp, make run-chat): the kernel starts
init from the boot package, init starts the manifest's services with their
grants, and everything halts cleanly once they end. The default system,
the shell, has its own cases in test_shell.py."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect, expect_line,
                     expect_no_line, expect_status, kernel_image)


def package(name):
    return os.path.join(BUILD, f"{name}.pkg")


@case
def chat_system_runs_chat_and_hello():
    # make run-chat boots it at info; the test reads its debug lines.
    run = boot(kernel=kernel_image(), initrd=package("chat"),
               append="loglevel=debug", timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] boot ok")
    expect_line(run, "[proof] init ok services=5")
    # The chat server is started before the services that import from it.
    lines = run.lines()
    started = [l.split()[-1] for l in lines if l.startswith("[init] started")]
    expect(run, started.index("chat") < min(started.index(s) for s in
           ("chat-bot", "alice", "mallory")),
           f"chat not started before its clients: {started}")
    hello = expect_line(run, "hello: hello, world from hello")
    expect(run, "holding 1 capability" in hello,
           f"hello should hold exactly its console: {hello!r}")
    # The message flow, as the server saw it and as alice received it.
    expect_line(run, "[chat] #")
    expect_line(run, " alice: hello from alice")
    expect_line(run, " bot: hi alice, you said: hello from alice")
    expect_line(run, '[proof] chat-flow ok alice got "hi alice, you said: '
                'hello from alice"')
    # mallory's forged text is attributed to mallory, by the server.
    expect_line(run, " mallory: I am alice")
    expect_no_line(run, " alice: I am alice")
    expect_line(run, "[proof] chat-identity ok forged text attributed to "
                "mallory")
    expect_line(run, "[chat-bot] answered 2 messages, saw 2 of 2 goodbyes")
    expect_line(run, "[chat] no clients left; ")
    for name in ("chat", "chat-bot", "alice", "mallory", "hello"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_line(run, "init exited with status 0; halting")
    expect_no_line(run, "panic")


@case
def ipc_system_payloads_transfers_overflow_and_disconnect():
    run = boot(kernel=kernel_image(), initrd=package("ipc"), timeout=120)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] init ok services=6")
    expect_line(run, "ipctest echo-a: 300 echoes, 0 bad")
    expect_line(run, "ipctest echo-b: 300 echoes, 0 bad")
    batch = expect_line(run, "ipctest: batch of 64: ")
    expect(run, batch.endswith("31 overloaded") or
           batch.endswith("32 overloaded"),
           f"queue bound of 32 not applied: {batch!r}")
    expect_line(run, "[ipctest-srv] leaving in the middle of a call")
    # The client's checks include moves of in-flight and unheld
    # capabilities, a RETURN given twice and a RETURN to a dead caller.
    expect_line(run, "ipctest: 52 checks, 0 failed")
    expect_line(run, "[proof] ipc ok: payloads arrive intact")
    for name in ("ipc-srv", "ipc-quit", "ipctest", "dier", "echo-a",
                 "echo-b"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_no_line(run, "panic")


@case
def isolation_system_contains_hostile_and_faulting_services():
    run = boot(kernel=kernel_image(), initrd=package("isolation"), timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] init ok services=8")
    # Each proof line is printed by the service after its own checks.
    # ringtest's include RECV and RETURN on a client facet, a kernel
    # object and a released id, RETURNs with call ids that are bogus, of
    # another endpoint or answered already, with an unmapped reply, and as
    # an exception sending capabilities (refused whole, the call stays
    # open); then calls through the endpoints with a capability.
    expect_line(run, "ringtest: 76 checks, 0 failed")
    expect_line(run, "[proof] ring-hostile ok malformed entries, corrupt "
                "indices, stale and foreign ids, RECV and RETURN off an "
                "owner or with a wrong call_id all refused; calls work after")
    # noauth tried its peer's ids, sent to it as plain numbers, and
    # clients of its endpoint labelled with every kernel interface id.
    expect_line(run, "[proof] no-ambient-authority ok spawner and boot "
                "package unreachable by name, slot and init's ids; kernel "
                "interface labels refused; a peer's ids by value name "
                "nothing here")
    # Faulting processes are killed and reported; the kernel goes on.
    expect_line(run, "process 4 (crash-null) faulted: vector 14")
    expect_line(run, "[init] crash-null faulted: page fault at ip 0x4")
    expect_line(run, "[init] crash-priv faulted: general protection fault")
    # memtest's checks include VirtualMemory.share: sizes refused, the
    # quota charged and refunded, a mapping outliving its capability and
    # out of VirtualMemory's reach, the ninth SharedMemory mapping
    # refused, forged SharedMemory answers refused by rt_shared_map, and
    # the quota coming back once "mapper", which mapped memtest's shared
    # memory, has stopped.
    expect_line(run, "memtest: 80 checks, 0 failed")
    expect_line(run, "[proof] vm ok: mappings hold their contents")
    for name in ("ringtest", "noauth", "noauth-peer", "memtest", "mapper",
                 "hello"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_line(run, "init exited with status 0; halting")
    expect_no_line(run, "panic")
    expect_no_line(run, "exception")


@case
def threads_system_completions_parking_and_preemption():
    run = boot(kernel=kernel_image(), initrd=package("threads"), timeout=120)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[proof] init ok services=4")
    # Each sibling thread saw only its own completions, the fast one first.
    expect_line(run, "[proof] out-of-order-completions ok")
    # A thread that never enters the kernel did not starve the sleeper,
    # also when the thread switched to had been woken from a block.
    expect_line(run, "[proof] preemption ok")
    expect_line(run, "[proof] preemption-after-wakeup ok")
    # Join values, 64 threads at once, a thread leaving a call in flight,
    # an exact contended counter, park mismatch and timeout.
    # (also a kernel-half TLS base refused, and a period past the end of
    # time survived, and a notification's next() slot freed by its
    # waiter's thread ending)
    # Kept to each CPU in turn (a check each) and the next refused; with
    # two CPUs or more, a server ran in its caller's place and, kept to
    # another CPU, answered every call there; with three or more, an idle
    # CPU took a free thread past a longer queue of pinned ones.
    import harness
    cpus = 1 if harness.SMP_HALT else harness.SMP
    expect_line(run, f"[proof] cpu-pin ok cpus={cpus}: kept to each CPU")
    if cpus > 1:
        expect_line(run, "a server runs in its caller's place unless kept "
                    "to another CPU, then every call crosses" +
                    ("; idle CPUs steal past pinned threads" if cpus > 2
                     else ""))
    checks = 71 + cpus + (7 if cpus > 1 else 0) + (1 if cpus > 2 else 0)
    expect_line(run, f"threadtest: {checks} checks, 0 failed")
    expect_line(run, "[proof] threads ok: joins return their values")
    # The per-process limit on kernel wait records holds and is given back.
    expect_line(run, "[proof] wait-quota ok")
    # A process that ends while its threads are parked is torn down.
    expect_line(run, "threadtest: 4 threads parked; ending the process")
    expect_line(run, "[init] parkexit exited with status 0")
    for name in ("slow-srv", "fast-srv", "threadtest"):
        expect_line(run, f"[init] {name} exited with status 0")
    expect_no_line(run, "panic")
