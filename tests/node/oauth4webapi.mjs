// Drives keygate with oauth4webapi as its README shows it used: discovery, then private_key_jwt with an Ed25519
// CryptoKey (which it signs as `alg: "Ed25519"`, RFC 9864), then introspection of the token it got.
//   node oauth4webapi.mjs keypair                        -> {"public": JWK, "private": JWK}
//   node oauth4webapi.mjs token ISSUER CLIENT KID PRIVATE -> {"access_token", "alg", "active"}
//   node oauth4webapi.mjs register ISSUER INITIAL_TOKEN   -> registers (RFC 7591) a private_key_jwt client with a key
//     of its own, gets a token with it, then reads its registration (RFC 7592):
//     {"client_id", "access_token", "registration_client_uri", "registration_access_token", "read_back"}
//   node oauth4webapi.mjs dpop ISSUER CLIENT SECRET      -> with oauth4webapi's DPoP handle (RFC 9449): a token bound to
//     a fresh ES256 key, then GET /v1/clients with it as a protected resource, then the same token as Bearer:
//     {"token_type", "cnf", "jkt", "resource_status", "bearer_status"}
import * as oauth from 'oauth4webapi';
import * as jose from 'jose';

const [command, ...args] = process.argv.slice(2);
const insecure = { [oauth.allowInsecureRequests]: true };

if (command === 'keypair') {
  const { publicKey, privateKey } = await jose.generateKeyPair('Ed25519', { extractable: true });
  console.log(JSON.stringify({
    public: await jose.exportJWK(publicKey),
    private: await jose.exportJWK(privateKey),
  }));
} else if (command === 'token') {
  const [issuer, clientId, kid, privateJwk] = args;
  const issuerUrl = new URL(issuer);
  const as = await oauth.processDiscoveryResponse(
    issuerUrl,
    await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...insecure }),
  );
  const key = await jose.importJWK(JSON.parse(privateJwk), 'Ed25519');
  const client = { client_id: clientId };
  const auth = oauth.PrivateKeyJwt({ key, kid });
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure);
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  // The assertion's header as oauth4webapi made it: sign one more and read it back.
  let assertionAlg;
  const peek = oauth.PrivateKeyJwt({ key, kid }, {
    [oauth.modifyAssertion]: (header) => { assertionAlg = header.alg; },
  });
  const introspected = await oauth.processIntrospectionResponse(
    as, client,
    await oauth.introspectionRequest(as, client, peek, tokens.access_token, insecure),
  );
  console.log(JSON.stringify({ access_token: tokens.access_token, alg: assertionAlg, active: introspected.active }));
} else if (command === 'register') {
  const [issuer, initialAccessToken] = args;
  const issuerUrl = new URL(issuer);
  const as = await oauth.processDiscoveryResponse(
    issuerUrl,
    await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...insecure }),
  );
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'agent-key-1', use: 'sig', alg: 'ES256' };
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, {
      client_name: 'oauth4webapi agent',
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      scope: 'documents:read',
    }, { initialAccessToken, ...insecure }),
  );
  const client = { client_id: registered.client_id };
  const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'agent-key-1' });
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure);
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  const readBack = await fetch(registered.registration_client_uri, {
    headers: { authorization: `Bearer ${registered.registration_access_token}` },
  });
  console.log(JSON.stringify({
    client_id: registered.client_id,
    access_token: tokens.access_token,
    registration_client_uri: registered.registration_client_uri,
    registration_access_token: registered.registration_access_token,
    read_back: await readBack.json(),
  }));
} else if (command === 'dpop') {
  const [issuer, clientId, secret] = args;
  const issuerUrl = new URL(issuer);
  const as = await oauth.processDiscoveryResponse(
    issuerUrl,
    await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', ...insecure }),
  );
  const client = { client_id: clientId };
  const keyPair = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(client, keyPair);
  const response = await oauth.clientCredentialsGrantRequest(
    as, client, oauth.ClientSecretBasic(secret), new URLSearchParams(), { DPoP, ...insecure },
  );
  const tokens = await oauth.processClientCredentialsResponse(as, client, response);
  const resource = new URL(`${issuer}/v1/clients`);
  const listed = await oauth.protectedResourceRequest(
    tokens.access_token, 'GET', resource, new Headers(), null, { DPoP, ...insecure },
  );
  const asBearer = await fetch(resource, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const publicJwk = await jose.exportJWK(keyPair.publicKey);
  console.log(JSON.stringify({
    token_type: tokens.token_type,
    cnf: jose.decodeJwt(tokens.access_token).cnf,
    jkt: await jose.calculateJwkThumbprint(publicJwk, 'sha256'),
    resource_status: listed.status,
    bearer_status: asBearer.status,
  }));
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
