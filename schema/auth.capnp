# Identity: who may log in, the sessions that follow, the bundle of
# capabilities a session's shell receives, and the audit trail of all of
# it (docs/auth.md). One service, `auth`, serves these interfaces; the
# kernel's interface ids are reserved to the kernel, so each has its own.
#
# Authentication selects a principal; it grants nothing by itself. What a
# session may do is the bundle its profile names, and every capability in
# the bundle that auth serves fails closed once the session has ended.
@0x8eeb025c6dc93cda;

using C = import "c.capnp";
$C.namespace("capos");
using Agent = import "agent.capnp";

const sessionManagerInterface :UInt64 = 0xf892c33fa06932a1;
const userSessionInterface :UInt64 = 0x8dfd16d6437f707d;
const auditLogInterface :UInt64 = 0xb5b5d55f0a4b3aae;

enum AccountStatus {
  active @0;
  disabled @1;
  locked @2;
  recoveryOnly @3;
}

enum AuthStrength {
  none @0;          # the anonymous session
  password @1;
  publicKey @2;
  passkey @3;
}

# Stable reason codes: audit records and tools key on these numbers, so
# a code is never renumbered or reused.
enum AuthReason {
  ok @0;
  unknownAccount @1;
  badPassword @2;
  accountLocked @3;      # locked by the failure policy, for a while
  accountDisabled @4;    # disabled or recoveryOnly in the account store
  throttled @5;          # the source has failed too often, for a while
  profileNotAllowed @6;
  unknownProfile @7;
  sessionEnded @8;       # revoked, logged out or expired
  malformed @9;          # the request itself was unusable
  tableFull @10;         # no room for another session
  # The agent shell's decisions on a tool call (event toolDecision,
  # docs/agent.md); the record's tool field names the tool.
  toolAuto @11;          # ran without asking: the map says auto
  toolConsented @12;     # the user said y
  toolDeclined @13;      # the user said n (or anything but y)
  toolStepUpPassed @14;  # the user authenticated again, and it ran
  toolStepUpFailed @15;  # the step-up failed or was abandoned
  toolForbidden @16;     # the map says forbidden: never described
  toolNotOffered @17;    # outside the map: never described
  toolCancelled @18;     # Ctrl-C before it ran
  toolOverLimit @19;     # beyond the turn's limit on tool calls
  toolMalformed @20;     # its arguments do not fit the method's schema
  badSignature @21;      # a public-key login whose signature does not verify
  unknownKey @22;        # the key is not one of the account's
  replayed @23;          # signed data a key login already used
  # The agent shell ended a turn because the model did not answer within
  # the shell's limit (event toolDecision; the tool is the model's name).
  turnTimedOut @24;
  # Passkeys (docs/auth.md, "Passkeys").
  challengeUnknown @25;  # not a challenge auth issued, used, or expired
  passkeyRefused @26;    # WebAuthn's checks: type, origin, RP ID, flags, shape
  noEntropy @27;         # the random generator refused: no challenge
  # An enrolment code (UserSession.enrolCode) not issued, used or expired.
  enrolCodeUnknown @28;
}

enum AuditEvent {
  loginSucceeded @0;
  loginFailed @1;
  bundleIssued @2;
  bundleRefused @3;
  sessionEnded @4;
  anonymousSession @5;
  toolDecision @6;       # the agent shell's decision on one tool call
  stepUp @7;             # UserSession.stepUp: ok or why not
  passkeyEnrolled @8;    # UserSession.enrolPasskey: ok or why not
  passkeyChallenge @9;   # a challenge refused (noEntropy); issued ones
                         # are not recorded
  enrolCodeIssued @10;   # UserSession.enrolCode: ok, or noEntropy
}

