"""What leaves the service after a commit: the outbox (pushes, kept answers, SMS) and the SMS gateway."""
