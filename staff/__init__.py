"""Staff: operators (the reseller tree), logins, two-factor and one-time keys."""
