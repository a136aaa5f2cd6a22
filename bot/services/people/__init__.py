"""Accounts and what belongs to them: passwords, log-in throttles, one-time codes and their budgets, chat
linking codes, claims of a document another account registered, and the account's own data (export, deletion)."""
