"""Who may do what: staff roles, the one rule of a site's scope, and the audit log of every look-up and change."""
