"""Several CPUs: the MADT names them, each application processor starts
through the trampoline, reports in on its own per-CPU block and runs user
threads beside the boot CPU (docs/smp.md), with the shutdown leak check;
the stress system checks invariants with the CPUs running at once. One
CPU (-smp 1) still boots the same way, and smp=halt parks the APs."""
import os
import re

from harness import (BUILD, EXIT_CLEAN, EXIT_PANIC, Console, boot, case, default_nic,
                     debug_iso_image, expect, expect_line, expect_no_line,
                     expect_status, kernel_image)


def check_cpus(run, n):
    listed = expect_line(run, "acpi: RSDP at ")
    expect(run, f"{n} CPUs, apic ids" in listed,
           f"the MADT should list {n} CPUs: {listed!r}")
    for c in range(1, n):
        expect_line(run, f"cpu {c} online (apic id ")
    expect_no_line(run, f"cpu {n} online")
    expect_line(run, f"[proof] smp ok cpus={n} every AP read its MADT apic "
                "id and reached its own per-CPU block through GS")
    expect_no_line(run, "did not start")


@case
def smp4_every_cpu_comes_online_and_the_system_runs():
    # The chat demo halts by itself.
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "chat.pkg"), smp=4,
               append="loglevel=debug", timeout=90)
    expect_status(run, EXIT_CLEAN)
    check_cpus(run, 4)
    expect_line(run, "[proof] init ok services=5")
    # Idle CPUs leave the lock alone at ticks with nothing to do.
    expect_line(run, "[proof] smp-quiet ok idle CPUs woken by ticks that "
                "needed no lock halted again without the big kernel lock")
    # Each CPU set its own flag as it halted on the stop NMI.
    expect_line(run, "[proof] smp-stop ok the 3 other CPUs halted before "
                "the leak check")
    expect_line(run, "[proof] no-leak ok frames=")


@case
def smp4_a_panic_on_an_ap_stops_every_other_cpu():
    # The first AP to take the big kernel lock panics (test=ap-panic):
    # the boot CPU is then spinning for the lock with interrupts masked,
    # which only an NMI reaches.
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "chat.pkg"), smp=4,
               append="loglevel=debug test=ap-panic", timeout=60)
    expect_status(run, EXIT_PANIC)
    expect_line(run, " panics with the others running")
    expect_line(run, "panic: 3 of 3 other CPUs stopped")
    # Nothing after it: the others print no more.
    last = run.lines()[-1]
    expect(run, last == "panic: 3 of 3 other CPUs stopped",
           f"the panic's last line was followed by {last!r}")


@case
def smp4_grub_finds_the_rsdp_in_multiboot2():
    # The ISO carries the default system: log in and shut it down.
    con = Console(iso=debug_iso_image(), smp=4, extra=default_nic()[1],
                  timeout=120)
    con.wait_for("capos> ")
    con.send("login\r")
    con.wait_for("username> ")
    con.send("admin\r")
    con.wait_for("password> ")
    con.send("capos-dev\r")
    con.wait_for("admin@capos> ")
    con.send("shutdown\r")
    run = con.finish()
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "booted via Multiboot2")
    expect_line(run, "(from Multiboot2), 4 CPUs")
    check_cpus(run, 4)
    expect_line(run, "[proof] no-leak ok frames=")


@case
def smp1_boots_without_application_processors():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "chat.pkg"), smp=1,
               append="loglevel=debug", timeout=60)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "1 CPU, apic ids 0")
    expect_no_line(run, "cpu 1 online")
    expect_no_line(run, "[proof] smp ok")
    expect_line(run, "[proof] init ok services=5")
    expect_line(run, "[proof] no-leak ok frames=")


def on_cpus(cpus, system_case):
    """Runs another module's case with `cpus` CPUs, then checks that each of
    its boots ran user threads on an application processor."""
    import harness
    saved = harness.SMP
    first = len(harness.RUNS)
    harness.SMP = cpus
    try:
        system_case()
    finally:
        harness.SMP = saved
    expect(None, len(harness.RUNS) > first, "the case booted no system")
    for run in harness.RUNS[first:]:
        expect_line(run, "smp: user threads run on every CPU")
        expect_line(run, "[proof] smp-run ok user threads ran on ")
        expect_line(run, "[proof] smp-stop ok ")


@case
def smp4_threads_system_on_every_cpu():
    import test_system
    on_cpus(4, test_system.threads_system_completions_parking_and_preemption)


@case
def smp4_ipc_system_on_every_cpu():
    import test_system
    on_cpus(4, test_system.ipc_system_payloads_transfers_overflow_and_disconnect)