# One audit record. It holds no password, key or token: the request's
# secret fields have no place here, a tool decision's call has its
# secret arguments written <secret> by the shell, and the name a failed
# login typed is kept only when it is a known account (an unknown "name"
# may well be a password typed one prompt early).
struct AuditRecord {
  seq @0 :UInt64;          # 1, 2, ... in the order written
  timeNs @1 :UInt64;       # monotonic, since boot
  event @2 :AuditEvent;
  reason @3 :AuthReason;
  account @4 :Text;        # "" when not a known account
  source @5 :Text;         # where the request came from, e.g. "console"
  profile @6 :Text;
  sessionSerial @7 :UInt64; # 0 when no session is involved
  # The tool of a toolDecision record (CAPABILITY.METHOD).
  tool @8 :Text;
  # How a login proved itself (password, publicKey); none for records
  # that are not about a login.
  strength @9 :AuthStrength;
  # The call of a toolDecision record as the shell showed it at its
  # prompt, every argument the schema marks $C.secret written <secret>
  # (at most maxCall bytes; "" when the tool has no schema the shell
  # knows, since nothing then says which arguments are secret).
  call @10 :Text;
}

# The audit log as an operator takes it off the machine (capos-shell's
# `audit raw`, docs/auth.md): a stream of these messages, each one batch
# of records as AuditLog.read gave it, which
#   capnp decode schema/auth.capnp AuditExport
# turns back into text.
struct AuditExport {
  records @0 :List(AuditRecord);
  dropped @1 :UInt64;
  last @2 :UInt64;
}

struct SessionInfo {
  # 128 random bits from the DRBG; an identifier, not a credential:
  # nothing accepts it in place of the session capability.
  id @0 :Data;
  serial @1 :UInt64;
  principal @2 :UInt64;
  account @3 :Text;        # "" for the anonymous session
  profile @4 :Text;        # the profile granted last ("" before one)
  strength @5 :AuthStrength;
  source @6 :Text;
  createdNs @7 :UInt64;
  expiresNs @8 :UInt64;    # 0: no wall-clock expiry
}

# One capability of a bundle, under the name the shell shows it by.
struct BundleEntry {
  name @0 :Text;
  interfaceId @1 :UInt64;
  cap @2 :Capability;
}

interface SessionManager @0xf892c33fa06932a1 {
  struct LoginResult {
    union {
      session @0 :UserSession;
      # Every refusal looks the same to the caller, whether the account
      # is unknown, the password wrong, or a lock or slow-down is in
      # force; the audit log records which.
      denied @1 :Void;
    }
  }

  const maxName :UInt32 = 31;
  const maxPassword :UInt32 = 256;
  const maxSource :UInt32 = 31;
  # An ssh-ed25519 key blob is exactly this long (RFC 8709 4: string
  # "ssh-ed25519", string of the 32-byte key), its signature blob this
  # (RFC 8709 6: string "ssh-ed25519", string of the 64-byte signature).
  const keyBlobLen :UInt32 = 51;
  const signatureBlobLen :UInt32 = 83;
  # RFC 4252 7's signed data with a session identifier of at most 64
  # bytes and a name of at most maxName fits well within this.
  const maxSignedData :UInt32 = 256;

  # A failed attempt is answered only after the failure policy's delay.
  login @0 (account :Text, password :Data $C.secret, source :Text)
      -> LoginResult;
  # A session with no principal, for a shell before anyone logs in.
  anonymous @1 (source :Text) -> (session :UserSession);

  # For an SSH gateway (docs/auth.md, "Public keys"). Whether a login
  # with this key would be accepted for this account, for RFC 4252 7's
  # PK_OK. An unknown account and a key it does not hold give the same
  # false, from the same scan of the whole account table; nothing is
  # counted, since the answer proves no one holds the private key.
  keyAcceptable @2 (account :Text, keyBlob :Data, source :Text)
      -> (acceptable :Bool);
  # A login by public key. signedData is RFC 4252 7's (session
  # identifier, request, user name, "ssh-connection", "publickey", TRUE,
  # "ssh-ed25519", key blob) and must name this account and key;
  # signature is its RFC 8709 signature blob. auth verifies it with the
  # stored key and mints a session of strength publicKey; failures are
  # counted and slowed down as a wrong password is.
  loginKey @3 (account :Text, keyBlob :Data, signedData :Data,
               signature :Data, source :Text) -> LoginResult;

  # Passkeys (WebAuthn Level 2; docs/auth.md, "Passkeys"), for a web
  # gateway. auth issues the challenge and checks the answer with its own
  # origin and RP ID (its passkeys= argument), so a gateway relays bytes
  # and decides nothing. Without that argument both methods fail.
  const challengeLen :UInt32 = 32;
  const maxCredentialId :UInt32 = 128;
  const userHandleLen :UInt32 = 16;
  const maxClientData :UInt32 = 1024;
  const maxAuthenticatorData :UInt32 = 1024;
  const maxAttestation :UInt32 = 2048;
  const maxPasskeySignature :UInt32 = 72;

