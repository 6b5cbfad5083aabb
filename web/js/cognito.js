// Cognito's user-pool API, called directly from the browser with fetch (the public operations a
// sign-in needs take no AWS signature). Hand-written rather than Amplify or
// amazon-cognito-identity-js: the app has no bundler, and these calls are all it needs.
//
// Flow: USER_PASSWORD_AUTH over HTTPS (the pool's client allows it and SRP), then Cognito's own
// challenges: NEW_PASSWORD_REQUIRED at the first sign-in, MFA_SETUP (staff must enrol TOTP;
// the staff pool requires it) and SOFTWARE_TOKEN_MFA.

export class CognitoError extends Error {
  constructor(type, message) {
    super(message || type);
    this.type = type; // e.g. NotAuthorizedException, CodeMismatchException
  }
}

export class Cognito {
  constructor(endpoint) {
    this.endpoint = endpoint;
  }

  async call(operation, body) {
    let reply;
    try {
      reply = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch {
      throw new CognitoError("NetworkError");
    }
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) {
      const type = String(data.__type || reply.status).split("#").pop();
      throw new CognitoError(type, data.message);
    }
    return data;
  }

  /** Password sign-in: {tokens} or {challenge, session, parameters}. */
  async signIn(clientId, username, password) {
    return outcome(await this.call("InitiateAuth", {
      ClientId: clientId, AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }));
  }

  async respond(clientId, challenge, session, responses) {
    return outcome(await this.call("RespondToAuthChallenge", {
      ClientId: clientId, ChallengeName: challenge, Session: session, ChallengeResponses: responses,
    }));
  }

  /** TOTP enrolment during MFA_SETUP: {secret, session}. */
  async associateSoftwareToken(session) {
    const data = await this.call("AssociateSoftwareToken", { Session: session });
    return { secret: data.SecretCode, session: data.Session };
  }

  async verifySoftwareToken(session, code, deviceName) {
    const data = await this.call("VerifySoftwareToken", { Session: session, UserCode: code, FriendlyDeviceName: deviceName });
    if (data.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException");
    return data.Session;
  }

  /** A signed-in person turning TOTP on for themself (participants may; staff must, at first
   * sign-in): a new secret, then the code that proves it, then the preference. */
  async associateForUser(accessToken) {
    return (await this.call("AssociateSoftwareToken", { AccessToken: accessToken })).SecretCode;
  }

  async verifyForUser(accessToken, code, deviceName) {
    const data = await this.call("VerifySoftwareToken", { AccessToken: accessToken, UserCode: code, FriendlyDeviceName: deviceName });
    if (data.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException");
  }

  async setTotp(accessToken, enabled) {
    await this.call("SetUserMFAPreference", {
      AccessToken: accessToken, SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
    });
  }

  /** Whether the signed-in person's sign-in asks for a TOTP code. */
  async totpEnabled(accessToken) {
    const data = await this.call("GetUser", { AccessToken: accessToken });
    return (data.UserMFASettingList || []).includes("SOFTWARE_TOKEN_MFA");
  }

  /** New ID and access tokens from the refresh token (which stays the same). */
  async refresh(clientId, refreshToken) {
    const data = await this.call("InitiateAuth", {
      ClientId: clientId, AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
    return tokensOf(data.AuthenticationResult, refreshToken);
  }

  /** Sign out: every refresh token of the user stops working (GlobalSignOut; RevokeToken would
   * end this browser's only, but moto lacks it, and on a shared computer "everywhere" is the
   * safer meaning of signing out of a health record). */
  async signOut(accessToken) {
    await this.call("GlobalSignOut", { AccessToken: accessToken });
  }
}

function outcome(data) {
  if (data.AuthenticationResult) return { tokens: tokensOf(data.AuthenticationResult) };
  return { challenge: data.ChallengeName, session: data.Session, parameters: data.ChallengeParameters || {} };
}

function tokensOf(result, refreshToken) {
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken || refreshToken,
  };
}

/** The claims of a JWT (read to know who signed in and when the token expires; the API is
 * what verifies it). */
export function claims(jwt) {
  const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const padded = part + "===".slice((part.length + 3) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}