@case
def smp4_isolation_system_on_every_cpu():
    import test_system
    on_cpus(4, test_system.
            isolation_system_contains_hostile_and_faulting_services)


@case
def smp4_kmem_system_on_every_cpu():
    import test_kmem
    on_cpus(4, test_kmem.
            kmem_system_limits_and_reclaims_what_a_hostile_process_causes)


@case
def smp4_every_quick_system_on_every_cpu():
    # Every system runs at -smp 2 in the rest of the suite; these are the
    # ones not booted at -smp 4 above whose cases take seconds, not
    # minutes (greeter, oom, devices, nic, console, supervisor, crypto,
    # net-loop, shells) and that log at debug, so that their boots show
    # where threads ran and the stop. net-host has a case of its own
    # below, and the gateways theirs (smp4_gateways_on_every_cpu).
    import test_console
    import test_crypto
    import test_devices
    import test_guide
    import test_kmem
    import test_net
    import test_shell
    import test_supervisor
    import test_virtio
    for system_case in (
            test_guide.greeter_system_answers_its_client,
            test_kmem.kmem_out_of_physical_memory_is_an_ordinary_error,
            test_devices.device_capabilities_on_virtio_net,
            test_virtio.virtio_net_driver_serves_nic,
            test_console.
            console_input_reaches_its_reader_bounded_and_in_order,
            test_supervisor.supervisor_restarts_with_backoff_and_gives_up,
            test_crypto.crypto_kats_drbg_and_keyvault_in_capos,
            test_net.net_loop_tcp_echo_through_two_netstacks,
            test_shell.
            restricted_shell_launcher_starts_a_shell_with_the_brokers_bundle):
        on_cpus(4, system_case)


@case
def smp4_networked_system_with_hostile_peers_on_every_cpu():
    # virtio-net, the netstack and echo with the host's hostile TCP peers
    # (stalled, never-reading and resetting clients, half closes, bulk),
    # then the stop and the leak check: the longest of the networked
    # cases that fits the suite's time (about a minute).
    import test_net_host
    on_cpus(4, test_net_host.host_reaches_echo_through_virtio_net_and_netstack)


@case
def smp4_gateways_on_every_cpu():
    # Every way in for a user at -smp 4, with its hostile clients: auth's
    # logins, bundles and revocation; Telnet; TLS from OpenSSL and curl;
    # the web gateway's terminals side by side, slowloris and 100
    # upgrades at once; passkeys, the agent turn and the closed tab in
    # chromium; make run's system with SSH and the console at once, and
    # a passkey enrolled over SSH for its web shell. The OpenSSH engine
    # case and the agent's console case have one of their own below.
    import test_auth
    import test_ssh
    import test_telnet
    import test_tls
    import test_web
    import test_webshell
    for system_case in (
            test_auth.auth_login_bundle_audit_and_revocation,
            test_telnet.telnet_logins_sessions_and_hostile_clients,
            test_tls.host_openssl_and_curl_get_a_page_over_tls13_from_capos,
            test_web.web_gateway_serves_a_terminal_over_tls13_websocket,
            test_webshell.webshell_passkeys_in_chromium,
            test_ssh.default_system_logs_in_over_ssh_and_on_the_console,
            test_ssh.
            default_system_enrols_a_passkey_over_ssh_for_its_web_shell):
        on_cpus(4, system_case)


@case
def smp4_openssh_engine_and_agent_on_every_cpu():
    # The two longest cases, about two minutes together, most of it their
    # own waits: OpenSSH against the SSH gateway (keys, ciphers, hostile
    # packets, rekeying, windows) and the agent's console turns (the
    # gates, a turn's deadline cutting a sleep, cancellation); and the
    # agent with model-openai against the scripted server.
    import test_agent
    import test_ssh
    for system_case in (
            test_ssh.ssh_gateway_serves_openssh,
            test_agent.agent_shell_gates_the_models_tool_calls_on_the_console,
            test_agent.
            agent_shell_with_model_openai_against_a_scripted_server):
        on_cpus(4, system_case)


