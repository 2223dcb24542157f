// A real OpenID Connect provider for the accounts tests (npm oidc-provider 9.x, dev interactions).
//
// Configuration from the environment:
//   OIDC_PORT          port to listen on (127.0.0.1)
//   OIDC_CLIENT_ID     the one client's id        (default "netpol-console")
//   OIDC_CLIENT_SECRET the one client's secret    (default "test-secret")
//   OIDC_REDIRECT_URI  the client's redirect URI  (the console's /auth/callback)
//   OIDC_ACCOUNTS      JSON {login: {name, email, groups}}; any other login gets groups []
//
// The dev login form accepts any login and password (it posts the hidden field prompt=login).
// PKCE is required for the client; the `groups` scope releases a `groups` claim, which, like
// every claim beyond `sub`, the console reads from the userinfo endpoint.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID || 'netpol-console',
    client_secret: process.env.OIDC_CLIENT_SECRET || 'test-secret',
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
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

const server = provider.listen(port, '127.0.0.1', () => {
  // The test waits for this line before it uses the provider.
  console.log(`oidc-provider listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
