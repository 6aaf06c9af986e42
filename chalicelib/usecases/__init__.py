"""What people and timers do to a ticket. Never imports pages."""
