// Drives keygate with oauth4webapi as its README shows it used: discovery, then private_key_jwt with an Ed25519
// CryptoKey (which it signs as `alg: "Ed25519"`, RFC 9864), then introspection of the token it got.
//   node oauth4webapi.mjs keypair                        -> {"public": JWK, "private": JWK}
//   node oauth4webapi.mjs token ISSUER CLIENT KID PRIVATE -> {"access_token", "alg", "active"}
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
} else {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
