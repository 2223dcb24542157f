"""Users, roles and teams; local and OpenID Connect login; sessions, CSRF and login throttling."""
