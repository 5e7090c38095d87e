// openid-client (Node), used as its README shows, against a real keygate over plain HTTP on loopback:
//   node openid-client.mjs start ISSUER CLIENT_ID REDIRECT_URI
//     discovery, then the authorization URL with PKCE, state and nonce; prints {url, verifier, nonce, state}
//   node openid-client.mjs finish ISSUER CLIENT_ID CALLBACK_URL VERIFIER NONCE STATE POST_LOGOUT_URI
//     the code exchange (the library checks the ID token's iss, aud, exp, iat, nonce), userinfo, a refresh, and the
//     end-session URL; prints what each gave
import * as client from 'openid-client';

const [command, issuer, clientId, ...rest] = process.argv.slice(2);
// keygate runs on http://127.0.0.1 in the tests; the library refuses plain HTTP unless told.
const config = await client.discovery(new URL(issuer), clientId, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});

if (command === 'start') {
  const [redirectUri] = rest;
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  console.log(JSON.stringify({ url: url.href, verifier, nonce, state }));
} else if (command === 'finish') {
  const [callback, verifier, nonce, state, postLogout] = rest;
  const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const endSession = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: postLogout,
    state: 'signed-out',
  });
  console.log(JSON.stringify({
    claims,
    userinfo,
    refreshed_claims: refreshed.claims(),
    refresh_token: refreshed.refresh_token,
    end_session_url: endSession.href,
  }));
} else {
  throw new Error(`unknown command ${command}`);
}