def stress(cpus, tcg_thread, append=None):
    """The stress system (system/smp.capnp). With one host thread per CPU
    (multi) the CPUs really run at the same time; with one for all
    (single) QEMU interleaves them at its time slices. Returns the run."""
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD, "smp.pkg"),
               smp=cpus, tcg_thread=tcg_thread, timeout=180, append=append)
    expect_status(run, EXIT_CLEAN)
    check_cpus(run, cpus)
    expect_line(run, "[proof] init ok services=3")
    for name in ("stress-a", "stress-b"):
        expect_line(run, f"[init] {name} exited with status 0")
    # Each line comes twice, once from each stress process, printed by
    # smptest after its own checks (tests/programs/smptest/main.c).
    for proof in ("[proof] smp-park ok ", "[proof] smp-ipc ok ",
                  "[proof] smp-deadline ok ", "[proof] smp-race ok ",
                  "[proof] smp-churn ok ", "[proof] smp-tlb ok in each of ",
                  "[proof] smp-prot ok in each of ",
                  "[proof] smp-kill ok "):
        n = sum(1 for line in run.lines() if line.startswith(proof))
        expect(run, n == 2, f"{proof!r} printed {n} times, not 2")
    n = sum(1 for line in run.lines()
            if line.startswith("smptest: ") and line.endswith(
                " checks, 0 failed"))
    expect(run, n == 2, f"{n} of 2 smptest processes passed every check")
    expect_no_line(run, "FAILED")
    expect_no_line(run, "panic")
    expect_line(run, "[proof] smp-run ok user threads ran on ")
    # The scheduler ran beside a CPU holding the big kernel lock: idle
    # loops picked threads, ticks preempted them, and deadlines woke
    # them, without it.
    expect_line(run, "[proof] sched-free ok while another CPU held the big "
                "kernel lock, idle loops ran threads, ticks preempted them "
                "and deadlines woke them without it")
    # ParkSpace calls (smp-park's waits and wakes) were served without
    # the big kernel lock while another CPU held it.
    expect_line(run, "[proof] park-free ok ParkSpace calls ran without "
                "the big kernel lock while another CPU held it")
    expect_line(run, "[proof] smp-stop ok ")
    expect_line(run, "[proof] no-leak ok frames=")
    return run


@case
def smp2_stress_parks_calls_maps_and_shootdowns():
    # Two CPUs at once on this 2-core machine's two host threads.
    stress(2, "multi")


@case
def smp4_stress_parks_calls_maps_and_shootdowns():
    stress(4, "single")


@case
def smp2_stress_with_every_lock_wait_asleep():
    # bkl=sleep: a CPU that finds the big kernel lock taken halts at once
    # until the release kicks it with an NMI, and a shootdown asked of it
    # meanwhile comes as an NMI (docs/smp.md, "Waiting for the lock"). A
    # kick lost or slept through, or a flush left unanswered, hangs the
    # stress system; the counters show the sleeps and kicks happened.
    run = stress(2, "multi", append="bkl=sleep smpstats loglevel=debug")
    sleeps = kicks = 0
    for line in run.lines():
        m = re.search(r"^smpstats cpu=\d+ .*\bbkl_sleeps=(\d+) "
                      r"bkl_kicks=(\d+)", line)
        if m:
            sleeps += int(m.group(1))
            kicks += int(m.group(2))
    expect(run, sleeps > 0 and kicks > 0,
           f"lock waits slept {sleeps} times and were kicked {kicks} times")


@case
def smp_killed_spinners_on_other_cpus_are_reaped():
    # smptest's reap part alone (system/smp-reap.capnp): each child it
    # kills spins in user mode on every other CPU, and the next child
    # starts only once the killed one is reaped. Without the kill's IPI
    # to those CPUs the spinners ran on, the part failed after its 20 s
    # and the machine never reached its leak check.
    for cpus, tcg_thread in ((2, "multi"), (4, "single")):
        run = boot(kernel=kernel_image(),
                   initrd=os.path.join(BUILD, "smp-reap.pkg"), smp=cpus,
                   tcg_thread=tcg_thread, timeout=90)
        expect_status(run, EXIT_CLEAN)
        check_cpus(run, cpus)
        expect_line(run, "[proof] smp-reap ok 3 victims killed while their "
                    "threads spun in user mode on every other CPU")
        expect_line(run, "smptest: 15 checks, 0 failed")
        expect_line(run, "[init] reap exited with status 0")
        expect_line(run, f"[proof] smp-stop ok the {cpus - 1} other CPUs "
                    "halted before the leak check")
        expect_line(run, "[proof] no-leak ok frames=")


@case
def smp_halt_keeps_the_application_processors_parked():
    run = boot(kernel=kernel_image(), initrd=os.path.join(BUILD, "chat.pkg"),
               smp=4, append="smp=halt loglevel=debug", timeout=60)
    expect_status(run, EXIT_CLEAN)
    check_cpus(run, 4)
    expect_line(run, "smp: user threads run on the boot CPU (smp=halt)")
    expect_no_line(run, "[proof] smp-run ok")
    expect_line(run, "[proof] init ok services=5")
    expect_line(run, "[proof] no-leak ok frames=")
