// Test-only: the certified OpenID Provider `oidc-provider` on 127.0.0.1, for the login gateway's
// interop test (crates/access/tests/interop_oidc_provider.rs), which installs it with `npm ci`
// under target/ and starts this script.
//
// One confidential client (client_secret_basic, authorization code, PKCE required), one account
// with fixed claims, the signing keys of a JWKS file (the first RSA key signs), and the package's
// default development interactions (a login form accepting any password, then a consent form).
// Prints `oidc-provider ready on <issuer>` once listening, then `request <METHOD> <path>` for every
// request (so the test can count the gateway's JWKS fetches); exits when its stdin closes (when
// the test process ends, however it ends).
//
//   node provider.mjs --port 0 --jwks keys.json --client-id ID --client-secret SECRET \
//     --redirect-uri URI --account ID --claims '{"preferred_username": "...", "groups": ["..."]}' \
//     [--claims-in-id-token]
//
// --claims-in-id-token turns off `conformIdTokenClaims`, so the claims of the granted scopes are
// in the ID token as well as at the UserInfo endpoint (what Okta, Keycloak and Entra ID do with
// their usual claim mappings). Without it, oidc-provider follows OpenID Connect Core §5.4 to the
// letter: in the code flow, the ID token carries only `sub` and the protocol claims.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    jwks: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    account: { type: 'string' },
    claims: { type: 'string', default: '{}' },
    'claims-in-id-token': { type: 'boolean', default: false },
  },
  strict: true,
});
for (const required of ['jwks', 'client-id', 'client-secret', 'redirect-uri', 'account']) {
  if (!args[required]) {
    console.error(`provider.mjs: --${required} is required`);
    process.exit(2);
  }
}

const jwks = JSON.parse(readFileSync(args.jwks, 'utf8'));
const accountClaims = JSON.parse(args.claims);

const server = createServer();
server.listen(Number(args.port), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: args['client-id'],
        client_secret: args['client-secret'],
        redirect_uris: [args['redirect-uri']],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    conformIdTokenClaims: !args['claims-in-id-token'],
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, sub) {
      if (sub !== args.account) {
        return undefined;
      }
      return {
        accountId: sub,
        async claims() {
          return { ...accountClaims, sub };
        },
      };
    },
  });
  server.on('request', (req) => console.log(`request ${req.method} ${req.url.split('?')[0]}`));
  server.on('request', provider.callback());
  console.log(`oidc-provider ready on ${issuer}`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
