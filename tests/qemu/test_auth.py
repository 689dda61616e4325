"""Identity (system/auth.capnp, docs/auth.md): auth's SessionManager,
UserSession, authority broker and audit log, driven by authtest as a shell
and a guessing caller would."""
import os

from harness import (BUILD, EXIT_CLEAN, boot, case, expect_line,
                     expect_no_line, expect_status, kernel_image)


@case
def auth_login_bundle_audit_and_revocation():
    run = boot(kernel=kernel_image(),
               initrd=os.path.join(BUILD, "auth.pkg"), timeout=120)
    expect_status(run, EXIT_CLEAN)
    expect_line(run, "[auth] 3 accounts, 3 profiles")
    expect_line(run, "[proof] login-refusal ok: a wrong password and an "
                     "unknown name get the same answer, denied")
    expect_line(run, "[proof] login-bundle ok: the right password gives a "
                     "session whose operator bundle is exactly session, "
                     "audit, clock")
    expect_line(run, "[proof] lockout ok: after 5 failures the right "
                     "password is refused, audited as accountLocked")
    expect_line(run, "[proof] audit-redacted ok: failures recorded with "
                     "reason codes badPassword and unknownAccount, no typed "
                     "password in any byte read")
    expect_line(run, "[proof] session-revoked ok: after logout the session "
                     "and its audit reader fail closed")
    expect_line(run, "[authtest] 33 checks, 0 failed")
    # Nothing auth printed carries a password.
    for pw in ("capos-dev", "guest-dev", "victim-dev", "Wr0ng-Guess"):
        expect_no_line(run, pw)