  # A login challenge: challengeLen random bytes, single use, valid for
  # a short while. Fails (and is audited) when the generator refuses.
  passkeyChallenge @4 (source :Text) -> (challenge :Data, rpId :Text);
  # A login by discoverable credential: the credential names the
  # account. Refusals count and are slowed down as a wrong password's.
  loginPasskey @5 (credentialId :Data, clientDataJson :Data,
                   authenticatorData :Data, signature :Data,
                   userHandle :Data, source :Text) -> LoginResult;

  # Passkey enrolment by a one-time code (UserSession.enrolCode), for a
  # web gateway whose page was opened with the code: the options for
  # navigator.credentials.create (a challenge bound to the code), then
  # the browser's answer, checked and recorded for the code's account.
  # The answer spends the code whether it passes or not. A code that is
  # not live fails the first (audited as passkeyEnrolled with
  # enrolCodeUnknown) and is refused by the second.
  const enrolCodeLen :UInt32 = 22;
  enrolCodeOptions @6 (code :Text, source :Text)
      -> (challenge :Data, userHandle :Data, rpId :Text, account :Text);
  enrolByCode @7 (code :Text, clientDataJson :Data,
                  attestationObject :Data, source :Text)
      -> (reason :AuthReason);
}

interface UserSession @0x8dfd16d6437f707d {
  struct BundleResult {
    union {
      entries @0 :List(BundleEntry);
      refused @1 :AuthReason;
    }
  }

  # Every method fails with a CapException once the session has ended.
  info @0 () -> SessionInfo $C.readOnly;
  # The capabilities profile grants, for this session's shell.
  shellBundle @1 (profile :Text) -> BundleResult;
  # Ends the session; its capabilities fail from now on.
  logout @2 () -> ();

  const maxTool :UInt32 = 63;
  const maxCall :UInt32 = 255;

  # The agent permission map of the profile granted last (the broker's
  # manifest data): empty when the profile has none.
  toolPermissions @3 () -> (tools :List(Agent.ToolPermission))
      $C.readOnly;
  # Authenticates the session's own account again, for a tool the map
  # marks stepUp. The failure policy of login applies (delays, locks);
  # the anonymous session is refused as malformed. Audited as stepUp.
  stepUp @4 (password :Data $C.secret) -> (reason :AuthReason);
  # Records the agent shell's decision on one tool call (a tool* reason)
  # under this session's account, source and profile. call is the call
  # with its secret arguments already redacted by the shell, which alone
  # has the schema that marks them; auth cuts it to maxCall bytes.
  recordTool @5 (tool :Text, reason :AuthReason, call :Text) -> ();

  # Passkey enrolment for this session's account (not the anonymous
  # session's): a challenge bound to this session, the account's user
  # handle (userHandleLen bytes, the same for all its passkeys) and the
  # RP ID; then the browser's answer, checked and recorded in the
  # account store. Audited as passkeyEnrolled.
  enrolChallenge @6 () -> (challenge :Data, userHandle :Data, rpId :Text,
                           account :Text);
  enrolPasskey @7 (clientDataJson :Data, attestationObject :Data)
      -> (reason :AuthReason);
  # For enrolling from a session with no browser (the console, SSH): a
  # one-time code for this session's account (enrolCodeLen characters of
  # base64url over random bytes; single use, valid validSeconds, and not
  # ended with this session), and the origin whose page takes it as
  # ORIGIN/#enrol=CODE. Fails when the generator refuses (audited as
  # enrolCodeIssued with noEntropy).
  enrolCode @8 () -> (code :Text $C.secret, origin :Text,
                      validSeconds :UInt32);
}

interface AuditLog @0xb5b5d55f0a4b3aae {
  const maxRead :UInt32 = 32;

  # Records with seq > after, oldest first, at most max (<= maxRead).
  # dropped counts records overwritten before anyone could read them.
  read @0 (after :UInt64, max :UInt32)
      -> (records :List(AuditRecord), dropped :UInt64, last :UInt64)
      $C.readOnly;
}
