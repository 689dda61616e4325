/*
 * What every remote-login gateway (services/ssh-gateway, a Telnet one)
 * does to give a logged-in client its shell: mint the client's
 * TerminalSession as a badged client of the endpoint the gateway serves
 * its terminals on, and ask RestrictedShellLauncher for capos-shell on it
 * with the first profile the session's broker allows. The gateway keeps
 * the terminal's server side (lib/term) and the session; the shell gets
 * the terminal and the broker's bundle, nothing of the gateway's.
 *
 * The calls' messages are built in static buffers (remote_shell.c): all
 * calls of a process must come from one thread, as lib/term's do.
 */
#ifndef CAPOS_SVC_REMOTE_SHELL_H
#define CAPOS_SVC_REMOTE_SHELL_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

/* A client of the endpoint `owner` carrying badge, typed TerminalSession;
 * CAPOS_CAP_NULL when the kernel refused. */
capos_cap_t remote_shell_terminal(capos_cap_t owner, uint64_t badge);

/*
 * Starts capos-shell through `shells` (a RestrictedShellLauncher) on a
 * fresh terminal of badge, with `session`, trying the profiles in order
 * while the broker refuses them. Returns the shell's ProcessHandle with
 * the profile it got in *profile, or CAPOS_CAP_NULL with the last
 * refusal or failure in why (room bytes, NUL-terminated).
 */
capos_cap_t remote_shell_launch(capos_cap_t shells, capos_cap_t owner,
    uint64_t badge, capos_cap_t session, const char *const *profiles,
    size_t nprofiles, const char **profile, char *why, size_t room);

#endif
