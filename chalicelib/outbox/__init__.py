"""Notifications: which ones an event makes, their text, and sending them. Never imports pages."""
