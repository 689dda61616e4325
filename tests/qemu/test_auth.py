"""Identity (system/auth.capnp, docs/auth.md): auth's SessionManager,
UserSession, authority broker and audit log, driven by authtest as a shell,
an SSH gateway and a guessing caller would. admin's SSH key is made at
build time (build/authkey, tests/programs/authtest/mkuserkey.sh)."""
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
    expect_line(run, "[proof] key-login ok: auth verified admin's "
                     "build-time ed25519 key's signature and minted a "
                     "publicKey session")
    expect_line(run, "[proof] key-refusals ok: a wrong key, a wrong "
                     "account, an unknown account, a tampered signature "
                     "and a replay are all denied")
    expect_line(run, "[proof] key-audit ok: key logins audited with "
                     "strength publicKey and reasons badSignature, "
                     "unknownKey, unknownAccount and replayed")
    expect_line(run, "[proof] lockout ok: after 5 failures the right "
                     "password is refused, audited as accountLocked")
    expect_line(run, "[proof] audit-redacted ok: failures recorded with "
                     "reason codes badPassword and unknownAccount, no typed "
                     "password in any byte read")
    expect_line(run, "[proof] session-revoked ok: after logout the session "
                     "and its audit reader fail closed")
    expect_line(run, "[proof] deferred-refusal ok: a right password from "
                     "another source was answered while a wrong one waited "
                     "out its delay, which then came back denied")
    expect_line(run, "[proof] source-bound ok: a third wrong password from "
                     "a source with two refusals waiting was answered first, "
                     "unchecked, and the two after it in order")
    expect_line(run, "[authtest] 58 checks, 0 failed")
    # Nothing auth printed carries a password.
    for pw in ("capos-dev", "guest-dev", "victim-dev", "Wr0ng-Guess"):
        expect_no_line(run, pw)
