// A real OpenID Connect provider for the accounts tests (npm oidc-provider 9.x, dev interactions).
//
// Configuration from the environment:
//   OIDC_PORT          port to listen on (127.0.0.1; the issuer is http://127.0.0.1:PORT)
//   OIDC_HOST          address to listen on (default 127.0.0.1; docker-compose.yml's trial profile
//                      sets 0.0.0.0 in the console's network namespace)
//   OIDC_CLIENT_ID     the one client's id        (default "netpol-console")
//   OIDC_CLIENT_SECRET the one client's secret    (default "test-secret")
//   OIDC_REDIRECT_URI  the client's redirect URI  (the console's /auth/callback)
//   OIDC_ACCOUNTS      JSON {login: {name, email, groups}}; any other login gets groups []
//   OIDC_SERVICE_CLIENT_ID / OIDC_SERVICE_CLIENT_SECRET
//                      a second client, for the client_credentials grant (default
//                      "netpol-portal" / "portal-secret"), as another portal calling the REST API
//   OIDC_SERVICE_GROUPS JSON list: the `groups` claim of that client's access tokens (default [])
//   OIDC_API_RESOURCES comma-separated resource indicators (RFC 8707): for each, the provider
//                      issues JWT access tokens (scope `api`) whose audience is the indicator
//   OIDC_API_TOKEN_TTL their lifetime in seconds (default 300)
//
// A request carrying `X-Test-Clock-Offset: SECONDS` is served with the provider's clock shifted
// by that much (e.g. -600 issues a token that expired minutes ago); without it nothing changes.
//
// The dev login form accepts any login and password (it posts the hidden field prompt=login).
// PKCE is required for the client; the `groups` scope releases a `groups` claim, which, like
// every claim beyond `sub`, the console reads from the userinfo endpoint.
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const serviceClientId = process.env.OIDC_SERVICE_CLIENT_ID || 'netpol-portal';
const serviceGroups = JSON.parse(process.env.OIDC_SERVICE_GROUPS || '[]');
const apiResources = new Set((process.env.OIDC_API_RESOURCES || '').split(',').filter(Boolean));
const apiTokenTTL = Number(process.env.OIDC_API_TOKEN_TTL || 300);

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID || 'netpol-console',
    client_secret: process.env.OIDC_CLIENT_SECRET || 'test-secret',
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }, {
    client_id: serviceClientId,
    client_secret: process.env.OIDC_SERVICE_CLIENT_SECRET || 'portal-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => false,
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (!apiResources.has(resourceIndicator)) throw new errors.InvalidTarget();
        return {
          scope: 'api',
          audience: resourceIndicator,
          accessTokenTTL: apiTokenTTL,
          accessTokenFormat: 'jwt',
        };
      },
    },
  },
  async extraTokenClaims(_ctx, token) {
    // A client's own token (no signed-in user) says which groups the calling portal is in.
    if (token.kind === 'ClientCredentials') {
      return { preferred_username: token.clientId, groups: serviceGroups };
    }
    return undefined;
  },
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(_ctx, id) {
    const account = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: account.name || id,
          email: account.email || `${id}@example.com`,
          groups: account.groups || [],
        };
      },
    };
  },
});
provider.proxy = false;

const realNow = Date.now;
provider.use(async (ctx, next) => {
  const offset = Number(ctx.get('x-test-clock-offset') || 0);
  if (!offset) return next();
  Date.now = () => realNow() + offset * 1000;
  try {
    return await next();
  } finally {
    Date.now = realNow;
  }
});

const server = provider.listen(port, process.env.OIDC_HOST || '127.0.0.1', () => {
  // The test waits for this line before it uses the provider.
  console.log(`oidc-provider listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
