// The benchmark's peer: node-oidc-provider (https://github.com/panva/node-oidc-provider) configured as its
// documentation configures it for the scenarios keygate is measured on: client_credentials with JWT access tokens
// (RFC 9068, through resource indicators), refresh-token rotation and introspection. Two cluster workers, as keygate
// runs two actix workers on this machine, sharing their state through Redis (the workers must agree on every token).
//
// Usage: node server.mjs <port> <work dir> <refresh tokens to seed>
// Env: PEER_REDIS_URL (redis://127.0.0.1:6379/15; that database is emptied), PEER_WORKERS (2).
// Writes into the work dir: peer.lua (the seeded refresh tokens, as the table `refresh` bench.lua reads) and
// peer.env (the Basic headers of its clients and an opaque access token to introspect, as shell assignments).
//
// The provider has no password grant: the refresh tokens are made through its own models, as its authorization code
// grant makes them (a grant with the resource's scope and offline_access, then a RefreshToken of that grant).
import cluster from 'node:cluster';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Redis from 'ioredis';
import Provider from 'oidc-provider';

const [port, workDir, refreshCount] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const redisUrl = process.env.PEER_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const workers = Number(process.env.PEER_WORKERS ?? 2);
const keysFile = join(workDir, 'peer-jwks.json');
const SECRET = 'peer-bench-secret-0123456789';
const RS256 = 'urn:keygate-bench:rs256';
const ES256 = 'urn:keygate-bench:es256';
const OPAQUE = 'urn:keygate-bench:opaque';

// One Redis connection per process; every model kind is a key prefix, a grant's tokens a set (for revokeByGrantId).
const redis = new Redis(redisUrl);

class RedisAdapter {
  constructor(name) {
    this.name = name;
  }

  key(id) {
    return `${this.name}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const multi = redis.multi();
    multi.set(this.key(id), JSON.stringify(payload), ...(expiresIn ? ['EX', expiresIn] : []));
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      multi.rpush(grantKey, this.key(id));
      if (expiresIn) multi.expire(grantKey, expiresIn, 'GT');
    }
    if (payload.uid) multi.set(`uid:${payload.uid}`, id, ...(expiresIn ? ['EX', expiresIn] : []));
    await multi.exec();
  }

  async find(id) {
    const stored = await redis.get(this.key(id));
    return stored ? JSON.parse(stored) : undefined;
  }

  async findByUid(uid) {
    const id = await redis.get(`uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode() {
    return undefined; // no device flow here
  }

  async consume(id) {
    // A stored payload is JSON; consuming rewrites it with `consumed` set, keeping its time to live.
    const stored = await this.find(id);
    if (!stored) return;
    stored.consumed = Math.floor(Date.now() / 1000);
    await redis.set(this.key(id), JSON.stringify(stored), 'KEEPTTL');
  }

  async destroy(id) {
    await redis.del(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    const tokens = await redis.lrange(grantKey, 0, -1);
    await redis.del(...tokens, grantKey);
  }
}

function keys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return { keys: [{ ...rsa, kid: 'rs', alg: 'RS256', use: 'sig' }, { ...ec, kid: 'es', alg: 'ES256', use: 'sig' }] };
}

function provider(jwks) {
  return new Provider(issuer, {
    adapter: RedisAdapter,
    jwks,
    clients: [
      // `warm` gets RS256 JWTs, `warm-es256` ES256 JWTs, `introspector` opaque tokens (what introspection reads).
      ...['warm', 'warm-es256', 'introspector'].map((client_id) => ({
        client_id,
        client_secret: SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'api',
      })),
      {
        client_id: 'spa',
        client_secret: SECRET,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: ['https://app.example/callback'],
        response_types: ['code'],
        scope: 'openid offline_access api',
      },
    ],
    scopes: ['openid', 'offline_access', 'api'],
    findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client) => ({ 'warm-es256': ES256, introspector: OPAQUE })[client?.clientId] ?? RS256,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => ({
          scope: 'api',
          audience: resource,
          accessTokenTTL: 300,
          accessTokenFormat: resource === OPAQUE ? 'opaque' : 'jwt',
          ...(resource === OPAQUE ? {} : { jwt: { sign: { alg: resource === ES256 ? 'ES256' : 'RS256' } } }),
        }),
      },
    },
    ttl: { RefreshToken: 30 * 24 * 3600, ClientCredentials: 300, AccessToken: 300, Grant: 30 * 24 * 3600 },
  });
}

const basic = (id) => `Basic ${Buffer.from(`${id}:${SECRET}`).toString('base64')}`;

async function seed(oidc) {
  const client = await oidc.Client.find('spa');
  const tokens = [];
  for (let i = 0; i < Number(refreshCount); i += 1) {
    const grant = new oidc.Grant({ accountId: 'bench', clientId: 'spa' });
    grant.addOIDCScope('offline_access');
    grant.addResourceScope(RS256, 'api');
    const grantId = await grant.save();
    const token = new oidc.RefreshToken({
      accountId: 'bench', client, grantId, gty: 'authorization_code', scope: 'offline_access api', resource: RS256,
    });
    tokens.push(await token.save());
  }
  writeFileSync(join(workDir, 'peer.lua'), `refresh = {${tokens.map((t) => JSON.stringify(t)).join(',')}}\n`);
}

if (cluster.isPrimary) {
  await redis.flushdb();
  const jwks = keys();
  writeFileSync(keysFile, JSON.stringify(jwks));
  await seed(provider(jwks));
  writeFileSync(join(workDir, 'peer.env'), [
    `PEER_WARM_AUTH='${basic('warm')}'`,
    `PEER_WARM_ES256_AUTH='${basic('warm-es256')}'`,
    `PEER_SPA_AUTH='${basic('spa')}'`,
    `PEER_INTROSPECT_AUTH='${basic('introspector')}'`,
  ].join('\n') + '\n');
  redis.disconnect();
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code) => { if (code) process.exit(code); });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); });
  }
} else {
  provider(JSON.parse(readFileSync(keysFile, 'utf8'))).listen(Number(port), '127.0.0.1');
}
